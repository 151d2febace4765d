"""Several models on the same people for one period; metrics and aggregates.

Models define Soll differently, so each is also measured on a common yardstick: the combined
load after this period's allocation (FlüAG stock + credited places + WSA stock + all
assignments) per 1,000 inhabitants, and its index to the state average (= 100).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.data.zahlen import pruefe_personen
from verteilung.errors import InputError, Problem
from verteilung.law import systems
from verteilung.model import (
    STOCK_COLUMNS,
    Context,
    ModelDef,
    SystemResult,
    custom_model,
    evaluate,
    load_model,
    stock_columns_of,
)
from verteilung.params import in_force
from verteilung.resources import shipped

BASELINE = "status-quo"
DEFAULT_MODELS = ("status-quo", "m1-gemeinsamer-bestand", "m2-mischschluessel", "m3-verrechnung", "m4-sperre")
# monthly averages of 2021 (AfD KA 397, LEGAL.md § 4.1), as the law registry states them
DEFAULT_ZUGAENGE_FLUEAG = systems.FLUEAG.standard_zugaenge
DEFAULT_ZUGAENGE_WSA = systems.WSA.standard_zugaenge
GROUPS = {"kreise": "kreis", "regierungsbezirke": "regierungsbezirk", "gemeindetypen": "gemeinde_typ",
          "verstaedterung": "verstaedterung"}


def default_bestand() -> Path:
    return shipped("inputs", "nrw", "szenario", "bestand_synthetisch_2024.csv")


@dataclass
class CompareResult:
    gemeinden: pd.DataFrame
    metriken: pd.DataFrame
    systeme: pd.DataFrame
    aggregate: dict[str, pd.DataFrame]
    gewinner_verlierer: pd.DataFrame
    info: dict
    befunde: list[str] = field(default_factory=list)
    verteilstatistik: dict[str, pd.DataFrame] = field(default_factory=dict)  # status quo, start of period


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Gini of a per-capita quantity over inhabitants (each Gemeinde weighted by population)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cw = np.cumsum(w)
    cv = np.cumsum(v * w)
    if cv[-1] == 0:
        return 0.0
    lorenz = np.concatenate([[0.0], cv / cv[-1]])
    pop = np.concatenate([[0.0], cw / cw[-1]])
    return float(1 - np.sum((pop[1:] - pop[:-1]) * (lorenz[1:] + lorenz[:-1])))


def weighted_cv(values: np.ndarray, weights: np.ndarray) -> float:
    mean = np.average(values, weights=weights)
    return float(np.sqrt(np.average((values - mean) ** 2, weights=weights)) / mean) if mean else 0.0


def _gemeinde_rows(model: ModelDef, res: dict[str, SystemResult], g: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    einwohner = g["einwohner"].to_numpy(dtype=float)
    base_load = ctx.base_load()
    zuweisung = sum((r.zuweisung for r in res.values()), np.zeros(len(g)))
    # the sum over the model's systems (GLOSSAR.md: Gesamtsoll), never labelled plain "Soll"
    soll = sum((r.allocation.soll for r in res.values()), np.zeros(len(g)))
    counted = sum((r.state.bestand + r.state.anrechnung + r.zuweisung for r in res.values()), np.zeros(len(g)))
    load = base_load + zuweisung
    per_1000 = load / einwohner * 1000
    state_avg = load.sum() / einwohner.sum() * 1000
    df = pd.DataFrame({
        "modell": model.id, "ags": g["ags"].to_numpy(), "gemeinde": g["gemeinde"].to_numpy(),
        "kreis": g["kreis"].to_numpy(), "regierungsbezirk": g["regierungsbezirk"].to_numpy(),
        "gemeinde_typ": g["gemeinde_typ"].to_numpy(), "verstaedterung": g["verstaedterung"].to_numpy(),
        "einwohner": einwohner.astype(np.int64), "gesamtsoll_nach_zuweisung": soll, "gezaehlt": counted,
        "gesamtquote_nach_zuweisung": np.where(soll > 0, counted / soll * 100, np.nan),
        "zuweisung": zuweisung.astype(np.int64),
    })
    for name, r in res.items():
        df[f"quote_{name}"] = r.quote_nachher
        df[f"zuweisung_{name}"] = r.zuweisung
    df["last_nachher"] = load
    df["last_je_1000"] = per_1000
    df["last_index"] = per_1000 / state_avg * 100
    return df


def _conflicts(res: dict[str, SystemResult]) -> tuple[int, int]:
    """Persons assigned to Gemeinden that are above 100 % in another system of the same model."""
    persons = gemeinden = 0
    for name, r in res.items():
        above = np.zeros(len(r.zuweisung), dtype=bool)
        for other, o in res.items():
            if other != name:
                above |= np.nan_to_num(o.start_quote) > 100
        hit = above & (r.zuweisung > 0)
        persons += int(r.zuweisung[hit].sum())
        gemeinden += int(hit.sum())
    return persons, gemeinden


def _system_rows(model: ModelDef, res: dict[str, SystemResult]) -> list[dict]:
    rows = []
    for name, r in res.items():
        q = r.quote_nachher
        q = q[np.isfinite(q)]
        rows.append({
            "modell": model.id, "system": name, "schluessel": r.key_label, "zugaenge": int(r.zuweisung.sum()),
            "bestand": float(r.state.bestand.sum()), "anrechnung": float(r.state.anrechnung.sum()),
            "quote_min": q.min(), "quote_p10": np.percentile(q, 10), "quote_median": np.median(q),
            "quote_p90": np.percentile(q, 90), "quote_max": q.max(),
            "ueber_100": int((q > 100).sum()), "ueber_120": int((q > 120).sum()), "ueber_150": int((q > 150).sum()),
            "empfangende_gemeinden": int((r.zuweisung > 0).sum()),
        })
    return rows


def metric_row(d: ModelDef, res: dict[str, SystemResult], g: pd.DataFrame, ctx: Context) -> tuple[dict, int]:
    """Fairness metrics of one model after this period's allocation, and its conflict persons."""
    df = _gemeinde_rows(d, res, g, ctx)
    persons, n_conf = _conflicts(res)
    per = df["last_je_1000"].to_numpy()
    w = df["einwohner"].to_numpy(dtype=float)
    q = df["gesamtquote_nach_zuweisung"]
    row = {
        "modell": d.id, "titel": d.titel, "systeme": len(d.systeme),
        "quote_min": q.min(), "quote_p10": q.quantile(0.1), "quote_median": q.median(),
        "quote_p90": q.quantile(0.9), "quote_max": q.max(),
        "ueber_100": int((q > 100).sum()), "ueber_120": int((q > 120).sum()), "ueber_150": int((q > 150).sum()),
        "gini_last_je_einwohner": weighted_gini(per, w), "vk_last_je_einwohner": weighted_cv(per, w),
        "last_index_p10": df["last_index"].quantile(0.1), "last_index_p90": df["last_index"].quantile(0.9),
        "konflikt_personen": persons, "konflikt_gemeinden": n_conf, "zuweisungen": int(df["zuweisung"].sum()),
    }
    return row, persons


