"""`--zeitlimit` bounds the constrained allocation as a whole, and the result says what is proven.

With a budget too small for any integer model, both stages are skipped for the capacity-aware
greedy's allocation: it must still be a valid allocation, and the result must say that the limit
cut the stages short, with the proven bound of the lowest fulfilment. (The wall-clock bound
itself is measured in benchmarks/bench_zeitlimit.py, not asserted here.)
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.io.deutsch import fmt_pct
from verteilung.solve import lp


def _build(rng: np.random.Generator, n: int, sizes: list[int], counts: list[int]):
    """A small constrained instance: random key, stock near it, every second Gemeinde capped."""
    persons = sum(s * c for s, c in zip(sizes, counts, strict=True))
    key = rng.uniform(0.5, 2.0, n)
    key /= key.sum()
    last = np.round(key * 200 * rng.uniform(0.7, 1.3, n))
    soll = key * (last.sum() + persons)
    upper = np.where(rng.random(n) < 0.5, np.floor(rng.uniform(0, 4, n)), np.inf)
    upper[np.argmax(key)] = np.inf  # room for everybody somewhere
    return last, soll, np.ones(n, dtype=bool), np.zeros(n), upper, sizes, counts, np.arange(n)


@st.composite
def instances(draw):
    n = draw(st.integers(8, 40))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    sizes = [3, 2, 1]
    return _build(rng, n, sizes, [draw(st.integers(1, 6)) for _ in sizes])


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


# ---------------------------------------------------------------- the child process and its deadline
#
# The integer stages run in a child process that is stopped at the limit (`prozess.run_until`).
# These tests replace the stages by a child that never finishes: the answer must then be the one
# known before (or reported by the child before it hung), with its honest note, and the child gone.
# The limits are short so the tests stay fast; no wall time is asserted.

PID_FILE = "VERTEILUNG_TEST_KIND_PID"
REAL_STAGES = lp._integer_stages


def _hangs(report, job):
    """A child whose integer stages never end."""
    Path(os.environ[PID_FILE]).write_text(str(os.getpid()))
    time.sleep(600)


def _hangs_after_stage_2(report, job):
    """The real stages, but the child hangs where it would hand over the final answer."""
    Path(os.environ[PID_FILE]).write_text(str(os.getpid()))

    def hold_back_final(result, final):
        if final:
            time.sleep(600)
        report(result, final)

    REAL_STAGES(hold_back_final, job)


def _instance(seed: int):
    rng = np.random.default_rng(seed)
    n = 12   # more households than Gemeinden: the greedy's level need not reach the bound
    return _build(rng, n, [3, 2, 1], [int(v) for v in rng.integers(4, 12, 3)])


def _granular():
    """Seven households of 3 and 4 persons for six equal Gemeinden: the lowest fulfilment of any
    allocation is 30 %, the persons' bound 40 %; only the integer max-min stage proves 30 %."""
    n = 6
    return (np.zeros(n), np.full(n, 10.0), np.ones(n, dtype=bool), np.zeros(n), np.full(n, np.inf), [4, 3], [4, 3],
            np.arange(n))


INSTANCES = {"gemischt_1": lambda: _instance(1), "gemischt_5": lambda: _instance(5), "koernig": _granular}


def _stage3_cost(inst, slots) -> float:
    last, soll, eligible, lower, upper, sizes, counts, rank = inst
    n_free = sum(s * c for s, c in zip(sizes, counts, strict=True))
    target = lp.water_level(last, soll, n_free, eligible, lower, upper).allocation
    order = lp.reference_rank(last, soll, rank)
    weight = 1.0 + lp.TIE_BREAK * (len(last) - order) / len(last)
    return lp._shortfall_cost(slots @ np.asarray(sizes), target, np.flatnonzero(eligible), soll, weight,
                              max(sizes) - 1e-6)


_BEFORE: set[int] = set()


@pytest.fixture(autouse=True)
def _children_before():
    """Processes this test worker had already started (other test files' pools share the process
    under xdist): the check below is about the children a solve leaves, not theirs."""
    _BEFORE.clear()
    _BEFORE.update(c.pid for c in multiprocessing.active_children())


