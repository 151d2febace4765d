"""Staffelung (pacing) in `allocate`: hand-checked weekly instance and invariants (issue 14)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verteilung.allocate import allocate
from verteilung.errors import InfeasibleError, InputError
from verteilung.solve import greedy
from verteilung.staffelung import Staffelung, haushalte_je_woche, personen_je_woche
from verteilung.status import SystemState

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def small_state() -> SystemState:
    g = pd.DataFrame({"ags": ["05000001", "05000002", "05000003"], "gemeinde": ["A", "B", "C"],
                      "einwohner": [400, 400, 200]})
    return SystemState("flueag", g, np.array([0.4, 0.4, 0.2]), np.array([30, 38, 10]), np.zeros(3))


# ---------------------------------------------------------------- golden (hand-checked)

def test_golden_two_weeks():
    # Keys (0.4, 0.4, 0.2), stock (30, 38, 10), T = 78; 10 persons in 2 weeks of 5.
    # Week 1: Soll = key · 83 = (33.2, 33.2, 16.6); r = (0.904, 1.145, 0.602). C's fulfilment
    #   stays below A's for all five persons (14/16.6 = 0.843 before the fifth): C 5.
    # Week 2: stock (30, 38, 15), T = 83, Soll = key · 88 = (35.2, 35.2, 17.6);
    #   r = (30/35.2, –, 15/17.6) = (0.852, 1.080, 0.852): a tie, A has the larger remaining
    #   obligation (5.2 vs 2.6): A → 31/35.2 = 0.881; C 0.852 → C → 16/17.6 = 0.909;
    #   A 0.881 → A → 32/35.2 = 0.909; tie again, A's obligation larger (3.2 vs 1.6) → A → 0.9375;
    #   C 0.909 → C. Week 2: A 3, C 2. Month: A 3, B 0, C 7 against the month's Soll (35.2, 35.2, 17.6).
    a = allocate(small_state(), 10, staffelung=Staffelung(wochen=2))
    assert [w.zuweisung.tolist() for w in a.wochen] == [[0, 0, 5], [3, 0, 2]]
    assert a.zuweisung.tolist() == [3, 0, 7]
    assert a.table["zuweisung_woche_1"].tolist() == [0, 0, 5]
    assert a.table["soll_nach_zuweisung"].tolist() == pytest.approx([35.2, 35.2, 17.6])
    assert a.table["bestand"].tolist() == [30, 38, 10]
    assert a.summary["personen_je_woche"] == [5, 5]


def test_golden_two_weeks_with_bound():
    # As above with at most 3 persons per Gemeinde and week.
    # Week 1: C takes 3 (r 0.602 → 0.783) and is at its bound; the rest goes to the lowest r
    #   among A and B: A (0.904 < 1.145) twice. Week 1: A 2, C 3.
    # Week 2: stock (32, 38, 13), Soll (35.2, 35.2, 17.6): r = (0.909, 1.080, 0.739): C takes 3
    #   (0.739, 0.795, 0.852 before each, all below A's 0.909), then A 2. Month: A 4, B 0, C 6.
    a = allocate(small_state(), 10, staffelung=Staffelung(wochen=2, max_personen=3))
    assert [w.zuweisung.tolist() for w in a.wochen] == [[2, 0, 3], [2, 0, 3]]
    assert a.zuweisung.tolist() == [4, 0, 6]
    assert (a.obergrenze == 3).all()
    assert a.summary["staffelung_an_grenze"] == 2


def test_golden_min_spread_and_refusals():
    # Without spread C and A receive (A 3, C 7 in one month, B 0); min_gemeinden = 3 sends the
    # last person to B, the only Gemeinde without anyone yet.
    assert allocate(small_state(), 10).zuweisung.tolist() == [3, 0, 7]
    assert allocate(small_state(), 10, staffelung=Staffelung(min_gemeinden=3)).zuweisung.tolist() == [3, 1, 6]
    # 2 persons reach at most 2 Gemeinden: the spread asks only that much
    assert (allocate(small_state(), 2, staffelung=Staffelung(min_gemeinden=3)).zuweisung > 0).sum() == 2
    with pytest.raises(InfeasibleError, match="erlauben zusammen nur 9") as e:
        allocate(small_state(), 10, staffelung=Staffelung(max_personen=3))
    assert e.value.exit_code == 3
    with pytest.raises(InfeasibleError, match="Woche 1: 3 Personen"):
        allocate(small_state(), 10, staffelung=Staffelung(max_anteil_soll=0.05, wochen=4))
    hh = pd.DataFrame({"haushalt_id": ["h1"], "personen": [5], "ags_fest": [""]})
    with pytest.raises(InfeasibleError, match="Haushalt mit 5 Personen"):
        allocate(small_state(), haushalte=hh, staffelung=Staffelung(max_personen=4))
    blocked = small_state()
    blocked.gesperrt = np.array([True, True, False])
    with pytest.raises(InfeasibleError, match="mindestens 2 empfangende"):
        allocate(blocked, 5, staffelung=Staffelung(min_gemeinden=2))


def test_bounds_relative_to_soll_and_population():
    s = Staffelung(max_personen=50, max_anteil_soll=0.02, max_je_1000_einwohner=1.5)
    # 2 % of 1500 = 30 exactly (no float loss), 1.5 per 1,000 of 10,000 = 15; the smallest wins
    assert s.obergrenze(np.array([1500.0, 1500.0, 140.0]), np.array([1e6, 10_000, 1e6])).tolist() == [30, 15, 2]
    assert Staffelung().obergrenze(np.array([10.0])).tolist() == [np.inf]
    with pytest.raises(InputError, match="Einwohnerzahlen"):
        Staffelung(max_je_1000_einwohner=1).obergrenze(np.array([10.0]))


def test_week_split():
    assert personen_je_woche(10, 3) == [4, 3, 3]
    assert personen_je_woche(2, 4) == [1, 1, 0, 0]
    # persons 0–4 are week 1, 5–9 week 2; households start at persons 0, 3, 6, 8
    assert haushalte_je_woche(np.array([3, 3, 2, 2]), 2).tolist() == [0, 0, 1, 1]
    assert haushalte_je_woche(np.array([7, 1, 1, 1]), 2).tolist() == [0, 1, 1, 1]
    assert haushalte_je_woche(np.array([10]), 3).tolist() == [0]


@pytest.mark.parametrize("bad", [dict(max_personen=-1), dict(max_personen=2.5), dict(max_anteil_soll=1.5),
                                 dict(max_anteil_soll=float("nan")), dict(wochen=0), dict(min_gemeinden=-2),
                                 dict(max_je_1000_einwohner=True)])
def test_invalid_parameters_are_refused(bad):
    with pytest.raises(InputError, match="staffelung"):
        Staffelung(**bad)


def test_from_dict():
    assert Staffelung.from_dict({"max_anteil_soll": 0.02, "wochen": 4}) == Staffelung(max_anteil_soll=0.02, wochen=4)
    assert Staffelung.from_dict(None) is None
    assert Staffelung(max_personen=20, wochen=4).as_dict() == {"max_personen": 20, "wochen": 4}
    with pytest.raises(InputError, match="unbekannte Angabe max_pro_woche"):
        Staffelung.from_dict({"max_pro_woche": 20})


# ---------------------------------------------------------------- properties

@st.composite
def instances(draw, households: bool | None = None):
    m = draw(st.integers(1, 8))
    key = np.array(draw(st.lists(st.integers(0, 9), min_size=m, max_size=m)), dtype=float)
    key[draw(st.integers(0, m - 1))] += 1
    key /= key.sum()
    bestand = np.array(draw(st.lists(st.integers(0, 200), min_size=m, max_size=m)))
    g = pd.DataFrame({"ags": [f"05{i:06d}" for i in draw(st.permutations(range(m)))],
                      "gemeinde": [f"G{i}" for i in range(m)],
                      "einwohner": draw(st.lists(st.integers(100, 20_000), min_size=m, max_size=m))})
    gesperrt = np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m))) & draw(st.booleans())
    state = SystemState("flueag", g, key, bestand, np.zeros(m), gesperrt=gesperrt)
    staffelung = Staffelung(
        max_personen=draw(st.none() | st.integers(0, 25)),
        max_anteil_soll=draw(st.none() | st.floats(0, 0.6)),
        max_je_1000_einwohner=draw(st.none() | st.floats(0, 5)),
        wochen=draw(st.integers(1, 4)), min_gemeinden=draw(st.integers(0, m) | st.just(0)))
    if households if households is not None else draw(st.booleans()):
        sizes = draw(st.lists(st.integers(1, 5), max_size=15))
        hh = pd.DataFrame({"haushalt_id": [f"h{i}" for i in range(len(sizes))], "personen": sizes,
                           "ags_fest": [""] * len(sizes)})
        return state, None, hh, staffelung
    return state, draw(st.integers(0, 90)), None, staffelung


def periods(a):
    return a.wochen or [a]


@PROPS
@given(instances())
def test_paced_allocation_invariants(inst):
    state, personen, hh, staffelung = inst
    try:
        a = allocate(state, personen, hh, staffelung=staffelung)
    except InfeasibleError as e:
        assert str(e).startswith("Staffelung nicht erfüllbar") or "infeasible" in str(e)
        return
    n = personen if hh is None else int(hh["personen"].sum())
    assert int(a.zuweisung.sum()) == n
    for p, bound in zip(periods(a), a.obergrenze, strict=True):
        assert (p.zuweisung <= bound).all()  # no Gemeinde above its bound in any period
        if staffelung.min_gemeinden:
            units = p.summary["personen"] if hh is None else p.summary["haushalte"]
            assert (p.zuweisung > 0).sum() >= min(staffelung.min_gemeinden, units)
    if hh is not None:  # households whole: one Gemeinde each, and they make up the counts
        h = a.households
        assert h["haushalt_id"].tolist() == hh["haushalt_id"].tolist()
        per = h.groupby("ags")["personen"].sum()
        assert all(per.get(x, 0) == z for x, z in zip(a.table["ags"], a.zuweisung, strict=True))
    # determinism: the same call gives the same tables
    b = allocate(state, personen, hh, staffelung=staffelung)
    pd.testing.assert_frame_equal(a.table, b.table)
    if hh is not None:
        pd.testing.assert_frame_equal(a.households, b.households)
    assert repr(a.summary) == repr(b.summary)  # repr: nan equals nan


@PROPS
@given(instances(households=False))
def test_persons_feasible_exactly_when_bounds_allow(inst):
    state, personen, _, staffelung = inst
    staffelung = Staffelung(staffelung.max_personen, staffelung.max_anteil_soll, staffelung.max_je_1000_einwohner)
    soll = state.schluessel * (state.total + personen)
    eligible = (soll > 0) & ~state.gesperrt
    room = staffelung.obergrenze(soll, state.gemeinden["einwohner"].to_numpy())[eligible].sum()
    if room >= personen and (eligible.any() or personen == 0):
        assert int(allocate(state, personen, staffelung=staffelung).zuweisung.sum()) == personen
    else:
        with pytest.raises(InfeasibleError):
            allocate(state, personen, staffelung=staffelung)


@PROPS
@given(instances())
def test_order_certificate_among_gemeinden_under_their_bound(inst):
    """One period, no spread: every Gemeinde i that received someone had, just before its last
    unit, a fulfilment key r_i no higher than the final fulfilment of every eligible Gemeinde j
    still able to take that unit (room left ≥ the largest unit). Loads only grow, so j's
    fulfilment then was ≤ its final one, and the rule would have chosen j had it been lower."""
    state, personen, hh, staffelung = inst
    staffelung = Staffelung(staffelung.max_personen, staffelung.max_anteil_soll, staffelung.max_je_1000_einwohner)
    try:
        a = allocate(state, personen, hh, staffelung=staffelung)
    except InfeasibleError:
        return
    if not a.summary["pfad"].startswith("Referenzverfahren"):
        return
    unit = 1 if hh is None or hh.empty else int(hh["personen"].max())
    room = np.where(a.eligible, a.obergrenze[0] - a.zuweisung, 0)
    load = a.last + a.zuweisung
    final = np.array([greedy._round12(x / s) if s > 0 else np.inf for x, s in zip(load, a.soll, strict=True)])
    open_ = a.eligible & (room >= unit)
    if not open_.any():
        return
    got = a.zuweisung > 0
    assert (a.r_before_last[got] <= final[open_].min() + 1e-12).all()


@PROPS
@given(instances())
def test_no_bounds_is_todays_allocation(inst):
    """Staffelung() (no bound, one period) runs the capped code and must give today's result."""
    state, personen, hh, _ = inst
    try:
        today = allocate(state, personen, hh)
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            allocate(state, personen, hh, staffelung=Staffelung())
        return
    paced = allocate(state, personen, hh, staffelung=Staffelung())
    pd.testing.assert_frame_equal(today.table, paced.table.drop(columns="obergrenze"))
    if hh is not None:
        pd.testing.assert_frame_equal(today.households, paced.households)
    assert np.array_equal(today.r_before_last, paced.r_before_last, equal_nan=True)
    assert repr({k: v for k, v in paced.summary.items() if not k.startswith("staffelung")}) == repr(today.summary)


