"""Allocate one period's arrivals within one system: reference path or constrained solver path.

Targets use the total after the arrivals: soll_i = key_i · (T + N). The reference path
("lowest Erfüllungsquote first") is used unless a capacity or minimum binds, i.e. unless its
result breaks one; blocks and fixed households are handled by both paths.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from verteilung.errors import InfeasibleError, InputError, Problem
from verteilung.solve import greedy
from verteilung.solve.waterfill import water_level
from verteilung.status import SystemState, quote

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


def _bounds(constraints: pd.DataFrame | None, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if constraints is None:
        return np.zeros(n), np.full(n, np.inf), np.zeros(n, dtype=bool)
    upper = constraints["max_zuweisung"].to_numpy(dtype=float)
    upper = np.where(np.isnan(upper), np.inf, upper)
    return constraints["min_zuweisung"].to_numpy(dtype=float), upper, constraints["gesperrt"].to_numpy(dtype=bool)


def _in_ags_order(state: SystemState, constraints: pd.DataFrame | None) -> tuple[SystemState, pd.DataFrame | None]:
    """Row order must not matter: the solver model is always built in AGS order."""
    order = np.argsort(state.gemeinden["ags"].to_numpy(), kind="stable")
    if (order == np.arange(len(order))).all():
        return state, constraints
    pick = lambda a: None if a is None else np.asarray(a)[order]  # noqa: E731
    sorted_state = SystemState(state.name, state.gemeinden.iloc[order].reset_index(drop=True),
                               pick(state.schluessel), pick(state.bestand), pick(state.anrechnung),
                               pick(state.verrechnung), pick(state.gesperrt), state.info)
    if constraints is not None:
        constraints = constraints.set_index("ags").loc[sorted_state.gemeinden["ags"]].reset_index()
    return sorted_state, constraints


def precheck(names: np.ndarray, ags: np.ndarray, eligible: np.ndarray, fixed: np.ndarray, lower: np.ndarray,
             upper: np.ndarray, blocked: np.ndarray, free_sizes: np.ndarray, fixed_blocked: list[str]) -> None:
    """Refuse what cannot work before any solver runs, saying why."""
    _precheck(names, ags, eligible, fixed, lower, upper, blocked, float(free_sizes.sum()),
              int(free_sizes.max()) if free_sizes.size else 0, fixed_blocked)


def _precheck(names: np.ndarray, ags: np.ndarray, eligible: np.ndarray, fixed: np.ndarray, lower: np.ndarray,
              upper: np.ndarray, blocked: np.ndarray, n_free: float, largest: int, fixed_blocked: list[str]) -> None:
    reasons = []
    for a in fixed_blocked:
        reasons.append(f"household {a}")
    for i in np.flatnonzero(lower > upper):
        reasons.append(f"{names[i]} (AGS {ags[i]}): min_zuweisung {lower[i]:g} > max_zuweisung {upper[i]:g}")
    for i in np.flatnonzero(blocked & (lower > 0)):
        reasons.append(f"{names[i]} (AGS {ags[i]}) is gesperrt but has min_zuweisung {lower[i]:g}")
    for i in np.flatnonzero(~eligible & ~blocked & (lower - fixed > 0)):
        reasons.append(f"{names[i]} (AGS {ags[i]}) has no Soll but min_zuweisung {lower[i]:g}")
    for i in np.flatnonzero(fixed > upper):
        reasons.append(f"{names[i]} (AGS {ags[i]}): fixed households bring {fixed[i]:g} persons, "
                       f"max_zuweisung is {upper[i]:g}")
    room = np.where(eligible, np.maximum(0, upper - fixed), 0)
    need = np.where(eligible, np.maximum(0, lower - fixed), 0)
    if n_free > room.sum():
        reasons.append(f"{n_free:g} persons to place but the eligible Gemeinden have only {room.sum():g} places left")
    if need.sum() > n_free:
        reasons.append(f"minimums need {need.sum():g} persons but only {n_free:g} arrive")
    if largest and room.max(initial=0) < largest:
        reasons.append(f"a household of {largest} persons fits no Gemeinde's remaining capacity")
    if n_free > 0 and not eligible.any():
        reasons.append("no Gemeinde may receive anyone (all blocked or without Soll)")
    if reasons:
        raise InfeasibleError("allocation infeasible: " + "; ".join(reasons))


def allocate(state: SystemState, personen: int | None = None, haushalte: pd.DataFrame | None = None,
             beschraenkungen: pd.DataFrame | None = None, solver: str = "highs", pfad: Pfad = "auto",
             zeitlimit: float = 60.0, *, milp: bool = False) -> Allocation:
    """One period's allocation. ``milp`` forces the integer models on the constrained path (for
    comparisons); by default that path first tries the exact decomposition (`lp.solve`)."""
    started = time.perf_counter()
    state, beschraenkungen = _in_ags_order(state, beschraenkungen)
    g = state.gemeinden
    n = len(g)
    ags = g["ags"].to_numpy()
    names = g["gemeinde"].to_numpy()
    ags_rank = np.argsort(np.argsort(ags, kind="stable"), kind="stable")
    if (personen is None) == (haushalte is None):
        raise InputError(Problem("arrivals", "give either a number of persons or a household file"))
    persons_only = haushalte is None
    if persons_only:
        if personen is None or personen < 0:
            raise InputError(Problem("--personen", "must be a non-negative whole number"))
        # single persons have no identity: no per-person arrays (10^7 persons stay O(n log n))
        hh_ids = None
        n_persons = int(personen)
        hh_sizes = np.empty(0, dtype=np.int64)
        hh_fixed = np.empty(0, dtype=np.int64)
    else:
        hh_ids = haushalte["haushalt_id"].to_numpy()
        hh_sizes = haushalte["personen"].to_numpy(dtype=np.int64)
        # position of each fixed household's Gemeinde (-1: free; unknown AGS are refused earlier)
        fest = haushalte["ags_fest"]
        named = fest.notna().to_numpy() & (fest != "").to_numpy()
        hh_fixed = np.full(len(fest), -1, dtype=np.int64)
        if named.any():
            hh_fixed[named] = pd.Index(ags).get_indexer(fest[named])
        n_persons = int(hh_sizes.sum())
    total_n = n_persons
    lower, upper, blocked = _bounds(beschraenkungen, n)
    blocked = blocked | state.gesperrt
    soll = state.schluessel * (state.total + total_n)
    last = state.last.astype(float)
    eligible = ~blocked & (soll > 0)

    fixed = np.zeros(n)
    is_fixed = hh_fixed >= 0
    np.add.at(fixed, hh_fixed[is_fixed], hh_sizes[is_fixed])
    fixed_blocked = [f"{hh_ids[h]} is fixed to {names[hh_fixed[h]]} (AGS {ags[hh_fixed[h]]}), which is gesperrt"
                     for h in np.flatnonzero(is_fixed) if blocked[hh_fixed[h]]] if hh_ids is not None else []
    free = np.flatnonzero(~is_fixed)
    order = free[greedy.household_order(hh_sizes[free])]
    free_sizes = hh_sizes[order]
    n_free = n_persons if persons_only else int(free_sizes.sum())
    largest = (1 if n_free else 0) if persons_only else (int(free_sizes.max()) if free_sizes.size else 0)
    _precheck(names, ags, eligible, fixed, lower, upper, blocked, float(n_free), largest, fixed_blocked)

    base = last + fixed
    if persons_only:
        ref = greedy.person_counts(base, soll, eligible, n_free, ags_rank) or \
            greedy.assign_units(base, soll, eligible, np.ones(n_free, dtype=np.int64), ags_rank)
    else:
        ref = greedy.assign_households(base, soll, eligible, free_sizes, ags_rank)
    total = ref.zuweisung + fixed
    binds = bool(np.any(total > upper + 1e-9) or np.any(total < lower - 1e-9))
    use_solver = pfad == "solver" or (pfad == "auto" and binds)
    if pfad == "referenz" and binds:
        raise InfeasibleError("the reference path breaks a capacity or minimum; use the solver path")
    target = np.full(len(hh_sizes), -1, dtype=np.int64)
    target[is_fixed] = hh_fixed[is_fixed]
    if use_solver:
        from verteilung.solve import lp  # PuLP is imported only when the solver path runs

        if persons_only:
            sizes, counts = [1], [n_free]
        else:
            sizes = sorted({int(v) for v in free_sizes}, reverse=True) or [1]
            counts = [int((free_sizes == v).sum()) for v in sizes]
        res = lp.solve(base, soll, eligible, np.maximum(0, lower - fixed), np.maximum(0, upper - fixed), sizes,
                       counts, ags_rank, solver, zeitlimit, milp=milp)
        if persons_only:
            free_zuweisung = res.slots[:, 0].astype(np.int64)
        else:
            target[order] = lp.place_households(res.slots, sizes, hh_sizes, order, base, soll, ags_rank)[order]
        path = res.solver
        integer_max_min = res.max_min
        if res.hinweis:
            path += f" ({res.hinweis}; Optimalität nicht bewiesen)"
        elif not res.max_min_bewiesen:
            path += f" (Max-Min-Stufe nach {lp.MAX_MIN_NODES} Knoten beendet, Optimalität nicht bewiesen)"
        level = res.level
        continuous = res.target
        r_before = np.full(n, np.nan)
    else:
        if persons_only:
            free_zuweisung = ref.zuweisung
        else:
            target[order] = ref.unit_target
        integer_max_min = float("nan")
        path = "Referenzverfahren (niedrigste Erfüllungsquote zuerst)"
        if eligible.any():
            wl = water_level(base, soll, float(n_free), eligible)
            level, continuous = wl.level, wl.allocation
        else:  # nobody has a Soll (empty state, no arrivals): nothing to level
            level, continuous = float("nan"), np.zeros(n)
        r_before = ref.r_before_last
    if persons_only:
        zuweisung = free_zuweisung
        chosen = zuweisung > 0
    else:
        zuweisung = np.bincount(target, weights=hh_sizes, minlength=n).astype(np.int64) if len(target) else \
            np.zeros(n, dtype=np.int64)
        chosen = np.zeros(n, dtype=bool)
        chosen[target[~is_fixed]] = True
    vorher = quote(last, soll)
    nachher = quote(last + zuweisung, soll)
    # the frame's own string arrays, not numpy object copies: no re-conversion per row
    ags_col, name_col = g["ags"].array, g["gemeinde"].array
    table = pd.DataFrame({
        "ags": ags_col, "gemeinde": name_col,
        "soll": soll, "bestand": state.bestand.astype(np.int64), "anrechnung": state.anrechnung,
        "zuweisung": zuweisung,
        "erfuellungsquote_vorher": np.round(vorher, 4), "erfuellungsquote_nachher": np.round(nachher, 4),
    })
    if np.any(state.verrechnung):
        table.insert(5, "verrechnung", state.verrechnung)
    households = None
    if hh_ids is not None:
        households = pd.DataFrame({"haushalt_id": haushalte["haushalt_id"].array, "personen": hh_sizes,
                                   "ags": ags_col.take(target), "gemeinde": name_col.take(target),
                                   "fest": hh_fixed >= 0})
    elig_after = nachher[eligible]
    summary = {
        "system": state.name,
        "personen": total_n,
        "haushalte": len(hh_sizes) if hh_ids is not None else None,
        "pfad": path,
        "wasserstand_prozent": level * 100,
        # max-min value of the continuous (LP) optimum: the lowest fulfilment it reaches
        "lp_niveau_prozent": float(np.min(((base + continuous) / soll)[eligible]) * 100) if eligible.any() else None,
        # solver path: the largest lowest fulfilment any integer allocation reaches (stage 2)
        "ganzzahliges_max_min_prozent": integer_max_min * 100 if use_solver else None,
        "niedrigste_quote_nachher": float(np.nanmin(elig_after)) if elig_after.size else None,
        "hoechste_quote_nachher": float(np.nanmax(elig_after)) if elig_after.size else None,
        "empfangende_gemeinden": int((zuweisung > 0).sum()),
        "beschraenkung_bindet": binds,
    }
    # wall time stays out of the summary so that files from equal inputs are byte-identical
    return Allocation(table, households, summary, soll, last, zuweisung, eligible, r_before, chosen=chosen,
                      seconds=time.perf_counter() - started)