def _assert_child_gone(pid_file: Path) -> None:
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)                                              # stopped and reaped
    assert [c for c in multiprocessing.active_children() if c.pid not in _BEFORE] == []


@pytest.mark.parametrize("name", INSTANCES)
def test_a_child_that_does_not_finish_is_stopped_and_the_greedy_answer_stands(name, monkeypatch, tmp_path):
    inst = INSTANCES[name]()
    last, soll, eligible, lower, upper, sizes, counts, rank = inst
    monkeypatch.setenv(PID_FILE, str(tmp_path / "pid"))
    monkeypatch.setattr(lp, "_integer_stages", _hangs)
    res = lp.solve(*inst, time_limit=0.5, milp=True)
    _assert_child_gone(tmp_path / "pid")
    greedy_slots = lp.capacity_greedy(last, soll, eligible, lower, upper, sizes, counts, rank)
    assert (res.slots == greedy_slots).all()
    assert "Fehlbetragsstufe beim Zeitlimit abgebrochen: kapazitätsbewusste Zuweisung verwendet" in res.hinweis
    assert np.isfinite(res.fehlbetrag_luecke) and 0 <= res.fehlbetrag_luecke <= 1
    if res.fehlbetrag_luecke > 0:
        assert f"bewiesene Lücke zum optimalen Fehlbetrag höchstens {fmt_pct(res.fehlbetrag_luecke * 100, 2)}" \
            in res.hinweis
    if not res.max_min_bewiesen:
        assert "Max-Min-Stufe beim Zeitlimit abgebrochen" in res.hinweis
        assert f"bewiesene Obergrenze {fmt_pct(res.max_min_schranke * 100, 4)}" in res.hinweis
    assert res.max_min_schranke >= res.max_min - 1e-12
    assert not res.bewiesen or (res.max_min_bewiesen and res.fehlbetrag_luecke == 0)


@pytest.mark.parametrize("name", INSTANCES)
def test_the_stage_2_answer_reported_before_the_child_hung_is_kept(name, monkeypatch, tmp_path):
    inst = INSTANCES[name]()
    monkeypatch.setenv(PID_FILE, str(tmp_path / "pid"))
    monkeypatch.setattr(lp, "_integer_stages", _hangs_after_stage_2)
    res = lp.solve(*inst, time_limit=1.5, milp=True)
    _assert_child_gone(tmp_path / "pid")
    monkeypatch.setattr(lp, "_integer_stages", REAL_STAGES)
    full = lp.solve(*inst, time_limit=60, milp=True)                 # the stages run to the end
    assert full.bewiesen and res.max_min == full.max_min and res.max_min_bewiesen
    assert "Fehlbetragsstufe beim Zeitlimit abgebrochen" in res.hinweis
    # the stated gap is a proven one: the optimum lies no further below the answer than it says
    assert _stage3_cost(inst, full.slots) >= _stage3_cost(inst, res.slots) * (1 - res.fehlbetrag_luecke) - 1e-9


@settings(max_examples=10, deadline=None)
@given(inst=instances())
def test_the_child_process_changes_no_result(inst):
    """With time enough, the stages in a child give exactly what they give in this process."""
    in_child = lp.solve(*inst, time_limit=60, milp=True)
    original = lp.prozess.run_until
    lp.prozess.run_until = lambda target, args, ende: lp.prozess.run_here(target, args)
    try:
        here = lp.solve(*inst, time_limit=60, milp=True)
    finally:
        lp.prozess.run_until = original
    assert (in_child.slots == here.slots).all()
    assert (in_child.max_min, in_child.max_min_schranke, in_child.hinweis, in_child.fehlbetrag_luecke) == \
        (here.max_min, here.max_min_schranke, here.hinweis, here.fehlbetrag_luecke)


def test_an_error_in_the_child_is_raised_here():
    with pytest.raises(lp.InfeasibleError):
        lp.solve(np.array([10.0, 10.0]), np.array([12.0, 12.0]), np.ones(2, dtype=bool), np.array([0.0, 3.0]),
                 np.array([np.inf, 3.0]), [2], [3], np.arange(2), time_limit=30, milp=True)
