"""Sweeps: vectorised = single-scenario path to 1e-9; engines agree; resume after interruption."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.compare import compare
from verteilung.solve.waterfill import water_levels
from verteilung.sweep_runner import run_sweep

# the module, not the API function `verteilung.sweep` of the same name
sw = importlib.import_module("verteilung.sweep")

WHEN = dt.date(2024, 1, 1)
METRICS = ("quote_min", "quote_p10", "quote_median", "quote_p90", "quote_max", "gini_last_je_einwohner",
           "vk_last_je_einwohner", "wasserstand")


@pytest.fixture(scope="module")
def base():
    return sw.prepare_base()


@pytest.mark.parametrize("name,ranges,stoerung", [
    ("m1", {"einwohner": (0.5, 1.0), "kappung": (1.05, 2.0), "zugaenge": (0, 8000), "anrechnung": (0, 1.3)}, {}),
    ("m2", {"alpha": (0, 1), "zugaenge": (100, 3000)}, {"einwohner": 0.03, "bestand": 0.1}),
    ("gewichtet", {"einwohner": (0.5, 0.9), "flaeche": (0, 0.3)}, {"bestand": 0.05}),
])
def test_vectorised_equals_single_scenario_path(base, name, ranges, stoerung):
    model = sw.sweep_model(name, WHEN, {"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1})
    assert_agrees(base, model, ranges, stoerung)


def model_yaml(tmp_path, ident: str, system: dict) -> str:
    import yaml

    doc = {"id": ident, "titel": ident, "beschreibung_de": "Test", "description_en": "test",
           "rechtsgrundlage": "keine", "vorschlag": "keiner", "begruendung": "Test",
           "systeme": [{"name": "gesamt", **system}]}
    path = tmp_path / f"{ident}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("ident,system,ranges,lesarten", [
    # FlüAG key with cap reading R2 over the combined stock
    ("flueag-r2", {"schluessel": {"typ": "flueag", "kappung": "R2"}, "bestand": ["flueag_bestand", "wsa_bestand"],
                   "anrechnung": True, "zugaenge": "alle"},
     {"einwohner": (0.7, 1.0), "zugaenge": (0, 4000)}, {"kappung_iteriert": False}),
    # AWoV key (Anlage 1 reading A, both cuts multiplicative, redistributed on the reduced key), WSA stock only
    ("awov-a", {"schluessel": {"typ": "awov", "anlage1": "A"}, "bestand": ["wsa_bestand"], "zugaenge": "wsa"},
     {"einwohner": (0.6, 0.9), "flaeche_km2": (0.0, 0.2)}, {"minderung": "multiplikativ", "umverteilung": "gemindert"}),
    # a user's own key with a cap and a reduction, FlüAG stock only, no credit
    ("eigen", {"schluessel": {"typ": "gewichtet", "gewichte": {"einwohner": 0.7, "flaeche": 0.2, "arbeitslose": 0.1},
                              "kappung": {"komponente": "einwohner", "faktor": 1.3},
                              "minderungen": [{"merkmal": "awov_mietpreisbremse", "satz": 0.15}]},
               "bestand": ["flueag_bestand"], "zugaenge": "flueag"},
     {"einwohner": (0.5, 0.8), "kappung": (1.1, 1.6)}, {}),
    # the mixed key with fixed alpha and cut readings
    ("mix", {"schluessel": {"typ": "mix", "alpha": 0.4}, "bestand": ["flueag_bestand", "wsa_bestand"],
             "anrechnung": True, "zugaenge": "alle"}, {"anrechnung": (0.0, 1.0)}, {"minderung": "multiplikativ"}),
])
def test_user_yaml_models_equal_the_single_scenario_path(base, tmp_path, ident, system, ranges, lesarten):
    from verteilung.law.lesarten import Lesarten

    model = sw.sweep_model(model_yaml(tmp_path, ident, system), WHEN, lesarten=Lesarten(**lesarten))
    assert model.name == ident and model.bestand == tuple(system["bestand"])
    assert_agrees(base, model, ranges, {"bestand": 0.05})


def test_model_fields_map_onto_sweep_parameters(base, tmp_path):
    path = model_yaml(tmp_path, "nur-wsa", {"schluessel": {"typ": "awov"}, "bestand": ["wsa_bestand"],
                                            "zugaenge": "wsa"})
    model = sw.sweep_model(path, WHEN)
    sc = sw.complete_scenarios(model, base, pd.DataFrame(index=range(1)))
    assert sc["anrechnung"].iloc[0] == 0.0 and sc["zugaenge"].iloc[0] == base.zugaenge_strom["wsa"]
    r2 = sw.sweep_model(model_yaml(tmp_path, "r2", {"schluessel": {"typ": "flueag", "kappung": "R2"},
                                                    "bestand": ["flueag_bestand"], "zugaenge": "flueag"}), WHEN)
    assert r2.a.cap_factor == pytest.approx(1.15) and sw.sweep_model("m1", WHEN).a.cap_factor == pytest.approx(1.25)


def assert_agrees(base, model, ranges, stoerung):
    sc = sw.build_scenarios(model, base, ranges, stichprobe=40, seed=11)
    res = sw.evaluate_batch(base, model, sc, stoerung, seed=5)
    pert = sw.perturbation(base, stoerung, 5, sc["szenario"].to_numpy())
    for k in range(len(sc)):
        one = sw.evaluate_single(base, model, sc.iloc[k], pert["einwohner"][k] if "einwohner" in pert else None,
                                 pert["bestand"][k] if "bestand" in pert else None)
        for col in METRICS:
            assert res.scenarios.iloc[k][col] == pytest.approx(one[col], abs=1e-9, rel=1e-9), (k, col)
        assert np.allclose(res.quote[k], one["quote"], atol=1e-9, rtol=1e-12)


def test_one_scenario_sweep_equals_compare(base):
    model = sw.sweep_model("m1", WHEN)
    sc = sw.complete_scenarios(model, base, pd.DataFrame(index=range(1)))
    res = sw.evaluate_batch(base, model, sc)
    cmp = compare(["m1-gemeinsamer-bestand"])
    m1 = cmp.gemeinden[cmp.gemeinden["modell"] == "m1-gemeinsamer-bestand"]
    # same Soll (key × total) exactly; the sweep allocates continuously, compare in whole persons
    soll = m1["gesamtsoll_nach_zuweisung"].to_numpy()
    assert np.allclose(res.quote[0] * soll / 100, res.load[0])
    # greedy certificate: no Gemeinde gets more than one person above its continuous target
    assert (m1["last_nachher"].to_numpy() - res.load[0]).max() < 1.0 + 1e-9
    assert res.load[0].sum() == pytest.approx(m1["last_nachher"].sum())


def test_zero_perturbation_gives_identical_scenarios(base):
    model = sw.sweep_model("m2", WHEN)
    sc = sw.build_scenarios(model, base, {"alpha": (0, 1)}, raster=5)
    a = sw.evaluate_batch(base, model, sc, {})
    b = sw.evaluate_batch(base, model, sc, {"einwohner": 0.0, "bestand": 0.0}, seed=99)
    assert a.scenarios.equals(b.scenarios)


def test_results_independent_of_engine_and_batch_size(base, tmp_path):
    model = sw.sweep_model("gewichtet", WHEN, {"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1})
    sc = sw.build_scenarios(model, base, {"einwohner": (0.6, 0.9), "flaeche": (0, 0.2)}, stichprobe=600, seed=3)
    st = {"bestand": 0.05}
    one = run_sweep(base, model, sc, tmp_path / "a", st, seed=4, batch=250)
    two = run_sweep(base, model, sc, tmp_path / "b", st, seed=4, batch=250, workers=2)
    other = run_sweep(base, model, sc, tmp_path / "c", st, seed=4, batch=97)
    dask = run_sweep(base, model, sc, tmp_path / "d", st, seed=4, batch=250, workers=2, dask=True)
    for r in (two, other, dask):
        pd.testing.assert_frame_equal(one.szenarien, r.szenarien)
        pd.testing.assert_frame_equal(one.gemeinden, r.gemeinden)


def test_interrupted_sweep_resumes_to_the_same_result(base, tmp_path):
    model = sw.sweep_model("m1", WHEN)
    sc = sw.build_scenarios(model, base, {"kappung": (1.1, 1.6), "zugaenge": (500, 4000)}, raster=20)
    full = run_sweep(base, model, sc, tmp_path / "full", batch=50)

    def stop_after_two(done: int, total: int) -> None:
        if done >= 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(base, model, sc, tmp_path / "cut", batch=50, progress=stop_after_two)
    assert len(list((tmp_path / "cut" / "batches").glob("batch_*.npz"))) == 2
    with pytest.raises(Exception, match="--fortsetzen"):
        run_sweep(base, model, sc, tmp_path / "cut", batch=50)
    resumed = run_sweep(base, model, sc, tmp_path / "cut", batch=50, fortsetzen=True)
    pd.testing.assert_frame_equal(full.szenarien, resumed.szenarien)
    pd.testing.assert_frame_equal(full.gemeinden, resumed.gemeinden)


def test_sweep_cli(cli, tmp_path):
    r = cli("sweep", "--modell", "gewichtet", "--gewichte", "einwohner=0.8,flaeche=0.1,arbeitslose=0.1",
            "--parameter", "einwohner=0.6:0.8,flaeche=0:0.2", "--raster", "4", "--stoerung", "einwohner=0.01",
            "--report", "--out", tmp_path / "s")
    assert r.code == 0, r.stderr
    assert "Szenarien" in r.stdout and "Seite wechseln" in r.stdout
    sc = pd.read_parquet(tmp_path / "s" / "SYNTHETISCH_szenarien.parquet")
    assert len(sc) == 16 and np.allclose(sc[["einwohner", "flaeche", "arbeitslose"]].sum(axis=1), 1)
    assert (sc["arbeitslose"] >= 0).all()
    html = (tmp_path / "s" / "sweep_bericht.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 6 and "SYNTHETISCHE" in html
    # German throughout: the disturbance in words, metrics by their labels, German decimals
    assert "Störung: Einwohner ± 1 %" in html and "{" not in html.split("<body>", 1)[1].split("<script>")[0]
    assert "Gini (Last je Einwohner)" in html and "quote_p10" not in html and "soll_anteil_laendlich" not in html
    assert "Tornado: Quote P90 (%)" in html
    assert not re.search(r"<td>\d+\.\d+", html)
    assert re.search(r"Gini \(Last je Einwohner\): min \d,\d{2}, Median", r.stdout)  # Gini: two decimals
    assert not re.search(r"\d\.\d+ s|\d,\d{3}/s", r.stdout)
    g = pd.read_csv(tmp_path / "s" / "SYNTHETISCH_gemeinden.csv", dtype={"ags": str})
    assert len(g) == 396 and g["anteil_ueber_100"].between(0, 1).all()


def test_grid_points_off_the_simplex_are_dropped(base):
    model = sw.sweep_model("gewichtet", WHEN, {"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1})
    sc = sw.build_scenarios(model, base, {"einwohner": (0.6, 0.9), "flaeche": (0, 0.2)}, raster=4)
    # einwohner 0.9 with flaeche 0.133 or 0.2 sums past 1: 14 of 16 remain
    assert len(sc) == 14 and (sc["arbeitslose"] >= -1e-12).all()


def test_unsweepable_model_is_refused(cli, tmp_path):
    r = cli("sweep", "--modell", "status-quo", "--raster", "2", "--out", tmp_path / "x")
    assert r.code == 2 and "der Belastungstest braucht ein Modell mit einem System" in r.stderr


ALL_METRICS = ("quote_min", "quote_p10", "quote_median", "quote_p90", "quote_max", "ueber_100",
               "gini_last_je_einwohner", "vk_last_je_einwohner", "last_index_p90", "wasserstand",
               "soll_anteil_laendlich", "zuweisung_anteil_kreisfrei", "gemeinden_entlastet")


@pytest.mark.parametrize("name,ranges,stoerung,rows", [
    ("m1", {"einwohner": (0.5, 1.0), "kappung": (1.05, 2.0), "zugaenge": (0, 8000), "anrechnung": (0, 1.3)}, {}, 7),
    ("m2", {"alpha": (0, 1), "zugaenge": (0, 3000)}, {"einwohner": 0.03, "bestand": 0.1}, None),
    ("gewichtet", {"einwohner": (0.5, 0.9), "flaeche": (0, 0.3)}, {"bestand": 0.05}, 1000),
])
def test_fast_metrics_equal_the_previous_implementation(base, name, ranges, stoerung, rows):
    """Every reported figure of the partition/shared-sort/Newton path equals the previous sorting
    code (`metrics_reference`) to 1e-9, whatever the chunk size."""
    model = sw.sweep_model(name, WHEN, {"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1})
    sc = sw.build_scenarios(model, base, ranges, stichprobe=120, seed=13)
    fast = sw.evaluate_batch(base, model, sc, stoerung, seed=5, rows=rows)
    ref = sw.evaluate_batch(base, model, sc, stoerung, seed=5, metrics=sw.metrics_reference)
    for col in ALL_METRICS:
        np.testing.assert_allclose(fast.scenarios[col], ref.scenarios[col], rtol=1e-9, atol=1e-9, err_msg=col)
    np.testing.assert_allclose(fast.quote, ref.quote, rtol=1e-12, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(0, 10_000), st.integers(0, 2**32 - 1))
def test_levels_without_sorting_equal_the_sorting_water_levels(m, n, seed):
    rng = np.random.default_rng(seed)
    last = np.round(rng.uniform(0, 50, (8, m))) * rng.integers(0, 2, (8, m))  # zeros and ties
    soll = rng.uniform(0.5, 30, (8, m))
    soll[:, 0] = np.round(soll[:, 0])
    ns = np.full(8, float(n))
    ns[0] = 0.0
    np.testing.assert_allclose(sw._levels(last, soll, ns), water_levels(last, soll, ns), rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(-4, 2004).map(lambda k: k / 4),
                          st.floats(-1, 501)), min_size=1, max_size=50))
def test_quota_bins_by_arithmetic_equal_searchsorted(values):
    q = np.array(values, dtype=float)
    assert (sw.quota_bin(q) == np.searchsorted(sw.QUOTA_BINS, q, side="right")).all()


def test_sweep_cli_takes_a_model_file_and_readings(cli, tmp_path):
    path = model_yaml(tmp_path, "nur-wsa", {"schluessel": {"typ": "awov", "anlage1": "C"}, "bestand": ["wsa_bestand"],
                                            "zugaenge": "wsa"})
    r = cli("sweep", "--modell", path, "--parameter", "einwohner=0.7:0.9", "--raster", "3",
            "--minderung", "multiplikativ", "--out", tmp_path / "s")
    assert r.code == 0, r.stderr
    assert "(nur-wsa)" in r.stdout
    info = json.loads((tmp_path / "s" / "SYNTHETISCH_sweep.json").read_text(encoding="utf-8"))
    assert info["lesarten"]["minderung"] == "multiplikativ" and info["modell"] == "nur-wsa"
    r = cli("sweep", "--modell", path, "--raster", "2", "--minderung", "bogus", "--out", tmp_path / "t")
    assert r.code == 2 and "bogus" in r.stderr


# ---------------------------------------------------------------- pacing in the sweep (issue 14)

@settings(max_examples=80, deadline=None)
@given(st.integers(1, 30), st.integers(0, 3000), st.integers(0, 2**32 - 1))
def test_capped_levels_fill_exactly_within_the_bounds(m, n, seed):
    """Σ = n when the bounds allow it, nobody above its bound, and the order among the unbound
    Gemeinden: every Gemeinde under its bound that receives ends at the common level, every one
    that receives nobody is at or above it. Infinite bounds give the unpaced water levels."""
    rng = np.random.default_rng(seed)
    last = np.round(rng.uniform(0, 80, (6, m)))
    soll = rng.uniform(0.5, 60, (6, m))
    cap = np.where(rng.random((6, m)) < 0.3, np.inf, np.floor(rng.uniform(0, 150, (6, m))))
    ns = np.minimum(float(n), np.where(np.isfinite(cap), cap, 1e9).sum(axis=1))
    level, alloc = sw.capped_levels(last, soll, ns, cap)
    np.testing.assert_allclose(alloc.sum(axis=1), ns, rtol=1e-9, atol=1e-6)
    assert (alloc >= 0).all() and (alloc <= cap + 1e-9).all()
    ratio = (last + alloc) / soll
    under = (alloc < cap - 1e-7)
    got = under & (alloc > 1e-7)
    assert np.allclose(ratio[got], np.broadcast_to(level[:, None], ratio.shape)[got], rtol=1e-9, atol=1e-9)
    none = under & (alloc <= 1e-7)
    assert (ratio[none] >= np.broadcast_to(level[:, None], ratio.shape)[none] - 1e-9).all()
    free_level, _ = sw.capped_levels(last, soll, ns, np.full((6, m), np.inf))
    np.testing.assert_allclose(free_level, water_levels(last, soll, ns), rtol=1e-9, atol=1e-9)


def test_paced_sweep_equals_the_single_path_and_refuses_what_cannot_hold(base, cli, tmp_path):
    from verteilung.errors import InfeasibleError, InputError

    model = sw.sweep_model("m1-gemeinsamer-bestand-gestaffelt", WHEN)
    assert model.staffelung is not None and model.staffelung.max_anteil_soll == 0.02
    sc = sw.build_scenarios(model, base, {"kappung": (1.05, 1.6), "zugaenge": (500, 3000)}, stichprobe=12, seed=2)
    batch = sw.evaluate_batch(base, model, sc)
    for i in (0, 5, 11):
        one = sw.evaluate_single(base, model, sc.iloc[i])
        for col in METRICS:
            assert batch.scenarios[col].iloc[i] == pytest.approx(one[col], rel=1e-9, abs=1e-9), col
    unpaced = sw.evaluate_batch(base, sw.sweep_model("m1", WHEN), sc)
    # pacing changes who receives in every scenario (which way the city share moves depends on the stock)
    assert (batch.scenarios["zuweisung_anteil_kreisfrei"] != unpaced.scenarios["zuweisung_anteil_kreisfrei"]).all()
    with pytest.raises(InputError, match="wochen und min_gemeinden"):
        sw.sweep_staffelung(sw.Staffelung(max_personen=5, wochen=4))
    r = cli("sweep", "--modell", "m1", "--parameter", "kappung=1.1:1.3", "--raster", "2",
            "--staffelung", "max_personen=2", "--out", tmp_path / "s")
    assert r.code == 3 and "Staffelung nicht erfüllbar" in r.stderr and "1.753" in r.stderr
    r = cli("sweep", "--modell", "m1", "--parameter", "kappung=1.1:1.3", "--raster", "2",
            "--staffelung", "max_anteil_soll=0.02", "--out", tmp_path / "t")
    assert r.code == 0, r.stderr
    info = json.loads((tmp_path / "t" / "SYNTHETISCH_sweep.json").read_text(encoding="utf-8"))
    assert info["staffelung"] == {"max_anteil_soll": 0.02}
    from verteilung.report.html import staffelung_text, stoerung_text

    assert staffelung_text(info["staffelung"]) == "höchstens Anteil am Soll 0,02"
    assert stoerung_text(None) == "keine" and stoerung_text({}) == "keine"
    assert stoerung_text({"einwohner": 0.02, "bestand": 0.05}) == "Einwohner ± 2 %, Bestand ± 5 %"
    with pytest.raises(InfeasibleError):
        sw.evaluate_batch(base, dataclasses.replace(model, staffelung=sw.Staffelung(max_personen=1)), sc)


GOLDEN_SWEEPS = {
    "m1": ("m1", {"kappung": (1.05, 1.6), "zugaenge": (0, 6000), "anrechnung": (0, 1.2)}, {}, {"raster": 4}),
    "gewichtet": ("gewichtet", {"einwohner": (0.6, 0.9), "flaeche": (0, 0.2)}, {"einwohner": 0.02, "bestand": 0.05},
                  {"stichprobe": 150, "seed": 7}),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_SWEEPS))
def test_sweep_equals_the_golden_of_the_implementation_before_issue_25(base, tmp_path, name):
    """tests/golden/sweep/ was written by the sweep as of commit 452a52b (two full sorts per chunk,
    two files per batch) with ``float_format="%.17g"``: every scenario metric and every per-Gemeinde
    aggregate is reproduced; counts exactly, floats to 1e-12 (the packed Gini sort may swap loads
    equal to 2^-43 relative)."""
    from pathlib import Path

    model_name, ranges, stoerung, how = GOLDEN_SWEEPS[name]
    model = sw.sweep_model(model_name, WHEN, {"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1})
    sc = sw.build_scenarios(model, base, ranges, **how)
    res = run_sweep(base, model, sc, tmp_path / "s", stoerung, seed=3, batch=37, workers=2)
    golden = Path(__file__).parent / "golden" / "sweep"
    for got, file in ((res.szenarien, f"{name}_szenarien.csv"), (res.gemeinden, f"{name}_gemeinden.csv")):
        want = pd.read_csv(golden / file, dtype={"ags": str})
        assert list(got.columns) == list(want.columns)
        for col in want.columns:
            if want[col].dtype.kind in "iuO":
                assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
            else:
                np.testing.assert_allclose(got[col].to_numpy(dtype=float), want[col].to_numpy(), rtol=1e-12,
                                           atol=1e-12, err_msg=col)


def _stopped_after_first_batch(**kw):
    from verteilung.sweep_runner import sweep

    def stop(done: int, total: int) -> None:
        if done >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep("m1", {"kappung": (1.1, 1.6)}, raster=60, batch=20, progress=stop, **kw)


def test_a_changed_stock_file_is_not_resumed_as_the_old_plan(tmp_path):
    """Reviewer finding: plan_id hashed model and scenarios but not the input numbers, so a
    sweep interrupted on one stock file resumed on another and mixed the two in one result."""
    import csv

    from verteilung.compare import default_bestand
    from verteilung.errors import InputError
    from verteilung.sweep_runner import sweep

    with default_bestand().open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("flueag_bestand")
    rows[1][col] = str(int(rows[1][col]) + 7)  # one Gemeinde, seven persons more
    changed = tmp_path / "bestand_geaendert.csv"
    with changed.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    out = tmp_path / "lauf"
    _stopped_after_first_batch(out=out)
    with pytest.raises(InputError, match="andere Eingabedaten"):
        sweep("m1", {"kappung": (1.1, 1.6)}, raster=60, batch=20, out=out, fortsetzen=True, bestand=changed)
    assert sorted(p.name for p in (out / "batches").iterdir()) == ["batch_000000.npz"]  # nothing touched
    resumed = sweep("m1", {"kappung": (1.1, 1.6)}, raster=60, batch=20, out=out, fortsetzen=True)
    other = sweep("m1", {"kappung": (1.1, 1.6)}, raster=60, batch=20, bestand=changed)
    assert len(resumed.szenarien) == len(other.szenarien) == 60
    assert (resumed.szenarien["gini_last_je_einwohner"] != other.szenarien["gini_last_je_einwohner"]).all()


def test_a_killed_sweep_resumes_to_the_result_of_an_uninterrupted_one(cli, tmp_path):
    """SIGKILL, not Ctrl-C: the process gets no chance to clean up. Each batch is one file
    written atomically, so what is there is whole; --fortsetzen computes the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    args = ["sweep", "--modell", "gewichtet", "--gewichte", "einwohner=0.8,flaeche=0.1,arbeitslose=0.1",
            "--parameter", "einwohner=0.6:0.9,flaeche=0:0.2", "--stichprobe", "40000", "--seed", "2",
            "--batch", "250"]
    out = tmp_path / "getoetet"
    proc = subprocess.Popen([sys.executable, "-m", "verteilung", *args, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    batches = out / "batches"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if batches.is_dir() and len(list(batches.glob("batch_*.npz"))) >= 2:
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    kept = len(list(batches.glob("batch_*.npz")))
    assert 2 <= kept < 160 and not (out / "SYNTHETISCH_szenarien.parquet").exists()
    r = cli(*args, "--out", out)
    assert r.code != 0 and "--fortsetzen" in r.stderr
    assert cli(*args, "--out", out, "--fortsetzen").code == 0
    assert cli(*args, "--out", tmp_path / "ganz").code == 0
    assert not list(batches.glob(".batch_*"))  # a half-written file of the killed run is gone
    for name in ("SYNTHETISCH_szenarien.parquet", "SYNTHETISCH_gemeinden.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(tmp_path / "ganz" / name),
                                      check_exact=True)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 700), st.integers(1, 6), st.integers(0, 2**32 - 1), st.booleans())
def test_packed_sort_order_sorts_like_argsort(m, rows, seed, ties):
    """`_sort_order` is a permutation per row that sorts the values (NaN last); with exact ties,
    zeros and inf among them the sorted values equal np.sort's exactly."""
    rng = np.random.default_rng(seed)
    values = rng.lognormal(0, 2, (rows, m))
    if ties:
        values = np.round(values, 1)
        values[:, ::7] = 0.0
        values[:, 1::11] = np.inf
        values[:, 2::13] = np.nan
    order = sw._sort_order(values, sw.Scratch()).copy()
    assert (np.sort(order, axis=1) == np.arange(m)).all()
    got = np.take_along_axis(values, order, axis=1)
    np.testing.assert_array_equal(got, np.sort(values, axis=1))