def compare(modelle: list[str] | None = None, bestand: str | Path | None = None, gemeinden: str | Path | None = None,
            zugaenge_flueag: int = DEFAULT_ZUGAENGE_FLUEAG, zugaenge_wsa: int = DEFAULT_ZUGAENGE_WSA,
            jahr: int | None = None, stichtag: str | dt.date | None = None, gewichte: dict[str, float] | None = None,
            ohne_meldung_null: bool = False, kappung: dict[str, float] | None = None,
            minderungen: dict[str, float] | None = None, zugaenge: dict[str, int] | None = None) -> CompareResult:
    """Evaluate each model on the same inputs; status-quo is always computed as the baseline.

    ``gewichte`` adds a one-system model over the combined stock with these weights, optionally
    capped (``kappung={column: factor}``) and reduced (``minderungen={flag: rate}``).
    ``zugaenge`` gives arrivals per stream by name (``{"drittes": 100}``; also ``flueag``/``wsa``,
    which then win over ``zugaenge_flueag``/``zugaenge_wsa``); a model's own system over its own
    stock column receives its own stream.

    >>> res = verteilung.compare(["status-quo", "m1-gemeinsamer-bestand"], zugaenge_flueag=1000)
    >>> res.metriken[["modell", "gini_last_je_einwohner"]]
    """
    from verteilung.inputs import prepare

    streams = {"flueag": zugaenge_flueag, "wsa": zugaenge_wsa, **(zugaenge or {})}
    streams = {name: pruefe_personen(n, f"--zugaenge-{name}" if name in ("flueag", "wsa")
                                     else f"--zugaenge {name}") for name, n in streams.items()}
    zugaenge_flueag, zugaenge_wsa = streams["flueag"], streams["wsa"]
    defs: list[ModelDef] = [load_model(m) for m in (modelle or DEFAULT_MODELS)]
    if gewichte:
        from verteilung.model import CapSpec, ReductionSpec

        if kappung and len(kappung) != 1:
            raise InputError(Problem("--gewichte-kappung", "give exactly one COLUMN=FACTOR"))
        cap = CapSpec(komponente=next(iter(kappung)), faktor=next(iter(kappung.values()))) if kappung else None
        cuts = [ReductionSpec(merkmal=k, satz=v) for k, v in (minderungen or {}).items()]
        defs.append(custom_model(gewichte, cap, cuts))
    if BASELINE not in [d.id for d in defs]:
        defs.insert(0, load_model(BASELINE))
    from verteilung.optionen import pruefe_stroeme

    pruefe_stroeme(zugaenge, {s.zugaenge for d in defs for s in d.systeme} | {"flueag", "wsa"})
    ids = [d.id for d in defs]
    if len(set(ids)) != len(ids):
        raise InputError(Problem("--modelle", "a model is listed twice"))
    columns = stock_columns_of(defs)
    bestand_path = Path(bestand) if bestand is not None else default_bestand()
    inp = prepare(jahr=jahr, stichtag=stichtag, gemeinden=gemeinden, bestand=bestand_path,
                  bestand_spalten=columns, ohne_meldung_null=ohne_meldung_null)
    g, b, when = inp.gemeinden, inp.bestand, inp.stichtag
    assert b is not None
    ctx = Context(g, b, when, streams, weitere_bestand=columns)

    info = {
        "modelle": ids, "stichtag": when.isoformat(), "datenbasis": inp.datenbasis,
        "bestand_datei": str(bestand_path) if bestand is not None else f"inputs/nrw/szenario/{bestand_path.name}",
        "synthetisch": inp.synthetisch, "angenommen_null": list(inp.angenommen_null),
        "naeherungen": list(inp.naeherungen),
        "zugaenge_flueag": zugaenge_flueag, "zugaenge_wsa": zugaenge_wsa,
        "alpha_m2": ctx.auto_alpha(),
        "anrechnung_faktoren": {p.name: p.value for p in ctx.anrechnung_faktoren},
    }
    further = {k: v for k, v in streams.items() if k not in ("flueag", "wsa")}
    if further:
        info["zugaenge_weitere"] = further
    if len(columns) > len(STOCK_COLUMNS):
        info["bestand_spalten"] = list(columns)
    return compare_models(defs, ctx, info)


