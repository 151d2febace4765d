"""Simulation: people conserved month by month, nothing moves without flows, seeds reproduce."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from verteilung.errors import InputError
from verteilung.simulate import default_szenario, simulate

G = "tests/data/modelle_gemeinden.csv"
B = "tests/data/modelle_bestand.csv"


def szenario(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load(default_szenario().read_text(encoding="utf-8"))
    for key, value in changes.items():
        data[key]["wert"] = value
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped_run():
    return simulate(6)


def test_people_conserved_month_by_month(shipped_run):
    for model, part in shipped_run.monate.groupby("modell"):
        start = shipped_run.info["startbestand"][model]
        before = start["flueag"] + start["wsa"]
        for _, row in part.sort_values("monat").iterrows():
            after = row["bestand_flueag"] + row["bestand_wsa"]
            assert after == before + row["zugaenge"] - row["abgaenge"], (model, row["monat"])
            before = after


def test_every_month_allocates_exactly_the_arrivals(shipped_run):
    assert (shipped_run.monate["zugaenge"] == 1260 + 493).all()


def test_zero_flows_change_nothing(tmp_path):
    path = szenario(tmp_path, zugaenge_flueag_monat=0, zugaenge_wsa_monat=0, anerkennung_anteil_monat=0.0,
                    ausreisepflicht_anteil_monat=0.0, fortzug_anteil_monat=0.0, wsa_dauer_monate=10**9)
    res = simulate(4, szenario=path, bestand=B, gemeinden=G, stichtag="2024-01-01")
    end = res.gemeinden
    assert (end["flueag_bestand_ende"] == end["flueag_bestand_start"]).all()
    assert (end["wsa_bestand_ende"] == end["wsa_bestand_start"]).all()


def test_recognition_moves_people_between_stocks_in_place(tmp_path):
    path = szenario(tmp_path, zugaenge_flueag_monat=0, zugaenge_wsa_monat=0, anerkennung_anteil_monat=0.5,
                    ausreisepflicht_anteil_monat=0.0, fortzug_anteil_monat=0.0, wsa_dauer_monate=10**9)
    res = simulate(1, szenario=path, bestand=B, gemeinden=G, stichtag="2024-01-01", modelle=["status-quo"])
    end = res.gemeinden
    total_start = end["flueag_bestand_start"] + end["wsa_bestand_start"]
    total_end = end["flueag_bestand_ende"] + end["wsa_bestand_ende"]
    assert (total_start == total_end).all()                       # same Gemeinde, other stock
    assert (end["wsa_bestand_ende"] > end["wsa_bestand_start"]).all()


def test_same_seed_same_result_and_seed_recorded(tmp_path):
    a = simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=7)
    b = simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=7)
    c = simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=8)
    assert a.monate.equals(b.monate) and a.gemeinden.equals(b.gemeinden)
    assert a.info["seed"] == 7
    assert not a.gemeinden.equals(c.gemeinden)


def test_bad_scenario_is_refused(tmp_path):
    with pytest.raises(InputError, match="anerkennung_anteil_monat must lie between 0 and 1"):
        simulate(2, szenario=szenario(tmp_path, anerkennung_anteil_monat=1.5))


def test_simulate_cli_summary_and_files(cli, tmp_path):
    r = cli("simulate", "--monate", "3", "--out", tmp_path / "s")
    assert r.code == 0, r.stderr
    assert "SYNTHETISCH" in r.stdout and "Konflikte" in r.stdout and "Seed 2021" in r.stdout
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == ["SYNTHETISCH_gemeinden_ende.csv", "SYNTHETISCH_monate.csv", "SYNTHETISCH_simulation.json"]
