"""Month-by-month stock-flow simulation of the same people under each model.

Every model starts from the same stocks and sees the same people. Each person (everyone in the
starting stocks and every arrival of every month) gets one fate, drawn once from the seeded
generator before any model runs (common random numbers per person): in which month they are
recognised, removed (FlüAG, enforceable obligation to leave), reach the end of the residence
obligation (WSA) or depart. Only where a person lives depends on the model. So the Land totals
of arrivals, recognitions, removals, WSA ends and departures are identical under every model in
every month; the models differ only in where these things happen. Each month:
1. arrivals: allocated with the allocation core under the model's rules, on the stocks at the
   start of the month (month 1 is therefore exactly `compare` on the same inputs);
2. at the end of the month, the month's fates: recognitions move FlüAG persons to the WSA stock
   in the same Gemeinde (under a two-system model this raises the other quota there, the
   Gelsenkirchen effect; under a merged model the combined count does not change), then
   removals, ends of the WSA obligation and departures leave the stocks.
Equal seeds give equal results, and the seed is recorded in every output.

A further system that a model file defines (its own stock column, its own arrivals stream, e.g.
``drittes``) is simulated too: its stock starts from its column of the stock file and receives
its stream's arrivals every month (``zugaenge={"drittes": 100}``, ``--zugaenge drittes=100`` or
``zugaenge_weitere`` in the scenario), allocated by the model like any other system. The people
in it stay where they are: no recognition, removal or departure flows apply to a further system
(the scenario's rates describe FlüAG and WSA only). Models without such a system leave its stock
unchanged; it still counts in every model's load per inhabitant.
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
from verteilung.errors import InputError, Problem
from verteilung.io.deutsch import fmt_dec
from verteilung.law import systems
from verteilung.model import Context, evaluate, load_model
from verteilung.params import in_force


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
    # monthly arrivals of further streams named by a model's own system (e.g. drittes)
    zugaenge_weitere: dict[str, Rate] = {}


def default_szenario() -> Path:
    from verteilung import land

    return land.get().datei("szenario", "fluesse_2021.yaml")


def load_szenario(path: str | Path | None = None) -> Szenario:
    path = Path(path) if path is not None else default_szenario()
    if not path.exists():
        raise InputError(Problem(str(path), "scenario file not found"))
    try:
        s = Szenario.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise InputError(Problem(str(path), f"Szenario nicht lesbar: {exc}".splitlines()[0])) from exc
    problems = []
    for name in ("anerkennung_anteil_monat", "ausreisepflicht_anteil_monat", "fortzug_anteil_monat"):
        v = getattr(s, name).wert
        if not 0 <= v <= 1:
            problems.append(Problem(str(path), f"{name} muss zwischen 0 und 1 liegen, erhalten {v}"))
    if s.wsa_dauer_monate.wert < 1:
        problems.append(Problem(str(path), "wsa_dauer_monate muss mindestens 1 sein"))
    for name in ("zugaenge_flueag_monat", "zugaenge_wsa_monat"):
        v = getattr(s, name).wert
        if v < 0 or v != int(v):
            problems.append(Problem(str(path), f"{name} must be a whole number ≥ 0, got {v}"))
    for name, rate in s.zugaenge_weitere.items():
        if rate.wert < 0 or rate.wert != int(rate.wert):
            problems.append(Problem(str(path), f"zugaenge_weitere.{name} must be a whole number ≥ 0, "
                                    f"got {rate.wert}"))
    if problems:
        raise InputError(problems)
    return s


@dataclass
class SimResult:
    monate: pd.DataFrame          # one row per model and month: fairness metrics
    gemeinden: pd.DataFrame       # per model and Gemeinde: start, end and change
    info: dict = field(default_factory=dict)
    # with verlauf=True: modell, monat (0 = start), ags, last_je_1000, flueag_bestand, wsa_bestand
    verlauf: pd.DataFrame | None = None
    # transition figures per model (`verteilung.uebergang.kennzahlen`), their table (one row per
    # model) and the paths of Gelsenkirchen and of the Gemeinde receiving most, month by month
    kennzahlen: dict = field(default_factory=dict)
    uebergang: pd.DataFrame | None = None
    uebergang_verlauf: pd.DataFrame | None = None
    # per model, months × Gemeinden: persons assigned, and the pacing bound of the month (inf: none;
    # with weekly periods the bound of one week)
    zuweisung_monate: dict = field(default_factory=dict)
    obergrenze_monate: dict = field(default_factory=dict)


def _split(total: np.ndarray, part: int, whole: int) -> np.ndarray:
    """Split integer counts per Gemeinde so that exactly ``part`` of the ``whole`` go to the first
    category (cumulative rounding: each Gemeinde's share is within one person of its proportion)."""
    cum = np.concatenate([[0], np.cumsum(total, dtype=np.int64)])
    first = (2 * cum * part + whole) // (2 * whole) if whole else cum
    return np.diff(first)


@dataclass
class People:
    """Everyone the simulation follows, with one fate each (the same under every model)."""

    home: np.ndarray        # Gemeinde index of the starting stocks, -1 for arrivals
    arrival: np.ndarray     # month of arrival, 0 for the starting stocks
    kind: np.ndarray        # 1 FlüAG, 2 WSA on arrival
    recognised: np.ndarray  # month of recognition, 0 if none within the horizon
    exit_month: np.ndarray  # month of leaving the stocks, 0 if none within the horizon
    exit_kind: np.ndarray   # 1 removal, 2 end of the WSA obligation, 3 departure
    exit_from: np.ndarray   # 1 FlüAG stock, 2 WSA stock


def draw_people(fb0: np.ndarray, wb0: np.ndarray, n_f: int, n_w: int, monate: int, sz: Szenario,
                seed: int) -> People:
    """Fates month by month with the scenario's monthly rates, each person at most one exit."""
    n = len(fb0)
    start = int(fb0.sum() + wb0.sum())
    home = np.concatenate([np.repeat(np.arange(n), fb0), np.repeat(np.arange(n), wb0),
                           np.full(monate * (n_f + n_w), -1)])
    arrival = np.concatenate([np.zeros(start, dtype=np.int64), np.repeat(np.arange(1, monate + 1), n_f + n_w)])
    kind = np.concatenate([np.ones(int(fb0.sum()), dtype=np.int8), np.full(int(wb0.sum()), 2, dtype=np.int8),
                           np.tile(np.repeat(np.array([1, 2], dtype=np.int8), [n_f, n_w]), monate)])
    size = len(home)
    state = np.where(arrival == 0, kind, 0).astype(np.int8)   # 0 not yet here, 3 gone
    recognised = np.zeros(size, dtype=np.int64)
    exit_month = np.zeros(size, dtype=np.int64)
    exit_kind = np.zeros(size, dtype=np.int8)
    exit_from = np.zeros(size, dtype=np.int8)
    rng = np.random.default_rng(seed)
    p_removal = sz.ausreisepflicht_anteil_monat.wert
    p_recog = sz.anerkennung_anteil_monat.wert
    p_end = 1.0 / sz.wsa_dauer_monate.wert
    p_depart = sz.fortzug_anteil_monat.wert
    for month in range(1, monate + 1):
        new = arrival == month
        state[new] = kind[new]
        u = rng.random((4, size))
        f = state == 1
        removed = f & (u[0] < p_removal)
        rec = f & ~removed & (u[1] < p_recog)
        state[rec] = 2
        recognised[rec] = month
        w = state == 2
        ended = w & (u[2] < p_end)
        departed = ((f & ~removed & ~rec) | (w & ~ended)) & (u[3] < p_depart)
        for mask, code in ((removed, 1), (ended, 2), (departed, 3)):
            exit_month[mask] = month
            exit_kind[mask] = code
            exit_from[mask] = state[mask]
        state[removed | ended | departed] = 3
    return People(home, arrival, kind, recognised, exit_month, exit_kind, exit_from)


# long: the monthly loop over models and flows; being reshaped for arrival streams (issue 21, h31/h38), split after that
def simulate(monate: int = 24, modelle: list[str] | None = None, szenario: str | Path | None = None,
             bestand: str | Path | None = None, gemeinden: str | Path | None = None, jahr: int | None = None,
             stichtag: str | None = None, seed: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             zugaenge: dict[str, int] | None = None, verlauf: bool = False) -> SimResult:
    """Month by month: the same people under each model (``verteilung simulate``).

    ``zugaenge`` gives the monthly arrivals of further streams by name (``{"drittes": 100}``),
    winning over the scenario's ``zugaenge_weitere``; a further system's people stay (no flows).
    ``verlauf=True`` also keeps every Gemeinde's combined load per 1,000 inhabitants after each
    month (`SimResult.verlauf`; the app's Gemeinde profile draws it).

    >>> res = verteilung.simulate(6, ["status-quo", "m1-gemeinsamer-bestand"], seed=1)
    >>> res.monate.tail()
    """
    from verteilung.compare import bestand_anzeige, default_bestand
    from verteilung.data.zahlen import pruefe_personen
    from verteilung.inputs import prepare
    from verteilung.model import STOCK_COLUMNS, stock_columns_of

    if monate < 1:
        raise InputError(Problem("--monate", "muss mindestens 1 sein"))
    sz = load_szenario(szenario)
    seed = sz.seed if seed is None else seed
    names = list(modelle or DEFAULT_MODELS)
    if "status-quo" not in names:
        names.insert(0, "status-quo")
    defs = [load_model(m) for m in names]
    columns = stock_columns_of(defs)
    further_cols = [c for c in columns if c not in STOCK_COLUMNS]
    bestand_path = Path(bestand) if bestand is not None else default_bestand()
    inp = prepare(jahr=jahr, stichtag=stichtag, gemeinden=gemeinden, bestand=bestand_path,
                  bestand_spalten=columns)
    g, when, b0 = inp.gemeinden, inp.stichtag, inp.bestand
    assert b0 is not None
    n_f = int(sz.zugaenge_flueag_monat.wert)
    n_w = int(sz.zugaenge_wsa_monat.wert)
    further = {k: int(v.wert) for k, v in sz.zugaenge_weitere.items()}
    further.update({k: pruefe_personen(v, f"--zugaenge {k}") for k, v in (zugaenge or {}).items()})
    from verteilung.optionen import monate as check_months
    from verteilung.optionen import pruefe_stroeme

    check_months(monate)
    pruefe_stroeme(zugaenge, {s.zugaenge for d in defs for s in d.systeme} | {"flueag", "wsa"})
    for name in ("flueag", "wsa", "alle"):
        if name in further:
            raise InputError(Problem("--zugaenge", f"{name}: FlüAG and WSA arrivals come from the scenario "
                                     "(zugaenge_flueag_monat, zugaenge_wsa_monat); --zugaenge names further "
                                     "streams only"))
    streams = {"flueag": n_f, "wsa": n_w, **further}
    fb0 = b0["flueag_bestand"].to_numpy().astype(np.int64)
    wb0 = b0["wsa_bestand"].to_numpy().astype(np.int64)
    people = draw_people(fb0, wb0, n_f, n_w, monate, sz, seed)
    n_gem = len(fb0)
    # the month's events, the same people under every model
    events = []
    for month in range(1, monate + 1):
        leaving = people.exit_month == month
        events.append({
            "cohort": np.flatnonzero(people.arrival == month),
            "recognised": np.flatnonzero(people.recognised == month),
            "exit_f": np.flatnonzero(leaving & (people.exit_from == 1)),
            "exit_w": np.flatnonzero(leaving & (people.exit_from == 2)),
            "totals": {"ausreisen": int((leaving & (people.exit_kind == 1)).sum()),
                       "wsa_enden": int((leaving & (people.exit_kind == 2)).sum()),
                       "fortzuege": int((leaving & (people.exit_kind == 3)).sum())},
        })
    from verteilung.uebergang import kennzahlen

    rows, finals, paths = [], [], []
    figures: dict = {}
    assigned: dict = {}
    bounds: dict = {}
    total_steps = len(defs) * monate
    step = 0
    for d in defs:
        b = b0.copy()
        start_b, start_w = fb0.copy(), wb0.copy()
        xb = {c: b0[c].to_numpy().astype(np.int64) for c in further_cols}  # further stocks: no flows
        fb, wb = fb0.copy(), wb0.copy()
        where = people.home.copy()
        cum_conflicts = 0
        loads: list[np.ndarray] = []
        groups: list[tuple[np.ndarray, np.ndarray]] = []  # FlüAG and WSA persons after each month (money)
        month_z: list[np.ndarray] = []   # persons assigned per month and Gemeinde
        month_q: list[np.ndarray] = []   # fulfilment after the month's allocation, % of the model's own Soll
        month_c: list[int] = []
        month_b: list[np.ndarray] = []   # pacing bound per month and Gemeinde (inf: none)
        rows.append({"monat": 0, "modell": d.id, "bestand_flueag": int(start_b.sum()),
                     "bestand_wsa": int(start_w.sum()), "zugaenge": 0, "abgaenge": 0, "anerkennungen": 0})
        for month in range(1, monate + 1):
            ev = events[month - 1]
            b["flueag_bestand"], b["wsa_bestand"] = fb, wb
            for c, v in xb.items():
                b[c] = v
            ctx = Context(g, b, when, streams, weitere_bestand=columns)
            res = evaluate(d, ctx, monat=month)
            row, conflicts = metric_row(d, res, g, ctx)
            cum_conflicts += conflicts
            month_z.append(sum((np.asarray(r.zuweisung, dtype=np.int64) for r in res.values()),
                               np.zeros(n_gem, dtype=np.int64)))
            month_q.append(target_quote(res, n_gem))
            month_c.append(conflicts)
            month_b.append(np.min([np.min(r.allocation.obergrenze, axis=0) if r.allocation.obergrenze.size
                                   else np.full(n_gem, np.inf) for r in res.values()], axis=0))
            zf = np.zeros(n_gem, dtype=np.int64)
            zw = np.zeros(n_gem, dtype=np.int64)
            for s in d.systeme:
                z = np.asarray(res[s.name].zuweisung, dtype=np.int64)
                if s.zugaenge not in ("flueag", "wsa", "alle"):
                    # a further stream: its people join the system's (first) stock column and stay
                    target = s.bestand[0]
                    if target in xb:
                        xb[target] = xb[target] + z
                    else:
                        raise InputError(Problem(d.id, f"system {s.name!r} receives the further stream "
                                                 f"{s.zugaenge!r} into {target!r}; in the simulation a "
                                                 "further stream needs its own stock column"))
                elif s.zugaenge == "flueag":
                    zf += z
                elif s.zugaenge == "wsa":
                    zw += z
                else:  # merged: the same people, asylum seekers and recognised in their proportion
                    part = _split(z, n_f, n_f + n_w)
                    zf, zw = zf + part, zw + (z - part)
            if zf.sum() != n_f or zw.sum() != n_w:
                raise RuntimeError(f"model {d.id} allocated {zf.sum()} + {zw.sum()} persons, "
                                   f"not the month's {n_f} + {n_w}")
            cohort = ev["cohort"]
            where[cohort[:n_f]] = np.repeat(np.arange(n_gem), zf)
            where[cohort[n_f:]] = np.repeat(np.arange(n_gem), zw)
            fb, wb = fb + zf, wb + zw
            moved = np.bincount(where[ev["recognised"]], minlength=n_gem)
            fb, wb = fb - moved, wb + moved
            fb = fb - np.bincount(where[ev["exit_f"]], minlength=n_gem)
            wb = wb - np.bincount(where[ev["exit_w"]], minlength=n_gem)
            b["flueag_bestand"], b["wsa_bestand"] = fb, wb
            for c, v in xb.items():
                b[c] = v
            extra = {f"bestand_{c}": int(v.sum()) for c, v in xb.items()}
            if verlauf:
                loads.append(fb + ctx.anrechnung + wb + sum(xb.values(), np.zeros(n_gem)))
                groups.append((fb.copy(), wb.copy()))
            rows.append({"monat": month, **row, "konflikt_personen_kumuliert": cum_conflicts,
                         "anerkennungen": len(ev["recognised"]),
                         "abgaenge": len(ev["exit_f"]) + len(ev["exit_w"]), **ev["totals"],
                         "zugaenge": int(row["zuweisungen"]),
                         "bestand_flueag": int(fb.sum()), "bestand_wsa": int(wb.sum()), **extra})
            step += 1
            if progress:
                progress(step, total_steps)
        final_load = b["flueag_bestand"].to_numpy() + ctx.anrechnung + b["wsa_bestand"].to_numpy()
        start_load = start_b + ctx.anrechnung + start_w
        for c in further_cols:
            final_load = final_load + b[c].to_numpy()
            start_load = start_load + b0[c].to_numpy()
        ein = g["einwohner"].to_numpy(dtype=float)
        finals.append(pd.DataFrame({
            "modell": d.id, "ags": g["ags"].to_numpy(), "gemeinde": g["gemeinde"].to_numpy(),
            "gemeinde_typ": g["gemeinde_typ"].to_numpy(), "einwohner": ein.astype(np.int64),
            "flueag_bestand_start": start_b, "wsa_bestand_start": start_w,
            "flueag_bestand_ende": b["flueag_bestand"].to_numpy(), "wsa_bestand_ende": b["wsa_bestand"].to_numpy(),
            **{f"{c}_start": b0[c].to_numpy().astype(np.int64) for c in further_cols},
            **{f"{c}_ende": b[c].to_numpy().astype(np.int64) for c in further_cols},
            "last_je_1000_start": start_load / ein * 1000, "last_je_1000_ende": final_load / ein * 1000,
        }))
        assigned[d.id], bounds[d.id] = np.array(month_z), np.array(month_b)
        figures[d.id] = kennzahlen(np.array(month_z), np.array(month_q), g["ags"].to_numpy(),
                                   g["gemeinde"].to_numpy(), konflikte=np.array(month_c))
        if verlauf:
            per_month = np.vstack([start_load, *loads]) / ein * 1000
            paths.append(pd.DataFrame({"modell": d.id, "monat": np.repeat(np.arange(monate + 1), n_gem),
                                       "ags": np.tile(g["ags"].to_numpy(), monate + 1),
                                       "last_je_1000": per_month.ravel(),
                                       "flueag_bestand": np.concatenate([start_b, *(f for f, _ in groups)]),
                                       "wsa_bestand": np.concatenate([start_w, *(w for _, w in groups)])}))
    everything = pd.DataFrame(rows)
    monthly = everything[everything["monat"] > 0].reset_index(drop=True)
    start_rows = everything[everything["monat"] == 0].set_index("modell")
    final = pd.concat(finals, ignore_index=True)
    final["aenderung_je_1000"] = final["last_je_1000_ende"] - final["last_je_1000_start"]
    sq = final[final["modell"] == "status-quo"].set_index("ags")["last_je_1000_ende"]
    final["ende_gegen_status_quo_je_1000"] = final["last_je_1000_ende"] - final["ags"].map(sq)
    info = {"monate": monate, "seed": seed, "szenario": sz.titel, "modelle": [d.id for d in defs],
            "stichtag": when.isoformat(), "datenbasis": inp.datenbasis,
            "bestand_datei": bestand_anzeige(bestand, bestand_path),
            "synthetisch": inp.synthetisch,
            "fluesse": {k: {"wert": v.wert, "quelle": v.quelle} for k, v in sz if isinstance(v, Rate)}}
    if further_cols:
        info["bestand_spalten"] = list(columns)
    if further:
        info["zugaenge_weitere"] = further
    info["parameter"] = in_force(when)
    info["startbestand"] = {m: {s: int(r[f"bestand_{s}"]) for s in (systems.FLUEAG.id, systems.WSA.id)}
                            for m, r in start_rows.iterrows()}
    table, paths_table = uebergang_tables(figures, defs)
    return SimResult(monthly, final, info, pd.concat(paths, ignore_index=True) if verlauf else None,
                     figures, table, paths_table, assigned, bounds)


def target_quote(res: dict, n: int) -> np.ndarray:
    """Fulfilment after the period's allocation in % of the model's own Soll (its key, not a
    phase-in month's blend), all systems together; NaN where that Soll is 0."""
    counted = np.zeros(n)
    soll = np.zeros(n)
    for r in res.values():
        counted = counted + r.state.bestand + r.state.anrechnung + r.zuweisung
        soll = soll + r.soll_ziel
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(soll > 0, counted / soll * 100, np.nan)


def uebergang_tables(figures: dict, defs: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The transition figures as tables: one row per model, and the paths month by month."""
    from verteilung.uebergang import Uebergang

    rows, paths = [], []
    for d in defs:
        f = figures[d.id]
        u = Uebergang.from_dict(d.uebergang)
        rows.append({
            "modell": d.id, "uebergang_monate": u.monate if u else 0,
            "monate_bis_toleranz": f.monate_bis_toleranz, "im_toleranzband_ende": f.im_toleranzband_ende,
            "groesste_zuweisung": f.groesste_zuweisung, "groesste_zuweisung_monat": f.groesste_zuweisung_monat,
            "groesste_zuweisung_ags": f.groesste_zuweisung_ags,
            "groesste_zuweisung_gemeinde": f.groesste_zuweisung_gemeinde,
            "groesste_zuweisung_anteil": f.groesste_zuweisung_anteil,
            "gemeinden_ohne_zuweisung": f.gemeinden_ohne_zuweisung,
            "konflikt_personen_kumuliert": int(f.konflikte_kumuliert or 0),
            "meiste_zuweisungen_ags": f.groesster_gewinner.ags if f.groesster_gewinner else None,
            "meiste_zuweisungen_gemeinde": f.groesster_gewinner.gemeinde if f.groesster_gewinner else None,
            "meiste_zuweisungen": f.groesster_gewinner.kumuliert[-1] if f.groesster_gewinner else 0,
        })
        seen = set()
        for p in (f.verfolgt, f.groesster_gewinner):
            if p is None or p.ags in seen:
                continue
            seen.add(p.ags)
            for t, (z, q) in enumerate(zip(p.zuweisung, p.erfuellungsquote, strict=True), start=1):
                paths.append({"modell": d.id, "ags": p.ags, "gemeinde": p.gemeinde, "monat": t, "zuweisung": z,
                              "erfuellungsquote": q})
    return pd.DataFrame(rows), pd.DataFrame(paths)


def uebergang_lines(res: SimResult) -> list[str]:
    """The transition figures of each model in words (terminal, report)."""
    months = res.info["monate"]
    lines = []
    for model, f in res.kennzahlen.items():
        reached = (f"nach {f.monate_bis_toleranz} Monaten alle Gemeinden innerhalb ±{f.toleranz_prozent:g} % "
                   "ihres Solls" if f.monate_bis_toleranz is not None else
                   f"nach {months} Monaten {de(f.im_toleranzband_ende)} von {de(f.gemeinden_bewertet)} Gemeinden "
                   f"innerhalb ±{f.toleranz_prozent:g} % ihres Solls")
        share = fmt_dec((f.groesste_zuweisung_anteil or 0) * 100, 1)
        biggest = (f"größte Monatszuweisung {de(f.groesste_zuweisung)} an {f.groesste_zuweisung_gemeinde} "
                   f"(Monat {f.groesste_zuweisung_monat}, {share} % des Monats)"
                   if f.groesste_zuweisung_ags else "keine Zuweisungen")
        lines.append(f"{model}: {reached}; {biggest}; {de(f.gemeinden_ohne_zuweisung)} Gemeinden "
                     f"{f.monate_ohne} oder mehr Monate ohne Zuweisung")
    return lines


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
            lines.append(f"{model}: Streuung der Last je Einwohner (VK) {fmt_dec(first['vk_last_je_einwohner'], 3)} → "
                         f"{fmt_dec(end['vk_last_je_einwohner'], 3)}; Lastindex P90 "
                         f"{fmt_dec(first['last_index_p90'], 1)} → {fmt_dec(end['last_index_p90'], 1)}; "
                         f"Konflikte kumuliert {de(total)}")
    return lines
