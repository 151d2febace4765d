"""Labels where figures are shown (issue 13 items 8, 9): SYNTHETISCH in every output built on the
synthetic scenario, NÄHERUNG with method and source where unemployment is approximated, the data
basis per key year, dated paragraphs and "(Annahme)" for assumed parameter values.

Every command runs in-process through the real entry point (`cli` fixture) on the shipped
synthetic scenario; each terminal output and each written file must carry the marker.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from verteilung import params
from verteilung.inputs import prepare
from verteilung.law import awov
from verteilung.resources import shipped

SCENARIO = shipped("inputs", "nrw", "szenario", "bestand_synthetisch_2024.csv")
MARK = "SYNTHETISCH"


def _written(folder: Path) -> dict[str, str]:
    """Text of every file written under ``folder`` (binary files by name only)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            try:
                out[str(p.relative_to(folder))] = p.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                out[str(p.relative_to(folder))] = ""
    return out


def _marked(name: str, text: str) -> bool:
    return MARK in name or MARK in text


def _assert_all_marked(folder: Path) -> None:
    """Every file resting on the synthetic stock says so; the long run (``langfrist*``, real data
    only) must not, and its workbook names the approximation it rests on instead."""
    files = _written(folder)
    assert files, f"nothing written under {folder}"
    langfrist = {n for n in files if Path(n).name.startswith("langfrist")}
    unmarked = [n for n, text in files.items() if n not in langfrist and not _marked(n, text)
                and not n.endswith((".png", ".parquet"))]
    assert not unmarked, f"without {MARK}: {unmarked}"
    assert not [n for n in langfrist if _marked(n, files[n])], "the long run rests on no synthetic stock"
    for n in langfrist:
        if n.endswith(".xlsx"):
            from openpyxl import load_workbook

            wb = load_workbook(folder / n)
            assert all(str(wb[s]["A1"].value).startswith("NÄHERUNG") for s in wb.sheetnames)


def test_keys_on_their_own_use_no_synthetic_data(cli):
    """`keys` reads no stock: nothing synthetic, nothing to mark (the data basis is shown)."""
    r = cli("keys", "--system", "flueag", "--jahr", "2024", "--format", "json")
    assert r.code == 0, r.stderr
    assert MARK not in r.stdout


def test_status_marks_terminal_csv_and_json(cli, tmp_path):
    r = cli("status", "--system", "flueag", "--bestand", SCENARIO, "--jahr", "2024")
    assert r.code == 0, r.stderr
    assert MARK in r.stdout + r.stderr
    out = tmp_path / "status.csv"  # the German Excel CSV (chosen by the extension): a note row
    assert cli("status", "--system", "wsa", "--bestand", SCENARIO, "--jahr", "2024", "--out", out).code == 0
    assert _marked(out.name, out.read_text(encoding="utf-8-sig"))
    j = cli("status", "--system", "wsa", "--bestand", SCENARIO, "--jahr", "2024", "--format", "json")
    assert MARK in j.json()["summary"]["hinweis"]


def test_allocate_marks_terminal_csv_and_json(cli, tmp_path):
    args = ("allocate", "--system", "wsa", "--bestand", SCENARIO, "--personen", "50", "--jahr", "2024")
    r = cli(*args)
    assert r.code == 0, r.stderr
    assert MARK in r.stdout + r.stderr
    j = cli(*args, "--format", "json")
    assert j.code == 0, j.stderr
    summary = j.json()["summary"]
    assert MARK in summary["hinweis"]
    assert any(n.startswith("NÄHERUNG") for n in summary["naeherungen"])
    out = tmp_path / "zuweisung.csv"
    assert cli(*args, "--out", out).code == 0
    assert _marked(out.name, out.read_text(encoding="utf-8-sig"))
    flueag = cli("allocate", "--system", "flueag", "--bestand", SCENARIO, "--personen", "5", "--jahr", "2024",
                 "--format", "json").json()["summary"]
    assert MARK in flueag["hinweis"]
    assert "naeherungen" not in flueag  # the FlüAG key uses no unemployment figures


def test_explain_marks_synthetic_stock_and_approximation(cli):
    r = cli("explain", "05513000", "--system", "wsa", "--jahr", "2024", "--bestand", SCENARIO)
    assert r.code == 0, r.stderr
    assert MARK in r.stdout
    assert "NÄHERUNG" in r.stdout and "skaliert auf die registrierten Arbeitslosen des Landes" in r.stdout
    assert "Quelle: " in r.stdout


