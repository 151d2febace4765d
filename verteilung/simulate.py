"""Month-by-month stock-flow simulation of the same people under each model.

Every model starts from the same stocks and sees the same flows. Each month:
1. exits (seeded binomial draws per Gemeinde): FlüAG persons whose removal obligation becomes
   enforceable, WSA persons whose residence obligation ends, departures from both stocks;
2. recognitions: FlüAG persons recognised in place move to the WSA stock. Under a two-system
   model this raises the other quota in the same Gemeinde (the Gelsenkirchen effect); under a
   merged model the combined count does not change;
3. arrivals: allocated with the allocation core under the model's rules.
Each model draws from its own generator seeded with the same seed, so equal seeds give equal
results, and the seed is recorded in every output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from verteilung.compare import DEFAULT_MODELS, de, metric_row
from verteilung.data import load_bestand, load_gemeinden
from verteilung.errors import InputError, Problem
from verteilung.model import Context, evaluate, load_model
from verteilung.resources import shipped


class Rate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    wert: float
    quelle: str


class Szenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    titel: str
    seed: int
    zugaenge_flueag_monat: Rate
    zugaenge_wsa_monat: Rate
    anerkennung_anteil_monat: Rate
    ausreisepflicht_anteil_monat: Rate
    wsa_dauer_monate: Rate
    fortzug_anteil_monat: Rate


def default_szenario() -> Path:
    return shipped("inputs", "nrw", "szenario", "fluesse_2021.yaml")


def load_szenario(path: str | Path | None = None) -> Szenario:
    path = Path(path) if path is not None else default_szenario()
    if not path.exists():
        raise InputError(Problem(str(path), "scenario file not found"))
    try:
        s = Szenario.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise InputError(Problem(str(path), f"invalid scenario: {exc}".splitlines()[0])) from exc
    problems = []
    for name in ("anerkennung_anteil_monat", "ausreisepflicht_anteil_monat", "fortzug_anteil_monat"):
        v = getattr(s, name).wert
        if not 0 <= v <= 1:
            problems.append(Problem(str(path), f"{name} must lie between 0 and 1, got {v}"))
    if s.wsa_dauer_monate.wert < 1:
        problems.append(Problem(str(path), "wsa_dauer_monate must be at least 1"))
    for name in ("zugaenge_flueag_monat", "zugaenge_wsa_monat"):
        v = getattr(s, name).wert
        if v < 0 or v != int(v):
            problems.append(Problem(str(path), f"{name} must be a whole number ≥ 0, got {v}"))
    if problems:
        raise InputError(problems)
    return s


@dataclass
class SimResult:
    monate: pd.DataFrame          # one row per model and month: fairness metrics
    gemeinden: pd.DataFrame       # per model and Gemeinde: start, end and change
    info: dict = field(default_factory=dict)


def _split(total: np.ndarray, share: float) -> np.ndarray:
    """Split integer totals by a share, rounding per Gemeinde (part for the first category)."""
    return np.floor(total * share + 0.5).astype(np.int64)


def simulate(monate: int = 24, modelle: list[str] | None = None, szenario: str | Path | None = None,
             bestand: str | Path | None = None, gemeinden: str | Path | None = None, jahr: int | None = None,
             stichtag: str | None = None, seed: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> SimResult:
    from verteilung.api import default_stichtag
    from verteilung.compare import default_bestand, enrich_gemeinden

    if monate < 1:
        raise InputError(Problem("--monate", "must be at least 1"))
    sz = load_szenario(szenario)
    seed = sz.seed if seed is None else seed
    g = load_gemeinden(gemeinden, jahr)
    when = default_stichtag(g, stichtag)
    bestand_path = Path(bestand) if bestand is not None else default_bestand()
    b0 = load_bestand(bestand_path, g, required=("flueag_bestand", "wsa_bestand"))
    g = enrich_gemeinden(g, when)
    names = list(modelle or DEFAULT_MODELS)
    if "status-quo" not in names:
        names.insert(0, "status-quo")
    defs = [load_model(m) for m in names]
    n_f = int(sz.zugaenge_flueag_monat.wert)
    n_w = int(sz.zugaenge_wsa_monat.wert)
    rows, finals = [], []
    total_steps = len(defs) * monate
    step = 0
    for d in defs:
        rng = np.random.default_rng(seed)
        b = b0.copy()
        start_b = b["flueag_bestand"].to_numpy().copy()
        start_w = b["wsa_bestand"].to_numpy().copy()
        cum_conflicts = 0
        rows.append({"monat": 0, "modell": d.id, "bestand_flueag": int(start_b.sum()),
                     "bestand_wsa": int(start_w.sum()), "zugaenge": 0, "abgaenge": 0, "anerkennungen": 0})
        for month in range(1, monate + 1):
            fb = b["flueag_bestand"].to_numpy().astype(np.int64)
            wb = b["wsa_bestand"].to_numpy().astype(np.int64)
            out_f = rng.binomial(fb, sz.ausreisepflicht_anteil_monat.wert)
            fb = fb - out_f
            moved = rng.binomial(fb, sz.anerkennung_anteil_monat.wert)
            fb, wb = fb - moved, wb + moved
            out_w = rng.binomial(wb, 1.0 / sz.wsa_dauer_monate.wert)
            wb = wb - out_w
            gone_f = rng.binomial(fb, sz.fortzug_anteil_monat.wert)
            gone_w = rng.binomial(wb, sz.fortzug_anteil_monat.wert)
            fb, wb = fb - gone_f, wb - gone_w
            b["flueag_bestand"], b["wsa_bestand"] = fb, wb
            ctx = Context(g, b, when, {"flueag": n_f, "wsa": n_w})
            res = evaluate(d, ctx)
            row, conflicts = metric_row(d, res, g, ctx)
            cum_conflicts += conflicts
            for s in d.systeme:
                z = res[s.name].zuweisung
                if s.zugaenge == "flueag":
                    fb = fb + z
                elif s.zugaenge == "wsa":
                    wb = wb + z
                else:  # merged: the same people, asylum seekers and recognised in their proportion
                    share = n_f / (n_f + n_w) if n_f + n_w else 1.0
                    part = _split(z, share)
                    fb, wb = fb + part, wb + (z - part)
            b["flueag_bestand"], b["wsa_bestand"] = fb, wb
            rows.append({"monat": month, **row, "konflikt_personen_kumuliert": cum_conflicts,
                         "anerkennungen": int(moved.sum()),
                         "abgaenge": int(out_f.sum() + out_w.sum() + gone_f.sum() + gone_w.sum()),
                         "zugaenge": int(row["zuweisungen"]),
                         "bestand_flueag": int(fb.sum()), "bestand_wsa": int(wb.sum())})
            step += 1
            if progress:
                progress(step, total_steps)
        final_load = b["flueag_bestand"].to_numpy() + ctx.anrechnung + b["wsa_bestand"].to_numpy()
        start_load = start_b + ctx.anrechnung + start_w
        ein = g["einwohner"].to_numpy(dtype=float)
        finals.append(pd.DataFrame({
            "modell": d.id, "ags": g["ags"].to_numpy(), "gemeinde": g["gemeinde"].to_numpy(),
            "gemeinde_typ": g["gemeinde_typ"].to_numpy(), "einwohner": ein.astype(np.int64),
            "flueag_bestand_start": start_b, "wsa_bestand_start": start_w,
            "flueag_bestand_ende": b["flueag_bestand"].to_numpy(), "wsa_bestand_ende": b["wsa_bestand"].to_numpy(),
            "last_je_1000_start": start_load / ein * 1000, "last_je_1000_ende": final_load / ein * 1000,
        }))
    everything = pd.DataFrame(rows)
    monthly = everything[everything["monat"] > 0].reset_index(drop=True)
    start_rows = everything[everything["monat"] == 0].set_index("modell")
    final = pd.concat(finals, ignore_index=True)
    final["aenderung_je_1000"] = final["last_je_1000_ende"] - final["last_je_1000_start"]
    sq = final[final["modell"] == "status-quo"].set_index("ags")["last_je_1000_ende"]
    final["ende_gegen_status_quo_je_1000"] = final["last_je_1000_ende"] - final["ags"].map(sq)
    info = {"monate": monate, "seed": seed, "szenario": sz.titel, "modelle": [d.id for d in defs],
            "stichtag": when.isoformat(), "datenbasis": g.attrs["datenbasis"],
            "bestand_datei": str(bestand_path) if bestand is not None else f"inputs/nrw/szenario/{bestand_path.name}",
            "synthetisch": bool(b0.attrs.get("synthetisch")),
            "fluesse": {k: {"wert": v.wert, "quelle": v.quelle} for k, v in sz if isinstance(v, Rate)}}
    info["startbestand"] = {m: {"flueag": int(r["bestand_flueag"]), "wsa": int(r["bestand_wsa"])}
                            for m, r in start_rows.iterrows()}
    return SimResult(monthly, final, info)


def terminal_progress() -> Callable[[int, int], None] | None:
    """A rich progress bar on a terminal; nothing when output is redirected."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("Simulation", total=1)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, total=total, completed=done)
        if done >= total:
            bar.stop()

    return update


def summary_lines(res: SimResult) -> list[str]:
    m = res.monate
    last = m["monat"].max()
    lines = []
    for model in res.info["modelle"]:
        part = m[m["modell"] == model].set_index("monat")
        first, end = part.loc[1], part.loc[last]
        total = int(end["konflikt_personen_kumuliert"])
        if model == "status-quo":
            lines.append(f"status-quo: Konflikte {de(int(first['konflikt_personen']))} Personen im 1. Monat, "
                         f"{de(int(end['konflikt_personen']))} im Monat {last}; zusammen {de(total)} "
                         f"Personen in Gemeinden über 100 % im anderen System")
        else:
            lines.append(f"{model}: Streuung der Last je Einwohner (VK) {first['vk_last_je_einwohner']:.3f} → "
                         f"{end['vk_last_je_einwohner']:.3f}; Lastindex P90 {first['last_index_p90']:.1f} → "
                         f"{end['last_index_p90']:.1f}; Konflikte kumuliert {de(total)}")
    return lines
