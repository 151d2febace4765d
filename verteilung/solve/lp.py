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

Before stages 2–3 run as integer models, `solve` tries the exact route (issue 16): relax the
households to single persons; the bounded greedy gives that relaxation's max-min t_p (an upper
bound) and `shortfall_greedy` its optimal stage 3 (separable convex, one coupling sum: cheapest
marginal units first). If the households pack into exactly those person counts (heuristic, else
a packing model with the counts fixed), both bounds are reached: optimal, proven, no
branch-and-bound. Otherwise the integer models run on an exactly reduced set of Gemeinden
(zero-target Gemeinden beyond one uncapped one cannot matter), with stage 2 bounded by
min(t_p, the (H+1)-th lowest fulfilment for H households) above and a capacity-aware greedy
below (equal bounds: proven without a model). A stage that stops at its limit with a feasible
solution is used and the result says so; a solver without any usable solution raises
SolverError (exit code 4) with a German message of what to change.

Time limit (issue 25): the integer models (packing model, stages 2–3) run in a child process
(`prozess.run_until`) that is killed at the limit; the capacity-aware greedy's answer, or the
one the child reported after stage 2, stands then, with its proven level bound and its proven
shortfall gap (`_shortfall_bound`: stage 3 for whole persons, solved exactly, bounds it below).
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
from verteilung.io.deutsch import fmt_dec, fmt_pct
from verteilung.solve import greedy, prozess
from verteilung.solve.greedy import TIE_DIGITS, priority
from verteilung.solve.waterfill import water_level

BEYOND_ONE_HOUSEHOLD = 1000.0
MAX_MIN_NODES = 500
MIN_STAGE_S = 0.2       # a solver stage given less than this is skipped for the solution at hand
RESERVE_SHARE = 0.03    # of the time limit, kept for reading the last stage's solution back
HANDOVER_FACTOR = 2.0   # PuLP's handover of a model to HiGHS against the time to build it in PuLP (measured 1.7×)
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
    hinweis: str = ""        # said in the result when a stage stopped before proving optimality
    max_min_schranke: float = float("nan")  # proven upper bound of the lowest fulfilment (= max_min if proven)
    fehlbetrag_luecke: float = 0.0          # proven relative gap of the shortfall stage (0: optimal)

    @property
    def bewiesen(self) -> bool:
        """Both integer stages proven optimal (a stopped stage may still have reached its bound)."""
        return self.max_min_bewiesen and self.fehlbetrag_luecke == 0.0


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


# Solvers stop by default at a relative gap of 1e-4 (HiGHS) and call that optimal; the max-min level
# is then up to 1e-4 below the true optimum (hypothesis found 1.04067 against the greedy's exact
# 1.04076 persons level), so the "exact" household allocation was not. Only an exact proof counts.
MIP_ABS_GAP = 1e-9


def _interrupt_at(callback_type: int, message: str, data_out: object, data_in: object, deadline: float) -> None:
    """HiGHS callback: stop at the wall-clock ``deadline`` (HiGHS's own time limit starts counting only
    once PuLP has handed the model over, which takes seconds for large models)."""
    if time.perf_counter() >= deadline:
        data_in.user_interrupt = True  # type: ignore[attr-defined]


