"""Fast allocation paths held to the heap reference: identical counts and identical certificate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from verteilung.solve import greedy

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_persons(last, soll, eligible, n, rank, upper=None):
    """The heap, one person at a time (with caps: the solver path's bounded greedy)."""
    if upper is None:
        return greedy.assign_units(last, soll, eligible, np.ones(n, dtype=np.int64), rank)
    import heapq

    current = np.asarray(last, dtype=float).copy()
    room = np.where(eligible & (soll > 0), upper, 0)
    zuweisung = np.zeros(len(last), dtype=np.int64)
    r_before = np.full(len(last), np.nan)
    heap = [greedy.priority(current[i], soll[i], int(rank[i]), int(i)) for i in np.flatnonzero(room > 0)]
    heapq.heapify(heap)
    for _ in range(n):
        r, _, _, i = heapq.heappop(heap)
        r_before[i] = r
        current[i] += 1
        zuweisung[i] += 1
        room[i] -= 1
        if room[i] > 0:
            heapq.heappush(heap, greedy.priority(current[i], soll[i], int(rank[i]), i))
    return greedy.GreedyResult(zuweisung, np.empty(0, dtype=np.int64), r_before)


def same(a, b):
    assert (a.zuweisung == b.zuweisung).all()
    assert np.array_equal(a.r_before_last, b.r_before_last, equal_nan=True)


@st.composite
def person_instances(draw, max_n: int = 400, capped: bool = False):
    m = draw(st.integers(1, 15))
    integral = draw(st.booleans())
    if integral:
        last = np.array(draw(st.lists(st.integers(0, 500), min_size=m, max_size=m)), dtype=float)
    else:
        last = np.array(draw(st.lists(st.floats(-3, 500, allow_nan=False, width=64), min_size=m, max_size=m)))
    # exact ties: Soll as small integers (ratios coincide), or arbitrary floats
    if draw(st.booleans()):
        soll = np.array(draw(st.lists(st.integers(1, 6), min_size=m, max_size=m)), dtype=float) * 10
    else:
        soll = np.array(draw(st.lists(st.floats(0.01, 400), min_size=m, max_size=m)))
    eligible = np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m)))
    eligible[draw(st.integers(0, m - 1))] = True
    if draw(st.booleans()):
        soll[draw(st.integers(0, m - 1))] = 0.0
    if not (eligible & (soll > 0)).any():
        soll[np.flatnonzero(eligible)[0]] = 5.0
    rank = np.array(draw(st.permutations(range(m))))
    upper = None
    if capped:
        upper = np.array([draw(st.one_of(st.just(np.inf), st.integers(0, 60).map(float))) for _ in range(m)])
        room = np.where(eligible & (soll > 0), upper, 0).sum()
        n = draw(st.integers(0, int(min(room, max_n))))
    else:
        n = draw(st.integers(0, max_n))
    return last, soll, eligible, n, rank, upper


@FAST
@given(person_instances())
def test_person_counts_equal_the_heap(inst):
    last, soll, eligible, n, rank, _ = inst
    fast = greedy.person_counts(last, soll, eligible, n, rank)
    assert fast is not None
    same(fast, reference_persons(last, soll, eligible, n, rank))


@FAST
@given(person_instances(capped=True))
def test_capped_person_counts_equal_the_bounded_heap(inst):
    last, soll, eligible, n, rank, upper = inst
    fast = greedy.person_counts(last, soll, eligible, n, rank, upper=upper)
    assert fast is not None
    same(fast, reference_persons(last, soll, eligible, n, rank, upper))


def test_exact_ties_follow_the_documented_rule():
    # equal fulfilment everywhere: the larger remaining obligation first, then the smaller AGS
    last = np.array([10.0, 20.0, 20.0, 5.0])
    soll = np.array([20.0, 40.0, 40.0, 10.0])
    rank = np.array([3, 2, 0, 1])
    for n in range(0, 60):
        same(greedy.person_counts(last, soll, np.ones(4, bool), n, rank),
             reference_persons(last, soll, np.ones(4, bool), n, rank))


