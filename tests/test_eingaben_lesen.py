"""Input read exactly as a person sees it (issue 20), through the real CLI.

The visible XLSX sheet is read, never a hidden one; several visible sheets are chosen by the
template's name, by their columns or by ``--blatt``; a count with a fraction is refused with its
cell and the hint to round in the spreadsheet; CSV files in Windows-1252 are read and named; a
7-digit AGS gets its zero back; an allocation's Parameter sheet traces every input file.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.conftest import write
from verteilung.data import load_gemeinden

G = load_gemeinden(jahr=2024)
AGS = list(G["ags"])
KOELN = "05315000"


def _rows(koeln: int) -> list[list]:
    return [[a, koeln if a == KOELN else 10, 5] for a in AGS]


def workbook(path: Path, sheets: list[tuple[str, str, list[list]]], active: int = 0) -> Path:
    """``sheets``: (title, state, rows incl. header); state visible, hidden or veryHidden."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, state, rows in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        ws.sheet_state = state
    wb.active = active
    wb.save(path)
    return path


HEADER = ["ags", "flueag_bestand", "wsa_bestand"]


def koeln_stock(cli, path: Path, *extra: str) -> int:
    r = cli("status", "--system", "flueag", "--bestand", path, "--format", "json", *extra)
    assert r.code == 0, r.stderr
    return next(row["bestand"] for row in r.json()["rows"] if row["ags"] == KOELN)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_first_sheet_is_never_read(cli, tmp_path, state):
    path = workbook(tmp_path / "b.xlsx", [("Alt", state, [HEADER, *_rows(6557)]),
                                          ("Bestand", "visible", [HEADER, *_rows(5557)])], active=1)
    assert koeln_stock(cli, path) == 5557


def test_several_visible_sheets_template_name_wins(cli, tmp_path):
    path = workbook(tmp_path / "b.xlsx", [("Entwurf", "visible", [HEADER, *_rows(1)]),
                                          ("Bestand", "visible", [HEADER, *_rows(5557)])])
    assert koeln_stock(cli, path) == 5557


def test_several_visible_sheets_the_one_with_the_columns(cli, tmp_path):
    path = workbook(tmp_path / "b.xlsx", [("Notizen", "visible", [["Hinweis"], ["Stand Mai"]]),
                                          ("Mai", "visible", [HEADER, *_rows(5557)])])
    assert koeln_stock(cli, path) == 5557


def test_several_candidate_sheets_are_refused_listing_them_then_chosen(cli, tmp_path):
    path = workbook(tmp_path / "b.xlsx", [("April", "visible", [HEADER, *_rows(4000)]),
                                          ("Mai", "visible", [HEADER, *_rows(5557)])])
    out = tmp_path / "s.csv"
    r = cli("status", "--system", "flueag", "--bestand", path, "--out", out)
    assert r.code == 2 and not out.exists()
    assert "2 sichtbare Blätter („April“, „Mai“)" in r.stderr and "--blatt" in r.stderr
    assert koeln_stock(cli, path, "--blatt", "Mai") == 5557
    assert koeln_stock(cli, path, "--blatt", "April") == 4000


def test_blatt_naming_a_hidden_or_missing_sheet_is_refused(cli, tmp_path):
    path = workbook(tmp_path / "b.xlsx", [("Alt", "hidden", [HEADER, *_rows(6557)]),
                                          ("Mai", "visible", [HEADER, *_rows(5557)]),
                                          ("Juni", "visible", [HEADER, *_rows(5600)])], active=1)
    r = cli("status", "--system", "flueag", "--bestand", path, "--blatt", "Alt", "--format", "json")
    assert r.code == 2 and "„Alt“ ist ausgeblendet" in r.stderr
    r = cli("status", "--system", "flueag", "--bestand", path, "--blatt", "Juli", "--format", "json")
    assert r.code == 2 and "kein Blatt „Juli“" in r.stderr and "„Mai“, „Juni“" in r.stderr
    # the choice holds for this command only
    r = cli("status", "--system", "flueag", "--bestand", path, "--format", "json")
    assert r.code == 2 and "--blatt" in r.stderr


def _with_raw_value(path: Path, old: str, new: str) -> Path:
    """Rewrite one stored cell value in the sheet XML, as Excel stores a formula's float result."""
    src = zipfile.ZipFile(path)
    out = path.with_name("raw_" + path.name)
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(f"<v>{old}</v>".encode(), f"<v>{new}</v>".encode(), 1)
            dst.writestr(item, data)
    return out


