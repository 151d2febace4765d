"""Many scenarios of a one-system model on the combined stock, evaluated as matrices.

Keys are linear in the weights before caps and reductions, so a batch of S scenarios is a
(S × components) @ (components × Gemeinden) product; the cap iteration, the reductions, the
continuous water-filling and the metrics are then row-wise array operations. No Python loop
runs over scenarios and no LP is solved (the LP is for constrained allocations only).
``evaluate_single`` computes one scenario with the ordinary single-scenario code
(`compute_key`, `water_level`, the compare metrics); tests hold the two to 1e-9.

The model files are the single source: any one-system model (a shipped name or a YAML path,
read by `verteilung.model.load_model`) is swept, its key built from the law layer's key specs
(`flueag.spec`, `awov.spec`) with every cap and reduction reading. Two-system models (status
quo, M3, M4) are the baseline, not swept. This module computes numbers only; it writes no file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.compare import weighted_cv, weighted_gini
from verteilung.errors import InfeasibleError, InputError, Problem
from verteilung.law import awov, flueag, systems
from verteilung.law.key import Cap, KeySpec, Reduction, apply_cap, apply_reductions, compute_key
from verteilung.law.lesarten import Lesarten
from verteilung.model import GesetzKey, MixKey, ModelDef, SystemKey, custom_model, load_model, mix_keys
from verteilung.solve.waterfill import water_level, water_levels
from verteilung.staffelung import Staffelung

SPECIAL = ("kappung", "alpha", "anrechnung", "zugaenge")
PERTURBABLE = ("einwohner", "bestand")
QUOTA_BINS = np.linspace(0.0, 500.0, 2001)  # per-Gemeinde quota histogram, 0.25-point bins
ALIASES = {"m1": "m1-gemeinsamer-bestand", "m2": "m2-mischschluessel"}
CUSTOM = ("gewichtet", "eigene-gewichte")


@dataclass(frozen=True)
class SweepKey:
    """A key as the vectorised core evaluates it: weights, an optional cap, optional reductions."""

    weights: dict[str, float]
    cap_component: str | None = None
    cap_factor: float | None = None
    reductions: tuple[tuple[str, float], ...] = ()
    # readings of the cap and the reductions (LEGAL.md Q3, Q13), as in law.key.KeySpec
    cap_iterate: bool = True
    kombination: str = "additiv"
    umverteilung_basis: str = "k0"
    empfaenger: str = "nicht_betroffen"

    @classmethod
    def from_spec(cls, spec: KeySpec, rename: dict[str, str] | None = None) -> SweepKey:
        """The law layer's key spec; ``rename`` maps a weight column to the base column holding it."""
        rename = rename or {}
        return cls({rename.get(c, c): float(w) for c, w in spec.weights.items()},
                   spec.cap.component if spec.cap else None, spec.cap.factor if spec.cap else None,
                   tuple((r.flag, float(r.rate)) for r in spec.reductions),
                   spec.cap.iterate if spec.cap else True, spec.kombination, spec.umverteilung_basis,
                   spec.empfaenger)

    def spec(self, weights: dict[str, float], cap_factor: float) -> KeySpec:
        """The same key for `compute_key` (the single-scenario path)."""
        return KeySpec("szenario", weights,
                       cap=Cap(self.cap_component, cap_factor, self.cap_iterate) if self.cap_component else None,
                       reductions=tuple(Reduction(f, r) for f, r in self.reductions),
                       kombination=self.kombination, umverteilung_basis=self.umverteilung_basis,  # type: ignore[arg-type]
                       empfaenger=self.empfaenger)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SweepModel:
    """A one-system model file as the sweep evaluates it."""

    name: str
    a: SweepKey
    b: SweepKey | None = None
    alpha: float | None = None  # None: FlüAG's share of the combined stock (M2 default)
    bestand: tuple[str, ...] = ("flueag_bestand", "wsa_bestand")
    anrechnung: bool = True     # places in state facilities credited (the model's field)
    zugaenge: str = "alle"      # arrivals stream of the model's system
    titel: str = ""
    staffelung: Staffelung | None = None  # per-Gemeinde bounds of the period (the model's, or --staffelung)


def messziffer_column(anlage1: str) -> str:
    """The base column holding the AWoV unemployment component under an Anlage-1 reading."""
    return "awov_messziffer" if anlage1 == "B" else f"awov_messziffer_{anlage1}"


def flueag_sweepkey(when: dt.date, kappung: str = "R1", lesarten: Lesarten | None = None) -> SweepKey:
    lesarten = lesarten or Lesarten()
    return SweepKey.from_spec(flueag.spec(when, kappung, lesarten.kappung_iteriert))  # type: ignore[arg-type]


def awov_sweepkey(when: dt.date, anlage1: str = "B", lesarten: Lesarten | None = None) -> SweepKey:
    lesarten = lesarten or Lesarten()
    return SweepKey.from_spec(awov.spec(when, lesarten.minderung, lesarten.umverteilung),
                              {"awov_messziffer": messziffer_column(anlage1)})


def gesetz_sweepkey(k: GesetzKey, when: dt.date, lesarten: Lesarten) -> SweepKey:
    """The sweep's form of a statutory key named by its model-file type, with the readings it sets."""
    chosen = {n: getattr(k, n) for n in k.system.modell_lesarten}
    if k.system is systems.FLUEAG:
        return flueag_sweepkey(when, chosen["kappung"], lesarten)
    if k.system is systems.WSA:
        return awov_sweepkey(when, chosen["anlage1"], lesarten)
    if k.system.spec is None:  # pragma: no cover - every other registered key has its spec
        raise InputError(Problem("--modell", f"das System {k.system.id} hat keinen Schlüssel als Daten"))
    return SweepKey.from_spec(k.system.spec(when, lesarten))