@PROPS
@given(st.integers(1, 10).flatmap(lambda m: st.tuples(
    st.lists(st.integers(0, 300), min_size=m, max_size=m), st.lists(st.integers(1, 60), min_size=m, max_size=m),
    st.lists(st.integers(0, 30), min_size=m, max_size=m), st.integers(0, 150))))
def test_capped_heap_equals_fast_path(data):
    last, soll, cap = (np.asarray(x, dtype=float) for x in data[:3])
    n = data[3]
    eligible = np.ones(len(last), dtype=bool)
    rank = np.argsort(np.argsort([f"{i:03d}" for i in range(len(last))]))
    if cap.sum() < n:
        return
    heap = greedy.assign_capped(last, soll, eligible, np.ones(n, dtype=np.int64), rank, cap)
    fast = greedy.person_counts(last, soll, eligible, n, rank, upper=cap)
    assert heap is not None
    if fast is not None:
        assert heap.zuweisung.tolist() == fast.zuweisung.tolist()
        assert np.array_equal(heap.r_before_last, fast.r_before_last, equal_nan=True)
    unbounded = greedy.assign_capped(last, soll, eligible, np.ones(n, dtype=np.int64), rank, np.full(len(last), np.inf))
    ref = greedy.assign_units(last, soll, eligible, np.ones(n, dtype=np.int64), rank)
    assert unbounded.zuweisung.tolist() == ref.zuweisung.tolist()
    assert unbounded.unit_target.tolist() == ref.unit_target.tolist()