def test_explain_without_approximation_says_no_naeherung(cli):
    r = cli("explain", "05513000", "--system", "wsa", "--jahr", "2016", "--stichtag", "2016-12-01")
    assert r.code == 0, r.stderr
    assert "NÄHERUNG" not in r.stdout and MARK not in r.stdout
    assert "BA Arbeitslose nach Gemeinden, Jahresdurchschnitt 2015" in r.stdout


def test_an_older_years_counts_standing_in_are_a_naeherung(cli):
    r = cli("explain", "05513000", "--system", "wsa", "--jahr", "2018")
    assert r.code == 0, r.stderr
    assert ("NÄHERUNG: BA Arbeitslose nach Gemeinden, Jahresdurchschnitt 2015 (neuestes verfügbares Jahr; "
            "gesucht 2017)") in r.stdout


def test_compare_marks_terminal_and_files(cli, tmp_path):
    out = tmp_path / "vergleich"
    r = cli("compare", "--modelle", "status-quo,m1-gemeinsamer-bestand", "--out", out)
    assert r.code == 0, r.stderr
    assert MARK in r.stdout
    _assert_all_marked(out)


def test_simulate_marks_terminal_and_files(cli, tmp_path):
    out = tmp_path / "sim"
    r = cli("simulate", "--monate", "2", "--modelle", "status-quo", "--out", out)
    assert r.code == 0, r.stderr
    assert MARK in r.stdout
    _assert_all_marked(out)


def test_report_html_marks_synthetic_and_approximation(cli, tmp_path):
    out = tmp_path / "bericht.html"
    r = cli("report", "--monate", "0", "--modelle", "status-quo,m1-gemeinsamer-bestand", "--out", out)
    assert r.code == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert MARK in html
    assert "NÄHERUNG" in html and "skaliert auf die registrierten Arbeitslosen des Landes" in html
    assert "sind amtlich" not in html  # unemployment since 2016 is not official per Gemeinde


def test_report_html_names_bbsr_for_key_year_2021(cli, tmp_path):
    out = tmp_path / "bericht.html"
    r = cli("report", "--monate", "0", "--modelle", "status-quo", "--jahr", "2021", "--out", out)
    assert r.code == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "BBSR" in html and "auf 10 Personen gerundet" in html
    assert "IT.NRW/Destatis" not in html
    assert "31.12.2020" in html


def test_sensitivitaet_marks_terminal_and_files(cli, tmp_path):
    out = tmp_path / "sens"
    r = cli("sensitivitaet", "--modell", "m1", "--parameter", "kappung=1.05:1.6,zugaenge=100:5000",
            "--sobol", "8", "--out", out)
    assert r.code == 0, r.stderr
    assert MARK in r.stdout
    _assert_all_marked(out)


def test_calibrate_marks_terminal_and_model_file(cli, tmp_path):
    out = tmp_path / "kalibriert.yaml"
    r = cli("calibrate", "--spalten", "einwohner,flaeche", "--grenze", "flaeche=0:0.2", "--out", out)
    assert r.code == 0, r.stderr
    assert MARK in r.stdout + r.stderr
    assert MARK in out.read_text(encoding="utf-8")