def make_solver(solver: str, time_limit: float = 600.0, max_nodes: int | None = None,
                deadline: float | None = None):
    """The one solver configuration of the package, used by every LP and MILP.

    HiGHS starts one thread pool per process with the first solve's thread count and refuses
    ("Not Solved") any later solve asking for a different count; a second configuration anywhere
    (calibrate used the default) broke every later allocation in the same process. ``deadline``
    (``time.perf_counter()`` value) also interrupts HiGHS at that moment.
    """
    if solver == "highs":
        extra = {"mip_max_nodes": max_nodes} if max_nodes else {}
        if deadline is not None:
            import highspy

            kinds = getattr(highspy.cb, "HighsCallbackType", highspy.cb)
            extra |= {"callbackTuple": (_interrupt_at, deadline),
                      "callbacksToActivate": [kinds.kCallbackMipInterrupt, kinds.kCallbackSimplexInterrupt,
                                              kinds.kCallbackIpmInterrupt]}
        return pulp.HiGHS(msg=False, timeLimit=time_limit, threads=1, gapRel=0.0, gapAbs=MIP_ABS_GAP, **extra)
    if solver == "cbc":
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1, maxNodes=max_nodes, gapRel=0.0,
                                 gapAbs=MIP_ABS_GAP)
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
    # no Gemeinde can take more households of a class than the class has or its capacity holds
    y = {(i, c): prob.add_variable(f"y_{i}_{c}", lowBound=0, cat=pulp.LpInteger,
                                   upBound=min(counts[c], int(upper[i] // sizes[c])) if np.isfinite(upper[i])
                                   else counts[c])
         for i in idx for c in range(len(sizes))}
    for c, count in enumerate(counts):
        prob += pulp.lpSum(y[i, c] for i in idx) == count, f"klasse_{c}"
    for i in idx:
        if lower[i] > 0:
            prob += _persons(y, i, sizes) >= float(lower[i]), f"min_{i}"
        if np.isfinite(upper[i]):
            prob += _persons(y, i, sizes) <= float(upper[i]), f"max_{i}"
    return prob, y


def _run(prob: pulp.LpProblem, solver: str, time_limit: float, max_nodes: int | None = None,
         accept_incumbent: bool = False, deadline: float | None = None) -> bool:
    """Solve; True if proven optimal, False if a node limit (or, with ``accept_incumbent``, the time
    limit) stopped it with a feasible solution."""
    try:
        with quiet_stdout():
            prob.solve(make_solver(solver, time_limit, max_nodes, deadline))
    except (pulp.PulpSolverError, MemoryError, OSError) as exc:
        raise SolverError(f"Der Solver ({solver}) ist ohne verwertbare Lösung abgebrochen ({exc}). Abhilfe: "
                          "--zeitlimit erhöhen, --solver wechseln oder Kapazitäten/Mindestwerte lockern.") from exc
    if prob.sol_status == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
        raise InfeasibleError("Der Solver hat bewiesen, dass keine Zuweisung alle Beschränkungen erfüllt: die "
                              "Haushaltsgrößen passen nicht in die angegebenen Höchst- und Mindestzuweisungen")
    if prob.sol_status == pulp.LpSolutionIntegerFeasible and not _feasible_point(prob):
        raise SolverError(f"Der Solver wurde beim Zeitlimit ({fmt_dec(time_limit, 1)} s) ohne zulässige Lösung "
                          "angehalten. Abhilfe: --zeitlimit erhöhen oder Kapazitäten/Mindestwerte lockern.")
    if prob.sol_status == pulp.LpSolutionIntegerFeasible:
        if max_nodes or accept_incumbent:
            return False
        raise SolverError(f"Zeitlimit von {time_limit:g} s erreicht, bevor der Solver die Lösung als optimal "
                          "bewiesen hat. Abhilfe: --zeitlimit erhöhen (z. B. --zeitlimit "
                          f"{max(120, 4 * time_limit):g}) oder Kapazitäten/Mindestwerte lockern.")
    if prob.sol_status != pulp.LpSolutionOptimal:
        raise SolverError(f"Der Solver hat ohne verwertbare Lösung angehalten (Status {pulp.LpStatus[prob.status]}, "
                          f"Zeitlimit {time_limit:g} s). Abhilfe: --zeitlimit erhöhen oder Kapazitäten/"
                          "Mindestwerte prüfen und lockern.")
    return True


def _feasible_point(prob: pulp.LpProblem) -> bool:
    """False when HiGHS stopped (time, interrupt) holding no feasible integer solution: its values
    are then a relaxation's and must not be read as an allocation."""
    model = getattr(prob, "solverModel", None)
    if model is None or not hasattr(model, "getInfo"):
        return True  # CBC: PuLP reports integer-feasible only with a solution
    return int(model.getInfo().primal_solution_status) == 2  # kSolutionStatusFeasible


def dual_bound(prob: pulp.LpProblem) -> float:
    """HiGHS's proven bound on the objective after a stop (NaN when the solver does not say)."""
    model = getattr(prob, "solverModel", None)
    try:
        value = float(model.getInfo().mip_dual_bound)  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError):
        return float("nan")
    return value if np.isfinite(value) else float("nan")


def _time_note(stage: str, budget: float) -> str:
    left = f"{fmt_dec(budget, 1)} s übrig" if budget > 0 else "keine Zeit übrig"
    return f"{stage} nicht mehr gerechnet: Zeitlimit erreicht ({left})"


def max_min_milp(last: np.ndarray, soll: np.ndarray, idx: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 sizes: list[int], counts: list[int], solver: str = "highs", time_limit: float = 60.0,
                 max_nodes: int | None = MAX_MIN_NODES, upper_bound: float | None = None,
                 lower_bound: float | None = None) -> tuple[float, bool]:
    """Stage 2 for households; the bounds (persons max-min above, a feasible level below) cut the search."""
    t, proven, _, _ = _max_min(last, soll, idx, lower, upper, sizes, counts, solver, time_limit, max_nodes,
                               upper_bound, lower_bound)
    return t, proven


def _max_min(last: np.ndarray, soll: np.ndarray, idx: np.ndarray, lower: np.ndarray, upper: np.ndarray,
             sizes: list[int], counts: list[int], solver: str, time_limit: float, max_nodes: int | None,
             upper_bound: float | None, lower_bound: float | None,
             deadline: float | None = None) -> tuple[float, bool, np.ndarray, float]:
    """Stage 2 model: level, proven?, the households per Gemeinde and class, and the proven upper
    bound of the level (the level itself when proven; HiGHS's dual bound after a stop)."""
    prob, y = _base_model("max_min", pulp.LpMaximize, idx, sizes, counts, lower, upper)
    t = prob.add_variable("t", lowBound=None if lower_bound is None else float(lower_bound) - 1e-9,
                          upBound=None if upper_bound is None else float(upper_bound) + 1e-9)
    prob += t
    for i in idx:
        prob += float(last[i]) + _persons(y, i, sizes) >= t * float(soll[i]), f"niveau_{i}"
    proven = _run(prob, solver, time_limit, max_nodes, deadline=deadline)
    value = float(t.value())
    bound = value if proven else dual_bound(prob)
    return value, proven, _slots(y, len(last), len(sizes)), bound


def _shortfall_cost(x: np.ndarray, target: np.ndarray, idx: np.ndarray, soll: np.ndarray, weight: np.ndarray,
                    one_household: float) -> float:
    short = np.maximum(target[idx] - x[idx], 0)
    d = np.minimum(short, one_household)
    return float(((d + BEYOND_ONE_HOUSEHOLD * (short - d)) * weight[idx] / soll[idx]).sum())


def _slots(y: dict, n: int, classes: int) -> np.ndarray:
    slots = np.zeros((n, classes), dtype=np.int64)
    for (i, c), var in y.items():
        slots[i, c] = round(var.value() or 0)
    return slots


def capacity_greedy(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, lower: np.ndarray,
                    upper: np.ndarray, sizes: list[int], counts: list[int], ags_rank: np.ndarray) -> np.ndarray | None:
    """The reference rule with capacities: largest class first, each household to the lowest r
    among the Gemeinden it still fits. A feasible allocation (a lower bound for stage 2) or None
    (a household fits nowhere, or a minimum is missed)."""
    cur = np.asarray(last, dtype=float).tolist()
    s = np.asarray(soll, dtype=float).tolist()
    room = np.where(eligible, upper, 0).tolist()
    rank = np.asarray(ags_rank).tolist()
    slots = np.zeros((len(cur), len(sizes)), dtype=np.int64)
    r12, r9 = greedy._round12, greedy._round9
    for c, (size, count) in enumerate(zip(sizes, counts, strict=True)):
        heap = [(r12(cur[i] / s[i]), r9(-(s[i] - cur[i])), rank[i], i) for i in range(len(cur)) if room[i] >= size]
        heapq.heapify(heap)
        for _ in range(count):
            if not heap:
                return None
            _, _, rk, i = heapq.heappop(heap)
            slots[i, c] += 1
            cur[i] += size
            room[i] -= size
            if room[i] >= size:
                heapq.heappush(heap, (r12(cur[i] / s[i]), r9(-(s[i] - cur[i])), rk, i))
    persons = slots @ np.asarray(sizes)
    if np.any(np.where(eligible, lower, 0) > persons):
        return None
    return slots


def _bounded_greedy(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                    persons: int, ags_rank: np.ndarray) -> tuple[float, np.ndarray]:
    """Minimums first, then one person at a time to the lowest r (full Gemeinden skipped).

    Returns the lowest fulfilment reached and the persons per Gemeinde. Uses the exact
    O(n log n) form of the heap (`greedy.person_counts`); the heap itself only if that declines.
    """
    base = np.asarray(last, dtype=float) + np.where(eligible, lower, 0)
    room = np.where(eligible, upper - lower, 0)
    extra = persons - int(np.where(eligible, lower, 0).sum())
    open_ = eligible & (room > 0)
    res = greedy.person_counts(base, soll, open_, extra, ags_rank, upper=room) if open_.any() else None
    if res is not None or extra == 0:
        counts = res.zuweisung if res is not None else np.zeros(len(base), dtype=np.int64)
        current = greedy.accumulate(base, counts)
    else:
        current = base.copy()
        heap = [priority(current[i], soll[i], int(ags_rank[i]), int(i)) for i in np.flatnonzero(open_)]
        heapq.heapify(heap)
        for _ in range(extra):
            *_, i = heapq.heappop(heap)
            current[i] += 1
            room[i] -= 1
            if room[i] > 0:
                heapq.heappush(heap, priority(current[i], soll[i], int(ags_rank[i]), i))
        counts = np.rint(current - base).astype(np.int64)
    x = np.where(eligible, lower, 0).astype(np.int64) + counts
    return float(np.min(current[eligible] / soll[eligible])), x


def bounded_greedy_level(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, lower: np.ndarray,
                         upper: np.ndarray, persons: int, ags_rank: np.ndarray) -> float:
    """Exact integer max-min for single persons under box bounds."""
    return _bounded_greedy(last, soll, eligible, lower, upper, persons, ags_rank)[0]


def shortfall_greedy(last: np.ndarray, soll: np.ndarray, idx: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                     target: np.ndarray, need: np.ndarray, persons: int, one_household: float,
                     weight: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Stage 3 for whole persons, exactly: minimise Σ w_i·(d_i + 1000·e_i)/soll_i.

    The cost of Gemeinde i is convex and piecewise linear in its persons x_i (slope −1000·w/soll
    more than one household below the target, −w/soll within one household, 0 above it), the
    only coupling is Σ x = persons, so taking the cheapest marginal units first is optimal
    (separable convex resource allocation). Units are grouped in blocks of equal marginal cost;
    ties go to the earlier Gemeinde in the reference order. Returns x (0 outside ``idx``).
    """
    n = len(last)
    x = np.zeros(n, dtype=np.int64)
    x[idx] = need[idx]
    rest = persons - int(need[idx].sum())
    if rest <= 0:
        return x
    T, lo, up = target[idx], need[idx].astype(float), upper[idx]
    a = weight[idx] / soll[idx]
    D = one_household

    def cost(v: np.ndarray) -> np.ndarray:
        z = np.maximum(T_b - v, 0)
        return a_b * (np.minimum(z, D) + BEYOND_ONE_HOUSEHOLD * np.maximum(z - D, 0))

    # far block: whole units more than one household below the target
    far_end = np.clip(np.floor(T - D - 1) + 1, lo, up)          # first unit not entirely far
    near_end = np.clip(np.ceil(T), far_end, up)                  # first unit at or above the target
    blocks_i = [np.arange(idx.size)]
    blocks_n = [far_end - lo]
    blocks_d = [-BEYOND_ONE_HOUSEHOLD * a]
    blocks_x = [lo]
    width = (near_end - far_end).astype(np.int64)
    rep = np.repeat(np.arange(idx.size), width)
    start = np.cumsum(width) - width
    xs = far_end[rep] + (np.arange(rep.size) - start[rep])
    T_b, a_b = T[rep], a[rep]
    blocks_i.append(rep)
    blocks_n.append(np.ones(rep.size))
    blocks_d.append(cost(xs + 1) - cost(xs))
    blocks_x.append(xs)
    blocks_i.append(np.arange(idx.size))                          # free units above the target
    blocks_n.append(np.minimum(up - near_end, rest))
    blocks_d.append(np.zeros(idx.size))
    blocks_x.append(near_end)
    bi, bn, bd, bx = (np.concatenate(v) for v in (blocks_i, blocks_n, blocks_d, blocks_x))
    keep = bn > 0
    bi, bn, bd, bx = bi[keep], bn[keep], bd[keep], bx[keep]
    order = np.lexsort((bx, rank[idx][bi], bd))
    bi, bn = bi[order], bn[order]
    before = np.cumsum(bn) - bn
    take = np.clip(rest - before, 0, bn).astype(np.int64)
    x[idx] += np.bincount(bi, weights=take, minlength=idx.size).astype(np.int64)
    return x


def pack_households(x: np.ndarray, sizes: list[int], counts: list[int], ags_rank: np.ndarray) -> np.ndarray | None:
    """Household classes per Gemeinde with exactly x_i persons each, or None if this heuristic fails.

    Largest classes first, each household to the Gemeinde with the most room left (ties: smaller
    AGS); single persons fill what remains. Which households share a Gemeinde does not change
    anybody's fulfilment: x is already decided.
    """
    n = len(x)
    slots = np.zeros((n, len(sizes)), dtype=np.int64)
    room = x.astype(np.int64).tolist()
    rank = np.asarray(ags_rank).tolist()
    heap = [(-room[i], rank[i], i) for i in range(n) if room[i] > 0]
    heapq.heapify(heap)
    single = None
    for c, (size, count) in enumerate(zip(sizes, counts, strict=True)):
        if size == 1:
            single = c
            continue
        placed = [0] * n
        for _ in range(count):
            if not heap or -heap[0][0] < size:
                return None
            r, rk, i = heapq.heappop(heap)
            room[i] = -r - size
            placed[i] += 1
            if room[i] > 0:
                heapq.heappush(heap, (-room[i], rk, i))
        slots[:, c] = placed
    left = np.array(room, dtype=np.int64)
    if single is None:
        return slots if not left.any() else None
    if left.sum() != counts[single]:
        return None
    slots[:, single] = left
    return slots


def fixed_persons_packing(x: np.ndarray, idx: np.ndarray, sizes: list[int], counts: list[int], solver: str,
                          time_limit: float, deadline: float | None = None) -> np.ndarray | None:
    """The same as `pack_households` with an integer model (x fixed): None if no packing exists
    (or none is found within the time limit: the caller then goes on to the full models)."""
    if int((x[idx] > 0).sum()) > sum(counts):
        return None   # every receiving Gemeinde needs a household of its own
    prob = pulp.LpProblem("packung", pulp.LpMinimize)
    y = {(i, c): prob.add_variable(f"y_{i}_{c}", lowBound=0, upBound=int(x[i]) // sizes[c], cat=pulp.LpInteger)
         for i in idx for c in range(len(sizes)) if x[i] >= sizes[c]}
    prob += pulp.lpSum([])
    for c, count in enumerate(counts):
        prob += pulp.lpSum(v for (i, cc), v in y.items() if cc == c) == count, f"klasse_{c}"
    for i in idx:
        prob += pulp.lpSum(sizes[c] * y[i, c] for c in range(len(sizes)) if (i, c) in y) == int(x[i]), f"x_{i}"
    try:
        _run(prob, solver, time_limit, deadline=deadline)
    except (InfeasibleError, SolverError):
        return None
    slots = np.zeros((len(x), len(sizes)), dtype=np.int64)
    for (i, c), var in y.items():
        slots[i, c] = round(var.value() or 0)
    return slots


EXACT_LABEL = ("Exakte Zerlegung ohne MILP (Max-Min und Fehlbetrag erreichen die Schranke der "
               "Personen-Relaxation: optimal bewiesen)")
KILL_MARGIN_SHARE = 0.02  # of the time limit, left after stopping the child (placing households, tables)
KILL_MARGIN_MAX_S = 0.3


@dataclass
class _Job:
    """What the integer stages need, computed in the calling process and sent to the child as is."""

    last: np.ndarray
    soll: np.ndarray
    eligible: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    sizes: list[int]
    counts: list[int]
    ags_rank: np.ndarray
    solver: str
    time_limit: float
    ende: float                  # time.monotonic() at which the child is stopped
    level: float                 # continuous water level and its targets (stage 1)
    target: np.ndarray
    idx_full: np.ndarray         # eligible Gemeinden with a Soll
    idx: np.ndarray              # the exactly reduced set the integer models are built on
    rank: np.ndarray
    weight: np.ndarray
    one_household: float
    t_p: float                   # persons max-min: an upper bound of the household max-min
    t_lb: float | None           # level of the capacity-aware greedy (a feasible level)
    t_ub: float
    heur: np.ndarray | None      # the capacity-aware greedy's households per Gemeinde and class
    persons: np.ndarray | None   # the exact route's persons per Gemeinde when only its packing failed


def _shortfall_bound(job: _Job, t: float) -> float:
    """A proven lower bound of stage 3's objective at level t: the same stage for whole persons
    (households relaxed), solved exactly by `shortfall_greedy`. NaN if the relaxation is empty."""
    n_free = int(sum(s * c for s, c in zip(job.sizes, job.counts, strict=True)))
    need = np.ceil(t * job.soll * (1 - 1e-7) - job.last - 1e-9)
    need = np.where(job.eligible, np.maximum(need, job.lower), 0)
    need = np.clip(np.minimum(need, job.upper), 0, None).astype(np.int64)
    if int(need[job.idx_full].sum()) > n_free:
        return float("nan")
    x = shortfall_greedy(job.last, job.soll, job.idx_full, job.lower, job.upper, job.target, need, n_free,
                         job.one_household, job.weight, job.rank)
    return _shortfall_cost(x, job.target, job.idx_full, job.soll, job.weight, job.one_household)


def _fallback_gap(job: _Job, slots: np.ndarray, t: float, bound: float = float("nan")) -> float:
    """Proven relative gap of ``slots`` in stage 3 (the larger of the solver's and the relaxation's bound)."""
    relaxed = _shortfall_bound(job, t)
    best = max((b for b in (bound, relaxed) if np.isfinite(b)), default=float("nan"))
    cost = _shortfall_cost(slots @ np.asarray(job.sizes), job.target, job.idx_full, job.soll, job.weight,
                           job.one_household)
    gap = _relative_gap(cost, best)
    return 0.0 if gap <= 1e-9 else gap  # float noise of an allocation that reaches the bound


def _gap_text(gap: float) -> str:
    if not np.isfinite(gap):
        return "bewiesene Lücke zum optimalen Fehlbetrag unbekannt (nicht bewiesen)"
    if gap <= 1e-9:
        return "Fehlbetrag dennoch optimal (erreicht die Schranke der Personen-Relaxation)"
    return f"bewiesene Lücke zum optimalen Fehlbetrag höchstens {fmt_pct(gap * 100, 2)}"


def _level_note(t_star: float, t_bound: float) -> str:
    return (f"niedrigste Erfüllungsquote {fmt_pct(t_star * 100, 4)} erreicht, bewiesene Obergrenze "
            f"{fmt_pct(t_bound * 100, 4)} (Lücke höchstens {fmt_dec((t_bound - t_star) * 100, 4)} Prozentpunkte)")


def _greedy_result(job: _Job) -> SolverResult | None:
    """What stands when the integer stages deliver nothing within the limit: the capacity-aware
    greedy (for single persons the exact route's optimum), with what is proven about it."""
    if job.sizes == [1] and job.persons is not None:
        slots, t_star, proven, from_ = job.persons.reshape(-1, 1), job.t_p, True, "exakte Zerlegung"
    elif job.heur is not None and job.t_lb is not None:
        slots, t_star, from_ = job.heur, job.t_lb, "kapazitätsbewusste Zuweisung"
        proven = job.t_lb >= job.t_ub - 1e-12
    else:
        return None
    notes = []
    if not proven:
        notes += ["Max-Min-Stufe beim Zeitlimit abgebrochen: Niveau der kapazitätsbewussten Zuweisung verwendet",
                  _level_note(t_star, job.t_ub)]
    gap = _fallback_gap(job, slots, t_star)
    notes.append(f"Fehlbetragsstufe beim Zeitlimit abgebrochen: {from_} verwendet, Fehlbetrag nicht minimiert, "
                 + _gap_text(gap))
    return SolverResult(slots, job.level, job.target, solver_name(job.solver), 0.0, t_star, proven,
                        hinweis="; ".join(notes), max_min_schranke=t_star if proven else job.t_ub,
                        fehlbetrag_luecke=gap)


# long: the staged solver (exact route, then the integer stages in a child) shares one time budget
def solve(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, lower: np.ndarray, upper: np.ndarray,
          sizes: list[int], counts: list[int], ags_rank: np.ndarray, solver: str = "highs",
          time_limit: float = 60.0, milp: bool = False) -> SolverResult:
    """Constrained allocation. Unless ``milp`` forces the integer models, first the exact route:

    relax households to single persons. The bounded greedy then gives the persons max-min t_p,
    an upper bound for the household max-min, and `shortfall_greedy` the optimal stage 3 for
    persons under t ≥ t_p. If the households can be packed into exactly those person counts
    (heuristic, else an integer packing model with the counts fixed), the household problem
    reaches both bounds: optimal, proven, without branch-and-bound. Otherwise the integer
    models below run, stage 2 bounded above by t_p.

    ``time_limit`` bounds the whole call (wall time): the integer models run in a child process
    (`prozess.run_until`) that reports each stage's answer as it has one and is stopped at the
    limit; the capacity-aware greedy's allocation stands until then. Each stage also gets what is
    left of the limit (stage 2 half), so the child usually ends on its own with the solver's best.
    The result says what is proven: the level's bound (``max_min_schranke``) and the shortfall
    stage's gap (against the solver's bound or the persons relaxation's, whichever is tighter).
    """
    started = time.perf_counter()
    ende = time.monotonic() + time_limit - min(KILL_MARGIN_SHARE * time_limit, KILL_MARGIN_MAX_S)
    n_free = int(sum(s * c for s, c in zip(sizes, counts, strict=True)))
    lvl = water_level(last, soll, n_free, eligible, lower, upper)
    idx = np.flatnonzero(eligible & (soll > 0))
    rank = reference_rank(last, soll, ags_rank)
    weight = 1.0 + TIE_BREAK * (len(last) - rank) / len(last)
    one_household = float(max(sizes)) - 1e-6
    t_p, x_p = _bounded_greedy(last, soll, eligible, lower, upper, n_free, ags_rank)

    x = None
    if not milp or sizes == [1]:
        need = np.ceil(t_p * soll * (1 - 1e-7) - last - 1e-9)
        need = np.minimum(np.maximum(need, np.where(eligible, lower, 0)), x_p).astype(np.int64)
        x = shortfall_greedy(last, soll, idx, lower, upper, lvl.allocation, need, n_free, one_household,
                             weight, rank)
    if not milp:
        slots = x.reshape(-1, 1) if sizes == [1] else pack_households(x, sizes, counts, ags_rank)
        if slots is not None:
            return SolverResult(slots, lvl.level, lvl.allocation, EXACT_LABEL, time.perf_counter() - started, t_p,
                                True, max_min_schranke=t_p)

    # Exact model reduction: a Gemeinde whose continuous target is 0 (no minimum) already lies at or
    # above the level s ≥ t_p ≥ t*, and persons sent there cost nothing in stage 3; one uncapped
    # such Gemeinde can take whatever the others would, so all others can be left out.
    idx_model = idx
    dumps = idx[(lvl.allocation[idx] <= 0) & (lower[idx] <= 0) & ~np.isfinite(upper[idx])]
    if dumps.size:
        keep = (lvl.allocation[idx] > 0) | (lower[idx] > 0)
        idx_model = np.union1d(idx[keep], dumps[np.argmin(rank[dumps])])
    heur = capacity_greedy(last, soll, eligible, lower, upper, sizes, counts, ags_rank)
    t_lb = None if heur is None else float(np.min(((last + heur @ np.asarray(sizes)) / soll)[idx]))
    # upper bound: the persons max-min, and at most H Gemeinden can receive one of the H households,
    # so one of the H + 1 lowest fulfilments stays where it is
    households = int(sum(counts))
    ratios = np.sort(last[idx] / soll[idx])
    t_ub = min(t_p, float(ratios[households])) if households < ratios.size else t_p
    job = _Job(last, soll, eligible, lower, upper, sizes, counts, ags_rank, solver, time_limit, ende, lvl.level,
               lvl.allocation, idx, idx_model, rank, weight, one_household, t_p, t_lb, t_ub, heur, x)
    standing = _greedy_result(job)
    got, final, stopped = prozess.run_until(_integer_stages, (job,), ende)
    res = got if got is not None else standing
    if res is None:
        raise SolverError(f"Innerhalb des Zeitlimits von {fmt_dec(time_limit, 1)} s wurde keine zulässige Zuweisung "
                          "gefunden (die kapazitätsbewusste Zuweisung findet keine, die ganzzahligen Modelle "
                          "wurden beim Zeitlimit angehalten). Abhilfe: --zeitlimit erhöhen oder Kapazitäten/"
                          "Mindestwerte lockern.")
    if not final and not stopped:
        res.hinweis += "; der Rechenprozess der ganzzahligen Modelle endete ohne Ergebnis"
    res.seconds = time.perf_counter() - started
    if res.seconds > time_limit * 1.1:  # never a silent overrun
        res.hinweis = "; ".join(filter(None, [res.hinweis, f"Zeitlimit von {fmt_dec(time_limit, 1)} s um "
                                              f"{fmt_dec(res.seconds - time_limit, 1)} s überschritten"]))
    return res


# long: the integer stages in order, the answer reported between them (budget and best answer in one place)
def _integer_stages(report: prozess.Report, job: _Job) -> None:
    """The integer models (in the child process): the packing model when only the exact route's
    packing failed, stage 2 (max-min) and stage 3 (shortfall). ``report`` gets the answer after
    stage 2 (what stands if stage 3 is stopped) and the final one."""
    deadline = time.perf_counter() + (job.ende - time.monotonic())
    sizes, counts, solver, time_limit = job.sizes, job.counts, job.solver, job.time_limit
    last, soll, lower, upper = job.last, job.soll, job.lower, job.upper

    def left() -> float:
        return deadline - time.perf_counter()

    if job.persons is not None and sizes != [1] and left() / 2 >= MIN_STAGE_S:
        slots = fixed_persons_packing(job.persons, job.idx_full, sizes, counts, solver, left() / 2,
                                      deadline=time.perf_counter() + left() / 2)
        if slots is not None:
            label = (f"{solver_name(solver)} nur für die Haushaltspackung (Max-Min und Fehlbetrag exakt: "
                     "optimal bewiesen)")
            report(SolverResult(slots, job.level, job.target, label, 0.0, job.t_p, True, max_min_schranke=job.t_p),
                   True)
            return

    # stage 2: integer max-min, between a feasible level (capacity-aware greedy) and t_p
    idx, heur, t_lb, t_ub = job.idx, job.heur, job.t_lb, job.t_ub
    fallback = heur
    notes = []
    t_bound = t_ub
    if sizes == [1]:
        t_star, proven = job.t_p, True
    elif t_lb is not None and t_lb >= t_ub - 1e-12:
        t_star, proven = t_lb, True        # the greedy's level reaches the bound: proven
    elif heur is not None and left() / 2 < MIN_STAGE_S:
        t_star, proven = t_lb, False
        notes.append(_time_note("Max-Min-Stufe", left()))
    else:
        budget = max(MIN_STAGE_S, left() / 2)
        try:
            t_star, proven, fallback, bound = _max_min(last, soll, idx, lower, upper, sizes, counts, solver,
                                                       budget, MAX_MIN_NODES, t_ub, t_lb,
                                                       deadline=time.perf_counter() + budget)
        except SolverError:
            if heur is None:
                raise
            t_star, proven = t_lb, False
            notes.append("Max-Min-Stufe ohne Lösung beendet: Niveau der kapazitätsbewussten Zuweisung verwendet")
        else:
            if np.isfinite(bound):
                t_bound = min(t_ub, bound)
            if not proven:
                notes.append(f"Max-Min-Stufe nach {MAX_MIN_NODES} Knoten oder {fmt_dec(budget, 1)} s beendet")
    if proven:
        t_bound = t_star
    elif t_star is not None:
        notes.append(_level_note(t_star, t_bound))
    if heur is not None and t_lb is not None and t_lb >= t_star - 1e-9:
        candidates = [c for c in (fallback, heur) if c is not None]
        fallback = min(candidates, key=lambda sl: _shortfall_cost(sl @ np.asarray(sizes), job.target, job.idx_full,
                                                                   soll, job.weight, job.one_household))
    fallback_from = "kapazitätsbewusste Zuweisung" if fallback is heur else "Lösung der Max-Min-Stufe"
    if job.sizes == [1] and job.persons is not None:
        fallback, fallback_from = job.persons.reshape(-1, 1), "exakte Zerlegung"

    def with_fallback(note: str, bound: float = float("nan")) -> SolverResult:
        gap = _fallback_gap(job, fallback, t_star, bound)
        said = "; ".join([*notes, f"{note}: {fallback_from} verwendet, Fehlbetrag nicht minimiert, {_gap_text(gap)}"])
        return SolverResult(fallback, job.level, job.target, solver_name(solver), 0.0, t_star, proven, hinweis=said,
                            max_min_schranke=t_bound, fehlbetrag_luecke=gap)

    if fallback is not None:
        report(with_fallback("Fehlbetragsstufe beim Zeitlimit abgebrochen"), False)

    # stage 3: shortfall below the continuous targets, keeping everybody at or above t*. The child
    # is stopped at the limit whatever happens, but a stage that cannot fit is not started: the
    # answer at hand is then returned at once (PuLP's further rows cost about twice the base model,
    # its handover to HiGHS about twice the whole build, measured 1.7×)
    building = time.perf_counter()
    prob = None
    if fallback is None or left() >= MIN_STAGE_S:
        prob, y = _base_model("zuweisung", pulp.LpMinimize, idx, sizes, counts, lower, upper)
        base_s = time.perf_counter() - building
        if fallback is not None and left() < 3 * base_s * (1 + HANDOVER_FACTOR) + MIN_STAGE_S:
            prob = None
    if prob is not None:
        d = {i: prob.add_variable(f"d_{i}", lowBound=0, upBound=job.one_household) for i in idx}
        e = {i: prob.add_variable(f"e_{i}", lowBound=0) for i in idx}
        prob += pulp.lpSum((d[i] + BEYOND_ONE_HOUSEHOLD * e[i]) * (job.weight[i] / soll[i]) for i in idx)
        for i in idx:
            persons = _persons(y, i, sizes)
            prob += d[i] + e[i] >= float(job.target[i]) - persons, f"fehl_{i}"
            prob += float(last[i]) + persons >= t_star * float(soll[i]) - 1e-7 * float(soll[i]), f"niveau_{i}"
        # keep PuLP's handover and a reserve for reading the solution back out of the solver's share
        handover = HANDOVER_FACTOR * (time.perf_counter() - building)
        remaining = left() - handover - RESERVE_SHARE * time_limit
    else:
        remaining = left()
    if (prob is None or remaining < MIN_STAGE_S) and fallback is not None:
        report(with_fallback(_time_note("Fehlbetragsstufe", remaining)), True)
        return
    remaining = max(remaining, MIN_STAGE_S)  # no answer at hand: HiGHS tries until the child is stopped
    assert prob is not None
    try:
        optimal = _run(prob, solver, remaining, accept_incumbent=True,
                       deadline=max(deadline - RESERVE_SHARE * time_limit, time.perf_counter() + remaining))
    except SolverError:
        if fallback is None:
            raise
        # HiGHS may have proven a bound (its relaxation) without finding a solution
        report(with_fallback("Fehlbetragsstufe ohne Lösung beendet", dual_bound(prob)), True)
        return
    gap = 0.0
    slots = _slots(y, len(last), len(sizes))
    if not optimal:
        gap = _fallback_gap(job, slots, t_star, dual_bound(prob))
        notes.append(f"Fehlbetragsstufe beim Zeitlimit ({fmt_dec(remaining, 1)} s) mit zulässiger Lösung beendet, "
                     + ("bewiesene Lücke zum optimalen Fehlbetrag unbekannt" if not np.isfinite(gap)
                        else f"bewiesene Lücke zum optimalen Fehlbetrag {fmt_pct(gap * 100, 2)}"))
    report(SolverResult(slots, job.level, job.target, solver_name(solver), 0.0, t_star, proven,
                        hinweis="; ".join(notes), max_min_schranke=t_bound, fehlbetrag_luecke=gap), True)


def _relative_gap(value: float | None, bound: float) -> float:
    """(value − bound) / |value| of a minimisation stopped early; NaN when the solver gives no bound."""
    if value is None or not np.isfinite(bound):
        return float("nan")
    return max(0.0, (value - bound) / max(abs(value), 1e-12))


def place_households(slots: np.ndarray, sizes: list[int], hh_sizes: np.ndarray, order: np.ndarray,
                     last: np.ndarray, soll: np.ndarray, ags_rank: np.ndarray) -> np.ndarray:
    """Gemeinde index per household: in reference order, to the lowest-r Gemeinde with a free slot.

    Same keys as `greedy.priority` (numpy's rounding, reproduced on plain floats)."""
    cur = np.asarray(last, dtype=float).tolist()
    s = np.asarray(soll, dtype=float).tolist()
    rank = np.asarray(ags_rank).tolist()
    remaining = slots.copy()
    target = np.full(len(hh_sizes), -1, dtype=np.int64)
    class_of = {v: c for c, v in enumerate(sizes)}
    heaps: dict[int, list] = {}
    r12, r9 = greedy._round12, greedy._round9
    size_of = np.asarray(hh_sizes).tolist()
    for h in np.asarray(order).tolist():
        size = size_of[h]
        c = class_of[size]
        if c not in heaps:
            col = remaining[:, c]
            heaps[c] = [(r12(cur[i] / s[i]), r9(-(s[i] - cur[i])), rank[i], i)
                        for i in np.flatnonzero(col > 0).tolist()]
            heapq.heapify(heaps[c])
            left = col.tolist()
        # classes come one after another (largest first), so a class's heap is built when it
        # starts and no entry in it can be stale
        _, _, rk, i = heapq.heappop(heaps[c])
        target[h] = i
        cur[i] += size
        left[i] -= 1
        if left[i] > 0:
            heapq.heappush(heaps[c], (r12(cur[i] / s[i]), r9(-(s[i] - cur[i])), rk, i))
    return target