def test_households_stuck_under_bounds_go_to_the_solver():
    # Bounds A 6, B 0, C 4 (1 per 1,000 inhabitants). Largest first, the 4-household goes to A
    # (lowest fulfilment), and then one 3-household fits nowhere (A 2 left, C 4 → 1 after the
    # other). The greedy stops; the solver path finds 3 + 3 in A and 4 in C.
    g = pd.DataFrame({"ags": ["05000001", "05000002", "05000003"], "gemeinde": ["A", "B", "C"],
                      "einwohner": [6000, 500, 4000]})
    state = SystemState("flueag", g, np.array([0.4, 0.4, 0.2]), np.array([10, 38, 30]), np.zeros(3))
    hh = pd.DataFrame({"haushalt_id": ["h1", "h2", "h3"], "personen": [3, 3, 4], "ags_fest": ["", "", ""]})
    a = allocate(state, haushalte=hh, staffelung=Staffelung(max_je_1000_einwohner=1))
    assert a.zuweisung.tolist() == [6, 0, 4]
    assert not a.summary["pfad"].startswith("Referenzverfahren")
    hh.loc[2, "ags_fest"] = "05000002"
    with pytest.raises(InfeasibleError, match="feste Haushalte bringen 4 Personen, die Staffelung erlaubt 0"):
        allocate(state, haushalte=hh, staffelung=Staffelung(max_je_1000_einwohner=1))


