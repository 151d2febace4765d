"""Money that follows the distribution (verteilung.mittel): sums checked against the rules by independent arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import verteilung
from verteilung.errors import InputError
from verteilung.mittel import mit_mindestbetrag, mittel, topf

# § 4 FlüAG monthly rates from 1 Jan 2024 (LEGAL.md § 9.3), typed here, not read from params/
KREISFREI_2024, KREISANGEHOERIG_2024 = 1303, 1013


@pytest.fixture(scope="module")
def res():
    return mittel(["status-quo", "m1-gemeinsamer-bestand", "m2-mischschluessel"], jahr_mittel=2024,
                  toepfe=["integrationspauschale_2018"])


@pytest.fixture(scope="module")
def lf():
    return verteilung.langfrist(["status-quo", "m1-gemeinsamer-bestand", "m2-mischschluessel"], minimum=False)


def test_lump_sum_is_flueag_persons_times_the_rate_of_the_gemeinde_type(res, lf):
    g = lf.gemeinden
    sq = g[g["modell"] == "status-quo"]
    persons = sq["last_langfristig_flueag"] - sq["anrechnung"]  # credited places earn no lump sum
    rate = np.where(sq["gemeinde_typ"] == "kreisfreie Stadt", KREISFREI_2024, KREISANGEHOERIG_2024)
    want = float((persons * rate * 12).sum())
    land = res.modelle.set_index("modell")
    assert land.loc["status-quo", "pauschale_flueag_land_eur"] == pytest.approx(want, rel=1e-12)
    # M1: one system; its FlüAG persons are its persons in the Land's proportion 146.000 : 146.210
    m1 = g[g["modell"] == "m1-gemeinsamer-bestand"]
    share = 146_000 / (146_000 + 146_210)
    rate1 = np.where(m1["gemeinde_typ"] == "kreisfreie Stadt", KREISFREI_2024, KREISANGEHOERIG_2024)
    want1 = float(((m1["last_langfristig"] - m1["anrechnung"]) * share * rate1 * 12).sum())
    assert land.loc["m1-gemeinsamer-bestand", "pauschale_flueag_land_eur"] == pytest.approx(want1, rel=1e-12)
    # the Land's total moves with the persons between the two rates: M1 puts more into kreisfreie Städte
    assert land.loc["m1-gemeinsamer-bestand", "aenderung_pauschale_flueag_land_eur"] > 0


@pytest.mark.parametrize(("ags", "sq_persons", "sq_eur", "m1_load", "m1_eur"), [
    # docs/langfrist.md „Mehr Personen, weniger Geld“: Köln takes 1.279 more persons and gets 2,69 Mio. € less,
    # Mönchengladbach fewer persons and 13,6 Mio. € more (its credited places exceed its FlüAG Soll today)
    ("05315000", 15_619, 134.7e6, 16_898, 132.0e6),
    ("05116000", 4_494, 0.0, 4_243, 13.6e6),
])
def test_the_two_worked_money_examples_of_the_handbook(res, lf, ags, sq_persons, sq_eur, m1_load, m1_eur):
    g = lf.gemeinden.set_index(["modell", "ags"])
    money = res.gemeinden.set_index(["modell", "ags"])["pauschale_flueag_eur"]
    assert round(g.loc[("status-quo", ags), "last_langfristig"]) == sq_persons
    assert round(g.loc[("m1-gemeinsamer-bestand", ags), "last_langfristig"]) == m1_load
    assert money[("status-quo", ags)] == pytest.approx(sq_eur, abs=0.05e6)
    assert money[("m1-gemeinsamer-bestand", ags)] == pytest.approx(m1_eur, abs=0.05e6)
    m1 = g.loc[("m1-gemeinsamer-bestand", ags)]
    flueag = (m1["last_langfristig"] - m1["anrechnung"]) * 146_000 / 292_210
    assert money[("m1-gemeinsamer-bestand", ags)] == pytest.approx(flueag * KREISFREI_2024 * 12, rel=1e-12)


def test_integrationspauschale_2018_keeps_its_pot_minimum_and_40_60_rule(res, lf):
    g = res.gemeinden[res.gemeinden["modell"] == "status-quo"].reset_index(drop=True)
    amount = g["mittel_integrationspauschale_2018_eur"].to_numpy()
    assert amount.sum() == pytest.approx(100_000_000, rel=1e-12)
    assert amount.min() >= 50_000 - 1e-6
    rows = lf.gemeinden[lf.gemeinden["modell"] == "status-quo"].reset_index(drop=True)
    f = rows["last_langfristig_flueag"] - rows["anrechnung"]
    w = rows["last_langfristig_wsa"]
    weight = (0.4 * f / f.sum() + 0.6 * w / w.sum()).to_numpy()
    free = amount > 50_000 + 1e-6
    ratio = amount[free] / weight[free]  # one factor for all above the minimum
    assert ratio.max() / ratio.min() == pytest.approx(1.0, abs=1e-9)
    at_min = ~free
    assert np.all(weight[at_min] * ratio[0] <= 50_000 + 1e-6)


def test_kreise_sum_their_gemeinden_plus_the_kreisunterstuetzung(res):
    k = res.kreise[res.kreise["modell"] == "status-quo"]
    g = res.gemeinden[res.gemeinden["modell"] == "status-quo"]
    assert k["pauschale_flueag_eur"].sum() == pytest.approx(g["pauschale_flueag_eur"].sum())
    assert (k["mittel_kreisunterstuetzung_eur"] > 0).sum() == 31
    assert k["mittel_kreisunterstuetzung_eur"].sum() == 31 * 500_000
    assert k["mittel_eur"].sum() == pytest.approx(g["mittel_eur"].sum() + 31 * 500_000)
    assert res.modelle.set_index("modell").loc["status-quo", "mittel_land_eur"] == pytest.approx(k["mittel_eur"].sum())


def test_a_model_file_puts_a_pot_under_its_own_key(tmp_path):
    d = yaml.safe_load((verteilung.model.models_dir() / "m1-gemeinsamer-bestand.yaml").read_text(encoding="utf-8"))
    d["id"] = "m1-integration"
    d["mittel"] = {"integrationspauschale_2018": [{"nach": "schluessel", "system": "gesamt", "anteil": 1.0}]}
    path = tmp_path / "m1-integration.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    r = mittel([str(path)], toepfe=["integrationspauschale_2018"])
    assert r.info["eigene_regeln"] == {"m1-integration": ["integrationspauschale_2018"]}
    lf = verteilung.langfrist([str(path)], minimum=False)
    key = lf.gemeinden[lf.gemeinden["modell"] == "m1-integration"]["schluessel_gesamt"].to_numpy()
    amount = r.gemeinden[r.gemeinden["modell"] == "m1-integration"]["mittel_integrationspauschale_2018_eur"]
    np.testing.assert_allclose(amount.to_numpy(), mit_mindestbetrag(100_000_000, key / key.sum(), 50_000))
    bad = dict(d, mittel={"integrationspauschale_2018": [{"nach": "personen", "gruppen": ["wsa"], "anteil": 0.5}]})
    with pytest.raises(InputError, match="nicht 1"):
        verteilung.model.parse_model(bad, "test")


@pytest.mark.parametrize("shares", [[0.5, 0.3, 0.2], [0.97, 0.01, 0.01, 0.01], [0.25] * 4])
def test_minimum_keeps_the_pot(shares):
    out = mit_mindestbetrag(1000.0, np.array(shares), 100.0)
    assert out.sum() == pytest.approx(1000.0) and out.min() >= 100 - 1e-9


def test_pot_rules_are_dated_with_paragraph_and_source():
    t = topf("integrationspauschale_2018")
    assert t.paragraph.startswith("§ 14a") and t.href.startswith("https://") and t.mindestbetrag_eur == 50_000
    assert topf("kreisunterstuetzung", 2024).betrag_je_kreis_eur == 500_000
    with pytest.raises(InputError):
        topf("kreisunterstuetzung", 2023)  # no such rule before 2024


def test_month_by_month_lump_sum_follows_the_simulated_persons():
    r = mittel(["status-quo"], monate=2, seed=7)
    sim = verteilung.simulate(2, ["status-quo"], seed=7, verlauf=True)
    v = sim.verlauf[(sim.verlauf["modell"] == "status-quo") & (sim.verlauf["monat"] == 2)]
    g = verteilung.prepare(jahr=2024).gemeinden.set_index("ags")
    rate = np.where(g.loc[v["ags"], "gemeinde_typ"] == "kreisfreie Stadt", KREISFREI_2024, KREISANGEHOERIG_2024)
    want = float((v["flueag_bestand"].to_numpy() * rate).sum())
    land = r.verlauf_land.set_index(["modell", "monat"])
    assert land.loc[("status-quo", 2), "pauschale_flueag_eur"] == pytest.approx(want)
    assert r.info["verlauf_synthetisch"] is True


def test_cli_mittel_writes_a_workbook_and_refuses_unknown_pots(cli, tmp_path):
    out = tmp_path / "mittel.xlsx"
    r = cli("mittel", "--modelle", "status-quo,m2-mischschluessel", "--topf", "integrationspauschale_2018",
            "--out", out)
    assert r.code == 0, r.stderr
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert {"Gemeinden", "Kreise", "Parameter"} <= set(wb.sheetnames)
    heads = [c.value for c in wb["Gemeinden"][2]]
    assert "Pauschale § 4 FlüAG (€)" in heads and "Integrationspauschale 2018 (€)" in heads
    bad = cli("mittel", "--topf", "goldtopf", "--out", tmp_path / "x.xlsx")
    assert bad.code == 2 and "unbekannter Topf" in bad.stderr and not (tmp_path / "x.xlsx").exists()
    j = cli("mittel", "--modelle", "status-quo", "--format", "json")
    rows = pd.DataFrame(j.json()["rows"])
    assert rows.loc[0, "modell"] == "status-quo" and rows.loc[0, "pauschale_flueag_land_eur"] > 1e9
