"""Allocate one period's arrivals within one system: reference path or constrained solver path.

Targets use the total after the arrivals: Soll nach Zuweisung_i = key_i · (T + N). The quota before
allocation is measured against the Soll (Stichtag) key_i · T, as `status` publishes it; the quota
after allocation against the Soll nach Zuweisung (GLOSSAR.md). The order of allocation is the same
either way: the two Solls differ by one factor for all Gemeinden. The reference path
("lowest Erfüllungsquote first") is used unless a capacity or minimum binds, i.e. unless its
result breaks one; blocks and fixed households are handled by both paths.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from verteilung.errors import InfeasibleError, InputError, Problem
from verteilung.law.key import Schritt
from verteilung.solve import greedy
from verteilung.solve.waterfill import water_level
from verteilung.staffelung import Staffelung, haushalte_je_woche, personen_je_woche
from verteilung.status import SystemState, quote
from verteilung.status import erfuellungsquote as quote_vorher

Pfad = Literal["auto", "referenz", "solver"]


@dataclass
class Allocation:
    table: pd.DataFrame
    households: pd.DataFrame | None
    summary: dict
    soll: np.ndarray
    last: np.ndarray
    zuweisung: np.ndarray
    eligible: np.ndarray
    r_before_last: np.ndarray = field(default_factory=lambda: np.array([]))
    chosen: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool))
    seconds: float = 0.0
    # Staffelung: the bound of each period (rows: periods, inf = none) and, for weekly periods,
    # each week's own allocation (in week order); empty without pacing
    obergrenze: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    wochen: list[Allocation] = field(default_factory=list)
    # the bounds and rules the allocation was decided under (for its step records, `entscheidungen`)
    grenzen: Grenzen | None = None


@dataclass
class Grenzen:
    """What an allocation read besides the Soll, per Gemeinde (AGS order): its step records derive
    from these and the result, so `explain` names the bound that decided a Gemeinde's count."""

    fest: np.ndarray           # persons in households fixed to the Gemeinde (ags_fest)
    mindest: np.ndarray        # min_zuweisung of the constraints file (0: none)
    hoechst: np.ndarray        # max_zuweisung of the constraints file (inf: none)
    gesperrt: np.ndarray       # gesperrt in the constraints file
    sperre: np.ndarray         # excluded by the model's rules or the constraints file
    sperrgruende: dict[str, str]   # the model rule's reason by AGS (German)
    niveau: float              # water level reached (fraction of Soll nach Zuweisung); nan: none
    staffelung: np.ndarray     # pacing bound of the period (nan: none); weekly: the bound reached, if any
    haushalte: np.ndarray | None   # free households placed per Gemeinde (None: single persons)
    wochen: int = 1            # weekly pacing: ``staffelung`` is a week's bound


