"""Reference path: "lowest Erfüllungsquote first", one person or one whole household at a time.

The officers' documented practice (LEGAL.md § 3): each unit goes to the eligible Gemeinde with
the lowest current fulfilment r_i = (last_i + assigned_i) / soll_i; ties go to the larger
remaining obligation, then to the smaller AGS. Households go whole (§ 3 Abs. 1 S. 2 FlüAG),
largest first, ties in input order. A heap keeps this at O(n + units · log n).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np


@dataclass
class GreedyResult:
    zuweisung: np.ndarray          # persons per Gemeinde
    unit_target: np.ndarray        # Gemeinde index per unit, in the order units were given
    r_before_last: np.ndarray      # fulfilment of each Gemeinde just before its last unit (nan: none)


TIE_DIGITS = 12  # fulfilment values closer than 1e-12 are ties: the documented rule decides, not float noise


def priority(last: float, soll: float, rank: int, i: int) -> tuple[float, float, int, int]:
    """Heap key: lowest fulfilment, then larger remaining obligation, then smaller AGS."""
    return (round(last / soll, TIE_DIGITS), round(-(soll - last), 9), rank, i)


def assign_units(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, sizes: np.ndarray,
                 ags_rank: np.ndarray) -> GreedyResult:
    """Give each unit (size in ``sizes``, already in processing order) to the lowest r_i."""
    current = np.asarray(last, dtype=float).copy()
    heap = [priority(current[i], float(soll[i]), int(ags_rank[i]), int(i))
            for i in np.flatnonzero(eligible & (soll > 0))]
    if not heap and len(sizes):
        raise ValueError("no eligible Gemeinde")
    heapq.heapify(heap)
    zuweisung = np.zeros(len(current), dtype=np.int64)
    target = np.empty(len(sizes), dtype=np.int64)
    r_before = np.full(len(current), np.nan)
    for u, size in enumerate(sizes):
        r, _, rank, i = heapq.heappop(heap)
        r_before[i] = r
        target[u] = i
        zuweisung[i] += size
        current[i] += size
        heapq.heappush(heap, priority(current[i], float(soll[i]), rank, i))
    return GreedyResult(zuweisung, target, r_before)


def household_order(sizes: np.ndarray) -> np.ndarray:
    """Largest households first; equal sizes keep their input order (stable sort). Sizes that fit
    16 bits are sorted as such: numpy's stable sort is then a radix sort, the same order."""
    neg = -np.asarray(sizes)
    if neg.size and neg.dtype.kind in "iu" and neg.min() >= -(2**15) and neg.max() < 2**15:
        neg = neg.astype(np.int16)
    return np.argsort(neg, kind="stable")


# ---------------------------------------------------------------- fast paths
#
# The heap above is the reference. The functions below give identical results (tests hold them
# to it): the heap key is computed with numpy's rounding (round() of a numpy float is
# rint(x·10^d)/10^d), which plain Python floats reproduce bit for bit, and the load grows by
# repeated `+= 1.0`, which `accumulate` reproduces exactly.

def _round12(x: float) -> float:
    return round(x * 1e12) / 1e12


def _round9(x: float) -> float:
    return round(x * 1e9) / 1e9


def assign_households(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, sizes: np.ndarray,
                      ags_rank: np.ndarray) -> GreedyResult:
    """`assign_units` for households: the heap on plain Python floats, or by size class with numpy
    (`household_classes`), whichever the measured costs (`cheaper_by_class`) say is faster. Same
    keys, same order, same result."""
    sizes = np.asarray(sizes)
    classes = 1 + int(np.count_nonzero(sizes[1:] != sizes[:-1])) if sizes.size else 0
    if cheaper_by_class(sizes.size, classes, int(np.count_nonzero(eligible & (np.asarray(soll) > 0)))):
        res = household_classes(last, soll, eligible, sizes, ags_rank)
        if res is not None:
            return res
    return household_heap(last, soll, eligible, sizes, ags_rank)


def cheaper_by_class(households: int, classes: int, gemeinden: int) -> bool:
    """Whether `household_classes` beats `household_heap`, in units of one heap step (~1 µs).

    Fitted to timings on 50 to 11.000 Gemeinden with 1 to 12 size classes: the heap ~1 step per
    household plus ~0,7 per Gemeinde to build it, a class ~40 steps plus ~1/20 per Gemeinde for
    its numpy calls. NRW (396 Gemeinden) in 6 classes: by class from about 80 households on
    (1.088 households: 360 against 1.365 steps); one class: always by class."""
    return classes * (40 + gemeinden / 20) < households + 0.7 * gemeinden


