"""Several models on the same people for one period; metrics and aggregates.

Models define Soll differently, so each is also measured on a common yardstick: the combined
load after this period's allocation (FlüAG stock + credited places + WSA stock + all
assignments) per 1,000 inhabitants, and its index to the state average (= 100).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from verteilung.langfrist import LangfristResult
    from verteilung.mittel import MittelResult
    from verteilung.zusammenfassung import Zusammenfassung

BASELINE = "status-quo"
DEFAULT_MODELS = ("status-quo", "m1-gemeinsamer-bestand", "m2-mischschluessel", "m3-verrechnung", "m4-sperre")
GROUPS = {"kreise": "kreis", "regierungsbezirke": "regierungsbezirk", "gemeindetypen": "gemeinde_typ",
          "verstaedterung": "verstaedterung"}


def default_bestand(land: str = "nrw") -> Path:
    """The Land package's default (synthetic) stock file; refused where the Land ships none."""
    from verteilung import land as laender

    paket = laender.get(land)
    path = paket.szenario_datei()
    if path is None:
        raise InputError(Problem("--bestand", f"für {paket.name} ist kein Bestandsszenario mitgeliefert: "
                                 "bitte --bestand DATEI angeben"))
    return path


def bestand_anzeige(bestand: object, path: Path, land: str = "nrw") -> str:
    """How the stock file is named in outputs: the user's path, or the package path of the default."""
    from verteilung import land as laender

    if bestand is not None:
        return str(path)
    paket = laender.get(land)
    return paket.anzeige_pfad(*Path(paket.szenario or path.name).parts)


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
    # where each model leads once stocks follow its key (real data; `verteilung.langfrist`), the
    # money that follows it (`verteilung.mittel`, rules of the Stichtag's year) and the summary
    langfrist: LangfristResult | None = None
    mittel: MittelResult | None = None
    zusammenfassung: Zusammenfassung | None = None
    # each model's pieces (`AgainstBasis`) the tables were assembled from; views keep page fragments there
    je_modell: dict[str, AgainstBasis] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict:
        """Pickled without the pieces (a worker process sends the tables, not its cached parts)."""
        return {**self.__dict__, "je_modell": {}}

    @property
    def basis(self) -> str:
        """The model every change is measured against (``--basis``; default the status quo)."""
        return self.info.get("basis", BASELINE)


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
    columns: dict[str, object] = {
        "modell": model.id, **{c: ctx.spalte(c) for c in ("ags", "gemeinde", "kreis", "regierungsbezirk",
                                                           "gemeinde_typ", "verstaedterung")},
        "einwohner": einwohner.astype(np.int64), "gesamtsoll_nach_zuweisung": soll, "gezaehlt": counted,
        "gesamtquote_nach_zuweisung": np.where(soll > 0, counted / soll * 100, np.nan),
        "zuweisung": zuweisung.astype(np.int64),
    }
    for name, r in res.items():
        columns[f"quote_{name}"] = r.quote_nachher
        columns[f"zuweisung_{name}"] = r.zuweisung
    columns["last_nachher"] = load
    columns["last_je_1000"] = per_1000
    columns["last_index"] = per_1000 / state_avg * 100
    return pd.DataFrame(columns)  # one frame of all columns (setting them one by one copied blocks)


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


def metric_row(d: ModelDef, res: dict[str, SystemResult], g: pd.DataFrame, ctx: Context,
               df: pd.DataFrame | None = None) -> tuple[dict, int]:
    """Fairness metrics of one model after this period's allocation, and its conflict persons
    (``df``: the model's `_gemeinde_rows` when the caller has them already)."""
    df = _gemeinde_rows(d, res, g, ctx) if df is None else df
    persons, n_conf = _conflicts(res)
    per = df["last_je_1000"].to_numpy()
    w = df["einwohner"].to_numpy(dtype=float)
    q = df["gesamtquote_nach_zuweisung"].to_numpy()
    index = df["last_index"].to_numpy()
    row = {  # pandas' Series statistics on the arrays (`_series_quantile`, `_series_median`), the same bits
        "modell": d.id, "titel": d.titel, "systeme": len(d.systeme),
        "quote_min": _series_extreme(q, np.min), "quote_p10": _series_quantile(q, 0.1),
        "quote_median": _series_median(q), "quote_p90": _series_quantile(q, 0.9),
        "quote_max": _series_extreme(q, np.max),
        "ueber_100": int((q > 100).sum()), "ueber_120": int((q > 120).sum()), "ueber_150": int((q > 150).sum()),
        "gini_last_je_einwohner": weighted_gini(per, w), "vk_last_je_einwohner": weighted_cv(per, w),
        "last_index_p10": _series_quantile(index, 0.1), "last_index_p90": _series_quantile(index, 0.9),
        "konflikt_personen": persons, "konflikt_gemeinden": n_conf, "zuweisungen": int(df["zuweisung"].sum()),
    }
    return row, persons


