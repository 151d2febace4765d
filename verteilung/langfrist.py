"""Long-run load on real data: where each model leads once the stocks follow its key.

Once every Gemeinde's stock equals its Soll in every system, the load it carries depends only on
the keys, the Land totals and real structural data (population, area, unemployment, credited
Landeseinrichtungen), never on the (synthetic or uploaded) stocks. This module computes that
destination per Gemeinde and per group, for any model, against any baseline (``basis``).

Long run of one system: lowest-quota-first allocation with departures equalises the quotas, so
each Gemeinde carries ``max(A_i, λ·k_i)`` where ``A_i`` are its credited places (a host
Gemeinde cannot go below them) and ``λ`` is fixed by the system's total (water-filling). Rules
that act only on deviations from the Soll (Sperre, Staffelung, Übergang) change the path, not
the destination; a Verrechnung (M3) is a fixed point: a surplus that stays (credited places
above the Soll) lowers the Gemeinde's obligation in the other system.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.errors import InputError, Problem
from verteilung.law import systems
from verteilung.law.lesarten import Lesarten
from verteilung.model import STOCK_COLUMNS, Context, MixKey, ModelDef, custom_model, load_model, parse_model

BASIS = "status-quo"
DEFAULT_MODELS = ("status-quo", "m1-gemeinsamer-bestand", "m2-mischschluessel", "m3-verrechnung", "m4-sperre")
MINIMUM_ID = "minimale-verschiebung"
MINIMUM_SPALTEN = ("einwohner", "flaeche", "arbeitslose")

# Land totals of persons per stock column (without credited places, which come from the facility list).
SUMMEN_STANDARD: dict[str, tuple[int, str]] = {
    "flueag_bestand": (146_000, "veröffentlicht: mehr als 146.000 Personen im FlüAG-System, Frühjahr 2022, "
                                "Ukrainer mitgezählt (WP article235001807; LEGAL.md § 4.1)"),
    "wsa_bestand": (146_210, "abgeleitet: Soll Gelsenkirchens in der Wohnsitzauflage ≈ 1.900 (~2024, "
                             "WAZ article407637528) ÷ Integrationsschlüssel Gelsenkirchens 0,012995 "
                             "(Lesarten Standard)"),
}
# Facilities of the shipped (partial) list that are not counted: closed or temporary (status column).
LE_AUSGESCHLOSSEN = {
    "ZUE Wegberg-Petersholz": "planned only until December 2016",
    "ZUE Bad Laasphe (Schlossbergklinik)": "to stand-by from end of 2016",
    "ZUE Niederkrüchten": "closure planned March 2020",
    "Messe Köln (Überbrückung)": "temporary, until 12 January 2024",
}
LE_QUELLE = ("mitgelieferte, unvollständige Liste der Landeseinrichtungen (inputs/nrw/landeseinrichtungen.csv); "
             "real 2023 etwa 29.680 Plätze (rp-online 05/2023): die Anrechnung ist unterschätzt")
# Size classes of Gemeinden by population (documented in docs/langfrist.md).
GROESSENKLASSEN = ((0, "unter 10.000"), (10_000, "10.000 bis unter 20.000"), (20_000, "20.000 bis unter 50.000"),
                   (50_000, "50.000 bis unter 100.000"), (100_000, "100.000 und mehr"))
GRUPPEN = {"kreise": "kreis", "regierungsbezirke": "regierungsbezirk", "gemeindetypen": "gemeinde_typ",
           "groessenklassen": "groessenklasse"}
GRUNDLAGE = ("Echte Strukturdaten (Einwohner, Fläche, Arbeitslose, Landeseinrichtungen) und Landessummen; "
             "keine Bestände, nichts SYNTHETISCH")


@dataclass
class LangfristResult:
    """The long-run comparison. Tables are long (one row per model × Gemeinde or group); changes
    are against ``info["basis"]``. ``modelle`` holds one row per model with its city→rural shift."""

    gemeinden: pd.DataFrame
    aggregate: dict[str, pd.DataFrame]
    modelle: pd.DataFrame
    gewinner_verlierer: pd.DataFrame
    info: dict = field(default_factory=dict)


def groessenklasse(einwohner: np.ndarray) -> np.ndarray:
    """Size class label per Gemeinde (GROESSENKLASSEN)."""
    bounds = np.array([b for b, _ in GROESSENKLASSEN])
    names = np.array([n for _, n in GROESSENKLASSEN], dtype=object)
    return names[np.searchsorted(bounds, np.nan_to_num(einwohner), side="right") - 1]


def plaetze_landeseinrichtungen(gemeinden: pd.DataFrame) -> pd.DataFrame:
    """Places per Gemeinde from the shipped facility list as stock-file columns
    (``anrechnung_plaetze``, ``anrechnung_plaetze_eae``); the synthetic scenario uses the same."""
    pos = {a: i for i, a in enumerate(gemeinden["ags"])}
    plaetze = np.zeros(len(gemeinden), dtype=np.int64)
    eae = np.zeros(len(gemeinden), dtype=np.int64)
    for name, ags, typ, n in _einrichtungen():
        if name not in LE_AUSGESCHLOSSEN and ags in pos:
            (eae if typ == "EAE" else plaetze)[pos[ags]] += int(n)
    return pd.DataFrame({"ags": gemeinden["ags"].to_numpy(), "anrechnung_plaetze": plaetze,
                         "anrechnung_plaetze_eae": eae})


def _einrichtungen() -> list[tuple[object, object, object, object]]:
    """(einrichtung, ags, typ, plaetze) of each row of the shipped facility list. Read with the
    ``csv`` module where every place count is a plain integer (a twentieth of ``pd.read_csv``'s
    time, the same values); otherwise as pandas reads it."""
    import csv
    import re

    from verteilung.resources import shipped

    path = shipped("inputs", "nrw", "landeseinrichtungen.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [(r["einrichtung"], r["ags"], r["typ"], r["plaetze"]) for r in csv.DictReader(f)]
    if all(isinstance(n, str) and re.fullmatch(r"[0-9]+", n) for *_, n in rows) and all(
            isinstance(x, str) and x and x.strip() == x for r in rows for x in r[:3]):
        return rows
    le = pd.read_csv(path, dtype={"ags": str})
    return list(zip(le["einrichtung"], le["ags"], le["typ"], le["plaetze"], strict=True))


def auffuellen(schluessel: np.ndarray, personen: float, sockel: np.ndarray,
               abzug: np.ndarray | None = None) -> np.ndarray:
    """Persons per Gemeinde once quotas are equal: ``max(0, λ·k_i − sockel_i − abzug_i)`` with
    Σ = ``personen`` (water-filling; ``sockel`` are credited places, ``abzug`` a surplus offset).

    λ is found by bisection on the computed sum until the bounds are neighbouring doubles: then
    ``hi`` is the smallest double whose sum reaches ``personen`` (the sum is monotone in λ for
    keys and floors ≥ 0, each rounding step being monotone), whatever bracket the bisection
    started from. `_klammer` starts it next to the exact λ instead of at [0, 2^k]: the same
    ``hi``, bit for bit, in about a fifth of the steps (tests/test_langfrist.py holds it equal)."""
    floor = sockel + (abzug if abzug is not None else 0.0)
    if personen <= 0:
        return np.zeros_like(schluessel, dtype=float)

    def reached(level: float) -> bool:
        return not np.maximum(0.0, level * schluessel - floor).sum() < personen

    lo, hi = _klammer(schluessel, floor, personen, reached) or (0.0, 1.0)
    while not reached(hi):
        hi *= 2
    for _ in range(200):  # stops where the bounds no longer move: every later step would keep them
        mid = (lo + hi) / 2
        if not reached(mid):
            if lo == mid:
                break
            lo = mid
        else:
            if hi == mid:
                break
            hi = mid
    out = np.maximum(0.0, hi * schluessel - floor)
    return out * (personen / out.sum())


def _klammer(schluessel: np.ndarray, floor: np.ndarray, personen: float,
             reached) -> tuple[float, float] | None:
    """Bounds ``lo < hi`` around λ with ``reached(hi)`` and not ``reached(lo)``, 2·10⁻¹² of λ apart,
    from the exact piecewise-linear solution; None (bisect from [0, 2^k]) where the sum need not
    be monotone (a negative or non-finite key or floor) or λ is so small or large that the plain
    bisection would not reach neighbouring doubles within its 200 steps."""
    if not (np.isfinite(schluessel).all() and np.isfinite(floor).all()
            and (schluessel >= 0).all() and (floor >= 0).all()):
        return None
    k, f = schluessel[schluessel > 0], floor[schluessel > 0]
    if not len(k):
        return None
    order = np.argsort(f / k, kind="stable")
    k, f = k[order], f[order]
    edges = np.append(f / k, np.inf)  # a Gemeinde receives from λ = floor/key on
    level = (personen + np.cumsum(f)) / np.cumsum(k)  # λ if exactly the first j+1 Gemeinden receive
    inside = np.flatnonzero((level >= edges[:-1]) & (level <= edges[1:]))
    if not len(inside):
        return None
    lam = float(level[inside[0]])
    if not 1e-6 <= lam <= 1e30:
        return None
    lo, hi = lam * (1 - 1e-12), lam * (1 + 1e-12)
    return (lo, hi) if reached(hi) and not reached(lo) else None


def art(model: ModelDef) -> str:
    """What the model's long run is, in one German sentence (shown next to its numbers)."""
    parts = []
    if len(model.systeme) == 1:
        parts.append("Schlüssel × Gesamtzahl aller Systeme")
    else:
        parts.append("Soll jedes Systems (Schlüssel × Gesamtzahl), summiert")
    if any(s.verrechnung_mit for s in model.systeme):
        parts.append("Verrechnung: Überschüsse, die bleiben (Anrechnung über dem Soll), mindern die "
                     "Verpflichtung im anderen System")
    if any(s.sperre_wenn for s in model.systeme):
        parts.append("die Sperre wirkt nur auf dem Weg: langfristig liegt keine Gemeinde dauerhaft über der "
                     "Schwelle, das Ziel ist dasselbe wie ohne Sperre")
    if model.staffelung or model.uebergang:
        parts.append("Staffelung und Übergang ändern nur, wie schnell das Ziel erreicht wird")
    return "; ".join(parts)