def _bounds(constraints: pd.DataFrame | None, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if constraints is None:
        return np.zeros(n), np.full(n, np.inf), np.zeros(n, dtype=bool)
    upper = constraints["max_zuweisung"].to_numpy(dtype=float)
    upper = np.where(np.isnan(upper), np.inf, upper)
    return constraints["min_zuweisung"].to_numpy(dtype=float), upper, constraints["gesperrt"].to_numpy(dtype=bool)


Column = np.ndarray | pd.api.extensions.ExtensionArray


def _column(frame: pd.DataFrame, name: str) -> Column:
    """A column's values as the frame stores them (read only), without a Series: pandas copies the
    frame's attrs deeply into every Series (~25 µs a column of the Gemeinden, 1 µs this way)."""
    loc = frame.columns.get_loc(name)
    if isinstance(loc, int) and hasattr(frame, "_get_column_array"):
        return frame._get_column_array(loc)
    return frame[name].array  # pragma: no cover - a pandas without the accessor


def _values(column: Column, dtype: type | None = None) -> np.ndarray:
    """The column as a numpy array (Python objects for strings), as ``Series.to_numpy`` gives it."""
    if isinstance(column, np.ndarray):
        return column if dtype is None else column.astype(dtype, copy=False)
    return column.to_numpy() if dtype is None else column.to_numpy(dtype=dtype)


_ARROW_TAKE: tuple | None = None  # Arrow's take function and its options, made once


def _take(column: Column, positions: np.ndarray) -> Column:
    """``column.take(positions)`` for positions inside the column. Arrow strings are taken by Arrow
    itself and wrapped as pandas wraps its own results (`_from_pyarrow_array`): pandas' take of the
    chunked array costs twice the take of its one chunk after a Python loop has cooled the caches
    (two columns of 1.088 households: ~130 µs against ~70 µs; called through the function itself,
    without Arrow's per-call wrapper, ~45 µs). Anything else: pandas' take."""
    wrap = getattr(column, "_from_pyarrow_array", None)
    if wrap is None or not isinstance(column, pd.arrays.ArrowStringArray) or \
            (positions.size and positions.min() < 0):
        return column.take(positions)
    global _ARROW_TAKE
    if _ARROW_TAKE is None:  # Arrow is loaded with the Arrow strings already; its wrapper builds both per call
        import pyarrow.compute as pc

        _ARROW_TAKE = (pc.get_function("take"), pc.TakeOptions(boundscheck=True))
    take, options = _ARROW_TAKE
    arrow = column.__arrow_array__()
    # one chunk (the usual case): its own take, half the cost of the chunked array's when cold
    return wrap(take.call([arrow.chunk(0) if arrow.num_chunks == 1 else arrow, positions], options))


def _in_ags_order(state: SystemState, constraints: pd.DataFrame | None
                  ) -> tuple[SystemState, pd.DataFrame | None, Column, np.ndarray]:
    """Row order must not matter: the solver model is always built in AGS order (and a Gemeinde's
    position is then its AGS rank, the heap's last tie-break). Also returns the AGS column as
    stored and as numpy values."""
    column = _column(state.gemeinden, "ags")
    ags, ascending = _ags_values(column)
    if ascending:  # the usual case: checked in one pass, no sort
        return state, constraints, column, ags
    order = np.argsort(ags, kind="stable")
    pick = lambda a: None if a is None else np.asarray(a)[order]  # noqa: E731
    sorted_state = SystemState(state.name, state.gemeinden.iloc[order].reset_index(drop=True),
                               pick(state.schluessel), pick(state.bestand), pick(state.anrechnung),
                               pick(state.verrechnung), pick(state.gesperrt), state.info)
    if constraints is not None:
        constraints = constraints.set_index("ags").loc[sorted_state.gemeinden["ags"]].reset_index()
    return sorted_state, constraints, _column(sorted_state.gemeinden, "ags"), ags[order]


_AGS_SEEN: dict[int, tuple[object, np.ndarray, bool]] = {}  # by id of an immutable Arrow array, held
_AGS_LOCK = threading.Lock()


def _ags_values(column: Column) -> tuple[np.ndarray, bool]:
    """The AGS as numpy values and whether they ascend. A column held by Arrow is immutable (pandas
    replaces its Arrow array on assignment), so its conversion to Python strings (~15 µs for 396)
    and the check are done once per array and handed out read only; a numpy column is its own
    values and is checked every call."""
    arrow = column.__arrow_array__() if isinstance(column, pd.arrays.ArrowStringArray) else None
    if arrow is None:
        values = _values(column)
        return values, _ascending(values)
    seen = _AGS_SEEN.get(id(arrow))
    if seen is None or seen[0] is not arrow:
        values = _values(column)
        values.flags.writeable = False
        seen = (arrow, values, _ascending(values))
        with _AGS_LOCK:  # the app's compute threads miss at once (review r56: eviction raced)
            if len(_AGS_SEEN) >= 8:  # a few Gemeinden tables per process: keep the newest
                _AGS_SEEN.pop(next(iter(_AGS_SEEN)))
            _AGS_SEEN[id(arrow)] = seen
    return seen[1], seen[2]


def _ascending(values: np.ndarray) -> bool:
    """Whether a stable sort would leave ``values`` as they are (non-decreasing)."""
    try:
        return bool(np.all(values[1:] >= values[:-1]))
    except TypeError:  # mixed types: the sort decides (and refuses what it cannot order)
        return False


def precheck(names: np.ndarray, ags: np.ndarray, eligible: np.ndarray, fixed: np.ndarray, lower: np.ndarray,
             upper: np.ndarray, blocked: np.ndarray, free_sizes: np.ndarray, fixed_blocked: list[str]) -> None:
    """Refuse what cannot work before any solver runs, saying why."""
    _precheck(names, ags, eligible, fixed, lower, upper, blocked, float(free_sizes.sum()),
              int(free_sizes.max()) if free_sizes.size else 0, fixed_blocked)


def _precheck(names: np.ndarray, ags: np.ndarray, eligible: np.ndarray, fixed: np.ndarray, lower: np.ndarray,
              upper: np.ndarray, blocked: np.ndarray, n_free: float, largest: int, fixed_blocked: list[str],
              gruende: dict[str, str] | None = None) -> None:
    """``gruende`` names, by AGS, why a system rule excludes a Gemeinde (`model.sperre`); a Gemeinde
    without one is blocked by the constraints file."""
    gruende = gruende or {}
    reasons = []
    for a in fixed_blocked:
        reasons.append(f"Haushalt {a}")
    for i in np.flatnonzero(lower > upper):
        reasons.append(f"{names[i]} (AGS {ags[i]}): Mindestzuweisung {lower[i]:g} ist größer als die "
                       f"Höchstzuweisung {upper[i]:g}")
    for i in np.flatnonzero(blocked & (lower > 0)):
        why = gruende.get(str(ags[i]))
        if why is None:
            reasons.append(f"{names[i]} (AGS {ags[i]}) ist in den Beschränkungen gesperrt, hat dort aber die "
                           f"Mindestzuweisung {lower[i]:g}")
        else:
            reasons.append(f"{names[i]} (AGS {ags[i]}) {why}; die Mindestzuweisung {lower[i]:g} ist nicht "
                           "erfüllbar (eine Ausnahme, z. B. Familienzusammenführung, als Haushalt mit ags_fest "
                           "zuweisen)")
    for i in np.flatnonzero(~eligible & ~blocked & (lower - fixed > 0)):
        reasons.append(f"{names[i]} (AGS {ags[i]}) hat kein Soll, aber die Mindestzuweisung {lower[i]:g}")
    for i in np.flatnonzero(fixed > upper):
        reasons.append(f"{names[i]} (AGS {ags[i]}): fest zugewiesene Haushalte bringen {fixed[i]:g} Personen, "
                       f"die Höchstzuweisung ist {upper[i]:g}")
    room = np.where(eligible, np.maximum(0, upper - fixed), 0)
    need = np.where(eligible, np.maximum(0, lower - fixed), 0)
    if n_free > room.sum():
        reasons.append(f"{n_free:g} Personen sind zuzuweisen, die aufnehmenden Gemeinden haben aber nur noch "
                       f"{room.sum():g} Plätze")
    if need.sum() > n_free:
        reasons.append(f"die Mindestzuweisungen brauchen {need.sum():g} Personen, es kommen aber nur {n_free:g}")
    if largest and room.max(initial=0) < largest:
        reasons.append(f"ein Haushalt mit {largest} Personen passt in keine Gemeinde mehr (Höchstzuweisungen)")
    if n_free > 0 and not eligible.any():
        reasons.append("keine Gemeinde darf jemanden aufnehmen (alle gesperrt oder ohne Soll)")
    if reasons:
        raise InfeasibleError("Zuweisung nicht möglich: " + "; ".join(reasons))


def _pacing_reasons(names: np.ndarray, ags: np.ndarray, eligible: np.ndarray, fixed: np.ndarray, cap: np.ndarray,
                    upper: np.ndarray, n_free: int, largest: int, smallest: int, units: int,
                    min_gemeinden: int) -> tuple[list[str], int]:
    """Why a paced period cannot work (German, shown as is), and the spread it must reach."""
    reasons = []
    for i in np.flatnonzero(eligible & (fixed > cap)):
        reasons.append(f"{names[i]} (AGS {ags[i]}): feste Haushalte bringen {fixed[i]:g} Personen, "
                       f"die Staffelung erlaubt {cap[i]:g}")
    room = np.where(eligible, np.maximum(0, upper - fixed), 0)
    if n_free > room.sum():
        reasons.append(f"{n_free} Personen kommen an, die Obergrenzen der Staffelung erlauben zusammen "
                       f"nur {room.sum():g}")
    elif largest and room.max(initial=0) < largest:
        reasons.append(f"ein Haushalt mit {largest} Personen überschreitet jede Obergrenze der Staffelung "
                       f"(höchste: {room.max(initial=0):g})")
    receivers = int((eligible & (fixed > 0)).sum())
    spread = min(int(min_gemeinden), units + receivers)
    possible = int((eligible & ((fixed > 0) | (room >= max(smallest, 1)))).sum())
    if spread > possible:
        reasons.append(f"mindestens {spread} empfangende Gemeinden verlangt (min_gemeinden), aber nur "
                       f"{possible} Gemeinden dürfen in dieser Periode jemanden aufnehmen")
    return reasons, spread


def _paced_reference(base: np.ndarray, soll: np.ndarray, eligible: np.ndarray, free_sizes: np.ndarray,
                     n_free: int, persons_only: bool, ags_rank: np.ndarray, room: np.ndarray, spread: int,
                     received: np.ndarray) -> greedy.GreedyResult | None:
    """"Lowest fulfilment first" among the Gemeinden still under their bound; None if stuck."""
    if persons_only:
        res = greedy.person_counts(base, soll, eligible, n_free, ags_rank,
                                   upper=room if np.isfinite(room).any() else None)
        if res is not None and int(((res.zuweisung > 0) | received).sum()) >= spread:
            return res
        return greedy.assign_capped(base, soll, eligible, np.ones(n_free, dtype=np.int64), ags_rank, room,
                                    spread, received)
    return greedy.assign_capped(base, soll, eligible, free_sizes, ags_rank, room, spread, received)


def allocate(state: SystemState, personen: int | None = None, haushalte: pd.DataFrame | None = None,
             beschraenkungen: pd.DataFrame | None = None, solver: str = "highs", pfad: Pfad = "auto",
             zeitlimit: float = 60.0, *, milp: bool = False, staffelung: Staffelung | None = None) -> Allocation:
    """One period's allocation. ``milp`` forces the integer models on the constrained path (for
    comparisons); by default that path first tries the exact decomposition (`lp.solve`).

    ``staffelung`` adds pacing rules (`verteilung.staffelung`): per-Gemeinde bounds per period,
    weekly periods, minimum spread. None (the default) is today's allocation, byte for byte.
    """
    if staffelung is None:
        return _allocate_period(state, personen, haushalte, beschraenkungen, solver, pfad, zeitlimit, milp)
    if staffelung.wochen == 1:
        return _allocate_period(state, personen, haushalte, beschraenkungen, solver, pfad, zeitlimit, milp,
                                staffelung)
    return _allocate_weeks(state, personen, haushalte, beschraenkungen, solver, pfad, zeitlimit, milp, staffelung)


@dataclass
class _Period:
    """One period's arrivals and bounds, validated: what both paths (reference, solver) read."""

    state: SystemState
    ags: np.ndarray
    ags_col: Column            # the frame's own columns, for the output tables
    names: Column
    ags_rank: np.ndarray
    persons_only: bool
    hh_ids: Column | None
    hh_sizes: np.ndarray
    hh_fixed: np.ndarray       # position of each household's fixed Gemeinde (-1: free)
    is_fixed: np.ndarray       # hh_fixed >= 0
    n_persons: int
    lower: np.ndarray
    upper: np.ndarray          # constraints file's maximum, tightened by the pacing bound
    upper_file: np.ndarray     # the constraints file's maximum alone (inf: none)
    gesperrt: np.ndarray       # blocked by the constraints file
    soll: np.ndarray
    last: np.ndarray
    eligible: np.ndarray
    fixed: np.ndarray          # persons of fixed households per Gemeinde
    order: np.ndarray          # free households, in placing order
    free_sizes: np.ndarray
    n_free: int
    cap: np.ndarray | None     # pacing bound (Staffelung), None without pacing
    spread: int

    @property
    def base(self) -> np.ndarray:
        return self.last + self.fixed


@dataclass
class _Solution:
    """Where the free arrivals went and how: the reference path or the solver's answer."""

    target: np.ndarray         # Gemeinde position of each household (persons only: empty)
    free_zuweisung: np.ndarray | None
    path: str
    level: float
    continuous: np.ndarray
    r_before: np.ndarray
    integer_max_min: float
    binds: bool
    use_solver: bool


def _refuse_bad_arrivals(personen: int | None, haushalte: pd.DataFrame | None) -> None:
    """Exactly one of a person count (≥ 0) or a household table."""
    if (personen is None) == (haushalte is None):
        raise InputError(Problem("Zugänge", "entweder eine Zahl von Personen oder eine Haushaltsdatei angeben"))
    if haushalte is None and (personen is None or personen < 0):
        raise InputError(Problem("--personen", "muss eine ganze Zahl ≥ 0 sein"))


def _arrivals(personen: int | None, haushalte: pd.DataFrame | None,
              ags: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, int]:
    """Household ids, sizes, fixed positions and the person count; refuses neither-nor and both."""
    _refuse_bad_arrivals(personen, haushalte)
    if haushalte is None:
        assert personen is not None
        # single persons have no identity: no per-person arrays (10^7 persons stay O(n log n))
        return None, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), int(personen)
    hh_sizes = _values(_column(haushalte, "personen"), np.int64)
    # position of each fixed household's Gemeinde (-1: free; unknown AGS are refused earlier)
    named, fest = _fixed_to(_column(haushalte, "ags_fest"))
    hh_fixed = np.full(len(named), -1, dtype=np.int64)
    if named.any():
        hh_fixed[named] = pd.Index(ags).get_indexer(fest)
    # the ids as the frame holds them (read for messages and the output table only)
    return _column(haushalte, "haushalt_id"), hh_sizes, hh_fixed, int(hh_sizes.sum())