def _series_quantile(values: np.ndarray, q: float) -> np.float64:
    """``pd.Series(values).quantile(q)`` of a float array: the linear percentile of the values that
    are not NaN, at ``q · 100`` as pandas computes it; NaN when none is."""
    valid = values[~np.isnan(values)]
    return np.percentile(valid, np.array([q]) * 100.0, method="linear")[0] if len(valid) else np.float64(np.nan)


def _series_median(values: np.ndarray) -> np.float64:
    """``pd.Series(values).median()`` of a float array (pandas' ``nanmedian``: ``np.nanmedian`` of
    the values that are not NaN, even of none, whose NaN pandas passes on); NaN for no values."""
    if not len(values):
        return np.float64(np.nan)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all NaN: pandas silences the same warning
        return np.nanmedian(values[~np.isnan(values)])


def _series_extreme(values: np.ndarray, fn: Callable[[np.ndarray], np.float64]) -> np.float64:
    """``Series.min()``/``max()`` of a float array as pandas' ``nanmin``/``nanmax`` compute it: NaN
    replaced by the neutral infinity in a copy of the same length (which of 0,0 and −0,0 a
    reduction returns depends on the layout); NaN when no value is a number."""
    missing = np.isnan(values)
    if missing.all():
        return np.float64(np.nan)
    return fn(np.where(missing, np.inf if fn is np.min else -np.inf, values))