def test_weeks_with_capacities_and_minimums():
    # max_zuweisung holds for the month (C: 4 in week 1, none left for week 2); the minimum of B
    # is asked of the last week. The month's counts equal the one-period constrained result.
    c = pd.DataFrame({"ags": ["05000001", "05000002", "05000003"], "min_zuweisung": [0, 1, 0.0],
                      "max_zuweisung": [np.nan, np.nan, 4], "gesperrt": [False] * 3})
    a = allocate(small_state(), 10, beschraenkungen=c, staffelung=Staffelung(wochen=2))
    assert [w.zuweisung.tolist() for w in a.wochen] == [[1, 0, 4], [4, 1, 0]]
    assert a.zuweisung.tolist() == allocate(small_state(), 10, beschraenkungen=c).zuweisung.tolist() == [5, 1, 4]


def test_shipped_paced_m1_keeps_every_gemeinde_within_its_bound(cli, tmp_path):
    """Issue 14 acceptance: on the shipped data the paced M1 stays at or below each bound."""
    from verteilung.compare import default_bestand
    from verteilung.inputs import prepare
    from verteilung.model import Context, evaluate, load_model

    d = load_model("m1-gemeinsamer-bestand-gestaffelt")
    inp = prepare(bestand=default_bestand(), bestand_spalten=("flueag_bestand", "wsa_bestand"))
    res = evaluate(d, Context(inp.gemeinden, inp.bestand, inp.stichtag, {"flueag": 1260, "wsa": 493}))["gesamt"]
    cap = res.allocation.obergrenze[0]
    assert res.zuweisung.sum() == 1753 and (res.zuweisung <= cap).all()
    assert res.zuweisung.max() == 197            # unpaced M1 sends 590 to Bonn in this month
    r = cli("compare", "--modelle", "m1-gemeinsamer-bestand-gestaffelt", "--out", tmp_path / "v")
    assert r.code == 0, r.stderr