def _fixed_to(column: Column) -> tuple[np.ndarray, np.ndarray]:
    """Where ags_fest names a Gemeinde (neither missing nor blank) and the names there, in one pass
    over plain Python strings (pandas' own comparison costs a tenth of a millisecond per thousand).
    Arrow strings without nulls are read by their offsets (a blank has length 0): no strings are
    made where none is named, the usual case."""
    named = _arrow_nonblank(column)
    if named is not None:
        return named, np.asarray(column, dtype=object)[named] if named.any() else np.empty(0, dtype=object)
    values = np.asarray(column, dtype=object)  # no copy for an object column
    try:
        named = np.asarray(values != "", dtype=bool)
    except TypeError:  # pd.NA in an object column: no truth value
        fest = pd.Series(values, dtype=object)
        named = fest.notna().to_numpy() & (fest != "").to_numpy()
        return named, values[named]
    if named.any():
        named[named] = pd.notna(values[named])  # None and NaN differ from "" but name nothing
    return named, values[named]


def _arrow_nonblank(column: Column) -> np.ndarray | None:
    """Which strings of an Arrow string column (one chunk, no nulls) are not empty, from its offsets
    buffer; None for any other column."""
    if not isinstance(column, pd.arrays.ArrowStringArray):
        return None
    import pyarrow as pa  # loaded with the Arrow strings already

    arrow = column.__arrow_array__()
    if arrow.num_chunks != 1 or arrow.null_count or arrow.type != pa.large_string():
        return None
    chunk = arrow.chunk(0)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64, count=len(chunk) + 1, offset=chunk.offset * 8)
    return offsets[1:] != offsets[:-1]


