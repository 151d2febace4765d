"""Constrained path: capacities, minimums, blocks and fixed households, solved with PuLP.

1. Level: the continuous optimum under the bounds (`water_level` with lower/upper): every
   Gemeinde is raised towards a common fulfilment s unless its bounds stop it. This is the
   lexicographic optimum of the LP "raise the lowest fulfilment" (tests check it against the
   PuLP LP max t).
2. Integer max-min t*: the largest lowest fulfilment an integer allocation can reach. For single
   persons the bounded greedy (minimums first, full Gemeinden skipped, lowest r next) is exact
   for this separable problem (`bounded_greedy_level`, checked against the MILP in the tests).
   For households: y[i, c] = households of size class c sent to Gemeinde i (never one binary per
   household × Gemeinde), maximise t with last_i + x_i ≥ t·soll_i; proving optimality can take
   long (symmetric size classes), so this stage stops after a fixed number of branch-and-bound
   nodes (deterministic, unlike a wall-clock limit) and the summary says whether t* was proven.
3. Integer model with t ≥ t* from stage 2: minimise the shortfall below the level in fulfilment terms:
   Σ w_i·(d_i + 1000·e_i) / soll_i, where d_i < one (largest) household is the shortfall of
   Gemeinde i below its continuous target and e_i anything beyond, so the lowest fulfilment stays
   within one household of the level. For single persons this forces every Gemeinde to the floor
   or ceiling of its target, and the cheapest choice of ceilings is exactly "lowest quota first",
   so the solver reaches the reference path's lowest fulfilment. (A hard max-shortfall variable made HiGHS time out
   on the NRW instance; this two-tier form solves in well under a second.) Tie-break: w_i =
   1 + 1e-6·(n − rank_i)/n, so a shortfall costs slightly more for Gemeinden earlier in the
   reference order (lowest r, larger obligation, smaller AGS) and equal-cost solutions resolve
   in the officers' order; the model is built in AGS order and HiGHS runs single-threaded.
4. Households are placed into the chosen slots in the reference order (`place_households`).
"""

from __future__ import annotations

import heapq
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pulp

from verteilung.errors import InfeasibleError, SolverError
from verteilung.solve.greedy import TIE_DIGITS, priority
from verteilung.solve.waterfill import water_level

BEYOND_ONE_HOUSEHOLD = 1000.0
MAX_MIN_NODES = 500
TIE_BREAK = 1e-6


@dataclass
class SolverResult:
    slots: np.ndarray        # (n, classes) households per Gemeinde and size class
    level: float
    target: np.ndarray
    solver: str
    seconds: float
    max_min: float = float("nan")
    max_min_bewiesen: bool = True


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """HiGHS prints its banner from C++ straight to file descriptor 1; keep stdout clean for JSON/CSV."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def solver_name(solver: str) -> str:
    if solver == "highs":
        from importlib.metadata import version

        return f"HiGHS {version('highspy')} via PuLP {pulp.__version__}"
    return f"CBC via PuLP {pulp.__version__}"


def _make_solver(solver: str, time_limit: float, max_nodes: int | None = None):
    if solver == "highs":
        extra = {"mip_max_nodes": max_nodes} if max_nodes else {}
        return pulp.HiGHS(msg=False, timeLimit=time_limit, threads=1, **extra)
    if solver == "cbc":
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1, maxNodes=max_nodes)
    raise ValueError(f"unknown solver {solver!r}")


def reference_rank(last: np.ndarray, soll: np.ndarray, ags_rank: np.ndarray) -> np.ndarray:
    """Position of each Gemeinde in the officers' order (lowest r, larger obligation, smaller AGS)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(soll > 0, np.round(last / soll, TIE_DIGITS), np.inf)
    order = np.lexsort((ags_rank, np.round(-(soll - last), 9), r))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _persons(y: dict, i: int, sizes: list[int]):
    return pulp.lpSum(sizes[c] * y[i, c] for c in range(len(sizes)))


def _base_model(name: str, sense: int, idx: np.ndarray, sizes: list[int], counts: list[int],
                lower: np.ndarray, upper: np.ndarray) -> tuple[pulp.LpProblem, dict]:
    prob = pulp.LpProblem(name, sense)
    y = {(i, c): prob.add_variable(f"y_{i}_{c}", lowBound=0, cat=pulp.LpInteger)
         for i in idx for c in range(len(sizes))}
    for c, count in enumerate(counts):
        prob += pulp.lpSum(y[i, c] for i in idx) == count, f"klasse_{c}"
    for i in idx:
        if lower[i] > 0:
            prob += _persons(y, i, sizes) >= float(lower[i]), f"min_{i}"
        if np.isfinite(upper[i]):
            prob += _persons(y, i, sizes) <= float(upper[i]), f"max_{i}"
    return prob, y


def _run(prob: pulp.LpProblem, solver: str, time_limit: float, max_nodes: int | None = None) -> bool:
    """Solve; True if proven optimal, False if a node limit stopped it with a feasible solution."""
    with quiet_stdout():
        prob.solve(_make_solver(solver, time_limit, max_nodes))
    if prob.sol_status == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
        raise InfeasibleError("the solver proved that no allocation meets all constraints: the household "
                              "sizes cannot be fitted into the capacities and minimums given")
    if prob.sol_status == pulp.LpSolutionIntegerFeasible:
        if max_nodes:
            return False
        raise SolverError(f"time limit of {time_limit:g} s reached before the solver proved its solution "
                          "optimal; raise --zeitlimit")
    if prob.sol_status != pulp.LpSolutionOptimal:
        raise SolverError(f"solver stopped without a solution ({pulp.LpStatus[prob.status]}, "
                          f"time limit {time_limit:g} s); raise --zeitlimit or check the constraints")
    return True