def test_model_file_with_unknown_pacing_key_is_refused(cli, tmp_path):
    text = (Path(__file__).parents[1] / "models" / "m1-gemeinsamer-bestand-gestaffelt.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "m.yaml"
    bad.write_text(text.replace("max_anteil_soll: 0.02", "max_anteil: 0.02"), encoding="utf-8")
    r = cli("compare", "--modelle", bad, "--out", tmp_path / "v")
    assert r.code == 2 and "max_anteil" in r.stderr


def test_shipped_paced_models_stay_within_their_bounds_month_by_month():
    """Issue 14 acceptance over the months of a simulation: every Gemeinde's monthly assignment
    under the paced M1 and M2 is at or below that month's bound; unpaced models have none."""
    from verteilung.simulate import simulate

    res = simulate(4, ["status-quo", "m1-gemeinsamer-bestand-gestaffelt", "m2-mischschluessel-gestaffelt"])
    for m in ("m1-gemeinsamer-bestand-gestaffelt", "m2-mischschluessel-gestaffelt"):
        z, cap = res.zuweisung_monate[m], res.obergrenze_monate[m]
        assert z.shape == cap.shape == (4, 396) and np.isfinite(cap).all()
        assert (z <= cap).all() and (z.sum(axis=1) == 1753).all()
        assert (z == cap).any()  # the bound binds somewhere
    assert np.isinf(res.obergrenze_monate["status-quo"]).all()


def test_api_and_cli_take_pacing(cli, tmp_path):
    from verteilung import api

    bestand = Path(__file__).parents[1] / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
    a = api.allocate("flueag", bestand, personen=1260, staffelung={"max_personen": 40})
    assert a.zuweisung.sum() == 1260 and a.zuweisung.max() <= 40 and a.summary["staffelung"] == {"max_personen": 40}
    b = api.allocate("flueag", bestand, personen=1260, staffelung="max_personen=40")
    assert b.zuweisung.tolist() == a.zuweisung.tolist()
    assert api.allocate("flueag", bestand, personen=1260).zuweisung.max() > 40
    # with a model: the argument replaces the model's own pacing
    m = api.allocate("gesamt", bestand, personen=1753, modell="m1-gemeinsamer-bestand-gestaffelt")
    assert m.zuweisung.max() == 197
    w = api.allocate("gesamt", bestand, personen=1753, modell="m1-gemeinsamer-bestand-gestaffelt",
                     staffelung=Staffelung(max_personen=20, wochen=4))
    assert w.zuweisung.sum() == 1753 and len(w.wochen) == 4 and (w.obergrenze == 20).all()
    r = cli("allocate", "--system", "flueag", "--bestand", bestand, "--personen", "1260",
            "--staffelung", "max_personen=3")
    # 3 each for the 234 Gemeinden with an open FlüAG obligation (the status-quo rule, as in `run`)
    assert r.code == 3 and "Staffelung nicht erfüllbar" in r.stderr and "510" in r.stderr
    r = cli("allocate", "--system", "flueag", "--bestand", bestand, "--personen", "1260",
            "--staffelung", "max_personen=drei")
    assert r.code == 2 and "max_personen: „drei“ ist keine ganze Zahl" in r.stderr
    r = cli("allocate", "--system", "flueag", "--bestand", bestand, "--personen", "1260",
            "--staffelung", "max_anteil_soll=0.05", "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json()["summary"]["staffelung"] == {"max_anteil_soll": 0.05}


def test_readme_findings_of_the_paced_models_match_the_run():
    """README's pacing block is generated (scripts/update_readme.py) from compare and simulate."""
    from scripts.update_readme import README, paced_block

    assert paced_block() in README.read_text(encoding="utf-8")


def test_model_whose_bounds_cannot_hold_is_refused_with_the_reason(cli, tmp_path):
    text = (Path(__file__).parents[1] / "models" / "m1-gemeinsamer-bestand-gestaffelt.yaml").read_text(encoding="utf-8")
    tight = tmp_path / "m.yaml"
    tight.write_text(text.replace("max_anteil_soll: 0.02", "max_personen: 1"), encoding="utf-8")
    for args in (("compare", "--modelle", tight, "--out", tmp_path / "v"),
                 ("simulate", "--monate", "1", "--modelle", tight, "--out", tmp_path / "s")):
        r = cli(*args)
        assert r.code == 3 and "erlauben zusammen nur 396" in r.stderr, r.stderr



def test_the_time_limit_bounds_the_whole_month_not_each_week(monkeypatch):
    # --zeitlimit 4 over 4 weeks: a week may use an equal share of what is left when it starts, so no
    # week may run past the month's limit (before: each week had the full 4 s, 16 s in all)
    allocate_mod = importlib.import_module("verteilung.allocate")  # the package exports a function of that name

    calls, real = [], allocate_mod._allocate_period
    clock = [100.0]  # the module's clock, advanced only by the weeks: exact under any machine load

    class Uhr:
        @staticmethod
        def perf_counter() -> float:
            return clock[0]

    def spy(state, personen, haushalte, beschraenkungen, solver, pfad, zeitlimit, *rest):
        calls.append((clock[0] - 100.0, zeitlimit))
        clock[0] += 0.05  # a week that takes time leaves less to the later ones
        return real(state, personen, haushalte, beschraenkungen, solver, pfad, zeitlimit, *rest)

    monkeypatch.setattr(allocate_mod, "_allocate_period", spy)
    monkeypatch.setattr(allocate_mod, "time", Uhr)
    a = allocate(small_state(), 20, zeitlimit=4.0, staffelung=Staffelung(wochen=4))
    assert a.zuweisung.sum() == 20 and len(calls) == 4
    assert calls[0] == (0.0, pytest.approx(1.0))                  # a quarter of the month
    assert [round(start, 9) for start, _ in calls] == [0.0, 0.05, 0.1, 0.15]
    assert calls[1][1] == pytest.approx(3.95 / 3)                 # an equal share of what is left
    assert all(start + limit <= 4.0 + 1e-9 for start, limit in calls)
    start, limit = calls[-1]
    assert limit == pytest.approx(4.0 - start)                    # the last week gets all that is left