def compare_models(defs: list[ModelDef], ctx: Context, info: dict) -> CompareResult:
    """Evaluate the models on one prepared context: the part `compare` and the app share.

    ``defs`` must include the status quo (the baseline of every change); ``info`` is the
    metadata of the inputs, completed here with the model titles and the parameters in force.
    """
    from verteilung.status import verteilstatistik

    g = ctx.gemeinden
    frames, metric_rows, system_rows = [], [], []
    sq_states = {}
    for d in defs:
        res = evaluate(d, ctx)
        if d.id == BASELINE:
            sq_states = {name: r.state for name, r in res.items()}
        frames.append(_gemeinde_rows(d, res, g, ctx))
        system_rows += _system_rows(d, res)
        metric_rows.append({**metric_row(d, res, g, ctx)[0], **largest_assignment(res, g)})
    long = pd.concat(frames, ignore_index=True)
    base = long[long["modell"] == BASELINE].set_index("ags")
    long["aenderung_je_1000"] = long["last_je_1000"] - long["ags"].map(base["last_je_1000"])
    long["aenderung_zuweisung"] = long["zuweisung"] - long["ags"].map(base["zuweisung"])
    aggregate = {name: _aggregate(long, col) for name, col in GROUPS.items()}
    info = {**info, "modell_titel": {d.id: d.titel for d in defs}, "parameter": in_force(ctx.stichtag)}
    result = CompareResult(long, pd.DataFrame(metric_rows), pd.DataFrame(system_rows), aggregate,
                           _winners_losers(long), info,
                           verteilstatistik={k: verteilstatistik(v) for k, v in sq_states.items()})
    result.befunde = findings(result)
    return result