@pytest.mark.parametrize("n", [0, 1, 3_000, 200_000, 10_000_000])
def test_large_n_on_396_gemeinden(n):
    rng = np.random.default_rng(n)
    soll_share = rng.uniform(0.2, 5, 396)
    last = np.round(rng.uniform(0.7, 1.3, 396) * soll_share * 250)
    last[::7] += 0.4  # a few fractional loads (credited places)
    soll = soll_share / soll_share.sum() * (last.sum() + n)
    rank = rng.permutation(396)
    eligible = rng.random(396) > 0.05
    fast = greedy.person_counts(last, soll, eligible, n, rank)
    assert fast is not None and fast.zuweisung.sum() == n
    if n <= 200_000:   # the heap is linear in N (10^7 takes minutes); above, the certificate
        same(fast, reference_persons(last, soll, eligible, n, rank))
    else:
        # the certificate itself: every receiving Gemeinde's last person came at or below every
        # eligible Gemeinde's next key
        nxt = np.round(greedy.accumulate(last, fast.zuweisung) / soll, 12)
        got = fast.zuweisung > 0
        assert fast.r_before_last[got].max() <= nxt[eligible & (soll > 0)].min()


@FAST
@given(st.lists(st.floats(-40, 3e6, allow_nan=False), min_size=1, max_size=6),
       st.lists(st.integers(0, 3000), min_size=6, max_size=6))
@example([0.1, 2.0 ** 20 - 0.3, -7.7, 1023.999999], [5000, 3000, 20, 1])
def test_accumulate_is_repeated_addition(xs, ks):
    x = np.array(xs)
    k = np.array(ks[:len(xs)])
    expect = x.copy()
    for j in range(len(x)):
        for _ in range(k[j]):
            expect[j] += 1
    assert np.array_equal(greedy.accumulate(x, k), expect)


@FAST
@given(st.data())
def test_households_fast_equals_reference(data):
    last, soll, eligible, _n, rank, _ = data.draw(person_instances())
    sizes = np.array(data.draw(st.lists(st.integers(1, 7), max_size=60)), dtype=np.int64)
    order = greedy.household_order(sizes)
    a = greedy.assign_units(last, soll, eligible, sizes[order], rank)
    b = greedy.assign_households(last, soll, eligible, sizes[order], rank)
    assert (a.zuweisung == b.zuweisung).all()
    assert (a.unit_target == b.unit_target).all()
    assert np.array_equal(a.r_before_last, b.r_before_last, equal_nan=True)


def place_households_reference(slots, sizes, hh_sizes, order, last, soll, ags_rank):
    """The constrained path's placement as it was (numpy scalars in the heap keys)."""
    import heapq

    current = np.asarray(last, dtype=float).copy()
    remaining = slots.copy()
    target = np.full(len(hh_sizes), -1, dtype=np.int64)
    class_of = {s: c for c, s in enumerate(sizes)}
    heaps: dict = {}
    for h in order:
        c = class_of[int(hh_sizes[h])]
        if c not in heaps:
            heaps[c] = [greedy.priority(current[i], soll[i], int(ags_rank[i]), int(i))
                        for i in np.flatnonzero(remaining[:, c] > 0)]
            heapq.heapify(heaps[c])
        _, _, _, i = heapq.heappop(heaps[c])
        target[h] = i
        current[i] += hh_sizes[h]
        remaining[i, c] -= 1
        if remaining[i, c] > 0:
            heapq.heappush(heaps[c], greedy.priority(current[i], soll[i], int(ags_rank[i]), int(i)))
    return target


@FAST
@given(st.data())
def test_place_households_equals_reference(data):
    from verteilung.solve import lp

    last, soll, _eligible, _n, rank, _ = data.draw(person_instances())
    soll = np.where(soll > 0, soll, 1.0)
    hh = np.array(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=40)), dtype=np.int64)
    order = greedy.household_order(hh)
    sizes = sorted(set(hh.tolist()), reverse=True)
    slots = np.zeros((len(last), len(sizes)), dtype=np.int64)
    for c, v in enumerate(sizes):
        for _ in range(int((hh == v).sum())):
            slots[data.draw(st.integers(0, len(last) - 1)), c] += 1
    a = lp.place_households(slots, sizes, hh, order, last, soll, rank)
    b = place_households_reference(slots, sizes, hh, order, last, soll, rank)
    assert (a == b).all()