def compare(modelle: list[str] | None = None, bestand: str | Path | None = None, gemeinden: str | Path | None = None,
            zugaenge: Mapping[str, int] | None = None, *,
            jahr: int | None = None, stichtag: str | dt.date | None = None, gewichte: dict[str, float] | None = None,
            ohne_meldung_null: bool = False, kappung: dict[str, float] | None = None,
            minderungen: dict[str, float] | None = None,
            basis: str | Path = BASELINE, summen: dict[str, float] | None = None,
            land: str = "nrw", **veraltet: int | None) -> CompareResult:
    """Evaluate each model on the same inputs; every change is against ``basis`` (default the
    status quo, which is always computed: the Verteilstatistik and conflicts refer to it).

    Next to this period's allocation the result carries the long run (``langfrist``): on the
    shipped synthetic stock it uses the published Land totals and the facility list (real data,
    not SYNTHETISCH); on the user's own stock file its totals and credited places. ``summen``
    overrides the totals per stock column (`verteilung.langfrist`).

    ``gewichte`` adds a one-system model over the combined stock with these weights, optionally
    capped (``kappung={column: factor}``) and reduced (``minderungen={flag: rate}``).
    ``zugaenge`` gives arrivals per stream id (``{"flueag": 1000, "drittes": 100}``); a stream not
    named takes its registry default (`law.systems.standard_zugaenge`); a model's own system over
    its own stock column receives its own stream. The keywords ``zugaenge_<stream>=N``
    (``zugaenge_flueag``, ``zugaenge_wsa``) are still read as documented aliases; the mapping wins.
    ``land`` chooses the Land package: its shipped models (default: its ``standard_modelle``), its
    stock columns and its default stock file.

    >>> res = verteilung.compare(["status-quo", "m1-gemeinsamer-bestand"], {"flueag": 1000})
    >>> res.metriken[["modell", "gini_last_je_einwohner"]]
    """
    from verteilung import land as laender
    from verteilung.inputs import prepare

    if zugaenge is not None and not isinstance(zugaenge, Mapping):
        raise TypeError("zugaenge: erwartet eine Zuordnung Strom → Personen, z. B. {'flueag': 1000}")
    paket = laender.get(land)
    standard = paket.id == laender.STANDARD
    named = systems.zugaenge_mapping(zugaenge, veraltet)
    registered = {s: n for s, n in systems.standard_zugaenge(paket.id).items() if n > 0}  # the registry's defaults
    streams = {name: pruefe_personen(n, f"--zugaenge {name}") for name, n in {**registered, **named}.items()}
    defs: list[ModelDef] = [load_model(m, paket.id) for m in (modelle or paket.standard_modelle or DEFAULT_MODELS)]
    if gewichte:
        from verteilung.model import CapSpec, ReductionSpec

        if kappung and len(kappung) != 1:
            raise InputError(Problem("--gewichte-kappung", "give exactly one COLUMN=FACTOR"))
        cap = CapSpec(komponente=next(iter(kappung)), faktor=next(iter(kappung.values()))) if kappung else None
        cuts = [ReductionSpec(merkmal=k, satz=v) for k, v in (minderungen or {}).items()]
        defs.append(custom_model(gewichte, cap, cuts))
    if BASELINE not in [d.id for d in defs]:
        defs.insert(0, load_model(BASELINE, paket.id))
    basis_def = load_model(basis, paket.id)
    if basis_def.id not in [d.id for d in defs]:
        defs.insert(1, basis_def)
    from verteilung.optionen import pruefe_stroeme

    pruefe_stroeme(named, {s.zugaenge for d in defs for s in d.systeme} | set(systems.streams(paket.id)))
    ids = [d.id for d in defs]
    if len(set(ids)) != len(ids):
        raise InputError(Problem("--modelle", "ein Modell ist doppelt angegeben"))
    columns = stock_columns_of(defs, paket.id)
    bestand_path = Path(bestand) if bestand is not None else default_bestand(paket.id)
    inp = prepare(land=paket.id, jahr=jahr, stichtag=stichtag, gemeinden=gemeinden, bestand=bestand_path,
                  bestand_spalten=columns, ohne_meldung_null=ohne_meldung_null)
    g, b, when = inp.gemeinden, inp.bestand, inp.stichtag
    assert b is not None
    ctx = Context(g, b, when, streams, weitere_bestand=columns)

    info = {
        "modelle": ids, "stichtag": when.isoformat(), "datenbasis": inp.datenbasis,
        "bestand_datei": bestand_anzeige(bestand, bestand_path, inp.land),
        "synthetisch": inp.synthetisch, "angenommen_null": list(inp.angenommen_null),
        "naeherungen": list(inp.naeherungen),
    }
    info["zugaenge"] = dict(streams)
    if standard:
        info.update(alpha_m2=ctx.auto_alpha(),
                    anrechnung_faktoren={p.name: p.value for p in ctx.anrechnung_faktoren})
    else:
        info.update(inp.land_angaben())
    info.update(basis=basis_def.id, jahr=inp.jahr)
    if standard and len(columns) > len(STOCK_COLUMNS):
        info["bestand_spalten"] = list(columns)
    return compare_models(defs, ctx, info, langfrist_eingaben(inp, bestand_path, summen))


def langfrist_eingaben(inp, bestand_path: Path, summen: dict[str, float] | None = None) -> dict:
    """Inputs of the long run inside a comparison: published totals and the facility list on the
    synthetic scenario; the stock file's totals and credited places on the user's own file."""
    from verteilung.langfrist import pruefe_summen

    out: dict = {"summen": dict(pruefe_summen(summen))}
    if inp.bestand is not None and not inp.synthetisch:
        quelle = f"Bestandsdatei {bestand_path.name}"
        columns = [c for c in inp.bestand.columns if c.endswith("_bestand")]
        for c in columns:
            out["summen"].setdefault(c, float(inp.bestand[c].sum()))
        out["quellen"] = {c: quelle for c in columns if c not in (summen or {})}
        out["anrechnung"] = inp.bestand
        out["anrechnung_quelle"] = f"{quelle} (Spalten anrechnung_plaetze, anrechnung_plaetze_eae)"
    return out