def from_model(md: ModelDef, when: dt.date, lesarten: Lesarten | None = None) -> SweepModel:
    """A one-system model file → the sweep's key (caps and reductions in every reading)."""
    lesarten = lesarten or Lesarten()
    if len(md.systeme) != 1:
        raise InputError(Problem("--modell", f"„{md.id}“ hat {len(md.systeme)} Systeme; der Belastungstest braucht ein "
                                 "Modell mit einem System (m1-gemeinsamer-bestand, m2-mischschluessel, "
                                 "gewichtet oder eine YAML-Datei; Modelle mit zwei Systemen sind die Vergleichsbasis)"))
    s = md.systeme[0]
    k = s.schluessel
    b, alpha = None, None
    if isinstance(k, GesetzKey):
        a = gesetz_sweepkey(k, when, lesarten)
    elif isinstance(k, MixKey):  # as model.Context: the recognition pair's keys at the standard readings
        a, b = (gesetz_sweepkey(m, when, lesarten) for m in mix_keys())
        alpha = None if k.alpha == "auto" else float(k.alpha)
    elif isinstance(k, SystemKey):  # a registered system's key, as its registry entry specifies it
        registered = systems.get(k.system)
        if registered.spec is None:
            raise InputError(Problem("--modell", f"das System {registered.id} hat keinen Schlüssel als Daten "
                                     "(spec) in seinem Registereintrag; ein Sweep braucht ihn"))
        a = SweepKey.from_spec(registered.spec(when, lesarten))
    else:
        a = SweepKey(dict(k.gewichte), k.kappung.komponente if k.kappung else None,
                     k.kappung.faktor if k.kappung else None,
                     tuple((m.merkmal, m.satz) for m in k.minderungen))
    return SweepModel(md.id, a, b, alpha, tuple(s.bestand), s.anrechnung, s.zugaenge, md.titel,
                      sweep_staffelung(Staffelung.from_dict(md.staffelung)))


def sweep_staffelung(pacing: Staffelung | None) -> Staffelung | None:
    """The pacing a sweep can apply: per-Gemeinde bounds of the period. The sweep distributes
    continuously (water-filling, no persons), so weeks and a minimum spread are refused."""
    if pacing is None:
        return None
    if pacing.wochen != 1 or pacing.min_gemeinden:
        raise InputError(Problem("staffelung", "wochen und min_gemeinden gibt es im Sweep nicht (er verteilt "
                                 "stetig, ohne einzelne Personen und Wochen); nur die Obergrenzen max_personen, "
                                 "max_anteil_soll und max_je_1000_einwohner"))
    return pacing if pacing.begrenzt else None


