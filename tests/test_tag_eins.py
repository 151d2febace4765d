"""Day-one safety and wording leftovers of issues 20, 22 and 23 (session 5), each through the real
CLI: a single output file obeys the manifest rule, run.toml reads ``blatt``, BW speaks of Kreise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verteilung.io.pfade import MANIFEST_NAME

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.csv").write_bytes(SCENARIO.read_bytes())
    (tmp_path / "h.csv").write_text("haushalt_id,personen\nh1,3\nh2,1\n", encoding="utf-8")
    return tmp_path


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- 1. a single --out FILE replaces only what the tool wrote ------------------------------------

# Every command with a single output file; the file "eigen.*" is a person's own (not in a manifest).
EINZELDATEI = [
    ("keys", "--system", "flueag", "--out", "eigen.csv"),
    ("status", "--system", "flueag", "--bestand", "b.csv", "--out", "eigen.xlsx"),
    ("explain", "05315000", "--system", "flueag", "--out", "eigen.json"),
    ("allocate", "--system", "flueag", "--bestand", "b.csv", "--personen", "10", "--out", "eigen.csv"),
    ("allocate", "--system", "flueag", "--bestand", "b.csv", "--haushalte", "h.csv", "--haushalte-out", "eigen.csv"),
    ("data", "check", "--format", "json", "--out", "eigen.json"),
    ("data", "list", "--out", "eigen.csv"),
    ("langfrist", "--out", "eigen.xlsx"),
    ("mittel", "--out", "eigen.xlsx"),
    ("report", "--monate", "0", "--out", "eigen.html"),
    ("calibrate", "--spalten", "einwohner,flaeche", "--out", "eigen.yaml"),
]


@pytest.mark.parametrize("args", EINZELDATEI, ids=lambda a: " ".join(a))
def test_a_persons_file_is_never_replaced_by_a_single_output(cli, ws, args):
    name = next(a for a in args if a.startswith("eigen."))
    (ws / name).write_bytes(b"meine Zahlen\n")
    before = _files(ws)
    r = cli(*args)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Fehler: ") and "Traceback" not in r.stderr
    assert f"{name}: vorhandene Datei (nicht von verteilung geschrieben) wird nicht überschrieben" in r.stderr
    assert "--ueberschreiben" in r.stderr
    assert _files(ws) == before  # nothing written, not even a manifest


def test_own_file_is_replaced_a_changed_one_only_with_ueberschreiben(cli, ws):
    args = ("keys", "--system", "flueag", "--out", "schluessel.csv")
    assert cli(*args).code == 0
    recorded = json.loads((ws / MANIFEST_NAME).read_text(encoding="utf-8"))["dateien"]
    assert set(recorded) == {"schluessel.csv"}
    first = (ws / "schluessel.csv").read_bytes()
    r = cli(*args)  # the tool's own, unchanged file: replaced (same bytes)
    assert r.code == 0, r.stderr
    assert (ws / "schluessel.csv").read_bytes() == first
    (ws / "schluessel.csv").write_bytes(first + b"meine Notiz\n")  # a person edits it
    r = cli(*args)
    assert r.code == 2 and "seit dem letzten Aufruf geändert" in r.stderr and "--ueberschreiben" in r.stderr
    assert (ws / "schluessel.csv").read_bytes().endswith(b"meine Notiz\n")
    r = cli(*args, "--ueberschreiben")
    assert r.code == 0, r.stderr
    assert (ws / "schluessel.csv").read_bytes() == first
    assert cli(*args).code == 0  # recorded again: the next call may replace it


def test_ueberschreiben_replaces_a_persons_file_and_records_it(cli, ws):
    (ws / "stand.json").write_text("{}", encoding="utf-8")
    r = cli("data", "check", "--format", "json", "--out", "stand.json", "--ueberschreiben")
    assert r.code == 0, r.stderr
    assert json.loads((ws / "stand.json").read_text(encoding="utf-8"))["einheiten"] == 396
    assert "stand.json" in json.loads((ws / MANIFEST_NAME).read_text(encoding="utf-8"))["dateien"]


def test_two_outputs_of_allocate_are_both_recorded(cli, ws):
    r = cli("allocate", "--system", "flueag", "--bestand", "b.csv", "--haushalte", "h.csv",
            "--out", "z.csv", "--haushalte-out", "sub/hh.csv")
    assert r.code == 0, r.stderr
    assert set(json.loads((ws / MANIFEST_NAME).read_text(encoding="utf-8"))["dateien"]) == {"z.csv"}
    assert set(json.loads((ws / "sub" / MANIFEST_NAME).read_text(encoding="utf-8"))["dateien"]) == {"hh.csv"}


def test_a_template_is_still_never_replaced(cli, ws):
    """`data vorlage` keeps its stricter rule: a template may hold figures once opened, so not
    even its own earlier file is replaced (the same bytes again are left as they are)."""
    assert cli("data", "vorlage", "bestand", "--out", "v.csv").code == 0
    r = cli("data", "vorlage", "bestand", "--out", "v.csv")
    assert r.code == 0 and "unverändert" in r.stderr
    assert not (ws / MANIFEST_NAME).exists()


# --- 2. run.toml reads blatt, as --blatt ---------------------------------------------------------

def test_run_toml_blatt_chooses_the_sheet(cli, tmp_path):
    from tests.test_eingaben_lesen import HEADER, KOELN, _rows, workbook

    workbook(tmp_path / "b.xlsx", [("April", "visible", [HEADER, *_rows(4000)]),
                                   ("Mai", "visible", [HEADER, *_rows(5557)])])
    toml = ('bestand = "b.xlsx"\n{blatt}[zugaenge.flueag]\npersonen = 10\n[zugaenge.wsa]\npersonen = 5\n'
            '[ausgabe]\nordner = "out"\n')
    config = tmp_path / "run.toml"
    config.write_text(toml.format(blatt=""), encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 2 and "2 sichtbare Blätter („April“, „Mai“)" in r.stderr, r.stderr
    assert not (tmp_path / "out" / "2024-05").exists()
    config.write_text(toml.format(blatt='blatt = "Mai"\n'), encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 0, r.stderr
    shown = cli("runs", "show", "2024-05", "--config", config, "--format", "json").json()["rows"]
    koeln = [row for row in shown if row["ags"] == KOELN and row["system"] == "flueag"]
    assert koeln and koeln[0]["bestand"] == 5557


# --- 3. every Land in data list; data check counts the Land's unit -------------------------------

def test_data_list_names_every_land_and_its_unit(cli):
    rows = cli("data", "list", "--format", "json").json()["rows"]
    bw = [r for r in rows if r["datensatz"] == "bw"]
    assert bw and all(r["einheit"] == "Kreise" and r["einheiten"] == 44 for r in bw)
    assert all(r["einheit"] == "Gemeinden" and r["einheiten"] == 396 for r in rows if r["datensatz"] == "nrw")
    table = cli("data", "list").stdout
    assert "Baden-Württemberg" in table and "Kreise" in table


def test_data_check_bw_speaks_of_kreise(cli, tmp_path):
    r = cli("data", "check", "--land", "bw")
    assert r.code == 0, r.stderr
    assert "Kreise: 44" in r.stdout and "Gemeinden: 44" not in r.stdout
    assert "Land: Baden-Württemberg" in r.stdout
    assert cli("data", "check", "--land", "bw", "--out", tmp_path / "p.csv").code == 0
    text = (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert "Kreise;44" in text and "Gemeinden;44" not in text


# --- 4. German quotes in messages ---------------------------------------------------------------

def test_refused_values_are_quoted_in_german(cli, ws):
    r = cli("keys", "--system", "flueag", "--format", "xml")
    assert r.code == 2 and "„xml“ ist nicht erlaubt" in r.stderr and "'xml'" not in r.stderr
    r = cli("allocate", "--system", "flueag", "--bestand", "b.csv", "--personen", "5", "--pfad", "schnell")
    assert r.code == 2 and "unbekannter Rechenweg „schnell“" in r.stderr, r.stderr
    r = cli("keys", "--system", "flueag", "--land", "by")
    assert r.code == 2 and "unbekanntes Land „by“" in r.stderr and "'by'" not in r.stderr, r.stderr


def test_no_python_repr_in_messages():
    """Messages quote values „so“ (docs/ausgaben.md); ``!r`` stays only in programmer errors that
    no refusal shows (an unknown attribute, a parameter or system registered twice)."""
    import re

    internal = ("AttributeError(", "KeyError(f\"unknown parameter", "alias {alias!r}", "default {lesart",
                "is registered twice", "unknown solver {solver!r}",
                "unexpected keyword argument {name!r}")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "verteilung").rglob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"!r\}", line) and not any(k in line for k in internal)]
    assert found == []


# --- 5. template errors speak the template's headings -------------------------------------------

def test_template_errors_name_the_heading_the_user_sees(cli, ws):
    assert cli("data", "vorlage", "bestand", "--out", "v.csv").code == 0
    lines = (ws / "v.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "AGS;Gemeinde;Bestand FlüAG;Anrechnung;Anrechnung EAE;Bestand WSA"
    rows = [line.split(";") for line in lines[1:]]
    for r in rows:
        r[2:] = ["10", "0", "0", "5"]
    rows[0][2], rows[1][5] = "viele", "-3"
    (ws / "v.csv").write_text("\n".join([lines[0], *(";".join(r) for r in rows)]) + "\n", encoding="utf-8")
    r = cli("status", "--system", "flueag", "--bestand", "v.csv", "--out", "s.csv")
    assert r.code == 2 and not (ws / "s.csv").exists()
    assert "v.csv, Zeile 2, AGS 05111000: „Bestand FlüAG“: „viele“ ist keine Zahl" in r.stderr, r.stderr
    assert "v.csv, Zeile 3, AGS 05112000: „Bestand WSA“: „-3“ ist negativ" in r.stderr
    assert "flueag_bestand" not in r.stderr and "wsa_bestand" not in r.stderr
    (ws / "w.csv").write_text("\n".join(";".join(r[:5]) for r in [lines[0].split(";"), *rows[2:]]) + "\n",
                              encoding="utf-8")
    r = cli("status", "--system", "wsa", "--bestand", "w.csv")
    assert r.code == 2 and "Pflichtspalte(n) fehlen in der Bestandsdatei: „Bestand WSA“" in r.stderr, r.stderr


# --- 6. money of a year after the dated rules is NÄHERUNG ---------------------------------------

def test_mittel_after_the_dated_rules_says_naeherung_in_every_format(cli, tmp_path):
    import openpyxl

    grund = "Pauschale § 4 FlüAG (kreisfrei) für 2030: kein Satz hinterlegt, der Satz ab 01.01.2024 ist fortgeschrieben"
    args = ("mittel", "--modelle", "status-quo,m1-gemeinsamer-bestand", "--jahr-mittel", "2030")
    r = cli(*args)
    assert r.code == 0, r.stderr
    assert grund in " ".join(r.stdout.split())  # the terminal wraps long lines
    data = cli(*args, "--format", "json").json()
    assert f"NÄHERUNG: {grund}" in data["summary"]["naeherungen"]
    assert {row["hinweis"] for row in data["rows"]} == {"NÄHERUNG"}
    machine = cli(*args, "--format", "csv", "--ebene", "kreise").stdout.splitlines()
    assert machine[0].endswith(",hinweis") and all(line.endswith(",NÄHERUNG") for line in machine[1:])
    assert cli(*args, "--out", tmp_path / "m.xlsx").code == 0
    first = openpyxl.load_workbook(tmp_path / "m.xlsx").worksheets[0]["A1"].value
    assert grund in first
    assert cli(*args, "--out", tmp_path / "m.csv").code == 0
    assert grund in (tmp_path / "m.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    within = cli("mittel", "--modelle", "status-quo", "--jahr-mittel", "2024", "--format", "json").json()
    assert not any("fortgeschrieben" in n for n in within["summary"].get("naeherungen", []))
    assert all("hinweis" not in row for row in within["rows"])


# --- 7. long-run persons shown whole, kept exact ------------------------------------------------

def test_long_run_persons_are_shown_whole_and_kept_exact(cli, tmp_path):
    import openpyxl

    args = ("langfrist", "--ohne-minimum", "--modelle", "status-quo,m1-gemeinsamer-bestand")
    rows = {r["modell"]: r for r in cli(*args, "--format", "json").json()["rows"]}
    exact = rows["status-quo"]["last_kreisfrei"]
    assert exact != round(exact)  # a computed count of persons with decimals (key × Land total)
    from verteilung.io.deutsch import fmt_dec, fmt_int

    shown = cli(*args).stdout
    assert fmt_int(exact) in shown and fmt_dec(exact, 2) not in shown
    assert cli(*args, "--out", tmp_path / "l.xlsx").code == 0
    ws = openpyxl.load_workbook(tmp_path / "l.xlsx").worksheets[0]
    header_row = next(i for i, row in enumerate(ws.iter_rows(values_only=True), 1)
                      if "Langfristige Last kreisfreier Städte" in row)
    col = [c.value for c in ws[header_row]].index("Langfristige Last kreisfreier Städte") + 1
    cell = ws.cell(header_row + 1, col)
    assert cell.value == pytest.approx(exact, rel=1e-14) and cell.number_format == '#,##0;"−"#,##0'


# --- 9. the long-run shift says its direction ----------------------------------------------------

def test_shift_is_named_by_its_direction_positive_towards_the_cities(cli, tmp_path):
    args = ("langfrist", "--ohne-minimum", "--modelle", "status-quo,m1-gemeinsamer-bestand")
    rows = {r["modell"]: r for r in cli(*args, "--format", "json").json()["rows"]}
    m1, sq = rows["m1-gemeinsamer-bestand"], rows["status-quo"]
    assert m1["verschiebung_zu_staedten"] == m1["last_kreisfrei"] - sq["last_kreisfrei"] > 0
    assert "verschiebung_stadt_land" not in m1
    assert cli(*args, "--out", tmp_path / "l.csv").code == 0
    head = (tmp_path / "l.csv").read_text(encoding="utf-8-sig").splitlines()[1].split(";")  # below the label line
    assert "Verschiebung zu den kreisfreien Städten (Personen)" in head
    r = cli("compare", "--modelle", "status-quo,m1-gemeinsamer-bestand", "--out", tmp_path / "v")
    assert r.code == 0 and "langfristig zu den Städten" in r.stdout and "Stadt → Land" not in r.stdout
    csv = (tmp_path / "v" / "langfrist_modelle.csv").read_text(encoding="utf-8")
    assert "verschiebung_zu_staedten" in csv.splitlines()[0]


# --- 8. outputs as docs/ausgaben.md promises them ------------------------------------------------

def test_compare_rows_carry_their_markers_and_simulate_writes_a_workbook(cli, tmp_path):
    import openpyxl
    import pandas as pd

    r = cli("compare", "--modelle", "status-quo,m1-gemeinsamer-bestand", "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    g = pd.read_csv(tmp_path / "v" / "SYNTHETISCH_gemeinden.csv", dtype={"ags": str})
    assert g.columns[-1] == "hinweis"
    by_model = g.groupby("modell")["hinweis"].unique().to_dict()
    # the status quo's WSA key uses the approximated unemployment; M1's FlüAG key does not
    assert list(by_model["status-quo"]) == ["SYNTHETISCH; NÄHERUNG"]
    assert list(by_model["m1-gemeinsamer-bestand"]) == ["SYNTHETISCH"]
    stdout = cli("compare", "--modelle", "status-quo", "--format", "csv", "--out", tmp_path / "w").stdout
    assert stdout.splitlines()[0].endswith(",hinweis") and stdout.splitlines()[1].endswith("SYNTHETISCH; NÄHERUNG")

    r = cli("simulate", "--monate", "2", "--modelle", "status-quo,m1-gemeinsamer-bestand", "--out", tmp_path / "s")
    assert r.code == 0, r.stderr
    wb = openpyxl.load_workbook(tmp_path / "s" / "SYNTHETISCH_simulation.xlsx")
    assert wb.sheetnames == ["Monate", "Gemeinden am Ende", "Übergang", "Übergang im Verlauf", "Parameter"]
    for ws in wb.worksheets:
        assert ws["A1"].value.startswith("SYNTHETISCH")
    assert [c.value for c in wb["Monate"][2]][:2] == ["Monat", "Modell"]  # German headers below the marker
    months = pd.read_csv(tmp_path / "s" / "SYNTHETISCH_monate.csv")
    assert wb["Monate"].max_row - 2 == len(months)
