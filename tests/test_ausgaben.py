"""Issue 13 items 1–3: what an officer reads and hands on.

Every table command writes an XLSX with German headers from the vocabulary, the number format of
each column (the exact Soll with two decimals), a frozen header, an autofilter and the one
``Parameter`` sheet; the SYNTHETISCH marker stands on every sheet when synthetic stock went in; the
German Excel CSV reads back to the numbers of the JSON; terminal tables speak German.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from verteilung.io.xlsx import workbook_bytes
from verteilung.report.output import SYNTHETISCH, emit, parameter_table, person_view, summary_lines

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
G = ROOT / "tests" / "data" / "modelle_gemeinden.csv"
B = ROOT / "tests" / "data" / "modelle_bestand.csv"
SMALL = ("--modelle", "status-quo,m1-gemeinsamer-bestand", "--gemeinden", G, "--bestand", B,
         "--stichtag", "2024-01-01", "--zugaenge", "flueag=100", "--zugaenge", "wsa=50")
PARAMETER_HEAD = ["Parameter", "Wert", "Rechtsgrundlage", "gültig ab", "Hinweis", "Quelle", "Kennung"]
TWO_DECIMALS = '#,##0.00;"−"#,##0.00'  # a negative shows the typographic minus (docs/ausgaben.md)


def _real_stock(tmp_path: Path) -> Path:
    """The scenario's figures without its source column and under a name that does not say
    synthetic: nothing marks them any more, so no marker is expected."""
    path = tmp_path / "bestand.csv"
    pd.read_csv(SCENARIO, dtype={"ags": str}).drop(columns="quelle").to_csv(path, index=False)
    return path


def _head_row(ws) -> int:
    """1-based row of the header: 2 below a SYNTHETISCH marker row, else 1."""
    return 2 if str(ws["A1"].value or "").startswith(("SYNTHETISCH", "NÄHERUNG")) else 1


def _header(ws) -> list[str]:
    return [c.value for c in ws[_head_row(ws)]]


def _column(ws, head: str) -> list:
    h = _head_row(ws)
    j = _header(ws).index(head) + 1
    return [ws.cell(row=i, column=j) for i in range(h + 1, ws.max_row + 1)]


def check_workbook(path: Path, sheets: list[str], synthetic: bool) -> dict:
    """Sheet names, frozen header, autofilter, marker on every sheet (or none), the Parameter sheet."""
    wb = load_workbook(path)
    assert wb.sheetnames == sheets
    for ws in wb.worksheets:
        marked = str(ws["A1"].value or "").startswith("SYNTHETISCH")
        assert marked == synthetic, (path.name, ws.title)
        h = _head_row(ws)
        assert ws.freeze_panes == f"A{h + 1}", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{h}:"), ws.title
        assert not [v for v in _header(ws) if "_" in str(v)], (ws.title, _header(ws))  # labels, no identifiers
    ws = wb["Parameter"]
    assert _header(ws) == PARAMETER_HEAD
    rows = {r[6]: r for r in ws.iter_rows(min_row=_head_row(ws) + 1, values_only=True)}
    assert rows["stichtag"][1] == "01.01.2024"
    kappung = rows["flueag_kappung"]
    assert kappung[0] == "Kappung der Flächenkomponente (FlüAG)" and kappung[1] == 0.25
    assert kappung[2] == "§ 3 Abs. 1 S. 5 FlüAG" and kappung[4] == ""  # the cap as numbered since 2017
    assert rows["awov_gewicht_einwohner"][4].startswith("(Annahme)")  # unsicher: true in its YAML
    assert ws.cell(row=_head_row(ws) + 1 + list(rows).index("flueag_kappung"), column=4).number_format == "dd.mm.yyyy"
    assert ("hinweis" in rows) == synthetic
    return {"wb": wb, "parameter": rows}


def test_status_xlsx_and_excel_csv(cli, tmp_path):
    base = ["status", "--system", "awov", "--bestand", SCENARIO]
    machine = pd.DataFrame(cli(*base, "--format", "json").json()["rows"])
    assert cli(*base, "--out", tmp_path / "st.xlsx").code == 0
    book = check_workbook(tmp_path / "st.xlsx", ["Verteilstatistik WSA", "Parameter"], synthetic=True)
    ws = book["wb"]["Verteilstatistik WSA"]
    head = _header(ws)
    assert head[:3] == ["AGS", "Gemeinde", "Kreis"]
    # the quota next to the exact Soll it was computed from; the rounded one says so
    at = head.index("Soll (Stichtag)")
    assert head[at + 1] == "Erfüllungsquote (%)" and head[at + 2] == "Soll, gerundet"
    soll = _column(ws, "Soll (Stichtag)")
    assert {c.number_format for c in soll} == {TWO_DECIMALS}
    # XLSX holds 16 significant digits (Excel shows 15): equal to the JSON's numbers at that precision
    assert [c.value for c in soll] == pytest.approx(machine["soll_stichtag"].tolist(), rel=1e-15)
    assert {c.number_format for c in _column(ws, "Soll, gerundet")} == {'#,##0;"−"#,##0'}
    assert {c.number_format for c in _column(ws, "Erfüllungsquote (%)")} == {'0.00" %";"−"0.00" %"'}
    assert {c.data_type for c in _column(ws, "AGS")} == {"s"}
    assert book["parameter"]["system"][1] == "WSA" or book["parameter"]["system"][1] == "Wohnsitzauflage (WSA)"

    assert cli(*base, "--out", tmp_path / "st.csv").code == 0
    raw = (tmp_path / "st.csv").read_bytes()
    assert raw.startswith("\ufeffSYNTHETISCH".encode()) and b"\r\n" in raw
    german = pd.read_csv(tmp_path / "st.csv", sep=";", decimal=",", skiprows=1, encoding="utf-8-sig",
                         dtype={"AGS": str})
    assert list(german.columns) == head  # the same columns as the workbook
    assert german["AGS"].tolist() == machine["ags"].tolist()
    for label, ident in (("Soll (Stichtag)", "soll_stichtag"), ("Soll, gerundet", "soll_gerundet"),
                         ("Bestand", "bestand"), ("Anrechnung", "anrechnung"),
                         ("Erfüllungsquote (%)", "erfuellungsquote"),
                         ("Schlüssel", "schluessel"), ("Aufnahmeverpflichtung, exakt", "aufnahmeverpflichtung_exakt")):
        assert german[label].tolist() == machine[ident].tolist(), label  # exactly the JSON's numbers


def test_keys_xlsx_without_stock_has_no_marker(cli, tmp_path):
    assert cli("keys", "--system", "flueag", "--out", tmp_path / "k.xlsx").code == 0
    book = check_workbook(tmp_path / "k.xlsx", ["Schlüssel FlüAG", "Parameter"], synthetic=False)
    ws = book["wb"]["Schlüssel FlüAG"]
    assert _header(ws)[:3] == ["AGS", "Gemeinde", "Einwohner"]
    assert {c.number_format for c in _column(ws, "Schlüssel")} == {'0.00000000;"−"0.00000000'}
    assert {c.value for c in _column(ws, "gekappt")} <= {"ja", "nein"}
    machine = pd.DataFrame(cli("keys", "--system", "flueag", "--format", "json").json()["rows"])
    assert cli("keys", "--system", "flueag", "--out", tmp_path / "k.csv").code == 0
    german = pd.read_csv(tmp_path / "k.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"AGS": str})
    assert german["Schlüssel"].tolist() == machine["schluessel"].tolist()
    assert german["Fläche (km²)"].tolist() == machine["flaeche_km2"].tolist()


def test_allocate_xlsx_keeps_every_row_and_the_households(cli, tmp_path):
    stock = _real_stock(tmp_path)
    hh = tmp_path / "hh.csv"
    hh.write_text("haushalt_id,personen\n=1+1,3\nH2,2\n", encoding="utf-8")
    base = ["allocate", "--system", "flueag", "--bestand", stock, "--haushalte", hh]
    machine = cli(*base, "--format", "json").json()
    r = cli(*base, "--out", tmp_path / "a.xlsx")
    assert r.code == 0 and r.stdout == ""
    book = check_workbook(tmp_path / "a.xlsx", ["Zuweisung FlüAG", "Haushalte", "Parameter"], synthetic=False)
    ws = book["wb"]["Zuweisung FlüAG"]
    head = _header(ws)
    # each quota right after the Soll it is measured against (GLOSSAR.md)
    at = head.index("Soll (Stichtag)")
    assert head[at + 1:at + 4] == ["Erfüllungsquote vor Zuweisung (%)", "Soll nach Zuweisung",
                                   "Erfüllungsquote nach Zuweisung (%)"]
    soll = _column(ws, "Soll nach Zuweisung")
    assert len(soll) == 396 and {c.number_format for c in soll} == {TWO_DECIMALS}  # every row, not only receivers
    assert [c.value for c in soll] == pytest.approx([row["soll_nach_zuweisung"] for row in machine["rows"]], rel=1e-15)
    households = book["wb"]["Haushalte"]
    assert _header(households)[0] == "Haushalt-Nr." and households["A2"].value == "=1+1"
    assert households["A2"].data_type == "s"  # text stays text


def test_explain_writes_its_steps(cli, tmp_path):
    base = ["explain", "05513000", "--system", "flueag", "--bestand", SCENARIO]
    r = cli(*base, "--out", tmp_path / "e.xlsx")
    assert r.code == 0 and r.stdout == "" and "geschrieben:" in r.stderr
    book = check_workbook(tmp_path / "e.xlsx", ["Erklärung 05513000", "Parameter"], synthetic=True)
    ws = book["wb"]["Erklärung 05513000"]
    assert _header(ws) == ["Schritt", "Größe", "Wert", "Rechnung", "Rechtsgrundlage", "Quelle", "Annahme"]
    steps = {row[1]: row for row in ws.iter_rows(min_row=3, values_only=True)}
    assert steps["Soll (Stichtag)"][2] == pytest.approx(2169.191108917969)
    assert "2.169,19" in steps["Soll (Stichtag)"][3]
    assert book["parameter"]["gemeinde"][1] == "Gelsenkirchen, Stadt"
    data = cli(*base, "--format", "json").json()
    assert data["rows"][0]["groesse"] == "Einwohneranteil e" and "erklaerung" in data["summary"]
    assert cli(*base, "--out", tmp_path / "e.csv").code == 0
    german = pd.read_csv(tmp_path / "e.csv", sep=";", decimal=",", skiprows=1, encoding="utf-8-sig")
    assert german["Rechtsgrundlage"].iloc[0] == "§ 3 Abs. 1 S. 4 FlüAG"
    assert cli(*base, "--format", "csv").stdout.splitlines()[0].startswith("schritt,groesse,wert")


def test_compare_workbook(cli, tmp_path):
    r = cli("compare", *SMALL, "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    sheets = ["Verteilstatistik FlüAG", "Verteilstatistik WSA", "Vergleich", "Metriken", "Systeme", "Kreise",
              "Regierungsbezirke", "Gemeindetypen", "Verstädterung", "Gewinner und Verlierer", "Parameter"]
    book = check_workbook(tmp_path / "v" / "vergleich.xlsx", sheets, synthetic=False)
    wb = book["wb"]
    assert {c.number_format for c in _column(wb["Verteilstatistik FlüAG"], "Soll (Stichtag)")} == {TWO_DECIMALS}
    vergleich = _header(wb["Vergleich"])
    assert "Gesamtsoll beider Systeme nach Zuweisung" in vergleich and "Soll nach Zuweisung" not in vergleich
    assert "Erfüllungsquote nach Zuweisung FlüAG (%)" in vergleich
    assert {c.value for c in _column(wb["Systeme"], "System")} <= {"FlüAG", "WSA", "Gesamt"}
    assert book["parameter"]["zugaenge_flueag"][1] == 100


def test_compare_workbook_marks_every_sheet(cli, tmp_path):
    stock = tmp_path / "bestand_synthetisch.csv"  # the name says synthetic
    stock.write_bytes(B.read_bytes())
    args = [a if a != B else stock for a in SMALL]
    assert cli("compare", *args, "--out", tmp_path / "v").code == 0
    wb = check_workbook(tmp_path / "v" / "SYNTHETISCH_vergleich.xlsx",
                        load_workbook(tmp_path / "v" / "SYNTHETISCH_vergleich.xlsx").sheetnames, synthetic=True)["wb"]
    assert all(ws["A1"].value == SYNTHETISCH for ws in wb.worksheets)


def test_run_workbook_and_marked_machine_csvs(cli, tmp_path):
    (tmp_path / "bestand.csv").write_bytes(SCENARIO.read_bytes())
    marked = tmp_path / "bestand_synthetisch.csv"
    marked.write_bytes(SCENARIO.read_bytes())
    (tmp_path / "run.toml").write_text(
        'modell = "status-quo"\nbestand = "bestand_synthetisch.csv"\nstichtag = 2024-01-01\n'
        "[zugaenge.flueag]\npersonen = 1260\n[zugaenge.wsa]\npersonen = 493\n"
        '[ausgabe]\nordner = "out"\n', encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", tmp_path / "run.toml")
    assert r.code == 0, r.stderr
    folder = tmp_path / "out" / "2024-05" / "r1"
    sheets = ["Verteilstatistik FlüAG", "Zuweisung FlüAG", "Entscheidungen FlüAG", "Verteilstatistik WSA",
              "Zuweisung WSA", "Entscheidungen WSA", "Parameter"]
    book = check_workbook(folder / "verteilstatistik.xlsx", sheets, synthetic=True)
    ws = book["wb"]["Verteilstatistik FlüAG"]
    vs = pd.read_csv(folder / "verteilstatistik_flueag.csv", dtype={"ags": str})
    assert set(vs["hinweis"]) == {"SYNTHETISCH"}  # machine-safe marker; identifiers unchanged
    assert [c.value for c in _column(ws, "Soll (Stichtag)")] == pytest.approx(vs["soll_stichtag"].tolist(), rel=1e-15)
    assert [c.value for c in _column(ws, "Soll, gerundet")] == vs["soll_gerundet"].tolist()
    assert {c.number_format for c in _column(ws, "Soll (Stichtag)")} == {TWO_DECIMALS}
    zw = book["wb"]["Zuweisung FlüAG"]
    assert {c.number_format for c in _column(zw, "Soll nach Zuweisung")} == {TWO_DECIMALS}
    assert book["parameter"]["zugaenge.flueag"][1] == 1260 and book["parameter"]["modell"][1] == "status-quo"
    # the ledger still reads the revision: show and a repair rebuild from the marked CSVs
    show = cli("runs", "show", "2024-05", "--config", tmp_path / "run.toml", "--format", "json")
    assert show.code == 0 and len(show.json()["rows"]) == 2 * 396
    (tmp_path / "out" / "ledger.sqlite").unlink()
    repaired = cli("runs", "repair", "--config", tmp_path / "run.toml")
    assert repaired.code == 0, repaired.stderr
    again = cli("runs", "show", "2024-05", "--config", tmp_path / "run.toml", "--format", "json")
    assert again.json()["rows"] == show.json()["rows"]


def test_the_parameter_sheet_is_one_builder():
    info = {"system": "awov", "stichtag": "2024-01-01", "datenbasis": "X", "bestand_datei": "b.csv",
            "hinweis": "SYNTHETISCHE Bestandsdaten", "lesarten": {"kappung": "R2", "kappung_iteriert": False},
            "bestand": 12, "erklaerung": {"x": 1}}
    table = parameter_table(info)
    assert list(table.columns) == ["parameter", "wert", "paragraph", "gueltig_ab", "hinweis", "quelle", "kennung"]
    rows = table.set_index("kennung")
    assert rows.loc["system", "wert"] == "Wohnsitzauflage (WSA)"
    assert rows.loc["stichtag", "wert"] == "01.01.2024"
    assert rows.loc["lesarten.kappung", "wert"] == "R2 – z ≤ 1,15·e"
    assert rows.loc["lesarten.kappung_iteriert", "wert"] == "einmalige Umverteilung"
    assert rows.loc["hinweis", "wert"] == SYNTHETISCH and rows.loc["bestand", "wert"] == 12
    assert "erklaerung" not in rows.index


def _terminal_headers(out: str) -> list[str]:
    """The column headers of the first rich table in ``out``, each joined over its lines."""
    lines = [line for line in out.splitlines() if line.startswith("┃")]
    cells = [[c.strip() for c in line.strip("┃").split("┃")] for line in lines]
    return [" ".join(w for w in col if w) for col in zip(*cells, strict=True)]


def test_terminal_status_speaks_german(cli):
    r = cli("status", "--system", "flueag", "--bestand", SCENARIO)
    assert r.code == 0
    out = r.stdout
    assert out.startswith("SYNTHETISCH") and "Verteilstatistik FlüAG" in out and "flueag" not in out.split("\n")[1]
    head = _terminal_headers(out)
    at = head.index("Soll (Stichtag)")
    assert head[at + 1:at + 4] == ["Erfüllungsquote (%)", "Soll, gerundet", "Aufnahmeverpflichtung"]
    assert "4.775,77" in out and "95,98 %" in out and "0,02988589" in out  # Essen: exact Soll and its quota
    assert "Stichtag: 01.01.2024" in out and "Anrechnung: 13.800,00" in out and "Bestand: 146.000" in out
    assert "(Annahme)" in out and "gültig ab 28.02.2003" in out
    for leak in ("{'", "aufnahmeverpflichtu…", "erfuellungsquote", "soll_exakt", "4,775.77", "True"):
        assert leak not in out, leak


def test_terminal_allocate_names_the_soll(cli, tmp_path):
    r = cli("allocate", "--system", "awov", "--bestand", _real_stock(tmp_path), "--personen", "50")
    assert r.code == 0
    head = _terminal_headers(r.stdout)
    assert "Zuweisung WSA" in r.stdout and head[:3] == ["AGS", "Gemeinde", "Soll (Stichtag)"]
    # the quota before allocation is measured against the Soll (Stichtag), as in `status`; the one
    # after against the Soll nach Zuweisung: each stands right after its Soll
    assert head[2:6] == ["Soll (Stichtag)", "Erfüllungsquote vor Zuweisung (%)", "Soll nach Zuweisung",
                         "Erfüllungsquote nach Zuweisung (%)"]
    assert "Verfahren: Referenzverfahren" in r.stdout and "{'" not in r.stdout


def test_summary_lines_without_reprs():
    lines = dict(summary_lines({"system": "wsa", "lesarten": {"kappung": "R1"}, "quote_min": 59.4712,
                                "ohne_meldung": 3, "liste": ["a", "b"], "leer": None,
                                "zusammenfassung": {"flueag": {"personen": 1260, "bindet": False}}}, "status"))
    assert lines["System"] == "Wohnsitzauflage (WSA)"
    assert lines["Quote min (%)"] == "59,5 %" and lines["Gemeinden ohne Meldung"] == "3"
    assert lines["Lesarten"].strip() == "Lesart Kappung (FlüAG): R1 – z ≤ 1,25·e (Standard)"
    assert lines["liste"] == "a, b" and "leer" not in lines
    assert lines["zusammenfassung"] == "FlüAG: (Personen 1.260, bindet nein)"


def test_emit_marks_every_sheet_and_is_deterministic(tmp_path, capsys):
    df = pd.DataFrame({"ags": ["05111000"], "soll_gerundet": [10], "soll_stichtag": [9.5], "erfuellungsquote": [50.0]})
    summary = {"hinweis": "SYNTHETISCHE Bestandsdaten", "stichtag": "2024-01-01"}
    for name in ("a.xlsx", "b.xlsx"):
        emit(df, "table", tmp_path / name, summary, title="Verteilstatistik FlüAG", ausgabe="status",
             sheets={"Haushalte": pd.DataFrame({"haushalt_id": ["H1"]})})
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    wb = load_workbook(tmp_path / "a.xlsx")
    assert [ws["A1"].value for ws in wb.worksheets] == [SYNTHETISCH] * 3
    assert _header(wb["Verteilstatistik FlüAG"]) == ["AGS", "Soll, gerundet", "Soll (Stichtag)", "Erfüllungsquote (%)"]
    emit(df, "csv", None, summary)
    assert capsys.readouterr().out.splitlines()[:2] == ["ags,soll_gerundet,soll_stichtag,erfuellungsquote,hinweis",
                                                      "05111000,10,9.5,50.0,SYNTHETISCH"]


def test_person_view_places_quotas_after_the_exact_soll():
    alloc = pd.DataFrame(columns=["ags", "soll_stichtag", "soll_nach_zuweisung", "bestand", "zuweisung",
                                  "erfuellungsquote_vorher", "erfuellungsquote_nachher"])
    assert list(person_view(alloc, "allocate").columns) == [
        "ags", "soll_stichtag", "erfuellungsquote_vorher", "soll_nach_zuweisung", "erfuellungsquote_nachher",
        "bestand", "zuweisung"]
    early = pd.DataFrame(columns=["erfuellungsquote", "ags", "x", "soll_stichtag"])
    assert list(person_view(early, "status").columns) == ["ags", "x", "soll_stichtag", "erfuellungsquote"]
    plain = pd.DataFrame(columns=["ags", "bestand"])
    assert list(person_view(plain, "status").columns) == ["ags", "bestand"]


numbers = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
texts = st.text(alphabet=st.sampled_from("=+-@ab1 ;,.\"'"), max_size=8)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(numbers, texts), min_size=1, max_size=6))
def test_workbook_cells_read_back_unchanged(rows):
    """Property: numbers come back to 16 significant digits (XLSX's precision; Excel shows 15), text
    as the same string cells, never a formula."""
    df = pd.DataFrame({"soll_stichtag": [r[0] for r in rows], "gemeinde": [r[1] for r in rows]})
    ws = load_workbook(io.BytesIO(workbook_bytes({"T": df}, note=SYNTHETISCH)))["T"]
    for i, (value, text) in enumerate(rows, start=3):
        assert math.isclose(ws.cell(row=i, column=1).value, value, rel_tol=1e-15, abs_tol=1e-300)
        cell = ws.cell(row=i, column=2)
        assert cell.data_type == "s" and (cell.value or "") == text


def test_approximated_unemployment_is_labelled_on_the_data_sheet_without_synthetic_stock(cli, tmp_path):
    """WSA keys use the NÄHERUNG unemployment since 2016: the label stands above the data, not only
    on the Parameter sheet (review finding), in the XLSX and the German Excel CSV."""
    stock = _real_stock(tmp_path)
    assert cli("status", "--system", "wsa", "--bestand", stock, "--out", tmp_path / "w.xlsx").code == 0
    ws = load_workbook(tmp_path / "w.xlsx")["Verteilstatistik WSA"]
    assert str(ws["A1"].value).startswith("NÄHERUNG") and "INKAR" in ws["A1"].value
    assert _header(ws)[0] == "AGS"
    assert cli("status", "--system", "wsa", "--bestand", stock, "--out", tmp_path / "w.csv").code == 0
    assert "NÄHERUNG" in (tmp_path / "w.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert cli("status", "--system", "flueag", "--bestand", stock, "--out", tmp_path / "f.xlsx").code == 0
    assert load_workbook(tmp_path / "f.xlsx")["Verteilstatistik FlüAG"]["A1"].value == "AGS"  # nothing approximated


def test_recorded_runs_keep_the_synthetic_label(cli, tmp_path):
    """`runs show` and `runs diff` read the ledger, which keeps numbers only: the label comes from
    the revision's manifest, on the terminal and on every sheet (review finding)."""
    (tmp_path / "bestand.csv").write_bytes(SCENARIO.read_bytes())
    (tmp_path / "run.toml").write_text("\n".join([
        'modell = "status-quo"', 'bestand = "bestand.csv"', "[zugaenge.flueag]", "personen = 100",
        "[zugaenge.wsa]", "personen = 50", "[ausgabe]", 'ordner = "out"', ""]), encoding="utf-8")
    config = tmp_path / "run.toml"
    assert cli("run", "--periode", "2024-05", "--config", config).code == 0
    shown = cli("runs", "show", "2024-05", "--config", config)
    assert shown.code == 0 and shown.stdout.startswith("SYNTHETISCH")
    assert cli("runs", "show", "2024-05", "--config", config, "--out", tmp_path / "s.xlsx").code == 0
    assert all(str(ws["A1"].value).startswith("SYNTHETISCH") for ws in load_workbook(tmp_path / "s.xlsx").worksheets)
    diff = cli("runs", "diff", "2024-05/1", "2024-05/1", "--config", config, "--format", "json").json()
    assert "SYNTHETISCH" in diff["summary"]["hinweis"]
