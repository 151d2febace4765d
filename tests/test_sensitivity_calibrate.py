"""Sensitivity (tornado, Sobol) and calibration (LP) on constructed cases with known answers."""

from __future__ import annotations

import datetime as dt
import importlib

import numpy as np
import pandas as pd
import pytest

from verteilung import sensitivity as sens
from verteilung.calibrate import calibrate_weights as calibrate
from verteilung.errors import InputError

# the module, not the API function `verteilung.sweep` of the same name
sw = importlib.import_module("verteilung.sweep")

WHEN = dt.date(2024, 1, 1)


def constructed():
    g = pd.DataFrame({"ags": [f"05{i:06d}" for i in range(5)], "gemeinde": [f"G{i}" for i in range(5)],
                      "a": [10.0, 20.0, 30.0, 25.0, 15.0], "b": [30.0, 10.0, 10.0, 20.0, 30.0],
                      "verstaedterung": ["gering besiedelt", "dicht besiedelt", "dicht besiedelt",
                                         "mittlere Besiedlungsdichte", "gering besiedelt"]})
    load = g["a"].to_numpy() * 12.0          # load exactly proportional to column a
    return g, load


@pytest.mark.parametrize("ziel", ["max_abstand", "umverteilung"])
def test_calibration_finds_the_known_answer(ziel):
    g, load = constructed()
    res = calibrate(g, load, ["a", "b"], ziel)
    assert res.weights["a"] == pytest.approx(1.0, abs=1e-9) and res.weights["b"] == pytest.approx(0.0, abs=1e-9)
    assert res.objective == pytest.approx(0.0, abs=1e-6)


def test_calibration_reports_the_binding_limit():
    g, load = constructed()
    res = calibrate(g, load, ["a", "b"], "max_abstand", grenzen={"a": (0.0, 0.7)})
    assert res.weights == pytest.approx({"a": 0.7, "b": 0.3})
    assert res.binding == ["Gewicht a an der Grenze 0.7"]
    # the largest gap at w = (0.7, 0.3): T = 1200, soll = 1200 (0.7 a/100 + 0.3 b/100)
    soll = 1200 * (0.7 * g["a"] / 100 + 0.3 * g["b"] / 100)
    assert res.objective == pytest.approx(float(np.abs(load - soll).max()))
    assert "Gewicht a an der Grenze 0.7" in res.model_yaml


def test_calibration_rural_limit_binds_and_contradictions_are_refused():
    from verteilung.errors import InfeasibleError

    g, _ = constructed()
    load = g["b"].to_numpy() * 12.0      # the load follows the rural-heavy column b
    # rural Soll share = 0.25 w_a + 0.60 w_b; base 0.25, at most +100 % -> w_a >= 0.1/0.35
    res = calibrate(g, load, ["a", "b"], "max_abstand", laendlich_max_anstieg=100.0, laendlich_basis=0.25)
    assert res.weights["a"] == pytest.approx(0.1 / 0.35, abs=1e-9)
    assert res.binding == ["Soll-Anteil gering besiedelter Gemeinden höchstens +100 %"]
    with pytest.raises(InfeasibleError, match="keine Lösung"):
        calibrate(g, load, ["a", "b"], "max_abstand", grenzen={"a": (0.0, 0.1)}, laendlich_max_anstieg=0.0,
                  laendlich_basis=0.25)


def test_calibrate_cli_model_runs_through_compare(cli, tmp_path):
    out = tmp_path / "kal.yaml"
    r = cli("calibrate", "--spalten", "einwohner,flaeche", "--grenze", "flaeche=0:0.2", "--out", out)
    assert r.code == 0, r.stderr
    assert "bindende Grenzen" in r.stdout and out.exists()
    r = cli("compare", "--modelle", f"status-quo,{out}", "--format", "json", "--out", tmp_path / "c")
    assert r.code == 0, r.stderr
    import json

    models = [m["modell"] for m in json.loads(r.stdout)["metriken"]]
    assert models == ["status-quo", "kalibriert"]


@pytest.fixture(scope="module")
def base():
    return sw.prepare_base()