def largest_assignment(res: dict[str, SystemResult], g: pd.DataFrame) -> dict:
    """The period's largest assignment to one Gemeinde and its share of the period's arrivals
    (the one transition figure that is meaningful for one period; `verteilung.uebergang`)."""
    from verteilung.uebergang import kennzahlen

    z = sum((r.zuweisung for r in res.values()), np.zeros(len(g)))[None, :]
    f = kennzahlen(z, np.full(z.shape, np.nan), g["ags"].to_numpy(), g["gemeinde"].to_numpy())
    return {"groesste_zuweisung": f.groesste_zuweisung, "groesste_zuweisung_anteil": f.groesste_zuweisung_anteil}


def _aggregate(long: pd.DataFrame, col: str) -> pd.DataFrame:
    grp = long.groupby(["modell", col], sort=True)
    out = grp.agg(gemeinden=("ags", "count"), einwohner=("einwohner", "sum"), last_nachher=("last_nachher", "sum"),
                  zuweisung=("zuweisung", "sum")).reset_index()
    out["last_je_1000"] = out["last_nachher"] / out["einwohner"] * 1000
    base = out[out["modell"] == BASELINE].set_index(col)
    out["aenderung_je_1000"] = out["last_je_1000"] - out[col].map(base["last_je_1000"])
    out["aenderung_zuweisung"] = out["zuweisung"] - out[col].map(base["zuweisung"])
    return out


def _winners_losers(long: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    rows = []
    for m, df in long[long["modell"] != BASELINE].groupby("modell", sort=False):
        ranked = df.sort_values(["aenderung_zuweisung", "ags"])
        for label, part in (("entlastet", ranked.head(top)), ("belastet", ranked.tail(top)[::-1])):
            for _, r in part.iterrows():
                rows.append({"modell": m, "richtung": label, "ags": r["ags"], "gemeinde": r["gemeinde"],
                             "gemeinde_typ": r["gemeinde_typ"], "aenderung_zuweisung": int(r["aenderung_zuweisung"]),
                             "aenderung_je_1000": r["aenderung_je_1000"]})
    return pd.DataFrame(rows)


def de(n: int) -> str:
    """German thousands separator: 1.148, -36."""
    return f"{n:,}".replace(",", ".")


def de_signed(n: int) -> str:
    return ("+" if n > 0 else "") + de(n)


def findings(res: CompareResult) -> list[str]:
    """Plain sentences: which Gemeinde types take more or fewer of this period's arrivals."""
    typ = res.aggregate["gemeindetypen"]
    base = typ[typ["modell"] == BASELINE].set_index("gemeinde_typ")
    lines = []
    for m in res.info["modelle"]:
        if m == BASELINE:
            continue
        part = typ[typ["modell"] == m].set_index("gemeinde_typ")
        bits = []
        for t in ("kreisfreie Stadt", "kreisangehörige Stadt", "kreisangehörige Gemeinde"):
            if t in part.index:
                before, after = int(base.loc[t, "zuweisung"]), int(part.loc[t, "zuweisung"])
                bits.append(f"{t}: {de(after)} statt {de(before)} Zuweisungen ({de_signed(after - before)})")
        met = res.metriken.set_index("modell")
        conf = (f"Konflikte {de(int(met.loc[m, 'konflikt_personen']))} statt "
                f"{de(int(met.loc[BASELINE, 'konflikt_personen']))} Personen")
        lines.append(f"{m}: " + "; ".join(bits) + f"; {conf}.")
    return lines


def summary_payload(res: CompareResult) -> dict:
    from verteilung.io import records

    return {"info": res.info, "hinweis": "SYNTHETISCHE Bestandsdaten" if res.info["synthetisch"] else "",
            "metriken": records(res.metriken), "systeme": records(res.systeme), "befunde": res.befunde,
            "gemeindetypen": records(res.aggregate["gemeindetypen"])}
