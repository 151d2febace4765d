"""LEGAL.md § 5 worked example through the real CLI, and the shipped-data key facts."""

from __future__ import annotations

import pytest

from verteilung import params
from verteilung.errors import InputError


def test_worked_example_keys(cli, data_dir):
    r = cli("keys", "--system", "flueag", "--gemeinden", data_dir / "legal_beispiel_gemeinden.csv",
            "--stichtag", "2024-01-01", "--format", "json")
    assert r.code == 0, r.stderr
    rows = r.json()["rows"]
    assert [row["anteil_einwohner"] for row in rows] == pytest.approx([0.6, 0.3, 0.1])
    assert [row["anteil_flaeche"] for row in rows] == pytest.approx([0.1, 0.15, 0.75])
    assert [row["schluessel_roh"] for row in rows] == pytest.approx([0.55, 0.285, 0.165])
    assert [row["gekappt"] for row in rows] == [False, False, True]
    # LEGAL.md prints 0.57635 and 0.29865 (rounded); exact: 0.55 + 0.04 * 0.55/0.835
    assert [row["schluessel"] for row in rows] == pytest.approx(
        [0.55 + 0.04 * 0.55 / 0.835, 0.285 + 0.04 * 0.285 / 0.835, 0.125], abs=1e-12)
    assert round(rows[0]["schluessel"], 5) == 0.57635
    assert round(rows[1]["schluessel"], 5) == 0.29865
    assert r.json()["summary"]["gekappt"] == 1


def test_worked_example_verteilstatistik(cli, data_dir):
    r = cli("status", "--system", "flueag", "--gemeinden", data_dir / "legal_beispiel_gemeinden.csv",
            "--bestand", data_dir / "legal_beispiel_bestand.csv", "--stichtag", "2024-01-01",
            "--format", "json")
    assert r.code == 0, r.stderr
    d = r.json()
    rows = d["rows"]
    assert d["summary"]["gesamt_T"] == 8600
    assert [row["anrechnung"] for row in rows] == [0, 1000, 0]
    assert [round(row["soll_stichtag"], 1) for row in rows] == [4956.6, 2568.4, 1075.0]
    assert [row["soll_gerundet"] for row in rows] == [4957, 2569, 1075]          # aufrunden
    assert [row["aufnahmeverpflichtung"] for row in rows] == [0, 0, 475]
    assert [row["erfuellungsquote"] for row in rows] == [100.88, 116.80, 55.81]
    assert d["summary"]["ueber_100_prozent"] == 2


def test_rounding_reading_runden(cli, data_dir):
    r = cli("status", "--system", "flueag", "--gemeinden", data_dir / "legal_beispiel_gemeinden.csv",
            "--bestand", data_dir / "legal_beispiel_bestand.csv", "--stichtag", "2024-01-01",
            "--rundung", "runden", "--format", "json")
    assert [row["soll_gerundet"] for row in r.json()["rows"]] == [4957, 2568, 1075]


def test_credit_factor_follows_the_date(cli, data_dir):
    # 50 % for Aufnahmeeinrichtungen in the uncertain 2017-Nov 2023 period, 100 % from 1 Dec 2023
    def credit(day: str) -> float:
        r = cli("status", "--system", "flueag", "--gemeinden", data_dir / "legal_beispiel_gemeinden.csv",
                "--bestand", data_dir / "legal_beispiel_bestand.csv", "--stichtag", day, "--format", "json")
        return r.json()["rows"][1]["anrechnung"]

    assert credit("2023-11-30") == 500
    assert credit("2023-12-01") == 1000
    assert credit("2016-06-01") == 1000