def _period(state: SystemState, ags_column: Column, ags: np.ndarray, personen: int | None,
            haushalte: pd.DataFrame | None, beschraenkungen: pd.DataFrame | None,
            staffelung: Staffelung | None) -> _Period:
    """Arrivals, bounds and pacing of one period, every refusal (`precheck`) made before solving.
    The state comes in AGS order (`_in_ags_order`: ``ags_column``, ``ags``): a Gemeinde's rank is its
    position."""
    g = state.gemeinden
    n = len(g)
    ags_col, names = ags_column, _column(g, "gemeinde")
    ags_rank = np.arange(n)
    hh_ids, hh_sizes, hh_fixed, n_persons = _arrivals(personen, haushalte, ags)
    persons_only = hh_ids is None
    lower, upper, gesperrt = _bounds(beschraenkungen, n)
    blocked = gesperrt | state.gesperrt
    soll = state.schluessel * (state.total + n_persons)
    last = state.last.astype(float)
    eligible = ~blocked & (soll > 0)

    fixed = np.zeros(n)
    is_fixed = hh_fixed >= 0
    any_fixed = bool(is_fixed.any())
    if any_fixed:
        np.add.at(fixed, hh_fixed[is_fixed], hh_sizes[is_fixed])
    # A Sperre in the constraints file refuses a fixed household; a model's rule (no open obligation,
    # sperre_wenn) only steers the free arrivals: a household the officer placed goes where placed.
    fixed_blocked = [f"{hh_ids[h]} ist fest {names[hh_fixed[h]]} (AGS {ags[hh_fixed[h]]}) zugewiesen, "
                     "die Gemeinde ist aber in den Beschränkungen gesperrt"
                     for h in np.flatnonzero(is_fixed) if gesperrt[hh_fixed[h]]] if any_fixed else []
    if any_fixed:
        free = np.flatnonzero(~is_fixed)
        order = free[greedy.household_order(hh_sizes[free])]
    else:
        order = greedy.household_order(hh_sizes)
    free_sizes = hh_sizes[order]
    n_free = n_persons if persons_only else int(free_sizes.sum())
    largest = (1 if n_free else 0) if persons_only else (int(free_sizes.max()) if free_sizes.size else 0)
    cap = None
    spread = 0
    upper_file = upper
    if staffelung is not None:
        einwohner = g["einwohner"].to_numpy(dtype=float) if "einwohner" in g.columns else None
        cap = staffelung.obergrenze(soll, einwohner)
        units = n_free if persons_only else len(free_sizes)
        smallest = (1 if n_free else 0) if persons_only else (int(free_sizes.min()) if free_sizes.size else 0)
        reasons, spread = _pacing_reasons(names, ags, eligible, fixed, cap, np.minimum(upper, cap), n_free,
                                          largest, smallest, units, staffelung.min_gemeinden)
        if reasons:
            raise InfeasibleError("Staffelung nicht erfüllbar: " + "; ".join(reasons))
        upper = np.minimum(upper, cap)
    rule_only = {a: w for a, w in state.info.get("sperrgruende", {}).items()}
    for i in np.flatnonzero(gesperrt):  # the constraints file's own Sperre is the cause named first
        rule_only.pop(str(ags[i]), None)
    # without a constraints file or pacing (bounds 0 and ∞, no Sperre of the file) only "nobody may
    # receive" can fail: the checks run when bounds are given or nobody is eligible
    if beschraenkungen is not None or staffelung is not None or not eligible.any():
        _precheck(names, ags, eligible, fixed, lower, upper, blocked, float(n_free), largest, fixed_blocked,
                  rule_only)
    return _Period(state, ags, ags_col, names, ags_rank, persons_only, hh_ids, hh_sizes, hh_fixed, is_fixed,
                   n_persons, lower, upper, upper_file, gesperrt, soll, last, eligible, fixed, order, free_sizes,
                   n_free, cap, spread)