@dataclass(frozen=True)
class ModelPart:
    """One model's share of a comparison: its results, Gemeinde rows, system rows and metric row.

    It depends only on the model and the context's inputs (stock, arrivals, credit factors), so the
    app keeps it per model and recomputes only the models a changed setting touches.
    """

    results: dict[str, SystemResult]
    rows: pd.DataFrame
    system_rows: list[dict]
    metrics: dict
    # its group sums per GROUPS entry as arrays by column (`_group_sums`; what `against_basis` reads)
    groups: dict[str, dict[str, np.ndarray]] | None = field(default=None, repr=False)


def model_part(d: ModelDef, ctx: Context) -> ModelPart:
    """Evaluate one model on the context and derive its rows (`compare_models` assembles them)."""
    g = ctx.gemeinden
    res = evaluate(d, ctx)
    rows = _gemeinde_rows(d, res, g, ctx)
    columns = {c: rows[c] for c in ("modell", "einwohner", "last_nachher", "zuweisung", *GROUPS.values())}
    sums = {name: _group_sum_columns(columns, col) for name, col in GROUPS.items()}
    return ModelPart(res, rows, _system_rows(d, res),
                     {**metric_row(d, res, g, ctx, rows)[0], **largest_assignment(res, g)},
                     {name: {k: np.asarray(v) for k, v in c.items()} for name, c in sums.items()})


@dataclass(frozen=True, eq=False)
class AgainstBasis:
    """One model's part measured against the basis model's part: everything of a comparison that
    depends on these two parts alone (each Gemeinde's and group's change, the NÄHERUNG marks, the
    winners and losers). The app keeps it with the part (`Engine`), so a slider move derives only
    the moved model's; ``seite`` is where a view keeps what it rendered from it (the app's page
    fragments), so that lives and dies with the part."""

    part: ModelPart
    basis: ModelPart
    aenderung_je_1000: np.ndarray
    aenderung_zuweisung: np.ndarray
    naeherung: np.ndarray  # per Gemeinde row: its figures rest on an approximation under this model
    groups: dict[str, dict[str, np.ndarray]]  # per GROUPS entry: the sums, load per 1,000 and changes, by column
    winners: list[dict]  # `_winners_losers` rows; none for the basis itself
    verteilstatistik: dict[str, pd.DataFrame] = field(default_factory=dict)  # the status quo's own (start of period)
    seite: dict = field(default_factory=dict, repr=False)


def against_basis(d: ModelDef, mp: ModelPart, basis: str, bmp: ModelPart, g: pd.DataFrame,
                  notes: list[str]) -> AgainstBasis:
    """`AgainstBasis` of model ``d`` (its part ``mp``) against the basis ``basis`` (part ``bmp``);
    ``notes``: the NÄHERUNG notes of the inputs (`inputs.naeherung_zeilen`: unemployment only where
    a system of the model may use it)."""
    from verteilung.inputs import naeherung_maske, naeherung_zeilen
    from verteilung.status import verteilstatistik

    rows, base = mp.rows, bmp.rows
    ags = rows["ags"].to_numpy()
    if np.array_equal(ags, base["ags"].to_numpy()):  # every part's rows are in the Gemeinde table's order
        je_1000 = rows["last_je_1000"].to_numpy() - base["last_je_1000"].to_numpy()
        zuweisung = rows["zuweisung"].to_numpy() - base["zuweisung"].to_numpy()
    else:
        indexed = base.set_index("ags")
        je_1000 = (rows["last_je_1000"] - rows["ags"].map(indexed["last_je_1000"])).to_numpy()
        zuweisung = (rows["zuweisung"] - rows["ags"].map(indexed["zuweisung"])).to_numpy()
    reads_unemployment = any(s.liest_arbeitslose() for s in d.systeme)
    if len(ags) == len(g) and (ags == g["ags"].to_numpy()).all():  # the rows in the table's order
        naeherung = naeherung_maske(g, notes, reads_unemployment)
    else:
        marks = naeherung_zeilen(g, notes, reads_unemployment)
        naeherung = pd.Series(ags.astype(str)).map(marks).fillna(False).astype(bool).to_numpy()
    groups = {name: _against_group(_sums_of(mp, name), _sums_of(bmp, name), col) for name, col in GROUPS.items()}
    changed = {"modell": rows["modell"].to_numpy(), "ags": ags, "gemeinde": rows["gemeinde"].to_numpy(),
               "gemeinde_typ": rows["gemeinde_typ"].to_numpy(), "aenderung_zuweisung": zuweisung,
               "aenderung_je_1000": je_1000}
    start = {name: verteilstatistik(r.state) for name, r in mp.results.items()} if d.id == BASELINE else {}
    return AgainstBasis(mp, bmp, je_1000, zuweisung, naeherung, groups, _ranked(changed, basis), start)