def max_min_milp(last: np.ndarray, soll: np.ndarray, idx: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 sizes: list[int], counts: list[int], solver: str = "highs", time_limit: float = 60.0,
                 max_nodes: int | None = MAX_MIN_NODES) -> tuple[float, bool]:
    prob, y = _base_model("max_min", pulp.LpMaximize, idx, sizes, counts, lower, upper)
    t = prob.add_variable("t")
    prob += t
    for i in idx:
        prob += float(last[i]) + _persons(y, i, sizes) >= t * float(soll[i]), f"niveau_{i}"
    proven = _run(prob, solver, time_limit, max_nodes)
    return float(t.value()), proven


def bounded_greedy_level(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, lower: np.ndarray,
                         upper: np.ndarray, persons: int, ags_rank: np.ndarray) -> float:
    """Exact integer max-min for single persons under box bounds."""
    current = np.asarray(last, dtype=float) + np.where(eligible, lower, 0)
    room = np.where(eligible, upper - lower, 0)
    heap = [priority(current[i], soll[i], int(ags_rank[i]), int(i)) for i in np.flatnonzero(eligible & (room > 0))]
    heapq.heapify(heap)
    for _ in range(persons - int(np.where(eligible, lower, 0).sum())):
        *_, i = heapq.heappop(heap)
        current[i] += 1
        room[i] -= 1
        if room[i] > 0:
            heapq.heappush(heap, priority(current[i], soll[i], int(ags_rank[i]), i))
    return float(np.min(current[eligible] / soll[eligible]))


def solve(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, lower: np.ndarray, upper: np.ndarray,
          sizes: list[int], counts: list[int], ags_rank: np.ndarray, solver: str = "highs",
          time_limit: float = 60.0) -> SolverResult:
    started = time.perf_counter()
    n_free = int(sum(s * c for s, c in zip(sizes, counts, strict=True)))
    lvl = water_level(last, soll, n_free, eligible, lower, upper)
    idx = np.flatnonzero(eligible & (soll > 0))
    rank = reference_rank(last, soll, ags_rank)

    # stage 2: integer max-min
    if sizes == [1]:
        t_star, proven = bounded_greedy_level(last, soll, eligible, lower, upper, n_free, ags_rank), True
    else:
        t_star, proven = max_min_milp(last, soll, idx, lower, upper, sizes, counts, solver, time_limit)

    # stage 3: shortfall below the continuous targets, keeping everybody at or above t*
    prob, y = _base_model("zuweisung", pulp.LpMinimize, idx, sizes, counts, lower, upper)
    one_household = float(max(sizes)) - 1e-6
    d = {i: prob.add_variable(f"d_{i}", lowBound=0, upBound=one_household) for i in idx}
    e = {i: prob.add_variable(f"e_{i}", lowBound=0) for i in idx}
    weight = 1.0 + TIE_BREAK * (len(last) - rank) / len(last)
    prob += pulp.lpSum((d[i] + BEYOND_ONE_HOUSEHOLD * e[i]) * (weight[i] / soll[i]) for i in idx)
    for i in idx:
        persons = _persons(y, i, sizes)
        prob += d[i] + e[i] >= float(lvl.allocation[i]) - persons, f"fehl_{i}"
        prob += float(last[i]) + persons >= t_star * float(soll[i]) - 1e-7 * float(soll[i]), f"niveau_{i}"
    _run(prob, solver, time_limit)
    seconds = time.perf_counter() - started
    slots = np.zeros((len(last), len(sizes)), dtype=np.int64)
    for (i, c), var in y.items():
        slots[i, c] = round(var.value() or 0)
    return SolverResult(slots, lvl.level, lvl.allocation, solver_name(solver), seconds, t_star, proven)


def place_households(slots: np.ndarray, sizes: list[int], hh_sizes: np.ndarray, order: np.ndarray,
                     last: np.ndarray, soll: np.ndarray, ags_rank: np.ndarray) -> np.ndarray:
    """Gemeinde index per household: in reference order, to the lowest-r Gemeinde with a free slot."""
    current = np.asarray(last, dtype=float).copy()
    remaining = slots.copy()
    target = np.full(len(hh_sizes), -1, dtype=np.int64)
    class_of = {s: c for c, s in enumerate(sizes)}
    heaps: dict[int, list] = {}
    for h in order:
        c = class_of[int(hh_sizes[h])]
        if c not in heaps:
            heaps[c] = [priority(current[i], soll[i], int(ags_rank[i]), int(i))
                        for i in np.flatnonzero(remaining[:, c] > 0)]
            heapq.heapify(heaps[c])
        # classes come one after another (largest first), so a class's heap is built when it
        # starts and no entry in it can be stale
        _, _, _, i = heapq.heappop(heaps[c])
        target[h] = i
        current[i] += hh_sizes[h]
        remaining[i, c] -= 1
        if remaining[i, c] > 0:
            heapq.heappush(heaps[c], priority(current[i], soll[i], int(ags_rank[i]), int(i)))
    return target