def _solve(p: _Period, solver: str, pfad: Pfad, zeitlimit: float, milp: bool,
           started: float | None = None) -> _Solution:
    """The reference path ("lowest fulfilment first"); the solver when a bound breaks it (or asked).
    ``started`` is when the allocation began: the solver gets what is left of ``zeitlimit``."""
    started = time.perf_counter() if started is None else started
    n = len(p.ags)
    base, soll, eligible, upper, fixed = p.base, p.soll, p.eligible, p.upper, p.fixed
    if p.cap is not None:
        ref = _paced_reference(base, soll, eligible, p.free_sizes, p.n_free, p.persons_only, p.ags_rank,
                               np.maximum(0, upper - fixed), p.spread, eligible & (fixed > 0))
    elif p.persons_only:
        ref = greedy.person_counts(base, soll, eligible, p.n_free, p.ags_rank) or \
            greedy.assign_units(base, soll, eligible, np.ones(p.n_free, dtype=np.int64), p.ags_rank)
    else:
        ref = greedy.assign_households(base, soll, eligible, p.free_sizes, p.ags_rank)
    stuck = ref is None  # paced: a household fits under no remaining bound, or the spread fails
    if stuck:
        ref = greedy.GreedyResult(np.zeros(n, dtype=np.int64), np.full(len(p.free_sizes), -1, dtype=np.int64),
                                  np.full(n, np.nan))
    total = ref.zuweisung + fixed
    # without a constraints file or pacing the bounds are 0 and ∞: nothing can bind
    bounded = p.cap is not None or np.isfinite(upper).any() or p.lower.any()
    binds = stuck or bool(bounded and (np.any(total > upper + 1e-9) or np.any(total < p.lower - 1e-9)))
    use_solver = pfad == "solver" or (pfad == "auto" and binds)
    if pfad == "referenz" and binds:
        raise InfeasibleError("das Referenzverfahren verletzt eine Höchst- oder Mindestzuweisung; "
                              "mit --pfad solver oder auto rechnen")
    target = np.full(len(p.hh_sizes), -1, dtype=np.int64)
    target[p.is_fixed] = p.hh_fixed[p.is_fixed]
    free_zuweisung = None
    if use_solver:
        from verteilung.solve import lp  # PuLP is imported only when the solver path runs

        free_sizes, order = p.free_sizes, p.order
        if p.persons_only:
            sizes, counts = [1], [p.n_free]
        else:
            sizes = sorted({int(v) for v in free_sizes}, reverse=True) or [1]
            counts = [int((free_sizes == v).sum()) for v in sizes]
        # the limit bounds the whole allocation: what this call has spent so far is taken off
        res = lp.solve(base, soll, eligible, np.maximum(0, p.lower - fixed), np.maximum(0, upper - fixed), sizes,
                       counts, p.ags_rank, solver, max(zeitlimit - (time.perf_counter() - started), 1e-3), milp=milp)
        if p.persons_only:
            free_zuweisung = res.slots[:, 0].astype(np.int64)
        else:
            target[order] = lp.place_households(res.slots, sizes, p.hh_sizes, order, base, soll, p.ags_rank)[order]
        path = res.solver
        integer_max_min = res.max_min
        if res.hinweis:
            path += f" ({res.hinweis}; {'optimal bewiesen' if res.bewiesen else 'Optimalität nicht bewiesen'})"
        elif not res.max_min_bewiesen:
            path += f" (Max-Min-Stufe nach {lp.MAX_MIN_NODES} Knoten beendet, Optimalität nicht bewiesen)"
        level = res.level
        continuous = res.target
        r_before = np.full(n, np.nan)
    else:
        if p.persons_only:
            free_zuweisung = ref.zuweisung
        else:
            target[p.order] = ref.unit_target
        integer_max_min = float("nan")
        path = "Referenzverfahren (niedrigste Erfüllungsquote zuerst)"
        if eligible.any():
            # paced: the continuous optimum under the bounds
            wl = water_level(base, soll, float(p.n_free), eligible,
                             upper=None if p.cap is None else np.maximum(0, upper - fixed))
            level, continuous = wl.level, wl.allocation
        else:  # nobody has a Soll (empty state, no arrivals): nothing to level
            level, continuous = float("nan"), np.zeros(n)
        r_before = ref.r_before_last
    return _Solution(target, free_zuweisung, path, level, continuous, r_before, integer_max_min, binds, use_solver)


def _allocate_period(state: SystemState, personen: int | None, haushalte: pd.DataFrame | None,
                     beschraenkungen: pd.DataFrame | None, solver: str, pfad: Pfad, zeitlimit: float,
                     milp: bool, staffelung: Staffelung | None = None) -> Allocation:
    started = time.perf_counter()
    state, beschraenkungen, ags_column, ags = _in_ags_order(state, beschraenkungen)
    p = _period(state, ags_column, ags, personen, haushalte, beschraenkungen, staffelung)
    sol = _solve(p, solver, pfad, zeitlimit, milp, started)
    return _result(p, sol, haushalte, staffelung, started)


def _result(p: _Period, sol: _Solution, haushalte: pd.DataFrame | None, staffelung: Staffelung | None,
            started: float) -> Allocation:
    """Table, households and summary of one period from its solution."""
    state, g = p.state, p.state.gemeinden
    n = len(g)
    soll, last, eligible, cap, target, hh_sizes = p.soll, p.last, p.eligible, p.cap, sol.target, p.hh_sizes
    if p.persons_only:
        assert sol.free_zuweisung is not None
        zuweisung = sol.free_zuweisung
        chosen = zuweisung > 0
    else:
        zuweisung = np.bincount(target, weights=hh_sizes, minlength=n).astype(np.int64) if len(target) else \
            np.zeros(n, dtype=np.int64)
        chosen = np.zeros(n, dtype=bool)
        chosen[target[~p.is_fixed]] = True
    soll_stichtag = state.schluessel * state.total
    vorher = quote_vorher(last, soll_stichtag)
    nachher = quote(last + zuweisung, soll)
    # the frame's own string arrays, not numpy object copies: no re-conversion per row; the frames
    # are built from arrays of their own (`_frame`): what they share with the inputs is copied here
    ags_col, name_col = p.ags_col, p.names
    table = _frame({
        "ags": ags_col.copy(), "gemeinde": name_col.copy(),
        "soll_stichtag": soll_stichtag, "soll_nach_zuweisung": soll.copy(),
        "bestand": state.bestand.astype(np.int64), "anrechnung": np.array(state.anrechnung),
        "zuweisung": zuweisung.copy(),
        "erfuellungsquote_vorher": vorher, "erfuellungsquote_nachher": np.round(nachher, 4),
    }, n)
    if np.any(state.verrechnung):
        table.insert(5, "verrechnung", state.verrechnung)
    households = None
    if p.hh_ids is not None:
        assert haushalte is not None
        households = _frame({"haushalt_id": p.hh_ids.copy(), "personen": hh_sizes.copy(),
                             "ags": _take(ags_col, target), "gemeinde": _take(name_col, target),
                             "fest": p.is_fixed.copy()}, len(hh_sizes))
    elig_after = nachher[eligible]
    summary = {
        "system": state.name,
        "personen": p.n_persons,
        "haushalte": len(hh_sizes) if p.hh_ids is not None else None,
        "pfad": sol.path,
        "wasserstand_prozent": sol.level * 100,
        # max-min value of the continuous (LP) optimum: the lowest fulfilment it reaches
        "lp_niveau_prozent": float(np.min(((p.base + sol.continuous) / soll)[eligible]) * 100)
        if eligible.any() else None,
        # solver path: the largest lowest fulfilment any integer allocation reaches (stage 2)
        "ganzzahliges_max_min_prozent": sol.integer_max_min * 100 if sol.use_solver else None,
        # fmin/fmax skip NaN as nanmin/nanmax do, without their Python layer
        "niedrigste_quote_nachher": float(np.fmin.reduce(elig_after)) if elig_after.size else None,
        "hoechste_quote_nachher": float(np.fmax.reduce(elig_after)) if elig_after.size else None,
        "empfangende_gemeinden": int((zuweisung > 0).sum()),
        "beschraenkung_bindet": sol.binds,
    }
    if staffelung is not None:
        assert cap is not None
        if p.spread and int((zuweisung > 0).sum()) < p.spread:
            raise InfeasibleError(f"Staffelung: mindestens {p.spread} empfangende Gemeinden verlangt, "
                                  f"der Solver-Pfad erreicht nur {int((zuweisung > 0).sum())}")
        summary["staffelung"] = staffelung.as_dict()
        summary["staffelung_an_grenze"] = int((np.isfinite(cap) & (zuweisung >= cap)).sum())
        table["obergrenze"] = np.where(np.isfinite(cap), cap, np.nan)
    # wall time stays out of the summary so that files from equal inputs are byte-identical
    return Allocation(table, households, summary, soll, last, zuweisung, eligible, sol.r_before, chosen=chosen,
                      seconds=time.perf_counter() - started,
                      obergrenze=np.empty((0, n)) if cap is None else cap.reshape(1, n),
                      grenzen=Grenzen(p.fixed, p.lower, p.upper_file, p.gesperrt, state.gesperrt.copy(),
                                      dict(state.info.get("sperrgruende", {})), sol.level,
                                      np.full(n, np.nan) if cap is None else np.where(np.isfinite(cap), cap, np.nan),
                                      None if p.hh_ids is None else np.bincount(target[~p.is_fixed], minlength=n)))