def capped_levels(last: np.ndarray, soll: np.ndarray, n: np.ndarray, cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Water levels under per-Gemeinde bounds: per row the level s with
    Σ_i min(cap_i, max(0, s·soll_i − last_i)) = n, and that allocation. The sum is monotone in s;
    bisection brackets s, then the closed form over the Gemeinden strictly between 0 and their
    bound gives it exactly. Where a bound binds the rule stays "lowest fulfilment first" among
    the others (every Gemeinde below the level and its bound is filled up to the level)."""
    last = np.asarray(last, dtype=float)
    soll = np.asarray(soll, dtype=float)
    n = np.asarray(n, dtype=float).reshape(-1)
    cap = np.broadcast_to(np.asarray(cap, dtype=float), soll.shape)
    live = soll > 0
    safe = np.where(live, soll, 1.0)
    room = np.where(live, np.minimum(cap, n[:, None]), 0.0)
    lo = np.zeros(len(n))
    hi = np.max(np.where(live, (last + room) / safe, 0.0), axis=1) + 1.0

    def fill(level: np.ndarray) -> np.ndarray:
        return np.where(live, np.clip(level[:, None] * soll - last, 0.0, cap), 0.0)

    for _ in range(200):
        mid = (lo + hi) / 2
        over = fill(mid).sum(axis=1) >= n
        hi = np.where(over, mid, hi)
        lo = np.where(over, lo, mid)
        if np.all(hi - lo <= 1e-15 * np.maximum(1.0, hi)):
            break
    raw = hi[:, None] * soll - last
    free = live & (raw > 0) & (raw < cap)
    bound = live & (raw >= cap)
    num = n - np.where(bound, cap, 0.0).sum(axis=1) + np.where(free, last, 0.0).sum(axis=1)
    den = np.where(free, soll, 0.0).sum(axis=1)
    # nobody strictly between 0 and the bound: with no arrivals the level where water would
    # start (the lowest fulfilment, as `water_levels`), else the bracketed one
    start = np.min(np.where(live, last / safe, np.inf), axis=1)
    level = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.where(n <= 0, start, hi))
    return level, fill(level)


def sweep_bounds(model: SweepModel, soll: np.ndarray, ein: np.ndarray, n_arr: np.ndarray,
                 ids: np.ndarray) -> np.ndarray | None:
    """Per scenario and Gemeinde the pacing bound (None without pacing); scenarios whose bounds
    allow fewer persons than arrive are refused before any level is computed (exit 3)."""
    if model.staffelung is None:
        return None
    cap = model.staffelung.obergrenze(soll, ein)
    room = np.where(soll > 0, cap, 0.0).sum(axis=1)
    short = np.flatnonzero(room < n_arr)
    if short.size:
        i = int(short[0])
        arrive, allowed = (f"{v:,.0f}".replace(",", ".") for v in (n_arr[i], room[i]))
        raise InfeasibleError(f"Staffelung nicht erfüllbar: in Szenario {int(ids[i])} kommen {arrive} "
                              f"Personen an, die Obergrenzen erlauben zusammen nur {allowed}"
                              + (f" (und in {short.size - 1} weiteren Szenarien)" if short.size > 1 else ""))
    return cap


def sweep_model(name: str | Path, when: dt.date, gewichte: dict[str, float] | None = None,
                kappung: tuple[str, float] | None = None, minderungen: dict[str, float] | None = None,
                lesarten: Lesarten | None = None) -> SweepModel:
    """The sweep model for ``--modell``: a shipped one-system model, a YAML path, or ``gewichtet``
    (own weights from ``gewichte``, optionally capped and reduced)."""
    from verteilung.model import CapSpec, ReductionSpec

    if str(name) in CUSTOM:
        if not gewichte:
            raise InputError(Problem("--gewichte", "model 'gewichtet' needs base weights, e.g. "
                                     "einwohner=0.8,flaeche=0.1,arbeitslose=0.1"))
        cap = CapSpec(komponente=kappung[0], faktor=kappung[1]) if kappung else None
        cuts = [ReductionSpec(merkmal=f, satz=r) for f, r in (minderungen or {}).items()]
        return from_model(custom_model(dict(gewichte), cap, cuts), when, lesarten)
    return from_model(load_model(ALIASES.get(str(name), name)), when, lesarten)


@dataclass
class Base:
    """Everything fixed across scenarios, prepared once (and pickled once per worker)."""

    gemeinden: pd.DataFrame
    columns: dict[str, np.ndarray]           # numeric Gemeinde columns the keys may use
    flags: dict[str, np.ndarray]
    flueag_bestand: np.ndarray
    wsa_bestand: np.ndarray
    plaetze: np.ndarray                      # credited places at factor 1 (after the date's factors)
    einwohner: np.ndarray
    baseline_load: np.ndarray                # status quo: combined load after this period
    zugaenge: int
    rural: np.ndarray                        # gering besiedelt
    kreisfrei: np.ndarray
    info: dict = field(default_factory=dict)
    zugaenge_strom: dict[str, int] = field(default_factory=dict)  # default arrivals per stream
    weitere_bestand: dict[str, np.ndarray] = field(default_factory=dict)  # further registered systems' stocks

    def stock(self, columns: tuple[str, ...]) -> np.ndarray:
        by_name = {"flueag_bestand": self.flueag_bestand, "wsa_bestand": self.wsa_bestand, **self.weitere_bestand}
        return sum((by_name[c] for c in columns), np.zeros(len(self.einwohner)))


def prepare_base(gemeinden: str | None = None, bestand: str | None = None, jahr: int | None = None,
                 stichtag: str | None = None, zugaenge: Mapping[str, int] | None = None,
                 lesarten: Lesarten | None = None, weitere_spalten: tuple[str, ...] = ()) -> Base:
    """The inputs (one preparation, `verteilung.inputs.prepare`) and the status-quo baseline.
    ``zugaenge``: arrivals per stream id; a stream not named takes its registry default."""
    from verteilung.compare import compare, default_bestand
    from verteilung.inputs import prepare
    from verteilung.status import anrechnung

    lesarten = lesarten or Lesarten()
    strom = {**systems.standard_zugaenge(), **(zugaenge or {})}
    alle = sum(strom.get(s, 0) for s in systems.alle_stroeme())
    columns = tuple(dict.fromkeys(("flueag_bestand", "wsa_bestand", *weitere_spalten)))  # + the swept model's
    inp = prepare(jahr=jahr, stichtag=stichtag, gemeinden=gemeinden, bestand=bestand or default_bestand(),
                  bestand_spalten=columns)
    when = inp.stichtag
    known = set(systems.streams())  # a model's own stream is the sweep's, not the baseline's
    res = compare(["status-quo"], bestand, gemeinden, {k: v for k, v in strom.items() if k in known}, jahr=jahr,
                  stichtag=when)
    b = inp.bestand
    assert b is not None
    g = awov.prepare(inp.gemeinden, when, "B", lesarten.mietpreisliste)  # type: ignore[arg-type]
    for variante in ("A", "C"):
        g[messziffer_column(variante)] = awov.messziffer(g["einwohner"].to_numpy(dtype=float),
                                                         g["arbeitslose_verwendet"].to_numpy(dtype=float), variante)
    credit, _ = anrechnung(b, when)
    numeric = {c: g[c].to_numpy(dtype=float) for c in g.columns
               if pd.api.types.is_numeric_dtype(g[c]) and not pd.api.types.is_bool_dtype(g[c])
               and g[c].notna().all()}
    flags = {c: g[c].to_numpy(dtype=bool) for c in g.columns if pd.api.types.is_bool_dtype(g[c])}
    sq = res.gemeinden[res.gemeinden["modell"] == "status-quo"]
    rural = (g["verstaedterung"] == "gering besiedelt").to_numpy()
    kreisfrei = (g["gemeinde_typ"] == "kreisfreie Stadt").to_numpy()
    return Base(g, numeric, flags, b["flueag_bestand"].to_numpy(dtype=float), b["wsa_bestand"].to_numpy(dtype=float),
                credit, g["einwohner"].to_numpy(dtype=float), sq["last_nachher"].to_numpy(dtype=float), alle,
                rural, kreisfrei,
                info={"stichtag": when.isoformat(), "jahr": inp.jahr, "datenbasis": inp.datenbasis,
                      "synthetisch": inp.synthetisch, "zugaenge": alle, "lesarten": lesarten.as_dict()},
                zugaenge_strom={**strom, systems.ALLE: alle},
                weitere_bestand={c: b[c].to_numpy(dtype=float) for c in columns
                                 if c not in ("flueag_bestand", "wsa_bestand")})


# ---------------------------------------------------------------- scenarios

def build_scenarios(model: SweepModel, base: Base, ranges: dict[str, tuple[float, float]], raster: int | None = None,
                    stichprobe: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Grid (K points per parameter) or uniform sample; weights not named take the remainder."""
    names = list(ranges)
    for n in names:
        if n not in SPECIAL and n not in model.a.weights:
            raise InputError(Problem("--parameter", f"„{n}“ ist weder ein Gewicht des Modells "
                                     f"({', '.join(model.a.weights)}) noch einer von {', '.join(SPECIAL)}"))
        lo, hi = ranges[n]
        if lo > hi:
            raise InputError(Problem("--parameter", f"{n}: lower bound {lo} above upper bound {hi}"))
    if raster:
        axes = [np.linspace(*ranges[n], raster) for n in names]
        mesh = np.meshgrid(*axes, indexing="ij") if names else []
        df = pd.DataFrame({n: m.ravel() for n, m in zip(names, mesh, strict=True)})
    elif stichprobe:
        rng = np.random.default_rng(seed)
        df = pd.DataFrame({n: rng.uniform(*ranges[n], stichprobe) for n in names})
    else:
        raise InputError(Problem("sweep", "give --raster K or --stichprobe S"))
    if df.empty:
        df = pd.DataFrame(index=range(1))
    return complete_scenarios(model, base, df)


def complete_scenarios(model: SweepModel, base: Base, df: pd.DataFrame) -> pd.DataFrame:
    """Fill every model parameter; the weights not varied share the remainder in their base proportion."""
    df = df.copy()
    varied = [w for w in model.a.weights if w in df.columns]
    rest = [w for w in model.a.weights if w not in df.columns]
    remainder = 1.0 - (df[varied].sum(axis=1) if varied else 0.0)
    base_rest = sum(model.a.weights[w] for w in rest)
    for w in rest:
        df[w] = remainder * (model.a.weights[w] / base_rest if base_rest > 0 else 1.0 / len(rest))
    if not rest and varied:
        df = df[np.isclose(remainder, 0.0, atol=1e-12)]
    df = df[(df[list(model.a.weights)] >= -1e-12).all(axis=1)]
    if "kappung" not in df.columns:
        df["kappung"] = model.a.cap_factor if model.a.cap_factor else np.nan
    if "alpha" not in df.columns:
        df["alpha"] = (default_alpha(base) if model.alpha is None else model.alpha) if model.b is not None else 1.0
    if "anrechnung" not in df.columns:
        df["anrechnung"] = 1.0 if model.anrechnung else 0.0
    if "zugaenge" not in df.columns:
        df["zugaenge"] = float(base.zugaenge_strom.get(model.zugaenge, base.zugaenge))
    df["zugaenge"] = np.round(df["zugaenge"])
    df = df.reset_index(drop=True)
    df.insert(0, "szenario", np.arange(len(df)))
    return df


def default_alpha(base: Base) -> float:
    f = base.flueag_bestand.sum() + base.plaetze.sum()
    return float(f / (f + base.wsa_bestand.sum()))


def perturbation(base: Base, stoerung: dict[str, float], seed: int, scenario_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Multiplicative factors 1 + σ·z per scenario and Gemeinde, z ~ N(0, 1) from a generator seeded
    by (seed, scenario id): the same scenario gets the same draw in any batch, worker or engine."""
    out = {}
    n = len(base.einwohner)
    for j, (name, sigma) in enumerate(sorted(stoerung.items())):
        if name not in PERTURBABLE:
            raise InputError(Problem("--stoerung", f"gestört werden können {', '.join(PERTURBABLE)}, nicht „{name}“"))
        if sigma == 0:
            continue
        rows = [np.random.default_rng([seed, j, int(s)]).standard_normal(n) for s in scenario_ids]
        out[name] = np.maximum(0.0, 1.0 + sigma * np.vstack(rows))
    return out


# ---------------------------------------------------------------- vectorised evaluation

def _shares(values: np.ndarray) -> np.ndarray:
    return values / values.sum(axis=-1, keepdims=True)


def vector_key(kd: SweepKey, base: Base, weights: np.ndarray, cap_factor: np.ndarray,
               pop_factor: np.ndarray | None, buf: Scratch | None = None) -> np.ndarray:
    """Keys (S × n) for S weight rows; same operations in the same order as the single path.
    ``buf``: scratch arrays reused chunk after chunk (the key is then one of them)."""
    buf = buf or Scratch()
    shape = (weights.shape[0], len(base.einwohner))
    raw = buf.get("key", shape)
    raw[...] = 0.0
    term = buf.get("term", shape)
    share_cache: dict[str, np.ndarray] = {}
    for j, col in enumerate(kd.weights):
        if col not in base.columns:
            raise InputError(Problem("key", f"die Spalte „{col}“ gibt es in der Gemeindetabelle nicht"))
        values = base.columns[col]
        sh = _shares(values * pop_factor) if (col == "einwohner" and pop_factor is not None) else _shares(values)
        share_cache[col] = sh
        np.add(raw, np.multiply(weights[:, j : j + 1], sh, out=term), out=raw)
    key = raw
    if kd.cap_component is not None:
        comp = share_cache.get(kd.cap_component)
        if comp is None:
            comp = _shares(base.columns[kd.cap_component])
        key, _ = apply_cap(raw, cap_factor[:, None] * comp, iterate=kd.cap_iterate)
    if kd.reductions:
        key, _ = apply_reductions(key, [base.flags[f] for f, _ in kd.reductions], [r for _, r in kd.reductions],
                                  kd.kombination, kd.umverteilung_basis, kd.empfaenger)
    return key


def weighted_gini_rows(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Gini per row by a full sort (the reference; the sweep shares one sort, see `_metrics`)."""
    order = np.argsort(values, axis=1, kind="stable")
    v = np.take_along_axis(values, order, axis=1)
    w = weights[order] if weights.ndim == 1 else np.take_along_axis(weights, order, axis=1)
    cw = np.cumsum(w, axis=1)
    cv = np.cumsum(v * w, axis=1)
    lorenz = np.concatenate([np.zeros((v.shape[0], 1)), cv / cv[:, -1:]], axis=1)
    pop = np.concatenate([np.zeros((v.shape[0], 1)), cw / cw[:, -1:]], axis=1)
    return 1 - np.sum((pop[:, 1:] - pop[:, :-1]) * (lorenz[:, 1:] + lorenz[:, :-1]), axis=1)


def weighted_cv_rows(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = np.broadcast_to(weights, values.shape)
    mean = np.sum(values * w, axis=1) / np.sum(w, axis=1)
    var = np.sum((values - mean[:, None]) ** 2 * w, axis=1) / np.sum(w, axis=1)
    return np.sqrt(var) / mean


@dataclass
class BatchResult:
    scenarios: pd.DataFrame      # parameters + metrics, one row per scenario
    quote: np.ndarray | None     # S × n, combined quota after the continuous allocation (percent)
    load: np.ndarray | None      # S × n, combined load after (both None when not kept: `evaluate_batch`)


class Scratch:
    """Named scratch arrays reused chunk after chunk: a sweep allocates its S × n temporaries once
    per worker instead of some twenty per chunk (fresh allocations of that size are page faults,
    measured as a fifth of the CPU time in system time before issue 25)."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, int], dtype: type = np.float64) -> np.ndarray:
        """A C-contiguous array of ``shape`` (its content is whatever the last user left)."""
        a = self._arrays.get(name)
        if a is None or a.shape[1] != shape[1] or a.shape[0] < shape[0] or a.dtype != dtype:
            a = self._arrays[name] = np.empty((max(shape[0], a.shape[0] if a is not None else 0), shape[1]), dtype)
        return a[: shape[0]]


def _cache_bytes() -> int:
    """Share of the last-level cache per core (Linux sysfs; 4 MiB when unknown)."""
    import os
    from pathlib import Path

    sizes = []
    try:
        for idx in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
            text = (idx / "size").read_text().strip().upper()
            sizes.append(int(text.rstrip("KMG")) * {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}.get(text[-1], 1))
    except (OSError, ValueError):
        sizes = []
    return max(sizes) // max(1, os.cpu_count() or 1) if sizes else 4 * 1024 ** 2


CACHE_BYTES = _cache_bytes()


def chunk_rows(n: int, cache_bytes: int = CACHE_BYTES) -> int:
    """Scenario rows evaluated together: the dozen S × n float64 temporaries of one chunk fit the
    core's share of the last-level cache (clamped to 32..2048 rows; 396 Gemeinden, 16 MiB: 441)."""
    return int(min(2048, max(32, cache_bytes // (12 * 8 * max(1, n)))))


def _levels(last: np.ndarray, soll: np.ndarray, n: np.ndarray, buf: Scratch | None = None) -> np.ndarray:
    """Water levels per row without sorting: Newton's method on the convex, piecewise linear
    f(s) = Σ max(0, s·soll − last) − n, started right of the root (everyone in the water).

    Each step is s ← (n + Σ_A last) / Σ_A soll over A = {ratio ≤ s}; A only shrinks, so the
    iteration ends after at most n steps (in practice a handful) with the same active set and
    the same closed form as the sorting version (`water_levels`, kept as the reference)."""
    buf = buf or Scratch()
    shape = soll.shape
    ratio = np.divide(last, soll, out=buf.get("ratio", shape))
    finite = np.isfinite(ratio, out=buf.get("finite", shape, np.bool_))  # ratio ≤ s is False for inf and NaN too
    n = np.asarray(n, dtype=float).reshape(-1)
    lasts = buf.get("lasts", shape)
    solls = buf.get("solls", shape)
    lasts[...] = 0.0
    solls[...] = 0.0
    np.copyto(lasts, last, where=finite)
    np.copyto(solls, soll, where=finite)
    s = (n + lasts.sum(axis=1)) / solls.sum(axis=1)
    active = buf.get("active", shape)  # the active set as 0/1 floats: einsum then runs a plain dot loop
    for _ in range(shape[1] + 1):
        np.less_equal(ratio, s[:, None], out=active)
        # row-wise masked sums without temporaries (einsum: 2.3× faster than where + sum here)
        new = (n + np.einsum("ij,ij->i", lasts, active)) / np.einsum("ij,ij->i", solls, active)
        # the same level from the new set as from the last one: the set is a fixed point (or
        # gives the same level as one), the check costs S comparisons instead of S × n
        if np.array_equal(new, s, equal_nan=True):
            break
        s = new
    return s


def _quantile_position(m: int, q: float) -> tuple[int, int, float]:
    """The two order statistics (0-based) and the weight of linear-interpolation quantile Q of M values."""
    pos = q * (m - 1)
    lo = int(np.floor(pos))
    return lo, min(lo + 1, m - 1), pos - lo


def _interpolate(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """numpy's linear interpolation between neighbouring order statistics (the same bits)."""
    return a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t)


def _quantiles_sorted(v: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Linear-interpolation quantiles (numpy's and pandas' default) of rows whose order statistics
    at the needed positions are in place (after a sort or a partition at those positions)."""
    out = []
    for q in qs:
        lo, hi, t = _quantile_position(v.shape[1], q)
        out.append(_interpolate(v[:, lo], v[:, hi], t))
    return out


def _kth(m: int, qs: tuple[float, ...]) -> list[int]:
    ks = {0, m - 1}
    for q in qs:
        lo = int(np.floor(q * (m - 1)))
        ks.update((lo, min(lo + 1, m - 1)))
    return sorted(ks)


PACK_BITS_MAX = 20  # index bits packed into a float's mantissa for the Gini sort (2^-32 relative at most)


def _sort_order(values: np.ndarray, buf: Scratch) -> np.ndarray:
    """Per row the indices that sort ``values`` (ascending, NaN last), by one value sort instead
    of an argsort: each value's lowest mantissa bits are replaced by its column index, the packed
    floats are sorted (numpy's SIMD sort, 2–5× faster than argsort on rows of a few hundred), and
    the bits are read back. Values closer than 2^-(52−bits) relative may swap places, which moves
    a Gini by that order of magnitude at most (the tests hold it to 1e-12 against argsort). Long
    rows and rows with inf or NaN (their bits are the marker; the SIMD sort rewrites NaNs) fall back
    to argsort."""
    m = values.shape[1]
    bits = max(1, (m - 1).bit_length())
    if bits > PACK_BITS_MAX or not np.isfinite(values).all():
        return np.argsort(values, axis=1)
    mask = np.int64((1 << bits) - 1)
    packed = buf.get("packed", values.shape)
    np.copyto(packed, values)
    pv = packed.view(np.int64)
    pv &= ~mask
    pv |= np.arange(m, dtype=np.int64)
    packed.sort(axis=1)
    return np.bitwise_and(pv, mask, out=buf.get("order", values.shape, np.int64))


def _take_rows(values: np.ndarray, order: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``np.take_along_axis(values, order, axis=1)`` as one flat take (half the time); ``order``
    is overwritten. A 1-D ``values`` is the same row for every row."""
    if values.ndim == 1:
        return values.take(order, out=out)
    order += (np.arange(order.shape[0]) * order.shape[1])[:, None]
    return np.ascontiguousarray(values).take(order, out=out)


def _metrics(base: Base, last: np.ndarray, soll: np.ndarray, n_arr: np.ndarray, ein: np.ndarray,
             w_ein: np.ndarray, cap: np.ndarray | None = None, buf: Scratch | None = None
             ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Metrics of one cache-sized chunk: no sort for the level (Newton steps), one value sort for
    the quota quantiles, one packed value sort (`_sort_order`) of the load per inhabitant for the
    Gini and the load-index quantile (the index is that load over a per-row constant). Every
    S × n intermediate lives in ``buf`` (reused by the next chunk: the returned quota and load
    are valid until then). Same operations in the same order as before, so the numbers are the
    same bits except where `_sort_order` swaps values equal to 2^-43 relative.
    ``cap``: per-Gemeinde pacing bounds (`capped_levels`)."""
    buf = buf or Scratch()
    shape = soll.shape
    alloc = buf.get("alloc", shape)
    if cap is None:
        level = _levels(last, soll, n_arr, buf)
        np.subtract(np.multiply(level[:, None], soll, out=alloc), last, out=alloc)
        np.maximum(0.0, alloc, out=alloc)
    else:
        level, capped = capped_levels(last, soll, n_arr, cap)
        np.copyto(alloc, capped)
    after = np.add(last, alloc, out=buf.get("after", shape))
    quote = np.divide(after, soll, out=buf.get("quote", shape))
    quote *= 100
    per_1000 = np.divide(after, ein, out=buf.get("per_1000", shape))
    per_1000 *= 1000
    state_avg = after.sum(axis=1) / ein.sum(axis=1) * 1000
    m = shape[1]
    qs = (0.1, 0.5, 0.9)
    part = buf.get("quote_sorted", shape)
    np.copyto(part, quote)
    # np.sort (SIMD) beats np.partition at eight positions on rows of a few hundred (measured:
    # 1.0 vs 3.7 ms for 441 × 396); np.partition is kept for long rows
    if m <= 4096:
        part.sort(axis=1)
    else:
        part = np.partition(part, _kth(m, qs), axis=1)
    q10, q50, q90 = _quantiles_sorted(part, qs)
    order = _sort_order(per_1000, buf)
    w = _take_rows(w_ein, order.copy() if w_ein.ndim == 2 else order, buf.get("w_sorted", shape))
    v = _take_rows(per_1000, order, buf.get("v_sorted", shape))
    vw = np.multiply(v, w, out=buf.get("vw", shape))
    cv = np.cumsum(vw, axis=1, out=buf.get("cv", shape))
    total_w = w.sum(axis=1)
    # 1 − Σ p_k (L_k + L_{k−1}) with p_k = w_k / W and L_k = cv_k / cv_n
    tmp = buf.get("tmp", shape)
    np.multiply(2, cv, out=tmp)
    np.subtract(tmp, vw, out=tmp)
    tmp *= w
    gini = 1 - np.sum(tmp, axis=1) / (total_w * cv[:, -1])
    wb = np.broadcast_to(w_ein, shape)
    sum_w = np.sum(wb, axis=1)
    mean = np.sum(np.multiply(per_1000, wb, out=tmp), axis=1) / sum_w
    np.subtract(per_1000, mean[:, None], out=tmp)
    np.square(tmp, out=tmp)
    tmp *= wb
    var = np.sum(tmp, axis=1) / sum_w
    # the load index's 90 % quantile reads two order statistics: divide those two columns only
    lo, hi, t = _quantile_position(m, 0.9)
    idx90 = _interpolate(v[:, lo] / state_avg * 100, v[:, hi] / state_avg * 100, t)
    soll_sum = soll.sum(axis=1)
    flag = buf.get("flag", shape, np.bool_)
    metrics = {
        "quote_min": part[:, 0].copy(), "quote_p10": q10, "quote_median": q50, "quote_p90": q90,
        "quote_max": part[:, -1].copy(), "ueber_100": np.greater(quote, 100 + 1e-9, out=flag).sum(axis=1),
        "gini_last_je_einwohner": gini, "vk_last_je_einwohner": np.sqrt(var) / mean,
        "last_index_p90": idx90, "wasserstand": level * 100,
        "soll_anteil_laendlich": np.multiply(soll, base.rural, out=tmp).sum(axis=1) / soll_sum,
        "zuweisung_anteil_kreisfrei": np.divide(np.multiply(alloc, base.kreisfrei, out=tmp).sum(axis=1), n_arr,
                                                out=np.zeros(len(n_arr)), where=n_arr > 0),
        "gemeinden_entlastet": np.less(after, base.baseline_load - 1e-9, out=flag).sum(axis=1),
    }
    return metrics, quote, after


def metrics_reference(base: Base, last: np.ndarray, soll: np.ndarray, n_arr: np.ndarray, ein: np.ndarray,
                      w_ein: np.ndarray, cap: np.ndarray | None = None, buf: Scratch | None = None
                      ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The metric code before issue 16 (sorting water levels, np.quantile, a separate Gini sort),
    kept as the reference for tests; ``buf`` is ignored (it allocates as it goes)."""
    if cap is None:
        level = water_levels(last, soll, n_arr)
        alloc = np.maximum(0.0, level[:, None] * soll - last)
    else:
        level, alloc = capped_levels(last, soll, n_arr, cap)
    after = last + alloc
    quote = after / soll * 100
    per_1000 = after / ein * 1000
    state_avg = after.sum(axis=1) / ein.sum(axis=1) * 1000
    index = per_1000 / state_avg[:, None] * 100
    q = np.quantile(quote, [0.1, 0.5, 0.9], axis=1)
    metrics = {
        "quote_min": quote.min(axis=1), "quote_p10": q[0], "quote_median": q[1], "quote_p90": q[2],
        "quote_max": quote.max(axis=1), "ueber_100": (quote > 100 + 1e-9).sum(axis=1),
        "gini_last_je_einwohner": weighted_gini_rows(per_1000, w_ein),
        "vk_last_je_einwohner": weighted_cv_rows(per_1000, w_ein),
        "last_index_p90": np.quantile(index, 0.9, axis=1),
        "wasserstand": level * 100,
        "soll_anteil_laendlich": (soll * base.rural).sum(axis=1) / soll.sum(axis=1),
        "zuweisung_anteil_kreisfrei": np.divide((alloc * base.kreisfrei).sum(axis=1), n_arr,
                                                out=np.zeros(len(n_arr)), where=n_arr > 0),
        "gemeinden_entlastet": (after < base.baseline_load - 1e-9).sum(axis=1),
    }
    return metrics, quote, after


def evaluate_batch(base: Base, model: SweepModel, sc: pd.DataFrame, stoerung: dict[str, float] | None = None,
                   seed: int = 0, metrics=None, rows: int | None = None, stats: GemeindeStats | None = None,
                   keep: bool = True, buf: Scratch | None = None) -> BatchResult:
    """All scenarios of ``sc``; the row work runs in cache-sized chunks (``rows``, default
    `chunk_rows`) on scratch arrays reused from chunk to chunk (``buf``, one per worker).
    ``stats`` takes each chunk's per-Gemeinde counts as it is done; ``keep=False`` then drops the
    S × n quota and load matrices, so memory is bounded by the chunk, not the batch.
    ``metrics`` swaps the metric code (the benchmark passes `metrics_reference`)."""
    metrics = metrics or _metrics
    buf = buf or Scratch()
    ids = sc["szenario"].to_numpy()
    pert = perturbation(base, stoerung or {}, seed, ids)
    pop_factor = pert.get("einwohner")
    stock_factor = pert.get("bestand")
    weights = sc[list(model.a.weights)].to_numpy(dtype=float)
    kappung = sc["kappung"].to_numpy(dtype=float)
    alpha = sc["alpha"].to_numpy(dtype=float)
    anrechnung = sc["anrechnung"].to_numpy(dtype=float)
    zugaenge = sc["zugaenge"].to_numpy(dtype=float)
    n = len(base.einwohner)
    s_count = len(sc)
    quote = np.empty((s_count, n)) if keep else None
    load = np.empty((s_count, n)) if keep else None
    cols: dict[str, list[np.ndarray]] = {}
    step = rows or chunk_rows(n)
    stocks = base.stock(model.bestand)
    for i in range(0, s_count, step):
        sl = slice(i, min(s_count, i + step))
        pf = pop_factor[sl] if pop_factor is not None else None
        key = vector_key(model.a, base, weights[sl], kappung[sl], pf, buf)
        shape = key.shape
        if model.b is not None:
            wb = np.tile(np.array(list(model.b.weights.values())), (shape[0], 1))
            kb = vector_key(model.b, base, wb, np.full(shape[0], np.nan), pf)
            key = alpha[sl, None] * key + (1 - alpha[sl, None]) * kb
        last = buf.get("last", shape)
        if stock_factor is not None:
            np.add(np.multiply(stocks, stock_factor[sl], out=last), np.multiply(anrechnung[sl, None], base.plaetze,
                                                                               out=buf.get("term", shape)), out=last)
        else:
            np.add(stocks, np.multiply(anrechnung[sl, None], base.plaetze, out=last), out=last)
        n_arr = zugaenge[sl]
        soll = np.multiply(key, (last.sum(axis=1) + n_arr)[:, None], out=buf.get("soll", shape))
        ein = base.einwohner * pf if pf is not None else np.broadcast_to(base.einwohner, shape)
        w_ein = ein if pf is not None else base.einwohner
        cap = sweep_bounds(model, soll, ein, n_arr, ids[sl])
        part, q, after = metrics(base, last, soll, n_arr, ein, w_ein, cap, buf=buf)
        if keep:
            quote[sl], load[sl] = q, after  # type: ignore[index]
        if stats is not None:
            stats.add_rows(q, after, base.baseline_load)
        for name, values in part.items():
            cols.setdefault(name, []).append(values)
    frame = pd.DataFrame({name: np.concatenate(parts) for name, parts in cols.items()})
    return BatchResult(pd.concat([sc.reset_index(drop=True), frame], axis=1), quote, load)


def evaluate_single(base: Base, model: SweepModel, row: pd.Series, pop_factor: np.ndarray | None = None,
                    stock_factor: np.ndarray | None = None) -> dict:
    """One scenario through the ordinary single-scenario code (compute_key, water_level, compare metrics)."""
    g = base.gemeinden.copy()
    if pop_factor is not None:
        g["einwohner"] = base.einwohner * pop_factor

    def key_of(kd: SweepKey, weights: dict[str, float], factor: float) -> np.ndarray:
        return compute_key(g, kd.spec(weights, factor))["schluessel"].to_numpy()

    key = key_of(model.a, {w: float(row[w]) for w in model.a.weights}, float(row["kappung"]))
    if model.b is not None:
        key = float(row["alpha"]) * key + (1 - float(row["alpha"])) * key_of(model.b, model.b.weights, np.nan)
    stocks = base.stock(model.bestand)
    if stock_factor is not None:
        stocks = stocks * stock_factor
    last = stocks + float(row["anrechnung"]) * base.plaetze
    n_arr = float(row["zugaenge"])
    soll = key * (last.sum() + n_arr)
    lvl = water_level(last, soll, n_arr)
    level, after = lvl.level, last + lvl.allocation
    if model.staffelung is not None:
        cap = sweep_bounds(model, soll[None, :], g["einwohner"].to_numpy(dtype=float)[None, :],
                           np.array([n_arr]), np.array([row.get("szenario", 0)]))
        lv, alloc = capped_levels(last[None, :], soll[None, :], np.array([n_arr]), cap)
        level, after = float(lv[0]), last + alloc[0]
    ein = g["einwohner"].to_numpy(dtype=float)
    quote = pd.Series(after / soll * 100)
    per = after / ein * 1000
    return {"quote_min": quote.min(), "quote_p10": quote.quantile(0.1), "quote_median": quote.median(),
            "quote_p90": quote.quantile(0.9), "quote_max": quote.max(),
            "gini_last_je_einwohner": weighted_gini(per, ein), "vk_last_je_einwohner": weighted_cv(per, ein),
            "wasserstand": level * 100, "quote": quote.to_numpy(), "key": key}


# ---------------------------------------------------------------- streaming per-Gemeinde aggregates

def quota_bin(quote: np.ndarray, out: np.ndarray | None = None, scratch: np.ndarray | None = None) -> np.ndarray:
    """``np.searchsorted(QUOTA_BINS, quote, side="right")`` by arithmetic: the edges are k/4 exactly,
    and 4·q and its floor are exact in binary floating point (NaN goes last, as in searchsorted).
    ``out`` (intp) and ``scratch`` (float64, the shape of ``quote``) avoid allocations."""
    with np.errstate(invalid="ignore", over="ignore"):
        idx = np.multiply(quote, 4.0, out=scratch)
        np.floor(idx, out=idx)
        np.clip(idx, -1.0, len(QUOTA_BINS) - 1.0, out=idx)
    idx += 1.0
    idx[np.isnan(quote)] = len(QUOTA_BINS)
    if out is None:
        return idx.astype(np.intp)
    out[...] = idx
    return out


STATS_FLUSH_ROWS = 4096  # scenario rows whose quota bins are counted together (one bincount)


class GemeindeStats:
    """Per Gemeinde across all scenarios, in bounded memory: quota histogram, counters.

    Chunks add their rows (`add_rows`); their bins wait in a small buffer and are counted
    together, because one bincount over the whole n × bins table costs as much as a few
    thousand rows. A batch's counts are saved sparse (`sparse`, `from_sparse`): a Gemeinde's
    quota spans a few hundred of the 2,002 cells."""

    def __init__(self, n: int):
        self.hist = np.zeros((n, len(QUOTA_BINS) + 1), dtype=np.int64)
        self.over_100 = np.zeros(n, dtype=np.int64)
        self.relieved = np.zeros(n, dtype=np.int64)
        self.count = 0
        self._pending: np.ndarray | None = None
        self._scratch: np.ndarray | None = None
        self._filled = 0

    def add(self, batch: BatchResult, baseline_load: np.ndarray) -> None:
        assert batch.quote is not None and batch.load is not None, "a batch evaluated with keep=True"
        self.add_rows(batch.quote, batch.load, baseline_load)

    def add_rows(self, quote: np.ndarray, load: np.ndarray, baseline_load: np.ndarray) -> None:
        """Count S × n quotas and loads (the arrays may be reused after the call)."""
        r, n = quote.shape
        if self._pending is None:
            self._pending = np.empty((max(STATS_FLUSH_ROWS, r), n), dtype=np.intp)
        if self._filled + r > len(self._pending):
            self.flush()
        if r > len(self._pending):
            self._pending = np.empty((r, n), dtype=np.intp)
        block = self._pending[self._filled : self._filled + r]
        if self._scratch is None or self._scratch.shape[0] < r:
            self._scratch = np.empty((r, n))
        quota_bin(quote, block, self._scratch[:r])
        block += np.arange(n) * self.hist.shape[1]  # flat cell index: one bincount for all Gemeinden
        self._filled += r
        self.over_100 += (quote > 100 + 1e-9).sum(axis=0)
        self.relieved += (load < baseline_load - 1e-9).sum(axis=0)
        self.count += r

    def flush(self) -> None:
        """Count the buffered bins into the histogram."""
        if self._filled:
            assert self._pending is not None
            flat = self._pending[: self._filled].ravel()
            self.hist += np.bincount(flat, minlength=self.hist.size).reshape(self.hist.shape)
            self._filled = 0

    def merge(self, other: GemeindeStats) -> None:
        other.flush()
        self.hist += other.hist
        self.over_100 += other.over_100
        self.relieved += other.relieved
        self.count += other.count

    def sparse(self) -> dict[str, np.ndarray]:
        """The counts as arrays for a batch file: the histogram's non-empty cells only."""
        self.flush()
        cells = np.flatnonzero(self.hist)
        return {"hist_zellen": cells.astype(np.int32), "hist_anzahl": self.hist.ravel()[cells],
                "over_100": self.over_100, "relieved": self.relieved, "count": np.int64(self.count)}

    def add_sparse(self, data) -> None:
        """Add a batch's saved counts (`sparse`)."""
        self.flush()
        self.hist.ravel()[data["hist_zellen"]] += data["hist_anzahl"]
        self.over_100 += data["over_100"]
        self.relieved += data["relieved"]
        self.count += int(data["count"])

    def quantile(self, q: float) -> np.ndarray:
        self.flush()
        cum = np.cumsum(self.hist, axis=1)
        pos = np.argmax(cum >= q * self.count, axis=1)
        edges = np.concatenate([[QUOTA_BINS[0]], QUOTA_BINS])  # right edge of each histogram cell
        return edges[np.minimum(pos, len(edges) - 1)]

    def table(self, base: Base) -> pd.DataFrame:
        g = base.gemeinden
        return pd.DataFrame({
            "ags": g["ags"], "gemeinde": g["gemeinde"], "gemeinde_typ": g["gemeinde_typ"],
            "quote_p05": self.quantile(0.05), "quote_p50": self.quantile(0.5), "quote_p95": self.quantile(0.95),
            "anteil_ueber_100": self.over_100 / max(1, self.count),
            "anteil_entlastet": self.relieved / max(1, self.count),
        })