@pytest.mark.parametrize("name,day,expected", [
    ("flueag_anrechnung_eae", "2016-01-01", 1.3),
    ("flueag_anrechnung_eae", "2020-01-01", 0.7),
    ("flueag_anrechnung_eae", "2024-01-01", 1.0),
    ("flueag_anrechnung_aufnahmeeinrichtung", "2015-10-01", 1.0),
    ("flueag_anrechnung_aufnahmeeinrichtung", "2010-01-01", 0.0),
    ("awov_gewicht_einwohner", "2016-11-29", 0.8),
    ("flueag_kappung", "2024-01-01", 0.25),
])
def test_dated_parameters(name, day, expected):
    assert params.value(name, day) == expected


def test_parameter_before_first_value_is_an_error():
    with pytest.raises(InputError, match=r"am 28\.11\.2016 galt noch kein Wert"):
        params.get("awov_gewicht_einwohner", "2016-11-28")


def test_every_parameter_value_has_a_reference():
    for name in params.names():
        spec = params._load(name)
        assert spec["description"] and spec["unit"] and spec["paragraph"], name
        for start, entry in spec["values"].items():
            assert entry["reference"]["title"] and entry["reference"]["href"].startswith("http"), (name, start)


def test_shipped_flueag_keys_2024(cli):
    r = cli("keys", "--system", "flueag", "--jahr", "2024", "--format", "json")
    d = r.json()
    assert len(d["rows"]) == 396
    assert sum(row["schluessel"] for row in d["rows"]) == pytest.approx(1.0, abs=1e-12)
    assert d["summary"]["gekappt"] == sum(row["gekappt"] for row in d["rows"]) > 0
    # Under R1 the cap binds exactly where f > 3.5 e (before redistribution)
    for row in d["rows"]:
        binds_raw = row["anteil_flaeche"] > 3.5 * row["anteil_einwohner"]
        if binds_raw:
            assert row["gekappt"]


def test_shipped_awov_keys_2024_document_their_readings(cli):
    d = cli("keys", "--system", "awov", "--format", "json").json()
    assert sum(row["schluessel"] for row in d["rows"]) == pytest.approx(1.0, abs=1e-12)
    les = d["summary"]["lesarten"]
    assert les["anlage1_variante"].startswith("B")
    assert "NÄHERUNG" in les["arbeitslose_quelle"] and "2021" in les["arbeitslose_quelle"]
    assert d["summary"]["gemindert_mietpreisbremse"] == 22
    # 2016 has BA Gemeinde counts (year 2015)
    d16 = cli("keys", "--system", "awov", "--jahr", "2016", "--stichtag", "2016-12-01",
              "--format", "json").json()
    assert "BA Arbeitslose nach Gemeinden, Jahresdurchschnitt 2015" in d16["summary"]["lesarten"]["arbeitslose_quelle"]


def test_rent_cap_parameter_list_matches_shipped_flags():
    from verteilung.data import load_gemeinden

    g = load_gemeinden()
    listed = set(params.value("awov_mietpreisbremse_liste", "2017-01-01"))
    assert listed == set(g.loc[g["mietpreisbremse_2015"], "ags"])


def test_explain_cites_paragraphs(cli, data_dir):
    r = cli("explain", "05000003", "--system", "flueag", "--gemeinden",
            data_dir / "legal_beispiel_gemeinden.csv", "--bestand", data_dir / "legal_beispiel_bestand.csv",
            "--stichtag", "2024-01-01")
    assert r.code == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "§ 3 Abs. 1 S. 5 FlüAG" in text  # the cap, as numbered since 01.01.2017
    assert "Kappungsgrenze: z ≤ (1 + 0,25)·e" in text and "gekappt = ja" in text
    assert "0,12500000" in text and "55,81 %" in text and "→ 475" in text   # German numbers (issue 13)


def test_explain_awov_on_shipped_data(cli):
    r = cli("explain", "05513000", "--system", "awov")
    assert r.code == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "Anlage 1" in text and "§ 4 Abs. 3 AWoV" in text and "Gelsenkirchen" in text


def test_explain_unknown_ags(cli):
    r = cli("explain", "05999999", "--system", "flueag")
    assert r.code == 2 and "05999999" in r.stderr