_LABELS: dict[tuple[str, ...], pd.Index] = {}  # by labels and the session's string storage


def _frame(columns: dict[str, np.ndarray | pd.api.extensions.ExtensionArray], n: int) -> pd.DataFrame:
    """``pd.DataFrame(columns)`` for arrays of length n that no one else holds (not copied).

    pandas' dict constructor spends half its time (~0,1 ms per frame) inferring the string dtype
    of the column labels; here the label Index is built once per set of names and the frame comes
    from pandas' own constructor for arrays (`DataFrame._from_arrays`, the route of `from_records`)
    with the same checks and conversions. The public constructor if that route is missing."""
    names = tuple(columns)
    key = (*names, pd.get_option("mode.string_storage"))  # the CLI's (`io.python_strings`) or the default
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = pd.Index(list(names))
    arrays = list(columns.values())
    # numbers and typed arrays are stored as they are; object arrays go through pandas' inference
    plain = all(a.dtype.kind in "biuf" if isinstance(a, np.ndarray)
                else not isinstance(a, pd.arrays.NumpyExtensionArray) for a in arrays)
    try:
        return pd.DataFrame._from_arrays(arrays, columns=labels.view(), index=pd.RangeIndex(n),  # type: ignore[attr-defined]
                                         verify_integrity=not plain)
    except (AttributeError, TypeError):  # pragma: no cover - a pandas without the route
        return pd.DataFrame(columns, copy=False)


def _allocate_weeks(state: SystemState, personen: int | None, haushalte: pd.DataFrame | None,
                    beschraenkungen: pd.DataFrame | None, solver: str, pfad: Pfad, zeitlimit: float, milp: bool,
                    staffelung: Staffelung) -> Allocation:
    """A month in ``staffelung.wochen`` weeks: each week one paced period, its assignments added to
    the stock before the next. Capacities (max_zuweisung) hold for the month's total; minimums are
    asked of the last week (what the earlier weeks left open). Every week's pacing is checked
    before the first week is allocated."""
    started = time.perf_counter()
    state, beschraenkungen, _, _ = _in_ags_order(state, beschraenkungen)
    _refuse_bad_arrivals(personen, haushalte)
    k = staffelung.wochen
    n = len(state.gemeinden)
    lower, upper, file_blocked = _bounds(beschraenkungen, n)
    blocked = file_blocked | state.gesperrt
    if haushalte is None:
        parts: list[tuple[int | None, pd.DataFrame | None]] = [(p, None) for p in personen_je_woche(personen, k)]
        week_of = np.empty(0, dtype=np.int64)
    else:
        week_of = haushalte_je_woche(haushalte["personen"].to_numpy(dtype=np.int64), k)
        parts = [(None, haushalte[week_of == w].reset_index(drop=True)) for w in range(k)]
    _check_weeks(state, parts, upper, blocked, staffelung)

    done = np.zeros(n, dtype=np.int64)
    weeks: list[Allocation] = []
    for w, (p, hh) in enumerate(parts):
        week_state = SystemState(state.name, state.gemeinden, state.schluessel, state.bestand + done,
                                 state.anrechnung, state.verrechnung, state.gesperrt, state.info)
        cons = None
        if beschraenkungen is not None:
            cons = beschraenkungen.copy()
            left = upper - done
            cons["max_zuweisung"] = np.where(np.isfinite(left), left, np.nan)
            cons["min_zuweisung"] = np.maximum(0, lower - done) if w == k - 1 else 0.0
        # --zeitlimit bounds the month, not each week: a week gets an equal share of what is left
        # (a week finishing early leaves its rest to the later ones)
        share = max(zeitlimit - (time.perf_counter() - started), 1e-3) / (k - w)
        a = _allocate_period(week_state, p, hh, cons, solver, pfad, share, milp, staffelung)
        weeks.append(a)
        done = done + a.zuweisung
    result = _combine_weeks(state, weeks, haushalte, week_of, blocked, started)
    last_week = weeks[-1].grenzen
    assert last_week is not None
    reached = [np.where(a.zuweisung >= a.obergrenze[0], a.obergrenze[0], np.nan) for a in weeks]
    result.grenzen = Grenzen(
        np.sum([a.grenzen.fest for a in weeks if a.grenzen is not None], axis=0), lower, upper, file_blocked,
        state.gesperrt.copy(), last_week.sperrgruende, last_week.niveau, np.fmin.reduce(reached),
        None if haushalte is None else
        np.sum([a.grenzen.haushalte for a in weeks if a.grenzen is not None], axis=0), wochen=k)
    return result