def _level(load: np.ndarray, s: np.ndarray, n: float) -> float:
    """The continuous water level for n persons (`waterfill.water_levels` for one row)."""
    ratio = load / s
    order = ratio.argsort()  # any order of equal ratios: the level only bounds the keys to compute
    level = (n + load[order].cumsum()) / s[order].cumsum()
    return float(level[np.flatnonzero(ratio[order] <= level + 1e-15)[-1]])


def household_classes(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, sizes: np.ndarray,
                      ags_rank: np.ndarray) -> GreedyResult | None:
    """The heap's result one size class at a time, without a Python loop over households.

    Within a run of equal sizes s (``sizes`` comes largest first, so each class is one run) Gemeinde
    i's k-th household would be popped at key_i(k) = key of load_i + k·s; these keys increase in k,
    so the heap hands the run's c households to the c smallest keys of all Gemeinden, in key order.
    Every one of them has a fulfilment at most τ, the c-th smallest current fulfilment (or the
    continuous level for c·s persons, when that is lower or c exceeds the Gemeinden), so only the
    keys up to τ (and one more per Gemeinde against float doubt) are computed, with the heap's own
    rounding, and sorted. Needs integral loads (then load + k·s is what repeated addition gives);
    returns None otherwise, or when the floats leave a doubt.
    """
    cur = np.asarray(last, dtype=float)
    soll = np.asarray(soll, dtype=float)
    sizes = np.asarray(sizes, dtype=np.int64)
    idx = np.flatnonzero(eligible & (soll > 0))
    m, n_h = idx.size, sizes.size
    if m == 0:
        return None
    load = cur[idx]
    if (load != np.floor(load)).any() or np.abs(load).max() + sizes.sum() >= 2.0 ** 52:
        return None
    step = np.diff(sizes)
    if (step > 0).any():
        return None  # not largest first: a class would come back later
    bounds = [0, *(step.nonzero()[0] + 1).tolist(), n_h] if n_h else [0]
    s_e, rank_e, every = soll[idx], np.asarray(ags_rank)[idx], np.arange(m)
    at = np.empty(n_h, dtype=np.int64)   # position among the eligible Gemeinden, per household
    for a, b in itertools.pairwise(bounds):
        size = int(sizes[a])
        got = _one_class(load, s_e, rank_e, every, size, b - a, at[a:b])
        if got is None:
            return None
        load = load + got * size
    # size of each one's last household: its smallest (classes come largest first); inf: none
    last_size = np.full(m, np.inf)
    np.minimum.at(last_size, at, sizes.astype(float))  # same dtypes: numpy's fast path (int: ~25×)
    r_before = np.full(len(cur), np.nan)
    # the key each Gemeinde's last household was popped at: the heap's rounding of the load before it
    r_before[idx] = np.where(last_size < np.inf, ((load - last_size) / s_e).round(TIE_DIGITS), np.nan)
    zuweisung = np.zeros(len(cur), dtype=np.int64)
    zuweisung[idx] = (load - cur[idx]).astype(np.int64)
    return GreedyResult(zuweisung, idx[at], r_before)


