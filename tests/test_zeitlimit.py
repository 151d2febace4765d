"""`--zeitlimit` bounds the constrained allocation as a whole, and the result says what is proven.

With a budget too small for any integer model, both stages are skipped for the capacity-aware
greedy's allocation: it must still be a valid allocation, and the result must say that the limit
cut the stages short, with the proven bound of the lowest fulfilment. (The wall-clock bound
itself is measured in benchmarks/bench_zeitlimit.py, not asserted here.)
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.solve import lp


@st.composite
def instances(draw):
    n = draw(st.integers(8, 40))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    sizes = [3, 2, 1]
    counts = [draw(st.integers(1, 6)) for _ in sizes]
    persons = sum(s * c for s, c in zip(sizes, counts, strict=True))
    key = rng.uniform(0.5, 2.0, n)
    key /= key.sum()
    last = np.round(key * 200 * rng.uniform(0.7, 1.3, n))
    soll = key * (last.sum() + persons)
    upper = np.where(rng.random(n) < 0.5, np.floor(rng.uniform(0, 4, n)), np.inf)
    upper[np.argmax(key)] = np.inf  # room for everybody somewhere
    return last, soll, np.ones(n, dtype=bool), np.zeros(n), upper, sizes, counts, np.arange(n)


@settings(max_examples=30, deadline=None)
@given(inst=instances())
def test_a_spent_time_limit_gives_a_valid_allocation_and_says_what_is_proven(inst):
    last, soll, eligible, lower, upper, sizes, counts, rank = inst
    res = lp.solve(last, soll, eligible, lower, upper, sizes, counts, rank, time_limit=1e-6, milp=True)
    slots = res.slots
    assert (slots >= 0).all()
    assert slots.sum(axis=0).tolist() == counts                     # every household placed once
    persons = slots @ np.asarray(sizes)
    assert (persons <= upper + 1e-9).all()                          # caps hold
    level = float(np.min((last + persons) / soll))
    assert res.max_min <= level + 1e-9 or not np.isfinite(res.max_min)
    assert res.max_min_schranke >= res.max_min - 1e-12               # the bound is above what was reached
    if res.max_min_bewiesen:
        assert res.max_min_schranke == res.max_min
    else:
        assert "bewiesene Obergrenze" in res.hinweis and "Lücke höchstens" in res.hinweis
    assert "Zeitlimit" in res.hinweis                               # the limit cut a stage: said, not silent


@settings(max_examples=15, deadline=None)
@given(inst=instances())
def test_with_time_enough_the_result_is_proven_and_says_nothing_of_limits(inst):
    last, soll, eligible, lower, upper, sizes, counts, rank = inst
    res = lp.solve(last, soll, eligible, lower, upper, sizes, counts, rank, time_limit=60, milp=True)
    assert res.max_min_bewiesen and res.max_min_schranke == res.max_min
    assert res.fehlbetrag_luecke == 0.0 and "Zeitlimit" not in res.hinweis