@FAST
@given(st.data())
def test_household_classes_equal_the_reference_heap(data):
    """The numpy class-by-class form: the heap's counts, targets and certificate, ties included
    (integral loads; with fractional loads it declines and the heap runs)."""
    last, soll, eligible, _n, rank, _ = data.draw(person_instances())
    sizes = np.array(data.draw(st.lists(st.integers(1, 7), max_size=120)), dtype=np.int64)
    sizes = sizes[greedy.household_order(sizes)]
    res = greedy.household_classes(last, soll, eligible, sizes, rank)
    if np.all(last == np.floor(last)):
        assert res is not None
    if res is not None:
        ref = greedy.assign_units(last, soll, eligible, sizes, rank)
        assert (res.zuweisung == ref.zuweisung).all()
        assert (res.unit_target == ref.unit_target).all()
        assert np.array_equal(res.r_before_last, ref.r_before_last, equal_nan=True)


def water_level_loop(last, soll, n, eligible=None, lower=None, upper=None):
    """`waterfill.water_level` as it was: one Python step per breakpoint (the reference)."""
    last, soll = np.asarray(last, dtype=float), np.asarray(soll, dtype=float)
    ok = soll > 0 if eligible is None else (np.asarray(eligible, dtype=bool) & (soll > 0))
    lo = np.zeros(len(last)) if lower is None else np.asarray(lower, dtype=float)
    hi = np.full(len(last), np.inf) if upper is None else np.asarray(upper, dtype=float)
    idx = np.flatnonzero(ok)
    L, S, lo_e, hi_e = last[idx], soll[idx], lo[idx], hi[idx]
    events = np.concatenate([(L + lo_e) / S, (L + hi_e) / S])
    deltas = np.concatenate([S, -S])
    finite = np.isfinite(events)
    events, deltas = events[finite], deltas[finite]
    order = np.argsort(events, kind="stable")
    events, deltas = events[order], deltas[order]
    value, slope, prev = lo_e.sum(), 0.0, events[0]
    level = prev
    for pos in range(events.size):
        b = events[pos]
        nxt = value + slope * (b - prev)
        if nxt >= n - 1e-12 and slope > 0:
            level = prev + (n - value) / slope
            break
        value, prev = nxt, b
        slope += deltas[pos]
        level = b
    else:
        if slope > 0:
            level = prev + (n - value) / slope
    return float(level)


@FAST
@given(st.data())
def test_water_level_is_the_loop_bit_for_bit(data):
    """The breakpoint walk without a Python loop gives the very same float as the loop, with and
    without bounds (the level is shown and written: it must not move in the last digit)."""
    last, soll, eligible, n, _rank, upper = data.draw(person_instances(capped=data.draw(st.booleans())))
    lower = None
    if upper is not None and data.draw(st.booleans()):
        lower = np.minimum(np.array(data.draw(st.lists(st.integers(0, 5), min_size=len(last), max_size=len(last))),
                                    dtype=float), upper)
        n = max(n, int(np.where(eligible & (soll > 0), lower, 0).sum()))
        room = np.where(eligible & (soll > 0), upper, 0).sum()
        if n > room:
            return
    n = float(n) + data.draw(st.sampled_from([0.0, 0.5, 1e-13]))
    from verteilung.solve.waterfill import water_level

    ok = eligible & (soll > 0)
    try:
        got = water_level(last, soll, n, eligible, lower, upper).level
    except ValueError:
        lo_sum = 0.0 if lower is None else lower[ok].sum()
        hi_sum = np.inf if upper is None else upper[ok].sum()
        assert n < lo_sum - 1e-9 or n > hi_sum + 1e-9
        return
    assert got == water_level_loop(last, soll, n, eligible, lower, upper) or \
        (np.isnan(got) and np.isnan(water_level_loop(last, soll, n, eligible, lower, upper)))


# ---------------------------------------------------------------- allocate's in-core plumbing


def test_household_order_is_the_stable_sort_for_any_sizes():
    rng = np.random.default_rng(5)
    for sizes in [np.empty(0, dtype=np.int64), np.array([3]), rng.integers(1, 51, 2_000),
                  rng.integers(1, 70_000, 500), rng.integers(-5, 5, 300)]:
        assert np.array_equal(greedy.household_order(sizes), np.argsort(-sizes, kind="stable"))