def _one_class(load: np.ndarray, s_e: np.ndarray, rank_e: np.ndarray, every: np.ndarray, size: int, c: int,
               out: np.ndarray) -> np.ndarray | None:
    """The c households of one size class: writes the Gemeinde (position among ``load``) of each,
    in heap order, to ``out`` and returns the count per Gemeinde (None: the floats leave a doubt).

    Numpy calls on a few hundred numbers cost their call, not their data: the steps are kept few
    (array methods, one sort by fulfilment alone, the tie rule only where keys tie)."""
    m = load.size
    tau = np.inf
    if 2 * c <= m:  # the c-th smallest key with k = 0 is a key: at least c keys lie at or below it
        tau = _round12(float(np.partition(load / s_e, c - 1)[c - 1]))
        # keys k = 0 … up to τ, and one more whatever the float error
        k_max = (((tau * s_e - load) / size + 2.0).clip(0.0, c)).astype(np.int64)
        ends = k_max.cumsum()
    if 2 * c > m or ends[-1] > 2 * c + 2 * m:
        # at or below the level for c·s persons lie at least c keys: a tighter bound when the
        # fulfilments are spread or the class is large (the only one for more households than
        # Gemeinden)
        tau = min(tau, _round12(_level(load, s_e, c * size)))
        k_max = (((tau * s_e - load) / size + 2.0).clip(0.0, c)).astype(np.int64)
        ends = k_max.cumsum()
    total = int(ends[-1])
    if total < c:
        return None
    owner = every.repeat(k_max)
    # load + k·size for k = 0 … k_max − 1, counted from each one's first candidate
    ld = (load - (ends - k_max) * size)[owner] + np.arange(0, total * size, size)
    r = (ld / s_e[owner]).round(TIE_DIGITS)
    order = r.argsort()
    head = r[order[: c + 1]]
    tie = head[1:] == head[:-1]
    if tie.any():
        order = _break_ties(order, r, tie, rank_e[owner], s_e[owner], ld)
    last_c = order[c - 1]
    if r[last_c] > tau:
        return None
    who = owner[order[:c]]
    got = np.bincount(who, minlength=m)
    # a Gemeinde that got all its computed keys (fewer than c) might have had one more in the c
    # smallest: its next key must come after the c-th taken one (else the floats were off)
    full = (got == np.maximum(k_max, 1)).nonzero()[0]
    if full.size:
        full = full[k_max[full] < c]
    if full.size:
        ld_n = load[full] + k_max[full] * size
        r_n, t2_n = np.round(ld_n / s_e[full], TIE_DIGITS), np.round(-(s_e[full] - ld_n), 9)
        r_c, t2_c, rank_c = r[last_c], np.round(-(s_e[who[-1]] - ld[last_c]), 9), rank_e[who[-1]]
        if np.any((r_n < r_c) | ((r_n == r_c) & ((t2_n < t2_c) | ((t2_n == t2_c) & (rank_e[full] < rank_c))))):
            return None
    out[:] = who
    return got


def _break_ties(order: np.ndarray, r: np.ndarray, tie: np.ndarray, rank: np.ndarray, s: np.ndarray,
                ld: np.ndarray) -> np.ndarray:
    """``order`` (by r alone, ties in any order) with equal r ordered as the heap does: the larger
    remaining obligation, then the smaller AGS. Only the tied keys among the first len(tie) + 1
    (and the rest of the last one's group) are sorted again; the groups stay where they are."""
    at = np.zeros(tie.size + 1, dtype=bool)
    at[1:] |= tie
    at[:-1] |= tie
    pos = np.flatnonzero(at)
    # the group at the boundary may go on past the head
    end = int(np.searchsorted(r[order], r[order[tie.size]], side="right"))
    if end > tie.size + 1 and at[-1]:
        pos = np.r_[pos, np.arange(tie.size + 1, end)]
    sub = order[pos]
    out = order.copy()
    out[pos] = sub[np.lexsort((rank[sub], np.round(-(s[sub] - ld[sub]), 9), r[sub]))]
    return out


def household_heap(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, sizes: np.ndarray,
                   ags_rank: np.ndarray) -> GreedyResult:
    """`assign_units` without numpy scalars in the loop: same keys, same order, same result."""
    cur = np.asarray(last, dtype=float).tolist()
    s = np.asarray(soll, dtype=float).tolist()
    rank = np.asarray(ags_rank).tolist()
    heap = []
    for i in np.flatnonzero(eligible & (soll > 0)).tolist():
        c, si = cur[i], s[i]
        heap.append((_round12(c / si), _round9(-(si - c)), rank[i], i))
    size_list = np.asarray(sizes).tolist()
    if not heap and size_list:
        raise ValueError("no eligible Gemeinde")
    heapq.heapify(heap)
    target = [0] * len(size_list)
    r_before = [float("nan")] * len(cur)
    replace = heapq.heapreplace
    for u, size in enumerate(size_list):
        # the lowest entry is replaced by its own new key in one sift (keys are unique through the
        # rank, so the order of pops is that of pop-then-push)
        r, _, rk, i = heap[0]
        r_before[i] = r
        target[u] = i
        c = cur[i] + size
        cur[i] = c
        si = s[i]
        replace(heap, (round(c / si * 1e12) / 1e12, round(-(si - c) * 1e9) / 1e9, rk, i))
    tgt = np.array(target, dtype=np.int64)
    zuweisung = np.bincount(tgt, weights=np.asarray(sizes, dtype=float), minlength=len(cur)).astype(np.int64) \
        if len(tgt) else np.zeros(len(cur), dtype=np.int64)
    return GreedyResult(zuweisung, tgt, np.array(r_before, dtype=float))


