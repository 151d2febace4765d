"""The continuous optimum: raise the lowest fulfilment as far as the arrivals allow.

Level s solves Σ clip(s·soll_i − last_i, lower_i, upper_i) = N over the eligible Gemeinden.
Without bounds this is the largest s with Σ max(0, s·soll_i − last_i) ≤ N. The left side is
piecewise linear and nondecreasing in s, so one sort of its breakpoints gives s exactly
(O(n log n)); no bisection tolerance is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Level:
    level: float            # the water level s (a fulfilment ratio, 1.0 = 100 %)
    allocation: np.ndarray  # continuous persons per Gemeinde at that level (0 where ineligible)


def water_level(last: np.ndarray, soll: np.ndarray, n: float, eligible: np.ndarray | None = None,
                lower: np.ndarray | None = None, upper: np.ndarray | None = None) -> Level:
    last = np.asarray(last, dtype=float)
    soll = np.asarray(soll, dtype=float)
    size = last.shape[0]
    ok = soll > 0 if eligible is None else (np.asarray(eligible, dtype=bool) & (soll > 0))
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        raise ValueError("no eligible Gemeinde with a positive Soll")
    L, S = last[idx], soll[idx]
    lo_e: np.ndarray | float
    hi_e: np.ndarray | float
    if lower is None and upper is None:  # no bounds (0 and ∞): the stops lie at infinity and drop out
        lo_e, hi_e = 0.0, np.inf
        if n < -1e-9:
            raise ValueError("arrivals outside the bounds' range")
        events, deltas = (L + 0.0) / S, S  # + 0.0 as with lower = 0: no −0.0 breakpoint
    else:
        lo_e = np.zeros(idx.size) if lower is None else np.asarray(lower, dtype=float)[idx]
        hi_e = np.full(idx.size, np.inf) if upper is None else np.asarray(upper, dtype=float)[idx]
        if n < lo_e.sum() - 1e-9 or n > hi_e.sum() + 1e-9:
            raise ValueError("arrivals outside the bounds' range")
        # each Gemeinde adds slope S_i between its two breakpoints
        events = np.concatenate([(L + lo_e) / S, (L + hi_e) / S])
        deltas = np.concatenate([S, -S])
    finite = np.isfinite(events)
    if not finite.all():
        events, deltas = events[finite], deltas[finite]
    order = np.argsort(events, kind="stable")
    events, deltas = events[order], deltas[order]
    level = _first_reach(events, deltas, float(np.sum(lo_e)), float(n))
    alloc = np.zeros(size)
    alloc[idx] = np.clip(level * S - L, lo_e, hi_e)
    return Level(float(level), alloc)


def _first_reach(events: np.ndarray, deltas: np.ndarray, start: float, n: float) -> float:
    """Where the piecewise linear sum first reaches n: walk the sorted breakpoints, the slope
    changing by ``deltas`` at each. The running slope and value are sequential sums
    (``np.cumsum`` adds in order), so this gives bit for bit what the loop

        value, slope, prev = start, 0, events[0]
        for b, d in zip(events, deltas):
            if value + slope·(b − prev) ≥ n − 1e-12 and slope > 0: return prev + (n − value) / slope
            value, prev, slope = value + slope·(b − prev), b, slope + d

    gives (after the last breakpoint: prev + (n − value) / slope, or the last breakpoint itself if
    the slope is 0), without a Python step per Gemeinde."""
    slope_after = np.cumsum(deltas)
    slope = np.concatenate(([0.0], slope_after[:-1]))        # slope in force before each breakpoint
    prev = np.concatenate((events[:1], events[:-1]))
    value = np.cumsum(np.concatenate(([start], slope * (events - prev))))  # value[p]: before breakpoint p
    hit = np.flatnonzero((value[1:] >= n - 1e-12) & (slope > 0))
    if hit.size:
        p = hit[0]
        return float(prev[p] + (n - value[p]) / slope[p])
    if slope_after[-1] > 0:
        return float(events[-1] + (n - value[-1]) / slope_after[-1])
    return float(events[-1])


def water_levels(last: np.ndarray, soll: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Unbounded levels for a batch of scenarios (rows), without a Python loop over rows.

    Row k solves Σ_i max(0, s_k·soll_ki − last_ki) = n_k. Sort each row by last/soll; with the
    j cheapest Gemeinden in the water, s = (n + Σ last) / Σ soll over them; the right j is the
    last one whose own ratio lies below the resulting level.
    """
    last = np.asarray(last, dtype=float)
    soll = np.asarray(soll, dtype=float)
    n = np.asarray(n, dtype=float).reshape(-1, 1)
    ratio = last / soll
    order = np.argsort(ratio, axis=1, kind="stable")
    r_sorted = np.take_along_axis(ratio, order, axis=1)
    cl = np.cumsum(np.take_along_axis(last, order, axis=1), axis=1)
    cs = np.cumsum(np.take_along_axis(soll, order, axis=1), axis=1)
    candidate = (n + cl) / cs
    valid = r_sorted <= candidate + 1e-15
    j = valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    return candidate[np.arange(candidate.shape[0]), j]