def _check_weeks(state: SystemState, parts: list[tuple[int | None, pd.DataFrame | None]], upper: np.ndarray,
                 blocked: np.ndarray, staffelung: Staffelung) -> None:
    """Refuse before solving: each week's Soll, and so its bounds, is known in advance."""
    g = state.gemeinden
    n = len(g)
    ags, names = g["ags"].to_numpy(), g["gemeinde"].to_numpy()
    einwohner = g["einwohner"].to_numpy(dtype=float) if "einwohner" in g.columns else None
    reasons = []
    so_far = 0
    for w, (p, hh) in enumerate(parts):
        if hh is None:
            n_w, sizes, fixed = int(p or 0), np.empty(0, dtype=np.int64), np.zeros(n)
            free_sizes = sizes
        else:
            sizes = hh["personen"].to_numpy(dtype=np.int64)
            named, fest = _fixed_to(_column(hh, "ags_fest"))
            pos = pd.Index(ags).get_indexer(fest)
            fixed = np.zeros(n)
            np.add.at(fixed, pos[pos >= 0], sizes[named][pos >= 0])
            free_sizes = sizes[~named]
            n_w = int(free_sizes.sum())
        so_far += n_w + int(fixed.sum())
        soll_w = state.schluessel * (state.total + so_far)
        cap = staffelung.obergrenze(soll_w, einwohner)
        elig = ~blocked & (soll_w > 0)
        units = n_w if hh is None else len(free_sizes)
        largest = (1 if n_w else 0) if hh is None else (int(free_sizes.max()) if free_sizes.size else 0)
        smallest = (1 if n_w else 0) if hh is None else (int(free_sizes.min()) if free_sizes.size else 0)
        found, _ = _pacing_reasons(names, ags, elig, fixed, cap, np.minimum(upper, cap), n_w, largest, smallest,
                                   units, staffelung.min_gemeinden)
        reasons += [f"Woche {w + 1}: {r}" for r in found]
    if reasons:
        raise InfeasibleError("Staffelung nicht erfüllbar: " + "; ".join(reasons))


def _combine_weeks(state: SystemState, weeks: list[Allocation], haushalte: pd.DataFrame | None,
                   week_of: np.ndarray, blocked: np.ndarray, started: float) -> Allocation:
    """The month's allocation from its weeks: totals, one column per week, households in input order."""
    k, n = len(weeks), len(state.gemeinden)
    done = np.sum([a.zuweisung for a in weeks], axis=0)
    n_persons = int(done.sum())
    soll = state.schluessel * (state.total + n_persons)
    last = state.last.astype(float)
    eligible = ~blocked & (soll > 0)
    vorher, nachher = quote_vorher(last, state.schluessel * state.total), quote(last + done, soll)
    table = weeks[-1].table.drop(columns="obergrenze").copy()
    table["soll_stichtag"] = state.schluessel * state.total
    table["soll_nach_zuweisung"] = soll
    table["bestand"] = state.bestand.astype(np.int64)
    table["zuweisung"] = done
    table["erfuellungsquote_vorher"] = vorher
    table["erfuellungsquote_nachher"] = np.round(nachher, 4)
    for w, a in enumerate(weeks):
        table[f"zuweisung_woche_{w + 1}"] = a.zuweisung
    households = None
    if haushalte is not None:
        households = pd.concat([a.households for a in weeks], ignore_index=True)
        households["woche"] = np.concatenate([np.full(len(a.households), w + 1) for w, a in enumerate(weeks)])
        input_pos = np.concatenate([np.flatnonzero(week_of == w) for w in range(k)])
        households = households.iloc[np.argsort(input_pos, kind="stable")].reset_index(drop=True)
    r_before = np.full(n, np.nan)
    for a in weeks:
        got = a.zuweisung > 0
        r_before[got] = a.r_before_last[got]
    paths = list(dict.fromkeys(a.summary["pfad"] for a in weeks))
    elig_after = nachher[eligible]
    summary = dict(weeks[-1].summary)  # water level and LP level: those of the last week
    summary.update({
        "personen": n_persons,
        "haushalte": len(haushalte) if haushalte is not None else None,
        "pfad": "; ".join(paths),
        "niedrigste_quote_nachher": float(np.nanmin(elig_after)) if elig_after.size else None,
        "hoechste_quote_nachher": float(np.nanmax(elig_after)) if elig_after.size else None,
        "empfangende_gemeinden": int((done > 0).sum()),
        "beschraenkung_bindet": any(a.summary["beschraenkung_bindet"] for a in weeks),
        "staffelung_an_grenze": sum(a.summary["staffelung_an_grenze"] for a in weeks),
        "personen_je_woche": [int(a.zuweisung.sum()) for a in weeks],
    })
    return Allocation(table, households, summary, soll, last, done, eligible, r_before, chosen=done > 0,
                      seconds=time.perf_counter() - started,
                      obergrenze=np.vstack([a.obergrenze for a in weeks]), wochen=weeks)


# --- step records: why each Gemeinde got what it got -------------------------------------------

GRUENDE = {
    "gesperrt": "in den Beschränkungen gesperrt: keine freie Zuweisung",
    "regel": "nach einer Regel des Systems ausgenommen: keine freie Zuweisung",
    "kein_soll": "kein Soll (Schlüssel 0): keine freie Zuweisung",
    "hoechstzahl": "Höchstzuweisung der Beschränkungen erreicht",
    "staffelung": "Obergrenze der Staffelung erreicht",
    "mindestzahl": "Mindestzuweisung der Beschränkungen gesetzt",
    "haushalt": "ein ungeteilter Haushalt hebt die Quote über den Wasserstand",
    "rang": "niedrigste Erfüllungsquote zuerst: aufgefüllt bis zum Wasserstand",
    "kein_rang": "Erfüllungsquote schon am oder über dem Wasserstand: keine freie Zuweisung",
}
"""Why a Gemeinde got its count, by decision code; the first that applies is named (`entscheidungen`)."""


def entscheidungen(a: Allocation) -> pd.DataFrame:
    """One row per Gemeinde: its allocation split into fixed households and free arrivals, and the
    decision that set the count, with the bound that was tight (``grenze``; NaN where none).

    Derived from the allocation's result and the bounds it read (`Grenzen`), never recomputed: the
    order of the codes is the order of `GRUENDE`, so a blocked Gemeinde is named blocked even when
    it also has no Soll, and a bound is named only where the count equals it.
    """
    gr = a.grenzen
    if gr is None:
        raise ValueError("Zuweisung ohne Grenzen (vor dieser Version berechnet)")
    t = a.table
    z = a.zuweisung.astype(np.int64)
    fest = gr.fest.astype(np.int64)
    frei = z - fest
    level = gr.niveau * 100 if np.isfinite(gr.niveau) else np.nan
    vorher = quote(a.last + gr.fest, a.soll)        # with the fixed households, against Soll nach Zuweisung
    nachher = quote(a.last + z, a.soll)
    regel = gr.sperre & ~gr.gesperrt
    cases = [
        ("gesperrt", gr.gesperrt, np.nan),
        ("regel", regel, np.nan),
        ("kein_soll", a.soll <= 0, np.nan),
        ("hoechstzahl", np.isfinite(gr.hoechst) & (z == gr.hoechst), gr.hoechst),
        ("staffelung", np.isfinite(gr.staffelung) & (z >= gr.staffelung), gr.staffelung),
        ("mindestzahl", (gr.mindest > 0) & (z == gr.mindest), gr.mindest),
        ("haushalt", (frei > 0) & (gr.haushalte is not None) & (nachher > level + 1e-9), np.nan),
        ("rang", frei > 0, np.nan),
    ]
    grund = np.full(len(z), "kein_rang", dtype=object)
    grenze = np.full(len(z), np.nan)
    decided = np.zeros(len(z), dtype=bool)
    for code, hit, bound in cases:
        new = np.asarray(hit, dtype=bool) & ~decided
        grund[new] = code
        grenze = np.where(new, bound, grenze)
        decided |= new
    out = pd.DataFrame({"ags": t["ags"].array, "gemeinde": t["gemeinde"].array, "zuweisung": z, "fest": fest,
                        "frei": frei, "erfuellungsquote_vor_zuweisung": vorher,
                        "erfuellungsquote_nachher": nachher, "wasserstand_prozent": level,
                        "grund": grund, "grenze": grenze})
    if gr.haushalte is not None:
        out.insert(5, "haushalte_frei", gr.haushalte.astype(np.int64))
    return out


