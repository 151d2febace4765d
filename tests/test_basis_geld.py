"""The simulation against a chosen Vergleichsbasis (``simulate --basis``) and the money month by
month along it (`verteilung.mittel.land_monate`): checked by independent arithmetic, through the
real CLI entry point and against the web API (one function, several views)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verteilung.mittel import land_monate, mittel, monat_datum
from verteilung.simulate import GEGEN_BASIS, gegen_basis_spalte, simulate

M1, M2 = "m1-gemeinsamer-bestand", "m2-mischschluessel"


@pytest.fixture(scope="module")
def sim_m2():
    return simulate(3, ["status-quo", M1], basis=M2, seed=7)


def test_simulation_measures_against_the_chosen_basis(sim_m2):
    g = sim_m2.gemeinden
    assert sim_m2.info["basis"] == M2 and M2 in sim_m2.info["modelle"]  # the basis is simulated too
    assert gegen_basis_spalte(sim_m2) == GEGEN_BASIS
    end = g.pivot(index="ags", columns="modell", values="last_je_1000_ende")
    mine = g[g["modell"] == M1].set_index("ags")[GEGEN_BASIS]
    np.testing.assert_allclose(mine.to_numpy(), (end[M1] - end[M2]).loc[mine.index].to_numpy(), atol=1e-12)
    assert (g.loc[g["modell"] == M2, GEGEN_BASIS] == 0).all()
    # the status-quo column is still there and still against the status quo
    sq = g[g["modell"] == M1].set_index("ags")["ende_gegen_status_quo_je_1000"]
    np.testing.assert_allclose(sq.to_numpy(), (end[M1] - end["status-quo"]).loc[sq.index].to_numpy(), atol=1e-12)


def test_default_simulation_is_unchanged():
    res = simulate(1, ["status-quo", M1], seed=7)
    assert res.info["basis"] == "status-quo" and GEGEN_BASIS not in res.gemeinden.columns
    assert gegen_basis_spalte(res) == "ende_gegen_status_quo_je_1000"


def test_simulate_cli_takes_basis_and_says_it(cli, tmp_path):
    out = tmp_path / "sim"
    r = cli("simulate", "--monate", "2", "--modelle", f"status-quo,{M1}", "--basis", M1, "--out", str(out))
    assert r.code == 0, (r.stdout + r.stderr)
    ende = pd.read_csv(next(out.glob("*gemeinden_ende.csv")), dtype={"ags": str})
    assert (ende.loc[ende["modell"] == M1, GEGEN_BASIS] == 0).all()
    assert ende.loc[ende["modell"] == "status-quo", GEGEN_BASIS].abs().sum() > 0
    assert f"status-quo gegenüber {M1} nach 2 Monaten:" in (r.stdout + r.stderr)
    info = json.loads(next(out.glob("*simulation.json")).read_text(encoding="utf-8"))
    assert info["info"]["basis"] == M1 if "info" in info else info["basis"] == M1


def test_unknown_basis_is_refused_in_german(cli, tmp_path):
    r = cli("simulate", "--monate", "1", "--basis", "gibt-es-nicht", "--out", str(tmp_path / "s"))
    assert r.code == 2 and "gibt-es-nicht" in (r.stdout + r.stderr)
    assert not (tmp_path / "s").exists()


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)), st.integers(1, 240))
def test_month_dates_count_calendar_months_after_the_stichtag(start, monat):
    d = monat_datum(start, monat)
    assert d.day == 1
    assert (d.year * 12 + d.month) - (start.year * 12 + start.month) == monat


def test_land_months_cumulate_and_compare_with_the_basis_by_hand():
    land = pd.DataFrame({"modell": ["b"] * 3 + ["a"] * 3, "monat": [1, 2, 3] * 2,
                         "mittel_eur": [10.0, 20.0, 30.0, 11.0, 19.0, 35.0], "pauschale_flueag_eur": 0.0})
    out = land_monate(land, "b", dt.date(2024, 11, 15), 2024, ["a", "b"])
    a = out[out["modell"] == "a"]
    assert list(out["modell"]) == ["a"] * 3 + ["b"] * 3  # in the order of the models
    assert list(a["mittel_eur_kumuliert"]) == [11, 30, 65]
    assert list(a["aenderung_mittel_eur"]) == [1, -1, 5]
    assert list(a["aenderung_mittel_eur_kumuliert"]) == [1, 0, 5]
    assert list(a["monat_beginn"]) == ["2024-12-01", "2025-01-01", "2025-02-01"]
    assert list(a["mittel_kennzeichen"]) == ["", "NÄHERUNG", "NÄHERUNG"]  # 2024's rules carried into 2025


@pytest.fixture(scope="module")
def geld():
    return mittel(["status-quo", M1], basis=M1, monate=13, seed=3)


def test_money_months_are_the_sum_of_the_gemeinden_and_against_the_basis(geld):
    land, per_gemeinde = geld.verlauf_land, geld.verlauf
    sums = per_gemeinde.groupby(["modell", "monat"])["mittel_eur"].sum()
    np.testing.assert_allclose(land.set_index(["modell", "monat"])["mittel_eur"].loc[sums.index], sums)
    base = land[land["modell"] == M1].set_index("monat")
    sq = land[land["modell"] == "status-quo"].set_index("monat")
    np.testing.assert_allclose(sq["aenderung_mittel_eur_kumuliert"], (sq["mittel_eur"] - base["mittel_eur"]).cumsum())
    assert (base["aenderung_mittel_eur_kumuliert"] == 0).all()
    # Stichtag in January 2024, money year 2024: month 12 (January 2025) on carries the rules forward
    assert sq["mittel_kennzeichen"].tolist() == [""] * 11 + ["NÄHERUNG"] * 2


def test_mittel_cli_month_table_carries_the_new_columns(cli, tmp_path):
    out = tmp_path / "monate.csv"
    r = cli("mittel", "--modelle", f"status-quo,{M1}", "--monate", "13", "--ebene", "monate", "--format", "csv",
            "--out", str(out))
    assert r.code == 0, (r.stdout + r.stderr)
    months = pd.read_csv(out, encoding="utf-8-sig")  # the machine CSV: raw names and values
    sq = months[months["modell"] == "status-quo"]
    assert sq["aenderung_mittel_eur_kumuliert"].iloc[-1] == pytest.approx(sq["aenderung_mittel_eur"].sum())
    assert sq.loc[sq["monat_beginn"] == "2025-01-01", "mittel_kennzeichen"].tolist() == ["NÄHERUNG"]


def test_web_api_money_months_equal_the_python_api(geld):
    from fastapi.testclient import TestClient

    from verteilung.app.server import create_app

    c = TestClient(create_app())
    r = c.get("/api/mittel", params={"modelle": ["status-quo", M1], "basis": M1, "monate": 2})
    assert r.status_code == 200, r.text
    months = pd.DataFrame(r.json()["monate"])
    own = mittel(["status-quo", M1], basis=M1, monate=2)  # the app's data are the shipped defaults
    mine = own.verlauf_land
    np.testing.assert_allclose(months["mittel_eur_kumuliert"], mine["mittel_eur_kumuliert"])
    assert list(months["modell"]) == list(mine["modell"])
    page = c.get("/api/ansicht/simulation", params={"monate": 2, "monat": 2, "modelle": f"status-quo,{M1}",
                                                    "basis": M1}).json()
    assert page["basis"] == M1 and page["karte_modell"] == "status-quo"
    sq = mine[mine["modell"] == "status-quo"]
    assert page["geld"]["modell"]["eur"] == [round(v) for v in sq["mittel_eur"]]
    assert page["geld"]["tabelle"]["spalten"][-1] == "Kennzeichen der Mittel"


def test_simulation_download_carries_the_money_months_against_the_basis():
    import io

    import openpyxl
    from fastapi.testclient import TestClient

    from verteilung.app.server import create_app

    c = TestClient(create_app())
    r = c.get("/download/simulation.xlsx", params={"monate": 2, "modelle": f"status-quo,{M1}", "basis": M1})
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(wb["Mittel je Monat"].iter_rows(values_only=True))
    head = rows[0]
    assert "Änderung Mittel seit Beginn (€)" in head and "Kennzeichen der Mittel" in head
    col = head.index("Änderung Mittel seit Beginn (€)")
    assert all(r[col] == 0 for r in rows[1:] if r[0] == M1)  # the basis against itself
    assert "SYNTHETISCH" in " ".join(str(v) for r in wb["Hinweise"].iter_rows(values_only=True) for v in r)


def test_web_api_simulate_takes_a_basis_and_refuses_an_unknown_one(sim_m2):
    from fastapi.testclient import TestClient

    from verteilung.app.server import create_app

    c = TestClient(create_app())
    r = c.post("/api/simulate", json={"monate": 3, "modelle": ["status-quo", M1], "seed": 7, "basis": M2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["info"]["basis"] == M2
    got = pd.DataFrame(body["gemeinden"])
    mine = got[got["modell"] == M1].set_index("ags")[GEGEN_BASIS]
    own = sim_m2.gemeinden[sim_m2.gemeinden["modell"] == M1].set_index("ags")[GEGEN_BASIS]
    # the Python API's numbers, as the JSON rounds them (4 decimals)
    np.testing.assert_allclose(mine.loc[own.index].to_numpy(), own.to_numpy(), atol=5.1e-5, rtol=0)
    bad = c.post("/api/simulate", json={"monate": 1, "basis": "gibt-es-nicht"})
    assert bad.status_code == 422 and "unbekanntes Modell" in " ".join(bad.json()["probleme"])