@pytest.mark.parametrize("dtype", [object, "str", "string", float])
def test_fixed_gemeinde_read_as_the_frame_comparison_reads_it(dtype):
    """Blank and missing ags_fest name nothing, whatever the column's type and however it is held."""
    import importlib

    import pandas as pd

    alloc = importlib.import_module("verteilung.allocate")
    values = [np.nan] * 4 if dtype is float else ["", "05111000", None, "", np.nan, "05315000"]
    fest = pd.DataFrame({"ags_fest": pd.Series(values, dtype=dtype)})
    expect = (fest["ags_fest"].notna() & (fest["ags_fest"] != "")).to_numpy(dtype=bool)
    for column in (alloc._column(fest, "ags_fest"), fest["ags_fest"].array):
        named, got_values = alloc._fixed_to(column)
        assert np.array_equal(named, expect)
        assert list(got_values) == ([] if dtype is float else ["05111000", "05315000"])


def test_output_frames_equal_the_dict_constructor():
    """`allocate._frame` gives what ``pd.DataFrame(dict)`` gives: values, dtypes, label dtype, also
    for object columns (which pandas turns into strings)."""
    import importlib

    import pandas as pd

    alloc = importlib.import_module("verteilung.allocate")
    text = pd.Series(["a", "b", "c"]).array
    cases = [
        {"x": np.array([1.0, np.nan, 2.5]), "n": np.array([1, 2, 3]), "b": np.array([True, False, True]), "s": text},
        {"s": pd.Series(["a", "b", None], dtype=object).array, "x": np.arange(3.0)},
        {"s": np.array(["a", "b", "c"], dtype=object), "t": pd.Series(["u", None, "w"], dtype="string").array},
    ]
    for columns in cases:
        fast, plain = alloc._frame(dict(columns), 3), pd.DataFrame(columns)
        pd.testing.assert_frame_equal(fast, plain, check_exact=True)
        assert fast.columns.dtype == plain.columns.dtype
        assert list(fast.dtypes) == list(plain.dtypes)


def test_allocate_places_households_as_the_reference_heap_at_nrw_scale():
    """End to end on the shipped Gemeinden: `allocate` (the class route at ~1.100 households, the heap
    route for a handful) places every household where the reference heap puts it."""
    import pandas as pd

    from verteilung.allocate import allocate
    from verteilung.data import load_gemeinden
    from verteilung.law import flueag
    from verteilung.status import SystemState

    g = load_gemeinden(jahr=2024)
    key = flueag.key(g, "2024-01-01")["schluessel"].to_numpy()
    rng = np.random.default_rng(11)
    state = SystemState("flueag", g, key, np.round(key * 100_000 * rng.uniform(0.7, 1.3, len(g))), np.zeros(len(g)))
    rank = np.argsort(np.argsort(g["ags"].to_numpy(), kind="stable"), kind="stable")
    for n in (12, 1_100):
        sizes = rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6], n)
        hh = pd.DataFrame({"haushalt_id": [f"h{i}" for i in range(n)], "personen": sizes, "ags_fest": ""})
        classes = len(np.unique(sizes))
        assert greedy.cheaper_by_class(n, classes, len(g)) == (n > 100)
        order = greedy.household_order(sizes)
        soll = state.schluessel * (state.total + sizes.sum())
        ref = greedy.assign_units(state.last, soll, soll > 0, sizes[order], rank)
        where = np.empty(n, dtype=np.int64)
        where[order] = ref.unit_target
        res = allocate(state, haushalte=hh)
        assert list(res.households["ags"]) == list(g["ags"].to_numpy()[where])
        assert np.array_equal(res.zuweisung, ref.zuweisung)
        got = res.zuweisung > 0
        assert np.array_equal(res.r_before_last[got], ref.r_before_last[got])