def _sums_of(mp: ModelPart, name: str) -> dict[str, np.ndarray]:
    """A part's group sums of one GROUPS entry as arrays by column."""
    if mp.groups is not None:
        return mp.groups[name]
    return {c: np.asarray(v) for c, v in _group_sum_columns(mp.rows, GROUPS[name]).items()}


def _against_group(sums: dict[str, np.ndarray], base: dict[str, np.ndarray], col: str) -> dict[str, np.ndarray]:
    """One model's group sums with the load per 1,000 and each group's change against the basis's
    sums (what `_aggregate_sums` does to that model's rows), as columns: a few groups per table,
    put into one frame per table for all models (`compare_models`)."""
    out = dict(sums)
    last = out["last_nachher"] / out["einwohner"] * 1000
    base_last = base["last_nachher"] / base["einwohner"] * 1000
    keys, base_keys = sums[col], base[col]
    if len(keys) == len(base_keys) and (keys == base_keys).all():  # the same groups in the same order
        at = np.arange(len(keys))
    else:
        at = pd.Index(base_keys).get_indexer(keys)
    found = at >= 0
    zuweisung, base_zuweisung = out["zuweisung"], base["zuweisung"]
    if found.all():
        je_1000, diff = last - base_last[at], zuweisung - base_zuweisung[at]
    else:  # a group the basis lacks: no change to show (NaN), as `Series.map` gives
        je_1000 = np.where(found, last - base_last[at], np.nan)
        diff = np.where(found, zuweisung - base_zuweisung[at].astype(float), np.nan)
    return {**out, "last_je_1000": last, "aenderung_je_1000": je_1000, "aenderung_zuweisung": diff}


def compare_models(defs: list[ModelDef], ctx: Context, info: dict, langfrist: dict | None = None,
                   part: Callable[[ModelDef, Context], ModelPart] = model_part,
                   against: Callable[..., AgainstBasis] = against_basis) -> CompareResult:
    """Evaluate the models on one prepared context: the part `compare` and the app share.

    ``defs`` must include the status quo and ``info["basis"]`` (default the status quo), the
    model every change is against; ``info`` is the metadata of the inputs, completed here with
    the model titles and the parameters in force. ``langfrist``: keyword arguments of
    `langfrist.langfrist_modelle` (totals, credited places); None: no long run.
    ``part`` computes one model's `ModelPart` and ``against`` its `AgainstBasis` (the app passes
    cached ones, so that a changed setting derives only the models it touches); the result is
    assembled from these pieces: rows in the models' order, group tables sorted by model id.
    """
    from verteilung.inputs import NAEHERUNG_KURZ
    from verteilung.langfrist import langfrist_modelle

    basis = info.get("basis", BASELINE)
    g = ctx.gemeinden
    if basis not in {d.id for d in defs}:
        raise InputError(Problem("--basis", f"die Vergleichsbasis „{basis}“ ist nicht unter den Modellen"))
    parts = {d.id: part(d, ctx) for d in defs}
    notes = info.get("naeherungen", [])
    pieces = {d.id: against(d, parts[d.id], basis, parts[basis], g, notes) for d in defs}
    long = pd.concat([parts[d.id].rows for d in defs], ignore_index=True)
    long["aenderung_je_1000"] = np.concatenate([pieces[d.id].aenderung_je_1000 for d in defs])
    long["aenderung_zuweisung"] = np.concatenate([pieces[d.id].aenderung_zuweisung for d in defs])
    marked = np.concatenate([pieces[d.id].naeherung for d in defs])
    if marked.any():  # the NÄHERUNG column only where a row carries it (docs/ausgaben.md, NÄHERUNG)
        long = long.assign(hinweis=np.where(marked, NAEHERUNG_KURZ, "").astype(object))
    by_id = sorted(pieces)  # the group tables list the models in the order of their ids
    aggregate = {name: _columns_frame([pieces[m].groups[name] for m in by_id]) for name in GROUPS}
    winners = pd.DataFrame([row for d in defs if d.id != basis for row in pieces[d.id].winners])
    info = {**info, "basis": basis, "modell_titel": {d.id: d.titel for d in defs},
            "parameter": in_force(ctx.stichtag, info.get("land"))}
    lf = None
    if langfrist is not None:
        meta = {"jahr": info.get("jahr"), "datenbasis": info.get("datenbasis"),
                "naeherungen": info.get("naeherungen", [])}
        try:
            lf = langfrist_modelle(defs, basis, g, ctx.stichtag, lesarten=ctx.lesarten_basis, meta=meta,
                                   keys_from=ctx, **langfrist)
        except InputError as exc:  # a further system without a Land total: this period only, said so
            if not all(p.file == "--summe" for p in exc.problems):
                raise
            info["langfrist_fehlt"] = "; ".join(p.reason for p in exc.problems)
    result = CompareResult(long, pd.DataFrame([dict(parts[d.id].metrics) for d in defs]),
                           pd.DataFrame([row for d in defs for row in parts[d.id].system_rows]), aggregate,
                           winners, info, verteilstatistik=dict(pieces[BASELINE].verteilstatistik) if BASELINE in pieces
                           else {}, langfrist=lf, je_modell=pieces)
    result.befunde = findings(result)
    if lf is not None:
        from verteilung import land as laender
        from verteilung.zusammenfassung import zusammenfassung

        if info.get("land", laender.STANDARD) == laender.STANDARD:  # the money rules are NRW's (params/mittel)
            result.mittel = _money(lf, defs, ctx.stichtag.year)
        result.zusammenfassung = zusammenfassung(result, result.mittel)
    return result