def accumulate(last: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The float value of ``x = last; x += 1.0`` repeated k times, without the loop.

    Adding 1.0 is exact while x stays inside its binade (and while a negative x stays ≤ 0); it
    rounds only where x crosses into the next binade (or from negative to positive). So step
    from crossing to crossing: at most about 60 vectorised rounds whatever k is.
    """
    x = np.asarray(last, dtype=float).copy()
    k = np.asarray(k, dtype=np.int64).copy()
    if x.size == 0:
        return x
    if np.all(x == np.floor(x)) and np.all(np.abs(x) + k < 2.0 ** 52):
        return x + k  # integral loads: every step is exact
    if np.any(np.abs(x) + k >= 2.0 ** 52):
        raise ValueError("load too large for exact accumulation")
    todo = k > 0
    while todo.any():
        neg = todo & (x < 0)
        if neg.any():
            j = np.minimum(k[neg], np.floor(-x[neg]).astype(np.int64))
            step = np.where(j > 0, x[neg] + j, x[neg] + 1.0)  # into (−1, 0]: exact; else one rounding step
            k[neg] -= np.maximum(j, 1)
            x[neg] = step
        pos = todo & ~neg
        if pos.any():
            xp = x[pos]
            _, e = np.frexp(xp)
            p = np.ldexp(1.0, e)                 # next power of two above xp (1 for xp = 0)
            j = np.ceil(p - xp).astype(np.int64)  # steps until x reaches p
            kp = k[pos]
            inside = j > kp
            x[pos] = np.where(inside, xp + kp, (xp + np.maximum(j - 1, 0)) + 1.0)
            k[pos] = np.where(inside, 0, kp - j)
        todo = k > 0
    return x


def _keys(cur: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.round(cur / s, TIE_DIGITS), np.round(-(s - cur), 9)


def person_counts(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, n: int, ags_rank: np.ndarray,
                  upper: np.ndarray | None = None) -> GreedyResult | None:
    """Per-Gemeinde counts of ``assign_units(last, soll, eligible, ones(n), ags_rank)`` in O(m log m).

    Gemeinde i's k-th person (k = 0, 1, …) is given at key_i(k) = (fulfilment before it, −remaining
    obligation, AGS rank), the heap's key, increasing in k; the heap hands out the n smallest keys
    overall. The continuous water level brackets the n-th key: below the level for n − m persons
    (m eligible Gemeinden) every key is taken, above the level for n none is, so only about
    5 m keys near the boundary are computed and sorted with the heap's own rounding. The result
    is checked against the bracket and None is returned (caller falls back to the heap) if the
    check fails. ``upper`` caps the persons per Gemeinde (the bounded greedy of the solver path).
    ``unit_target`` is left empty (persons have no identity).
    """
    from verteilung.solve.waterfill import water_level

    n = int(n)
    size = len(last)
    last = np.asarray(last, dtype=float)
    soll = np.asarray(soll, dtype=float)
    zuweisung = np.zeros(size, dtype=np.int64)
    r_before = np.full(size, np.nan)
    ok = eligible & (soll > 0)
    cap_all = np.full(size, np.inf) if upper is None else np.asarray(upper, dtype=float)
    ok &= cap_all > 0
    idx = np.flatnonzero(ok)
    if n == 0:
        return GreedyResult(zuweisung, np.empty(0, dtype=np.int64), r_before)
    if idx.size == 0:
        raise ValueError("no eligible Gemeinde")
    L, S = last[idx], soll[idx]
    cap = np.ceil(cap_all[idx])  # the heap serves a Gemeinde while its room is > 0
    if cap.sum() < n:
        return None
    rank = np.asarray(ags_rank)[idx]
    m = idx.size
    bounded = upper is not None
    hi_level = water_level(L, S, float(n), upper=cap if bounded else None).level
    n_lo = n - m - 1
    cap_i = np.where(np.isfinite(cap), cap, 2.0 ** 53)
    if n_lo > 0:
        lo_level = water_level(L, S, float(n_lo), upper=cap if bounded else None).level
        lo = np.clip(np.ceil(lo_level * S - L) - 2, 0, cap_i).astype(np.int64)
    else:
        lo = np.zeros(m, dtype=np.int64)
    hi = np.clip(np.ceil(hi_level * S - L) + 2, 0, cap_i).astype(np.int64)
    hi = np.maximum(hi, lo)
    need = n - int(lo.sum())
    width = hi - lo
    total = int(width.sum())
    if need < 0 or need > total or total > 50 * m + 1000:
        return None
    # tag 0: each Gemeinde's last key below lo (all must be taken), 1: candidates, 2: first key at hi
    w_idx = np.flatnonzero(lo > 0)
    b_idx = np.flatnonzero(hi < cap_i)
    cand_i = np.repeat(np.arange(m), width)
    starts = np.cumsum(width) - width
    cand_k = lo[cand_i] + (np.arange(total) - starts[cand_i])
    g_i = np.concatenate([w_idx, cand_i, b_idx])
    g_k = np.concatenate([lo[w_idx] - 1, cand_k, hi[b_idx]])
    tag = np.concatenate([np.zeros(w_idx.size, np.int8), np.ones(total, np.int8), np.full(b_idx.size, 2, np.int8)])
    r, t2 = _keys(accumulate(L[g_i], g_k), S[g_i])
    order = np.lexsort((g_i, rank[g_i], t2, r))
    first = tag[order[:w_idx.size + need]]
    if (first == 2).any() or int((first == 0).sum()) != w_idx.size:
        return None
    taken = order[:w_idx.size + need]
    taken = taken[tag[taken] == 1]
    counts = lo + np.bincount(g_i[taken], minlength=m)
    zuweisung[idx] = counts
    got = counts > 0
    r_before[idx[got]] = _keys(accumulate(L[got], counts[got] - 1), S[got])[0]
    return GreedyResult(zuweisung, np.empty(0, dtype=np.int64), r_before)


def assign_capped(last: np.ndarray, soll: np.ndarray, eligible: np.ndarray, sizes: np.ndarray,
                  ags_rank: np.ndarray, room: np.ndarray, min_receivers: int = 0,
                  received: np.ndarray | None = None) -> GreedyResult | None:
    """`assign_units` among the Gemeinden still under their bound (Staffelung).

    Each unit (in the given order) goes to the lowest key among the eligible Gemeinden whose
    remaining ``room`` holds it whole; a Gemeinde without room for it is passed over, not
    removed (a smaller unit may still fit). Minimum spread: once the units left are no more
    than the receivers still missing to reach ``min_receivers``, each unit goes to the lowest key
    among the Gemeinden that have received nobody yet (``received`` marks Gemeinden that count as
    receivers already, e.g. through fixed households). Returns None if a unit fits nowhere.
    Without bounds (room inf) and spread this is exactly `assign_units`.
    """
    cur = np.asarray(last, dtype=float).tolist()
    s = np.asarray(soll, dtype=float).tolist()
    rank = np.asarray(ags_rank).tolist()
    left = np.where(eligible & (np.asarray(soll) > 0), np.asarray(room, dtype=float), 0.0).tolist()
    heap = [(_round12(cur[i] / s[i]), _round9(-(s[i] - cur[i])), rank[i], i)
            for i in range(len(cur)) if left[i] > 0]
    heapq.heapify(heap)
    size_list = np.asarray(sizes).tolist()
    target = [0] * len(size_list)
    r_before = [float("nan")] * len(cur)
    received = [False] * len(cur) if received is None else np.asarray(received, dtype=bool).tolist()
    n_received = sum(received)
    pop, push = heapq.heappop, heapq.heappush
    for u, size in enumerate(size_list):
        missing = min_receivers - n_received
        if missing > 0 and len(size_list) - u <= missing:
            fresh = [(_round12(cur[i] / s[i]), _round9(-(s[i] - cur[i])), rank[i], i)
                     for i in range(len(cur)) if not received[i] and left[i] >= size]
            if not fresh:
                return None
            key = min(fresh)
            heap.remove(key)
            heapq.heapify(heap)
        else:
            passed = []
            while heap and left[heap[0][3]] < size:
                passed.append(pop(heap))
            if not heap:
                return None
            key = pop(heap)
            for p in passed:
                push(heap, p)
        r, _, rk, i = key
        r_before[i] = r
        target[u] = i
        if not received[i]:
            received[i] = True
            n_received += 1
        c = cur[i] + size
        cur[i] = c
        left[i] -= size
        si = s[i]
        if left[i] > 0:
            push(heap, (round(c / si * 1e12) / 1e12, round(-(si - c) * 1e9) / 1e9, rk, i))
    tgt = np.array(target, dtype=np.int64)
    zuweisung = np.bincount(tgt, weights=np.asarray(sizes, dtype=float), minlength=len(cur)).astype(np.int64) \
        if len(tgt) else np.zeros(len(cur), dtype=np.int64)
    return GreedyResult(zuweisung, tgt, np.array(r_before, dtype=float))