@pytest.mark.parametrize("route", ["_get_column_array", "_from_arrays"])
def test_allocate_without_pandas_private_routes_gives_the_same_tables(route, monkeypatch):
    """`allocate._column` and `allocate._frame` use pandas internals with a public fallback (a pandas
    without them): the fallback gives the same tables, dtypes and households."""
    import pandas as pd

    from verteilung.allocate import allocate
    from verteilung.data import load_gemeinden
    from verteilung.io import python_strings
    from verteilung.law import flueag
    from verteilung.status import SystemState

    g = load_gemeinden(jahr=2024)
    key = flueag.key(g, "2024-01-01")["schluessel"].to_numpy()
    state = SystemState("flueag", g, key, np.round(key * 100_000), np.zeros(len(g)))
    hh = pd.DataFrame({"haushalt_id": [f"h{i}" for i in range(40)], "personen": [1, 2, 3, 4] * 10,
                       "ags_fest": ["05315000"] + [""] * 39})
    with python_strings():  # the CLI's string storage first: labels built there are not reused outside
        allocate(state, 300), allocate(state, haushalte=hh)
    want = [allocate(state, 300), allocate(state, haushalte=hh)]
    monkeypatch.delattr(pd.DataFrame, route)
    got = [allocate(state, 300), allocate(state, haushalte=hh)]
    for w, x in zip(want, got, strict=True):
        pd.testing.assert_frame_equal(x.table, w.table, check_exact=True)
        assert np.array_equal(x.zuweisung, w.zuweisung)
    pd.testing.assert_frame_equal(got[1].households, want[1].households, check_exact=True)


@pytest.mark.parametrize("how", ["whole", "sliced", "chunked", "nulls", "python"])
def test_arrow_string_reads_equal_pandas_own(how):
    """`allocate`'s Arrow routes (blank check by offsets, take by Arrow, AGS values kept per Arrow
    array) give what pandas gives, for a column sliced, in several chunks, with nulls, or held in
    Python storage (then the ordinary routes run)."""
    import importlib

    import pandas as pd
    import pyarrow as pa

    alloc = importlib.import_module("verteilung.allocate")
    values = ["", "05111000", "", "05315000", "", "05911000", ""]
    if how == "nulls":
        values[2] = None
    storage = "python" if how == "python" else "pyarrow"
    column = pd.Series(values, dtype=pd.StringDtype(storage, na_value=np.nan)).array
    if how == "sliced":
        column = column[2:]
    elif how == "chunked":
        column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([values[:3], values[3:]],
                                                                       type=pa.large_string()))).array
    expect = (pd.Series(column).notna() & (pd.Series(column) != "")).to_numpy(dtype=bool)
    named, fest = alloc._fixed_to(column)
    assert np.array_equal(named, expect)
    assert list(fest) == list(np.asarray(column, dtype=object)[expect])
    assert (alloc._arrow_nonblank(column) is None) == (how in ("chunked", "nulls", "python"))
    positions = np.array([4, 0, 0, 3, 1], dtype=np.int64)[: len(column) - 1]
    taken, want = alloc._take(column, positions), column.take(positions)
    assert taken.dtype == want.dtype and type(taken) is type(want)
    pd.testing.assert_extension_array_equal(taken, want)


def test_ags_values_follow_a_changed_column():
    """The AGS values kept per Arrow array are read only and never outlive a change of the column:
    pandas gives a changed column a new Arrow array, so the new order is checked again."""
    import importlib

    import pandas as pd

    alloc = importlib.import_module("verteilung.allocate")
    g = pd.DataFrame({"ags": pd.Series(["05111000", "05315000", "05911000"], dtype="str")})
    values, ascending = alloc._ags_values(alloc._column(g, "ags"))
    assert ascending and list(values) == ["05111000", "05315000", "05911000"]
    assert not values.flags.writeable
    assert alloc._ags_values(alloc._column(g, "ags"))[0] is values  # converted once
    g.loc[0, "ags"] = "05999000"
    values, ascending = alloc._ags_values(alloc._column(g, "ags"))
    assert not ascending and values[0] == "05999000"


def test_the_ags_cache_takes_threads_missing_at_once():
    """Review r56: the app's compute threads miss the AGS cache together; its eviction raced
    (``dictionary changed size during iteration`` or a ``KeyError``, 1 of 4 threads within 3 s)."""
    import importlib
    import sys
    import threading
    import time

    import pandas as pd

    allocate_module = importlib.import_module("verteilung.allocate")
    errors: list[str] = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def work() -> None:
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            try:
                allocate_module._ags_values(pd.array(["05111000", "05315000"], dtype="str"))
            except Exception as exc:  # any error of the cache is the finding
                errors.append(repr(exc))
                return

    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(allocate_module._AGS_SEEN) <= 8