def test_run_marks_its_outputs(cli, tmp_path):
    """`run`: terminal, manifest, explanation and log say SYNTHETISCH. (Its per-system CSVs and the
    XLSX keep their names and columns here; their labelling belongs to the table writers.)"""
    (tmp_path / "bestand.csv").write_bytes(SCENARIO.read_bytes())
    (tmp_path / "run.toml").write_text("\n".join([
        'modell = "status-quo"', 'bestand = "bestand.csv"',
        "[zugaenge.flueag]", "personen = 1260", "[zugaenge.wsa]", "personen = 493",
        "[ausgabe]", 'ordner = "out"', ""]), encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", tmp_path / "run.toml")
    assert r.code == 0, r.stderr
    assert MARK in r.stdout + r.stderr
    folder = next((tmp_path / "out").rglob("manifest.json")).parent
    assert MARK in json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["hinweis"]
    for name in ("erlaeuterung.txt", "lauf.log"):
        assert MARK in (folder / name).read_text(encoding="utf-8"), name


# --- NÄHERUNG: the scaled approximation --------------------------------------------------------

@pytest.mark.parametrize("jahr,landesjahr,summe", [(2021, 2020, 733_740), (2022, 2021, 715_219),
                                                    (2024, 2022, 665_501)])
def test_scaled_approximation_sums_to_the_sourced_land_total(jahr, landesjahr, summe):
    """Golden: the Land sum of the approximated unemployed is the BA's registered total."""
    inp = prepare(jahr=jahr)
    table = pd.read_csv(shipped("inputs", "nrw", "arbeitslose_land.csv"))
    row = table[table["jahr"] == landesjahr].iloc[0]
    assert int(row["arbeitslose"]) == summe
    assert str(row["url"]).startswith("http")
    assert inp.gemeinden["arbeitslose"].sum() == pytest.approx(summe, abs=1e-6)
    label = inp.gemeinden.attrs["arbeitslose_quelle"]
    assert label.startswith("NÄHERUNG") and f"Jahresdurchschnitt {landesjahr}" in label
    assert str(row["url"]) in label
    assert label in inp.naeherungen and label in inp.info()["naeherungen"]


def test_year_without_a_sourced_total_uses_the_latest_and_says_so():
    label = prepare(jahr=2024).gemeinden.attrs["arbeitslose_quelle"]
    assert "neuestes belegtes Jahr; für 2023 keine belegte Landessumme" in label


def test_scaling_keeps_the_kreis_distribution():
    """Within one Kreis the approximation stays proportional to population (one factor for all)."""
    g = prepare(jahr=2024).gemeinden
    rates = awov._kreis_rates()
    r = g["kreis_ags"].map(rates[rates["jahr"] == 2021].set_index("kreis_ags")["alo_quote_prozent"])
    raw = r / 100 * g["einwohner"]
    factor = g["arbeitslose"] / raw
    assert factor.max() - factor.min() < 1e-12
    assert raw.sum() == pytest.approx(1_343_570.9978, abs=0.01)  # rate × population alone: ~2× the BA count


def test_a_partial_table_is_not_scaled_to_the_land_and_says_so():
    g = prepare(jahr=2024).gemeinden.drop(columns="arbeitslose").head(20).copy()
    values, label = awov.unemployed(g, 2023)
    assert "nicht skaliert" in label and label.startswith("NÄHERUNG")
    assert len(values) == 20


def test_key_year_2021_data_basis_is_bbsr_rounded():
    inp = prepare(jahr=2021)
    assert inp.datenbasis.startswith("BBSR Referenz Gemeinden")
    assert "Stand 31.12.2020" in inp.datenbasis
    assert any("auf 10 Personen gerundet" in n for n in inp.naeherungen)
    other = prepare(jahr=2024)
    assert other.datenbasis.startswith("Destatis Gemeindeverzeichnis") and "Stand 31.12.2023" in other.datenbasis


def test_status_info_shows_naeherung_and_annahme(cli):
    r = cli("status", "--system", "wsa", "--bestand", SCENARIO, "--jahr", "2024", "--format", "json")
    assert r.code == 0, r.stderr
    info = json.loads(r.stdout)
    text = json.dumps(info, ensure_ascii=False)
    assert "NÄHERUNG" in text
    t = cli("status", "--system", "wsa", "--bestand", SCENARIO, "--jahr", "2024")
    assert "(Annahme)" in t.stdout and "NÄHERUNG" in t.stdout
    assert "ab 01.04.2021" in t.stdout  # German date for people


# --- citations --------------------------------------------------------------------------------

@pytest.mark.parametrize("stichtag,absatz", [("2014-06-01", "§ 3 Abs. 4"), ("2015-12-01", "§ 3 Abs. 4"),
                                             ("2020-01-01", "§ 3 Abs. 5"), ("2024-01-01", "§ 3 Abs. 5")])
def test_credit_paragraph_comes_from_the_dated_value(cli, stichtag, absatz):
    for name in ("flueag_anrechnung_aufnahmeeinrichtung", "flueag_anrechnung_eae"):
        assert params.get(name, stichtag).paragraph.startswith(absatz)
    jahr = stichtag[:4]
    r = cli("explain", "05513000", "--system", "flueag", "--jahr", jahr, "--stichtag", stichtag,
            "--bestand", SCENARIO)
    assert r.code == 0, r.stderr
    credit = r.stdout.split("Anrechnung A")[1].split("\n")[1]
    assert absatz in credit
    other = "§ 3 Abs. 5" if absatz.endswith("4") else "§ 3 Abs. 4"
    assert other not in credit


def test_every_assumed_value_is_flagged_and_shown_as_annahme():
    import yaml

    from verteilung.resources import params_dir

    for path in sorted(params_dir().glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for start, entry in spec["values"].items():
            pv = params.get(path.stem, str(start))
            assert pv.uncertain == bool(entry.get("unsicher", False))
            assert pv.cite().endswith("(Annahme)") == pv.uncertain
            assert "gültig ab " + pv.start.strftime("%d.%m.%Y") in pv.cite()
    assert params.get("flueag_anrechnung_aufnahmeeinrichtung", "2017-01-01").uncertain
    assert params.get("awov_gewicht_einwohner", "2022-01-01").uncertain


def test_wsa_allocation_log_cites_the_awov_household_rule(cli, tmp_path):
    (tmp_path / "bestand.csv").write_bytes(SCENARIO.read_bytes())
    (tmp_path / "hh.csv").write_text("haushalt_id,personen\nH1,3\nH2,1\n", encoding="utf-8")
    (tmp_path / "run.toml").write_text("\n".join([
        'modell = "status-quo"', 'bestand = "bestand.csv"',
        "[zugaenge.flueag]", 'haushalte = "hh.csv"', "[zugaenge.wsa]", 'haushalte = "hh.csv"',
        "[ausgabe]", 'ordner = "out"', ""]), encoding="utf-8")
    assert cli("run", "--periode", "2024-05", "--config", tmp_path / "run.toml").code == 0
    log = next((tmp_path / "out").rglob("erlaeuterung.txt")).read_text(encoding="utf-8")
    wsa = [line for line in log.splitlines() if line.startswith("[WSA] Zuweisung")]
    assert wsa and "§ 5 Abs. 2 AWoV" in wsa[0] and "FlüAG" not in wsa[0]
    flueag = [line for line in log.splitlines() if line.startswith("[FlüAG] Zuweisung")]
    assert flueag and "§ 3 Abs. 1 S. 2 FlüAG" in flueag[0]


def test_scenario_readme_states_the_shipped_file_as_it_is():
    """The scenario README's figures are those of the shipped file: Gemeinden below 90 % and the
    credited places of facilities not yet open on the Stichtag."""
    from verteilung import api
    from verteilung.io.deutsch import fmt_int

    readme = SCENARIO.with_name("README.md").read_text(encoding="utf-8")
    table, _ = api.status("flueag", SCENARIO, jahr=2024)
    below = int((table["erfuellungsquote"] < 90).sum())
    assert f"**{below} von 396 Gemeinden liegen unter 90 %**" in readme
    b = pd.read_csv(SCENARIO, dtype={"ags": str})
    credited = int(b["anrechnung_plaetze"].sum() + b["anrechnung_plaetze_eae"].sum())
    le = pd.read_csv(shipped("inputs", "nrw", "landeseinrichtungen.csv"), dtype={"ags": str})
    later = le["status"].str.contains("2024|to open|expansion only", regex=True)
    not_open = int(le.loc[later & (le["einrichtung"] != "Messe Köln (Überbrückung)"), "plaetze"].sum())
    assert (f"**{fmt_int(not_open)} dieser {fmt_int(credited)} Plätze gehören zu Einrichtungen, die am Stichtag "
            "01.01.2024 noch nicht offen waren**") in readme


@pytest.mark.parametrize("jahr", [2020, 2021, 2022, 2023, 2024])
def test_explain_names_the_approximation_for_every_key_year_with_kreis_rates(cli, jahr):
    r = cli("explain", "05362036", "--system", "wsa", "--jahr", str(jahr))
    assert r.code == 0, r.stderr
    assert "NÄHERUNG: Arbeitslose je Gemeinde = INKAR-Arbeitslosenquote des Kreises" in r.stdout
    assert "Quelle: Regionaldirektion NRW der Bundesagentur für Arbeit" in r.stdout
    assert f"Stand 31.12.{jahr - 1}" in r.stdout
    assert ("BBSR" in r.stdout) == (jahr == 2021)
    # the Erlass values from 01.04.2021 are assumed (unsicher: true); the AWoV's own are not
    assert ("gültig ab 01.04.2021 (Annahme)" in r.stdout) == (jahr >= 2022)
    assert ("gültig ab 29.11.2016" in r.stdout) == (jahr < 2022)


def test_keys_info_names_the_approximation_only_where_used(cli):
    wsa = cli("keys", "--system", "wsa", "--jahr", "2024", "--format", "json").json()["summary"]
    assert any(n.startswith("NÄHERUNG: Arbeitslose") for n in wsa["naeherungen"])
    flueag = cli("keys", "--system", "flueag", "--jahr", "2024", "--format", "json").json()["summary"]
    assert "naeherungen" not in flueag
    bbsr = cli("keys", "--system", "flueag", "--jahr", "2021", "--format", "json").json()["summary"]
    assert bbsr["naeherungen"] == ["NÄHERUNG: Einwohnerzahlen vom BBSR auf 10 Personen gerundet veröffentlicht"]
    assert bbsr["datenbasis"].startswith("BBSR")


def test_the_registry_says_which_keys_read_unemployment():
    from verteilung.law import systems

    assert not systems.nutzt_arbeitslose("flueag") and not systems.nutzt_arbeitslose("FlüAG")
    assert systems.nutzt_arbeitslose("wsa") and systems.nutzt_arbeitslose("awov")
    assert systems.nutzt_arbeitslose("gesamt")  # a model's own system: its key is the model's choice
