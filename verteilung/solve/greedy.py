"""Reference path: "lowest Erfüllungsquote first", one person or one whole household at a time.

The officers' documented practice (LEGAL.md § 3): each unit goes to the eligible Gemeinde with
the lowest current fulfilment r_i = (last_i + assigned_i) / soll_i; ties go to the larger
remaining obligation, then to the smaller AGS. Households go whole (§ 3 Abs. 1 S. 2 FlüAG),
largest first, ties in input order. A heap keeps this at O(n + units · log n).
"""

from __future__ import annotations

import heapq
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
    """Largest households first; equal sizes keep their input order (stable sort)."""
    return np.argsort(-np.asarray(sizes), kind="stable")
