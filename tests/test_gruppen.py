"""Issue 25: `verteilung.gruppen` gives pandas' grouped sums, lookups and sums bit for bit.

The comparison's tables (model × Kreis, long run per group, money per Kreis) are written with
repr-exact floats, so the fast path must not be "close": it must be pandas' own numbers. Floats are
drawn so that compensated and plain summation differ (large and tiny magnitudes mixed), so a
plain ``np.bincount`` sum would fail here.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.gruppen import group_sums, je_schluessel, kahan_group_sum, summe
from verteilung.io import python_strings

KEYS = st.sampled_from(["Köln", "Aachen", "aachen", "Ägypten", "Zülpich", "kreisfreie Stadt", "Düren", "b"])
FLOATS = st.one_of(st.floats(-1e17, 1e17, allow_nan=False, allow_infinity=False, allow_subnormal=False),
                   st.sampled_from([0.1, 1e16, -1e16, 3.0, 1e-9, -0.0, 0.0, 123456.789]))


def _bits(a) -> list:
    a = np.asarray(a)
    return a.view(np.int64).tolist() if a.dtype == np.float64 else a.tolist()


def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert isinstance(got.index, pd.RangeIndex) and len(got) == len(want)
    for c in want.columns:
        assert got[c].dtype == want[c].dtype, c
        assert _bits(got[c].to_numpy()) == _bits(want[c].to_numpy()), c


def _pandas(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    grp = frame[[*keys, *columns]].groupby(keys, sort=True)
    out = grp.sum()
    out.insert(0, "n", grp.size())
    return out.reset_index()


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(1, 60), st.booleans())
def test_group_sums_is_pandas_groupby_sum_bit_for_bit(data, n, python):
    k1 = data.draw(st.lists(st.sampled_from(["m1", "status-quo", "m2"]), min_size=n, max_size=n))
    k2 = data.draw(st.lists(KEYS, min_size=n, max_size=n))
    x = data.draw(st.lists(FLOATS, min_size=n, max_size=n))
    y = data.draw(st.lists(FLOATS, min_size=n, max_size=n))
    z = data.draw(st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n))
    with python_strings() if python else contextlib.nullcontext():
        frame = pd.DataFrame({"modell": k1, "kreis": k2, "x": np.array(x), "y": np.array(y),
                              "z": np.array(z, dtype=np.int64)})
        got = group_sums(frame, ["modell", "kreis"], ["x", "z", "y"], size="n")
        if got is None:  # only rows already in group order go back to pandas (its reduceat path)
            assert frame.sort_values(["modell", "kreis"], kind="stable").index.equals(frame.index)
            return
        assert_same_frame(got, _pandas(frame, ["modell", "kreis"], ["x", "z", "y"]))
        # a mapping of the columns gives the same table
        again = group_sums({c: frame[c] for c in frame.columns}, ["modell", "kreis"], ["x", "z", "y"], size="n")
        assert_same_frame(again, got)


def test_compensated_sum_differs_from_the_plain_one_and_matches_pandas():
    values = np.array([1e16, 1.0, 1.0, 1.0, -1e16, 0.1, 0.2, 5.0])
    ids = np.array([1, 1, 1, 1, 1, 1, 1, 0], dtype=np.intp)  # not in group order: pandas' compiled kernel
    want = pd.Series(values).groupby(ids).sum().to_numpy()
    assert _bits(kahan_group_sum(values, ids, 2)) == _bits(want)
    assert np.bincount(ids, weights=values)[1] != want[1]  # the plain sum would lose the ones


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"k": ["a", None, "b"], "x": [1.0, 2.0, 3.0]}),           # a missing key: pandas drops it
    pd.DataFrame({"k": ["a", "a", "b"], "x": [1.0, np.nan, 3.0]}),         # NaN value
    pd.DataFrame({"k": ["a", "a", "b"], "x": [1.0, np.inf, 3.0]}),         # infinite value
    pd.DataFrame({"k": ["a", "a", "b"], "x": np.array([1, 2, 3], dtype=np.int32)}),  # another dtype
    pd.DataFrame({"k": pd.Series([], dtype=str), "x": pd.Series([], dtype=float)}),  # no rows
    pd.DataFrame({"k": ["a", "a", "b"], "x": [1e16, 1.0, 3.0]}),           # in group order: pandas' reduceat
    pd.DataFrame({"k": ["b", "a"] * 10_001, "x": 1.0}),                      # more floats than the loop pays for
])
def test_what_pandas_must_decide_goes_back_to_pandas(frame):
    assert group_sums(frame, ["k"], ["x"]) is None


@settings(max_examples=80, deadline=None)
@given(st.lists(KEYS, unique=True, min_size=0, max_size=6), st.lists(KEYS, min_size=1, max_size=20),
       st.lists(FLOATS, min_size=6, max_size=6))
def test_je_schluessel_is_series_map(keys, wanted, values):
    vals = np.array(values[:len(keys)], dtype=float)
    want = pd.Series(wanted).map(pd.Series(vals, index=keys, dtype=float)).to_numpy(dtype=float)
    assert _bits(je_schluessel(np.array(keys, dtype=object), vals, np.array(wanted, dtype=object))) == _bits(want)


@settings(max_examples=40, deadline=None)
@given(st.lists(KEYS, unique=True, min_size=1, max_size=6), st.integers(1, 5), st.lists(FLOATS, min_size=6, max_size=6))
def test_je_schluessel_of_keys_repeated_per_model_is_series_map(keys, times, values):
    vals = np.array(values[:len(keys)], dtype=float)
    wanted = np.array(keys * times, dtype=object)
    want = pd.Series(wanted).map(pd.Series(vals, index=keys, dtype=float)).to_numpy(dtype=float)
    assert _bits(je_schluessel(np.array(keys, dtype=object), vals, wanted)) == _bits(want)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(FLOATS, st.just(float("nan"))), min_size=0, max_size=300))
def test_summe_is_series_sum(values):
    a = np.array(values, dtype=float)
    assert _bits(np.float64(summe(a))) == _bits(np.float64(pd.Series(a, dtype=float).sum()))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(FLOATS, st.just(float("nan")), st.floats(0, 500)), min_size=0, max_size=120),
       st.sampled_from([0.1, 0.9, 0.5, 0.25]))
def test_metric_statistics_are_pandas_series_statistics(values, q):
    """`compare.metric_row` reads quantiles, median and extremes of the quota column from its array."""
    from verteilung.compare import _series_extreme, _series_median, _series_quantile

    a = np.array(values, dtype=float)
    s = pd.Series(a, dtype=float)
    assert _bits(np.float64(_series_quantile(a, q))) == _bits(np.float64(s.quantile(q)))
    assert _bits(np.float64(_series_median(a))) == _bits(np.float64(s.median()))
    assert _bits(np.float64(_series_extreme(a, np.min))) == _bits(np.float64(s.min()))
    assert _bits(np.float64(_series_extreme(a, np.max))) == _bits(np.float64(s.max()))