def _system_loads(model: ModelDef, ctx: Context, summen: dict[str, float],
                  keys_out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Long-run load (persons + credited places) per system of ``model``; ``keys_out`` receives
    each system's key."""
    n = len(ctx.gemeinden)
    keys: dict[str, np.ndarray] = {}
    totals: dict[str, float] = {}
    credit: dict[str, np.ndarray] = {}
    alpha = _alpha(summen, ctx)
    for s in model.systeme:
        missing = [c for c in s.bestand if c not in summen]
        if missing:
            raise InputError(Problem("--summe", f"Modell „{model.id}“, System „{s.name}“: keine Landessumme für "
                                     f"{', '.join(missing)}; bitte --summe SPALTE=N angeben"))
        spec = s.schluessel
        if isinstance(spec, MixKey) and spec.alpha == "auto":
            spec = MixKey(typ="mix", alpha=alpha)
        keys[s.name] = ctx.key(spec)[0]
        credit[s.name] = ctx.anrechnung if s.anrechnung else np.zeros(n)
        totals[s.name] = sum(summen[c] for c in s.bestand)
    loads = {name: credit[name] + auffuellen(keys[name], totals[name], credit[name]) for name in keys}
    if keys_out is not None:
        keys_out.update(keys)
    if not any(s.verrechnung_mit for s in model.systeme):
        return loads
    for _ in range(100):  # the fixed point of mutual offsets; converges in a few rounds
        before = {k: v.copy() for k, v in loads.items()}
        for s in model.systeme:
            if s.verrechnung_mit:
                o = s.verrechnung_mit
                soll_o = keys[o] * (totals[o] + credit[o].sum())
                surplus = np.maximum(0.0, loads[o] - soll_o)
                loads[s.name] = credit[s.name] + auffuellen(keys[s.name], totals[s.name], credit[s.name], surplus)
        if max(float(np.abs(loads[k] - before[k]).max()) for k in loads) < 1e-9:
            break
    return loads


def _model_rows(model: ModelDef, ctx: Context, totals: dict[str, float]) -> pd.DataFrame:
    keys: dict[str, np.ndarray] = {}
    loads = _system_loads(model, ctx, totals, keys)
    return _rows(model, loads, ctx.gemeinden, ctx.anrechnung, totals, keys)


def _alpha(summen: dict[str, float], ctx: Context) -> float:
    """M2's α "auto" from the Land totals: FlüAG persons + credited places over everyone."""
    f = summen.get("flueag_bestand", 0.0) + float(ctx.anrechnung.sum())
    w = summen.get("wsa_bestand", 0.0)
    return f / (f + w) if f + w > 0 else 0.5


def personen_je_gruppe(model: ModelDef, loads: dict[str, np.ndarray], anrechnung: np.ndarray,
                       summen: dict[str, float]) -> dict[str, np.ndarray]:
    """Persons per stock column in the long run: a system's persons (load minus its credited
    places) split over the columns it counts in proportion to their Land totals (reading
    ``landesanteil``: a merged system's persons are asylum seekers and recognised refugees in
    the Land's proportion everywhere; money rules per group read these)."""
    out: dict[str, np.ndarray] = {}
    for s in model.systeme:
        persons = loads[s.name] - (anrechnung if s.anrechnung else 0.0)
        whole = sum(summen[c] for c in s.bestand)
        for c in s.bestand:
            part = persons * (summen[c] / whole if whole else 1 / len(s.bestand))
            out[c] = out.get(c, 0.0) + part
    return out


def _rows(model: ModelDef, loads: dict[str, np.ndarray], g: pd.DataFrame, anrechnung: np.ndarray,
          summen: dict[str, float] | None = None, keys: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    einwohner = g["einwohner"].to_numpy(dtype=float)
    last = sum(loads.values(), np.zeros(len(g)))
    columns: dict[str, object] = {
        "modell": model.id, "ags": g["ags"].to_numpy(), "gemeinde": g["gemeinde"].to_numpy(),
        "kreis": g["kreis"].to_numpy(), "regierungsbezirk": g["regierungsbezirk"].to_numpy(),
        "gemeinde_typ": g["gemeinde_typ"].to_numpy(), "groessenklasse": groessenklasse(einwohner),
        "einwohner": einwohner.astype(np.int64), "anrechnung": anrechnung,
        "last_langfristig": last, "last_langfristig_je_1000": last / einwohner * 1000,
    }
    for name, v in loads.items():
        columns[f"last_langfristig_{name}"] = v
    if summen is not None:
        for c, v in personen_je_gruppe(model, loads, anrechnung, summen).items():
            columns[f"personen_{c.removesuffix('_bestand')}"] = v
    for name, k in (keys or {}).items():
        columns[f"schluessel_{name}"] = k
    return pd.DataFrame(columns)  # one frame of all columns (a column set at a time copied the frame's blocks)


def _aggregate(long: pd.DataFrame, col: str, basis: str) -> pd.DataFrame:
    """Long-run load per model and group, with each group's change against the basis's group."""
    from verteilung.gruppen import group_sum_columns_or_pandas, je_schluessel

    out = group_sum_columns_or_pandas(long, ["modell", col], ["einwohner", "last_langfristig"], size="gemeinden")
    last = np.asarray(out["last_langfristig"])
    je_1000 = last / np.asarray(out["einwohner"]) * 1000
    groups = np.asarray(out[col])
    of_basis = np.asarray(out["modell"]) == basis
    out["last_langfristig_je_1000"] = je_1000
    out["aenderung_langfristig"] = last - je_schluessel(groups[of_basis], last[of_basis], groups)
    out["aenderung_langfristig_je_1000"] = je_1000 - je_schluessel(groups[of_basis], je_1000[of_basis], groups)
    return pd.DataFrame(out)


def _winners_losers(long: pd.DataFrame, basis: str, top: int = 10) -> pd.DataFrame:
    """Per model the ``top`` Gemeinden whose long-run load falls and rises the most (ties by AGS):
    the order of ``sort_values(["aenderung_langfristig", "ags"])``, on the columns as arrays."""
    from verteilung.gruppen import rangfolge

    names = ("ags", "gemeinde", "gemeinde_typ", "aenderung_langfristig", "aenderung_langfristig_je_1000")
    col = {c: long[c].to_numpy() for c in ("modell", *names)}
    rows = rangfolge(col, "aenderung_langfristig", basis, ("entlastet", "belastet"), names, top)
    return pd.DataFrame(rows)


def _system_ids(columns: set[str]) -> list[str]:
    """The systems whose stock columns ``--summe`` may name by the system's id."""
    return sorted({o.id for o in map(systems.stock_owner, columns) if o is not None})


def _je_1000(last: np.ndarray, einwohner: np.ndarray) -> float:
    """Long-run load per 1,000 inhabitants of a group; NaN (no warning) for an empty group, as a
    Land whose table has no kreisfreie Städte gives."""
    from verteilung.gruppen import summe

    ew = float(einwohner.sum())
    return float(summe(last)) / ew * 1000 if ew else float("nan")


def stadt_land(long: pd.DataFrame, basis: str) -> pd.DataFrame:
    """Per model: load of kreisfreie Städte and kreisangehörige Gemeinden, and the shift from the
    cities to the rest against the baseline (persons; positive: the cities carry more)."""
    from verteilung.gruppen import summe

    kf = (long["gemeinde_typ"] == "kreisfreie Stadt").to_numpy()
    modell = long["modell"].to_numpy()
    last, einwohner = long["last_langfristig"].to_numpy(), long["einwohner"].to_numpy()
    rows = []
    for m in pd.unique(modell):  # the models in their order, as groupby(sort=False)
        of_m = modell == m
        city, rest = of_m & kf, of_m & ~kf
        rows.append({"modell": m, "last_kreisfrei": summe(last[city]),
                     "last_kreisfrei_je_1000": _je_1000(last[city], einwohner[city]),
                     "last_kreisangehoerig_je_1000": _je_1000(last[rest], einwohner[rest])})
    out = pd.DataFrame(rows)
    base = float(out.loc[out["modell"] == basis, "last_kreisfrei"].iloc[0])
    # positive: the kreisfreie Städte carry more than in the baseline (the direction is in the name)
    out["verschiebung_zu_staedten"] = out["last_kreisfrei"] - base
    out["verschiebung_zu_staedten_anteil"] = out["verschiebung_zu_staedten"] / base if base else np.nan
    return out


def minimum_model(ctx: Context, basis_last: np.ndarray, spalten: tuple[str, ...] = MINIMUM_SPALTEN) -> ModelDef:
    """The one-system weighted key (over the combined stock, credited places counted) whose long
    run shifts the least load away from the kreisfreie Städte against the baseline; weights from
    `calibrate` with the target ``stadt_land``."""
    from verteilung.calibrate import calibrate_weights

    city = (ctx.gemeinden["gemeinde_typ"] == "kreisfreie Stadt").to_numpy()
    ziel = target = float(basis_last[city].sum())
    summen = {c: float(v) for c, v in zip(STOCK_COLUMNS, _persons_split(basis_last, ctx), strict=True)}
    for _ in range(4):  # the LP ignores credited places above a Soll; correct its target by what the long run shows
        cal = calibrate_weights(ctx.gemeinden, basis_last, list(spalten), "stadt_land", ziel_kreisfrei=ziel)
        trial = custom_model(cal.weights)
        got = float(sum(_system_loads(trial, ctx, summen).values())[city].sum())
        if abs(got - target) < 0.5:
            break
        ziel += target - got
    d = custom_model(cal.weights).model_dump()
    from verteilung.io.deutsch import fmt_dec

    label = ", ".join(f"{k} {fmt_dec(v, 4)}" for k, v in cal.weights.items())
    d.update(id=MINIMUM_ID, titel=f"Geringste Stadt-Land-Verschiebung ({label})",
             beschreibung_de="Ein System über den gemeinsamen Bestand; Gewichte aus verteilung calibrate "
                             "--ziel stadt_land (langfristige Last der kreisfreien Städte wie in der Vergleichsbasis).",
             begruendung="Zeigt, wie weit Gewichte die Verschiebung zwischen Städten und Land verringern können.")
    return parse_model(d, "calibrate --ziel stadt_land")


def _persons_split(last: np.ndarray, ctx: Context) -> tuple[float, float]:
    """A one-system trial model needs only the persons' total: all of it on the first column."""
    return float(last.sum() - ctx.anrechnung.sum()), 0.0


def langfrist(modelle: list[str | Path] | None = None, basis: str | Path = BASIS, *,
              summen: dict[str, float] | None = None, jahr: int | None = None,
              stichtag: str | dt.date | None = None, gemeinden: str | Path | None = None,
              lesarten: Lesarten | None = None, minimum: bool = True) -> LangfristResult:
    """Long-run load per Gemeinde and group under each model, against the baseline ``basis``.

    ``summen`` are Land totals of persons per stock column (``flueag_bestand``, ``wsa_bestand``,
    further columns a model counts); missing ones take the shipped defaults (SUMMEN_STANDARD,
    each with its source). Credited places come from the shipped facility list at the factor in
    force on the Stichtag. ``minimum`` adds the weighting that minimises the city→rural shift.

    >>> res = verteilung.langfrist(["status-quo", "m1-gemeinsamer-bestand"])
    >>> res.modelle[["modell", "verschiebung_zu_staedten"]]
    """
    from verteilung.inputs import prepare

    defs = [load_model(m) for m in (modelle or DEFAULT_MODELS)]
    base_def = load_model(basis)
    if base_def.id not in [d.id for d in defs]:
        defs.insert(0, base_def)
    inp = prepare(jahr=jahr, stichtag=stichtag, gemeinden=gemeinden)
    credit = plaetze_landeseinrichtungen(inp.gemeinden)
    meta = {"jahr": inp.jahr, "datenbasis": inp.datenbasis, "naeherungen": list(inp.naeherungen)}
    return langfrist_modelle(defs, base_def.id, inp.gemeinden, inp.stichtag, summen=summen, anrechnung=credit,
                             lesarten=lesarten, minimum=minimum, meta=meta)


def pruefe_summen(summen: dict[str, float] | None) -> dict[str, float]:
    """User Land totals: persons ≥ 0 per stock column, refused (exit 2) otherwise."""
    given = dict(summen or {})
    for col, v in given.items():
        if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v) or v < 0:
            raise InputError(Problem("--summe", f"{col}: keine Personenzahl ≥ 0: „{v}“"))
    return {c: float(v) for c, v in given.items()}


def langfrist_modelle(defs: list[ModelDef], basis: str, gemeinden: pd.DataFrame, stichtag: dt.date, *,
                      summen: dict[str, float] | None = None, quellen: dict[str, str] | None = None,
                      anrechnung: pd.DataFrame | None = None, anrechnung_quelle: str = LE_QUELLE,
                      lesarten: Lesarten | None = None, minimum: bool = False,
                      meta: dict | None = None, keys_from: Context | None = None) -> LangfristResult:
    """The long run of prepared model definitions on prepared Gemeinden: the part `langfrist`,
    `compare` and the app share. ``summen``/``quellen``: totals and their sources per stock column
    (missing ones: SUMMEN_STANDARD); ``anrechnung``: a frame with the stock file's credit columns
    (default: the shipped facility list); ``meta``: jahr, datenbasis, naeherungen of the inputs;
    ``keys_from``: a comparison's context on the same Gemeinden whose keys are reused."""
    from verteilung.params import in_force

    ids = [d.id for d in defs]
    if len(set(ids)) != len(ids):
        raise InputError(Problem("--modelle", "ein Modell ist doppelt angegeben"))
    if basis not in ids:
        raise InputError(Problem("--basis", f"die Vergleichsbasis „{basis}“ ist nicht unter den Modellen"))
    given = pruefe_summen(summen)
    known = set(SUMMEN_STANDARD) | {c for d in defs for s in d.systeme for c in s.bestand}
    unknown = sorted(set(given) - known)
    if unknown:  # a typo must not be ignored silently: the total would stay the published one
        raise InputError(Problem("--summe", f"unbekannte Spalte {', '.join(unknown)}; bekannt: "
                                 f"{', '.join(sorted(known))} (oder ein System: {', '.join(_system_ids(known))})"))
    quellen = {c: "Nutzerangabe" for c in given} | dict(quellen or {})
    totals = {c: float(v) for c, (v, _) in SUMMEN_STANDARD.items()} | given
    g = gemeinden
    b = (plaetze_landeseinrichtungen(g) if anrechnung is None else
         anrechnung[["ags", "anrechnung_plaetze", "anrechnung_plaetze_eae"]].reset_index(drop=True).copy())
    for c in STOCK_COLUMNS:
        b[c] = 0
    ctx = Context(g, b, stichtag, dict.fromkeys(systems.streams(), 0), lesarten=lesarten)
    if keys_from is not None:
        ctx.adopt_keys(keys_from)
    frames = {d.id: _model_rows(d, ctx, totals) for d in defs}
    defs = list(defs)
    if minimum:
        md = minimum_model(ctx, frames[basis]["last_langfristig"].to_numpy())
        defs.append(md)
        frames[md.id] = _model_rows(md, ctx, totals)
    long = pd.concat(frames.values(), ignore_index=True)
    from verteilung.gruppen import je_schluessel

    base = frames[basis]
    ags, base_ags = long["ags"].to_numpy(), base["ags"].to_numpy()
    for c in ("last_langfristig", "last_langfristig_je_1000"):  # minus the basis's value of the same AGS
        long[c.replace("last_", "aenderung_")] = long[c].to_numpy() - je_schluessel(base_ags, base[c].to_numpy(), ags)
    uses_awov = any(s.liest_arbeitslose() for d in defs for s in d.systeme)
    shift = stadt_land(long, basis)
    if list(shift["modell"]) == [d.id for d in defs]:  # its rows in the models' order: the merge's table
        modelle_df = pd.DataFrame({"modell": [d.id for d in defs], "titel": [d.titel for d in defs],
                                   "langfrist": [art(d) for d in defs],
                                   **{c: shift[c].to_numpy() for c in shift.columns if c != "modell"}})
    else:
        modelle_df = pd.DataFrame([{"modell": d.id, "titel": d.titel, "langfrist": art(d)} for d in defs])
        modelle_df = modelle_df.merge(shift, on="modell")
    counted = {c for d in defs for s in d.systeme for c in s.bestand}
    summen_info = [{"spalte": c, "personen": totals[c],  # only what these models count (a BW run: no FlüAG)
                    "quelle": quellen.get(c) or SUMMEN_STANDARD[c][1]} for c in totals if c in counted]
    summen_info.append({"spalte": "anrechnung", "personen": float(ctx.anrechnung.sum()),
                        "quelle": anrechnung_quelle})
    meta = meta or {}
    alo = str(g.attrs.get("arbeitslose_quelle", ""))
    naeherungen = [n for n in meta.get("naeherungen", []) if uses_awov or n != alo]
    info = {"basis": basis, "modelle": [d.id for d in defs], "modell_titel": {d.id: d.titel for d in defs},
            "stichtag": stichtag.isoformat(), "jahr": meta.get("jahr"),
            "datenbasis": meta.get("datenbasis", str(g.attrs.get("datenbasis", ""))),
            "grundlage": GRUNDLAGE, "synthetisch": False, "summen": summen_info,
            "lesarten": dict(ctx.lesarten), "alpha_m2": _alpha(totals, ctx), "parameter": in_force(stichtag)}
    if naeherungen:
        info["naeherungen"] = naeherungen
    aggregate = {name: _aggregate(long, col, basis) for name, col in GRUPPEN.items()}
    return LangfristResult(long, aggregate, modelle_df, _winners_losers(long, basis), info)


def grundlage_zeilen(info: dict) -> dict[str, str]:
    """What a long-run result rests on, as German text per summary key: shown under every
    view (terminal, workbook, summary) so the labels travel with the numbers."""
    from verteilung.io.deutsch import fmt_int

    titles = info.get("modell_titel", {})
    summen = "; ".join(f"{spalten_text(s['spalte'])} {fmt_int(round(s['personen']))} ({s['quelle']})"
                       for s in info["summen"])
    lesart = next((v.get("anlage1_variante") for v in info.get("lesarten", {}).values() if "anlage1_variante" in v),
                  None)
    out = {"grundlage": info["grundlage"],
           "vergleichsbasis": f"{info['basis']} ({titles.get(info['basis'], '')})".replace(" ()", ""),
           "landessummen": summen}
    if lesart:
        out["lesart_anlage1"] = f"Anlage 1 AWoV (WSA): {lesart}"
    return out


_SPALTEN_TEXT = {"flueag_bestand": ("FlüAG", "FlüAG-Personen"), "wsa_bestand": ("WSA", "WSA-Personen"),
                 "anrechnung": ("Anrechnung", "angerechnete Plätze")}  # (short, long)


def spalten_text(spalte: str, kurz: bool = False) -> str:
    """A long-run total's name as a person reads it: NRW's fixed words, a further system's stock
    column by its system's short name (never the identifier ``vu_bestand``)."""
    if spalte in _SPALTEN_TEXT:
        return _SPALTEN_TEXT[spalte][0 if kurz else 1]
    owner = systems.stock_owner(spalte)
    if owner is None:
        return spalte
    return owner.kurz if kurz else f"Personen {owner.kurz}"


def summary(res: LangfristResult) -> dict:
    """The summary every view of `langfrist` prints or stores (JSON keeps these identifiers)."""
    info = res.info
    out: dict = {"stichtag": info["stichtag"], "datenbasis": info["datenbasis"], **grundlage_zeilen(info)}
    if info.get("naeherungen"):
        out["naeherungen"] = info["naeherungen"]
    out["parameter"] = info["parameter"]
    return out