def test_sobol_finds_the_only_driver(base):
    model = sw.sweep_model("m1", WHEN)
    # the rural Soll share depends on the key (cap factor), never on the number of arrivals
    sob = sens.sobol(base, model, {"kappung": (1.05, 1.6), "zugaenge": (100, 5000)}, n=256, seed=1)
    rural = sob[sob["kennzahl"] == "soll_anteil_laendlich"].set_index("parameter")
    assert rural.loc["zugaenge", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert rural.loc["kappung", "ST"] > 0.9
    assert sens.drivers(sob)["soll_anteil_laendlich"] == "kappung"


def test_tornado_swings(base):
    model = sw.sweep_model("m1", WHEN)
    oat = sens.oat(base, model, {"kappung": (1.05, 1.6), "zugaenge": (100, 5000)})
    row = oat[(oat["parameter"] == "zugaenge") & (oat["kennzahl"] == "soll_anteil_laendlich")].iloc[0]
    assert row["spanne"] == pytest.approx(0.0, abs=1e-12)
    from verteilung.report.charts import tornado_png

    assert tornado_png(oat, "quote_p90")[:8] == b"\x89PNG\r\n\x1a\n"


def test_box_off_the_simplex_is_refused(base):
    model = sw.sweep_model("gewichtet", WHEN, {"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1})
    with pytest.raises(InputError, match="reduce the upper bounds"):
        sens.sobol(base, model, {"einwohner": (0.6, 0.95), "flaeche": (0, 0.2)})


def test_sensitivitaet_cli_names_the_driver(cli, tmp_path):
    """A small Saltelli design (64 · 4 runs): the rural Soll share depends on the cap, never on arrivals."""
    out = tmp_path / "sens"
    r = cli("sensitivitaet", "--modell", "m1", "--parameter", "kappung=1.05:1.6,zugaenge=100:5000",
            "--sobol", "64", "--seed", "3", "--out", out)
    assert r.code == 0, r.stderr
    assert "Soll-Anteil ländlicher Gemeinden (%): getrieben von Kappungsfaktor" in r.stdout
    sob = pd.read_csv(out / "SYNTHETISCH_sobol.csv")  # the default stock is the synthetic scenario
    rural = sob[sob["kennzahl"] == "soll_anteil_laendlich"].set_index("parameter")
    assert rural.loc["zugaenge", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert (out / "SYNTHETISCH_tornado_quote_p90.png").read_bytes()[:4] == b"\x89PNG"
    r = cli("sensitivitaet", "--modell", "status-quo", "--parameter", "kappung=1.1:1.5,zugaenge=1:2",
            "--sobol", "8", "--out", tmp_path / "x")
    assert r.code == 2 and "hat 2 Systeme; der Belastungstest braucht ein Modell mit einem System" in r.stderr


def test_api_results_carry_their_metadata(base):
    from verteilung.sensitivity import sensitivitaet

    res = sensitivitaet("m1", {"kappung": (1.05, 1.6), "zugaenge": (100, 5000)}, sobol_n=16)
    assert res.treiber["soll_anteil_laendlich"] == "kappung"
    assert res.info["synthetisch"] is True and res.info["stichtag"] == base.info["stichtag"]
    assert res.info["modell"] == "m1-gemeinsamer-bestand" and res.info["szenarien"] == 64


def test_calibrated_model_file_is_swept_as_a_model(tmp_path):
    """calibrate → model YAML → sweep: the file is the single source of the key."""
    from verteilung.calibrate import calibrate as calibrate_api
    from verteilung.sweep_runner import sweep

    res = calibrate_api(["einwohner", "flaeche"], grenzen={"flaeche": (0.0, 0.2)})
    assert res.info["synthetisch"] is True and res.info["spalten"] == ["einwohner", "flaeche"]
    path = tmp_path / "kal.yaml"
    path.write_text(res.model_yaml, encoding="utf-8")
    sw_res = sweep(path, {"zugaenge": (0, 2000)}, raster=3)
    assert sw_res.info["modell"] == "kalibriert" and len(sw_res.szenarien) == 3
    assert sw_res.model.a.weights == pytest.approx(res.weights)
    assert sw_res.info["stichtag"] == res.info["stichtag"]


def test_report_api_renders_the_models_from_their_files():
    from markupsafe import escape

    from verteilung.report.bericht import report

    b = report(monate=0, modelle=["status-quo", "m1-gemeinsamer-bestand"])
    assert b.simulation is None and b.info["synthetisch"]
    assert "<html" in b.html and str(escape(sw.load_model("m1-gemeinsamer-bestand").vorschlag)) in b.html


def test_an_allocation_after_a_calibration_in_the_same_process_is_solved():
    """HiGHS keeps its first thread count per process: a calibration with another solver
    configuration made every later allocation MILP answer 'Not Solved' (found by test order)."""
    import numpy as np

    from verteilung.solve import lp

    g, load = constructed()
    calibrate(g, load, ["a", "b"], "max_abstand")
    last = np.array([10.0, 0.0, 5.0])
    soll = np.array([20.0, 10.0, 10.0])
    inf = np.full(3, np.inf)
    t, proven = lp.max_min_milp(last, soll, np.arange(3), np.zeros(3), inf, [3], [4], max_nodes=None)
    # four households of 3: the best split is 3/6/3 persons, levels 13/20, 6/10, 8/10 -> 0.6
    assert proven and t == pytest.approx(0.6)