def test_count_with_float_noise_in_xlsx_is_refused_with_cell_and_round_hint(cli, tmp_path):
    rows = [[a, 3.5 if i == 0 else 10, 5] for i, a in enumerate(AGS)]
    path = _with_raw_value(workbook(tmp_path / "b.xlsx", [("Bestand", "visible", [HEADER, *rows])]),
                           "3.5", "3.9999999999999996")
    assert b"3.9999999999999996" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    out = tmp_path / "s.csv"
    r = cli("status", "--system", "flueag", "--bestand", path, "--out", out)
    assert r.code == 2 and not out.exists()
    assert f"Zeile 2, AGS {AGS[0]}" in r.stderr
    assert "„flueag_bestand“: „3,9999999999999996“ ist keine ganze Zahl" in r.stderr
    assert "(Zelle B2); bitte in der Tabellenkalkulation auf ganze Zahlen runden, z. B. mit =RUNDEN(B2;0)" in r.stderr


def test_count_with_float_noise_in_csv_is_refused_as_not_whole(cli, tmp_path):
    lines = ["ags;flueag_bestand;wsa_bestand"] + [f"{a};{'3,9999999999999996' if i == 0 else 10};5"
                                                  for i, a in enumerate(AGS)]
    path = write(tmp_path / "b.csv", "\n".join(lines) + "\n")
    r = cli("status", "--system", "flueag", "--bestand", path, "--format", "json")
    assert r.code == 2
    assert "„3,9999999999999996“ ist keine ganze Zahl" in r.stderr and "(Zelle B2)" in r.stderr
    assert "=RUNDEN(B2;0)" in r.stderr


def test_seven_digit_ags_as_xlsx_numbers_are_restored(cli, tmp_path):
    rows = [[int(a), 10, 5] for a in AGS]  # Excel turned the text "05315000" into the number 5315000
    path = workbook(tmp_path / "b.xlsx", [("Bestand", "visible", [HEADER, *rows])])
    r = cli("status", "--system", "flueag", "--bestand", path, "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json()["summary"]["eingabe_hinweise"] == [
        f"{path}: 396 AGS mit 7 Ziffern um die führende 0 ergänzt (von Excel als Zahl gespeichert; "
        "z. B. 5111000 → 05111000)"]


@pytest.mark.parametrize("encoding,bom,name", [("utf-8", False, "UTF-8"), ("utf-8", True, "UTF-8 mit BOM"),
                                                ("cp1252", False, "Windows-1252")])
def test_data_check_names_the_encoding(cli, tmp_path, encoding, bom, name):
    text = "ags;flueag_bestand;wsa_bestand;gemeinde\n" + "".join(f"{a};10;5;Münster\n" for a in AGS)
    path = tmp_path / "b.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    r = cli("data", "check", "--bestand", path)
    assert r.code == 0, r.stderr
    assert f"Kodierung: {name}" in r.stdout


def test_allocation_parameter_sheet_traces_inputs_and_binding_constraints(cli, tmp_path):
    # Dortmund just below its Soll: the month's 500 go to Gemeinden far below theirs, so only its
    # minimum gives it anyone
    first = write(tmp_path / "probe.csv", "ags,flueag_bestand,wsa_bestand\n" + "".join(f"{a},10,5\n" for a in AGS))
    rows = cli("status", "--system", "flueag", "--bestand", first, "--format", "json").json()["rows"]
    near = int(next(r["soll_stichtag"] for r in rows if r["ags"] == "05913000")) - 10
    stock = write(tmp_path / "bestand.csv", "ags,flueag_bestand,wsa_bestand\n"
                  + "".join(f"{a},{near if a == '05913000' else 10},5\n" for a in AGS))
    cons = write(tmp_path / "min.csv", "ags;min_zuweisung;max_zuweisung;gesperrt\n05913000;3;;0\n"
                 "05315000;;;1\n05111000;;3;0\n", "cp1252")
    out = tmp_path / "z.xlsx"
    r = cli("allocate", "--system", "flueag", "--bestand", stock, "--personen", "500",
            "--beschraenkungen", cons, "--out", out)
    assert r.code == 0, r.stderr
    p = pd.read_excel(out, sheet_name="Parameter", dtype=str).fillna("")
    rows = {(a, b): (c, d) for a, b, c, d in zip(p["Parameter"], p["Wert"], p["Hinweis"], p["Quelle"],
                                                   strict=True)}
    assert r.stderr.count("geschrieben") == 1
    sha = hashlib.sha256(stock.read_bytes()).hexdigest()
    assert rows[("Eingabedatei (Bestandsdatei)", str(stock))] == ("Kodierung UTF-8; 396 Datenzeilen",
                                                                   f"SHA-256 {sha}")
    sha = hashlib.sha256(cons.read_bytes()).hexdigest()
    assert rows[("Eingabedatei (Beschränkungsdatei)", str(cons))] == ("Kodierung UTF-8; 3 Datenzeilen",
                                                                       f"SHA-256 {sha}")
    assert rows[("Bindende Beschränkung", "Dortmund, Stadt (05913000)")][0] == "Mindestzahl 3 zugewiesen"
    assert rows[("Bindende Beschränkung", "Köln, Stadt (05315000)")][0] == "gesperrt (keine Zuweisung)"
    assert rows[("Bindende Beschränkung", "Düsseldorf, Stadt (05111000)")][0] == "Höchstzahl 3 erreicht"