def _columns_frame(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One frame of the models' columns, one after the other (as `pd.concat` of their frames)."""
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in parts[0]})


def _money(lf: LangfristResult, defs: list[ModelDef], jahr: int) -> MittelResult | None:
    """The long run's money under the rules in force in ``jahr``; None before the § 4 rates (2017)."""
    from verteilung.mittel import mittel_aus

    try:
        return mittel_aus(lf, defs, jahr)
    except InputError:
        return None


def largest_assignment(res: dict[str, SystemResult], g: pd.DataFrame) -> dict:
    """The period's largest assignment to one Gemeinde and its share of the period's arrivals
    (the one transition figure that is meaningful for one period; `verteilung.uebergang`)."""
    from verteilung.uebergang import kennzahlen

    z = sum((r.zuweisung for r in res.values()), np.zeros(len(g)))[None, :]
    f = kennzahlen(z, np.full(z.shape, np.nan), g["ags"].to_numpy(), g["gemeinde"].to_numpy())
    return {"groesste_zuweisung": f.groesste_zuweisung, "groesste_zuweisung_anteil": f.groesste_zuweisung_anteil}


def _aggregate(long: pd.DataFrame, col: str, basis: str = BASELINE) -> pd.DataFrame:
    return _aggregate_sums([_group_sums(long, col)], col, basis)


def _group_sums(rows: pd.DataFrame | Mapping[str, pd.Series], col: str) -> pd.DataFrame:
    """Gemeinden, inhabitants, load and assignments summed per model and group."""
    return pd.DataFrame(_group_sum_columns(rows, col))


def _group_sum_columns(rows: pd.DataFrame | Mapping[str, pd.Series], col: str) -> dict[str, object]:
    """`_group_sums` as columns (`gruppen.group_sum_columns_or_pandas`). ``rows``: a model's rows,
    or a mapping of their columns (a part's four tables take them once)."""
    from verteilung.gruppen import group_sum_columns_or_pandas

    return group_sum_columns_or_pandas(rows, ["modell", col], ["einwohner", "last_nachher", "zuweisung"],
                                       size="gemeinden")