def zuweisung_schritte(a: Allocation, paragraphen: dict[str, str] | None = None) -> tuple[Schritt, ...]:
    """The allocation as step records (per-Gemeinde arrays, as the key's steps), for `explain`.

    ``paragraphen`` are the system's (`LegalSystem.paragraphen`): ``status`` for the ranking,
    ``haushalt`` for households kept whole.
    """
    from verteilung.vocab import label

    vocab_soll = label("soll_nach_zuweisung")
    para = paragraphen or {}
    rang_para = para.get("status", "")
    e = entscheidungen(a)
    gr = a.grenzen
    assert gr is not None
    texts = gruende_texte(a, e)
    steps = []
    if gr.haushalte is not None:
        steps.append(Schritt("zuweisung_fest", "Fest zugewiesene Haushalte",
                             "Personen in Haushalten mit ags_fest", e["fest"].to_numpy(), para.get("haushalt", ""),
                             "", {}, art="int"))
    last, soll = a.last, a.soll
    steps += [
        Schritt("zuweisung_soll", vocab_soll, "Schlüssel × (T + Zugänge)", soll, rang_para, "", {}, art="genau"),
        Schritt("zuweisung_quote_vorher", "Erfüllungsquote vor Zuweisung",
                "(Bestand + Anrechnung + fest) / Soll nach Zuweisung = ({l:dec1} + {fest:int}) / {s:genau}",
                e["erfuellungsquote_vor_zuweisung"].to_numpy(), rang_para, "",
                {"l": last, "fest": e["fest"].to_numpy(), "s": soll}, art="quote"),
        Schritt("zuweisung_wasserstand", "Wasserstand (bis dahin aufgefüllt, niedrigste Erfüllungsquote zuerst)",
                "", e["wasserstand_prozent"].to_numpy(), rang_para, "docs/recht.md Abschnitt 1.4", {}, art="quote"),
        Schritt("zuweisung_frei", "Zuweisung nach Rang", "", e["frei"].to_numpy(), rang_para, "", {}, art="int"),
    ]
    if gr.haushalte is not None:
        steps.append(Schritt("zuweisung_haushalte", "Freie Haushalte, ungeteilt", "",
                             e["haushalte_frei"].to_numpy(), para.get("haushalt", ""), "", {}, art="int"))
    steps += [
        Schritt("zuweisung", "Zuweisung", "fest {fest:int} + frei {frei:int}", e["zuweisung"].to_numpy(),
                rang_para, "", {"fest": e["fest"].to_numpy(), "frei": e["frei"].to_numpy()}, art="int"),
        Schritt("zuweisung_grund", "Entscheidung", "", np.array(texts, dtype=object), rang_para, "",
                {"grund": e["grund"].to_numpy(), "grenze": e["grenze"].to_numpy()}, art="text"),
        Schritt("zuweisung_quote_nachher", "Erfüllungsquote nach Zuweisung",
                "(Bestand + Anrechnung + Zuweisung) / Soll nach Zuweisung = ({l:dec1} + {z:int}) / {s:genau}",
                e["erfuellungsquote_nachher"].to_numpy(), rang_para, "",
                {"l": last, "z": e["zuweisung"].to_numpy(), "s": soll}, art="quote"),
    ]
    return tuple(steps)


def gruende_texte(a: Allocation, e: pd.DataFrame | None = None) -> list[str]:
    """Each Gemeinde's decision (`entscheidungen`) as the sentence a person reads: the code's text
    with the rule's own reason and the binding bound (`explain --zuweisung` and the run's sheet)."""
    from verteilung.io.deutsch import fmt_dec, fmt_int

    e = entscheidungen(a) if e is None else e
    gr = a.grenzen
    assert gr is not None
    regel_text = [gr.sperrgruende.get(str(ags), GRUENDE["regel"]) for ags in e["ags"]]
    texts = []
    for i, (code, bound) in enumerate(zip(e["grund"], e["grenze"], strict=True)):
        text = GRUENDE[code]
        if code == "regel":
            text = f"ausgenommen: {regel_text[i]}; keine freie Zuweisung"
        elif code == "kein_rang" and e["erfuellungsquote_vor_zuweisung"].iat[i] < e["wasserstand_prozent"].iat[i]:
            text = ("unter dem Wasserstand, kam bei der ganzzahligen Verteilung aber nicht an die Reihe "
                    "(bei gleicher Quote entscheidet der AGS): keine freie Zuweisung")
        elif code in ("hoechstzahl", "mindestzahl", "staffelung"):
            week = " je Woche" if code == "staffelung" and gr.wochen > 1 else ""
            text = f"{text} ({fmt_int(bound) if float(bound).is_integer() else fmt_dec(bound, 2)}{week})"
        texts.append(text)
    return texts


def entscheidungen_tabelle(a: Allocation) -> pd.DataFrame:
    """The decisions as the run files them for the audit trail: one row per Gemeinde with the
    sentence (`gruende_texte`) next to the code, under the glossary's identifiers (``fest`` is a
    household's flag elsewhere, so the counts are ``zuweisung_fest`` and ``zuweisung_frei``)."""
    e = entscheidungen(a)
    out = e.rename(columns={"fest": "zuweisung_fest", "frei": "zuweisung_frei",
                            "erfuellungsquote_vor_zuweisung": "erfuellungsquote_vor_freier_zuweisung"})
    out.insert(out.columns.get_loc("grund"), "entscheidung", gruende_texte(a, e))
    return out