def _aggregate_sums(parts: list[pd.DataFrame], col: str, basis: str = BASELINE) -> pd.DataFrame:
    """The aggregate table from group sums (one frame per model, or one for all): sorted by model
    and group as one grouped sum over all rows would be, with each group's change against the
    basis. Per model, the sums are kept with the model's part, so that a changed setting sums only
    the models it recomputes."""
    out = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    out = out.sort_values("modell", kind="stable", ignore_index=True)
    out["last_je_1000"] = out["last_nachher"] / out["einwohner"] * 1000
    base = out[out["modell"] == basis].set_index(col)
    out["aenderung_je_1000"] = out["last_je_1000"] - out[col].map(base["last_je_1000"])
    out["aenderung_zuweisung"] = out["zuweisung"] - out[col].map(base["zuweisung"])
    return out


def _winners_losers(long: pd.DataFrame, basis: str = BASELINE, top: int = 10) -> pd.DataFrame:
    """Per model the ``top`` Gemeinden with the largest decrease and increase of assignments
    (ties broken by AGS)."""
    names = ("modell", "ags", "gemeinde", "gemeinde_typ", "aenderung_zuweisung", "aenderung_je_1000")
    return pd.DataFrame(_ranked({c: long[c].to_numpy() for c in names}, basis, top))


def _ranked(col: dict[str, np.ndarray], basis: str, top: int = 10) -> list[dict]:
    """`_winners_losers` rows from its columns as arrays (one model's or all; `gruppen.rangfolge`)."""
    from verteilung.gruppen import rangfolge

    names = ("ags", "gemeinde", "gemeinde_typ", "aenderung_zuweisung", "aenderung_je_1000")
    rows = rangfolge(col, "aenderung_zuweisung", basis, ("entlastet", "belastet"), names, top)
    for r in rows:
        r["aenderung_zuweisung"] = int(r["aenderung_zuweisung"])
    return rows


def de(n: int) -> str:
    """German thousands separator and minus sign: 1.148, −36 (`io.deutsch.fmt_int`)."""
    from verteilung.io.deutsch import fmt_int

    return fmt_int(n)


def de_signed(n: int) -> str:
    """A change with its sign: +211, −110 (`io.deutsch.fmt_signed`)."""
    from verteilung.io.deutsch import fmt_signed

    return fmt_signed(n)


def findings(res: CompareResult) -> list[str]:
    """Plain sentences: which Gemeinde types take more or fewer of this period's arrivals."""
    basis = res.basis
    typ = res.aggregate["gemeindetypen"]
    # plain dicts: one lookup per model and type (pandas indexing per cell was a fifth of a comparison)
    zuweisung = {(m, t): int(z) for m, t, z in zip(typ["modell"], typ["gemeinde_typ"], typ["zuweisung"], strict=True)}
    konflikt = dict(zip(res.metriken["modell"], res.metriken["konflikt_personen"], strict=True))
    lines = []
    for m in res.info["modelle"]:
        if m == basis:
            continue
        bits = []
        for t in ("kreisfreie Stadt", "kreisangehörige Stadt", "kreisangehörige Gemeinde"):
            if (m, t) in zuweisung:
                before, after = zuweisung[(basis, t)], zuweisung[(m, t)]
                bits.append(f"{t}: {de(after)} statt {de(before)} Zuweisungen ({de_signed(after - before)})")
        conf = (f"Konflikte {de(int(konflikt[m]))} statt {de(int(konflikt[basis]))} Personen")
        lines.append(f"{m}: " + "; ".join(bits) + f"; {conf}.")
    return lines


def summary_payload(res: CompareResult) -> dict:
    from verteilung.io import records

    return {"info": res.info, "hinweis": "SYNTHETISCHE Bestandsdaten" if res.info["synthetisch"] else "",
            "metriken": records(res.metriken), "systeme": records(res.systeme), "befunde": res.befunde,
            "gemeindetypen": records(res.aggregate["gemeindetypen"]), "basis": res.basis,
            "langfrist": None if res.langfrist is None else {
                "info": res.langfrist.info, "modelle": records(res.langfrist.modelle),
                "gemeindetypen": records(res.langfrist.aggregate["gemeindetypen"])},
            "mittel": None if res.mittel is None else {"info": res.mittel.info,
                                                       "modelle": records(res.mittel.modelle)},
            "zusammenfassung": None if res.zusammenfassung is None else res.zusammenfassung.payload()}
