"""Input files are read as written or refused (issue 11, 13.4, 16.5), through the real CLI.

(The grammar's unit and property tests are in test_zahlen.py.)

The number grammar (docs/eingaben.md): thousands separators only where unambiguous, no signs,
exponents, NaN or overflow, counts whole and plausible; the columns: required per system,
credit columns optional and reported as "angenommen 0", misspellings and duplicates refused,
German aliases accepted; big bad files refused early; option values bounded.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import write
from verteilung.data import load_gemeinden

G = load_gemeinden(jahr=2024)
AGS = G["ags"].tolist()
KOELN = AGS.index("05315000")
POP = dict(zip(AGS, G["einwohner"].astype(int).tolist(), strict=True))


def stock(tmp_path: Path, override: dict[int, str] | None = None, *, sep: str = ",",
          header: str = "ags,flueag_bestand,anrechnung_plaetze,wsa_bestand", name: str = "bestand.csv",
          row: str = "{ags},10,0,5") -> Path:
    rows = [row.format(ags=a) for a in AGS]
    for i, text in (override or {}).items():
        rows[i] = text
    return write(tmp_path / name, "\n".join([header.replace(",", sep), *[r.replace(",", sep) if sep != ","
                                                                          else r for r in rows]]) + "\n")


def status_json(cli, path: Path, system: str = "flueag") -> dict:
    r = cli("status", "--system", system, "--bestand", path, "--format", "json")
    assert r.code == 0, r.stderr
    return r.json()


def refused(cli, path: Path, *needles: str, command: tuple[str, ...] = ("status", "--system", "flueag")) -> str:
    r = cli(*command, "--bestand", path, "--format", "json")
    assert r.code == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    for n in (str(path), *needles):
        assert n in r.stderr, (n, r.stderr)
    return r.stderr


# ------------------------------------------------------------------ numbers through the CLI


def test_thousands_point_in_semicolon_file_is_thousands(cli, tmp_path):
    path = stock(tmp_path, {KOELN: "05315000,4.000,0,5"}, sep=";")
    rows = {r["ags"]: r for r in status_json(cli, path)["rows"]}
    assert rows["05315000"]["bestand"] == 4000          # was read as 4


@pytest.mark.parametrize("cell,readings", [
    ('"4,000"', "4000 (Tausenderkomma) oder 4,0 (Dezimalkomma)"),
    ("4.000", "4000 (Tausenderpunkt) oder 4,0 (Dezimalpunkt)"),
])
def test_ambiguous_separator_in_comma_file_is_refused(cli, tmp_path, cell, readings):
    path = stock(tmp_path, {KOELN: f"05315000,{cell},0,5"})
    refused(cli, path, f"Zeile {KOELN + 2}", "AGS 05315000", "mehrdeutig", readings)


@pytest.mark.parametrize("cell,needle", [
    ("1e30", "Exponentenschreibweise"), ("12345678901234567890", "20 Ziffern"),
    ("9223372036854775808", "19 Ziffern"), ("NaN", "keine Zahl"), ("-0", "negativ"), ('"2,5"', "keine ganze Zahl"),
    ("2000000", "größer als die Einwohnerzahl der Gemeinde (1.087.353)"),
])
def test_bad_counts_are_refused(cli, tmp_path, cell, needle):
    path = stock(tmp_path, {KOELN: f"05315000,{cell},0,5"})
    refused(cli, path, f"Zeile {KOELN + 2}", needle)
    r = cli("data", "check", "--bestand", path, "--format", "json")  # data check passed 1e30 as −9.2e18
    assert r.code == 2


def test_row_numbers_count_blank_lines_as_a_spreadsheet_does(cli, tmp_path):
    text = "ags,flueag_bestand,wsa_bestand\n\n" + "\n".join(f"{a},1,1" for a in AGS[:5]) + "\n05315000,x,1\n"
    path = write(tmp_path / "b.csv", text)
    refused(cli, path, "Zeile 8", "AGS 05315000")


def test_xlsx_numeric_cells(cli, tmp_path):
    import openpyxl

    def book(value) -> Path:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["AGS", "Bestand FlüAG", "Bestand WSA"])
        for a in AGS:
            ws.append([a, value if a == "05315000" else 7, 3])
        path = tmp_path / "b.xlsx"
        wb.save(path)
        return path

    rows = {r["ags"]: r for r in status_json(cli, book(4000.0))["rows"]}
    assert rows["05315000"]["bestand"] == 4000
    refused(cli, book(4000.5), "4000,5", "keine ganze Zahl", f"Zeile {KOELN + 2}")
    refused(cli, book("4.000"), "mehrdeutig")                 # a text cell: no file convention
    refused(cli, book(True), "Wahrheitswert")
    refused(cli, book(dt.datetime(2024, 4, 1)), "Datum")


# ------------------------------------------------------------------ columns


@pytest.mark.parametrize("header,guess", [
    ("ags,flueag_bestand,anrechnung_plaetze,wsa_bestnad", "wsa_bestand"),
    ("ags,flueag_bestand,anrechnungs_plaetze,wsa_bestand", "anrechnung_plaetze"),
    ("asg,flueag_bestand,anrechnung_plaetze,wsa_bestand", "ags"),
])
def test_misspelt_column_is_refused_with_a_suggestion(cli, tmp_path, header, guess):
    path = stock(tmp_path, header=header)
    refused(cli, path, "Zeile 1", f"meinten Sie „{guess}“", command=("data", "check"))
    refused(cli, path, f"meinten Sie „{guess}“", command=("status", "--system", "awov"))


def test_duplicated_header_is_refused(cli, tmp_path):
    path = stock(tmp_path, header="ags,flueag_bestand,anrechnung_plaetze,Flueag_Bestand ", row="{ags},10,0,5")
    refused(cli, path, "die Spalte „Bestand FlüAG“ steht doppelt", "Spalten B „flueag_bestand“ und D „Flueag_Bestand“",
            command=("data", "check"))


def test_german_headers_and_case_are_accepted(cli, tmp_path):
    path = stock(tmp_path, header="AGS;Bestand FlüAG;Anrechnung;Bestand WSA", sep=";", row="{ags},1.000,0,5")
    d = status_json(cli, path)
    assert d["summary"]["bestand"] == 1000 * 396
    assert status_json(cli, path, "awov")["summary"]["bestand"] == 5 * 396


def test_required_column_per_system(cli, tmp_path):
    only_flueag = stock(tmp_path, header="ags,flueag_bestand", row="{ags},10")
    assert status_json(cli, only_flueag)["summary"]["bestand"] == 3960
    refused(cli, only_flueag, "Pflichtspalte(n) fehlen", "„Bestand WSA“", command=("status", "--system", "awov"))


def test_absent_credit_columns_are_reported_as_assumed_zero(cli, tmp_path):
    path = stock(tmp_path, header="ags,flueag_bestand,wsa_bestand", row="{ags},10,5")
    assert status_json(cli, path)["summary"]["angenommen_null"] == ["anrechnung_plaetze", "anrechnung_plaetze_eae"]
    assert "angenommen_null" not in status_json(cli, path, "awov")["summary"]   # no credit in the WSA
    r = cli("data", "check", "--bestand", path, "--format", "json")
    assert r.json()["bestand"]["angenommen_null"] == ["anrechnung_plaetze", "anrechnung_plaetze_eae"]
    r = cli("allocate", "--system", "flueag", "--bestand", path, "--personen", "10", "--format", "json")
    assert r.code == 0 and r.json()["summary"]["angenommen_null"] == ["anrechnung_plaetze", "anrechnung_plaetze_eae"]


def _run_config(tmp_path: Path, personen: str = "1260") -> Path:
    config = tmp_path / "run.toml"
    config.write_text("\n".join(['modell = "status-quo"', 'bestand = "bestand.csv"', "[zugaenge.flueag]",
                                 f"personen = {personen}", "[zugaenge.wsa]", "personen = 493", "[ausgabe]",
                                 'ordner = "out"', ""]), encoding="utf-8")
    return config


def test_run_requires_every_stock_column_of_its_model_and_records_assumed_zero(cli, tmp_path):
    stock(tmp_path, header="ags,flueag_bestand", row="{ags},10")
    config = _run_config(tmp_path)
    r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 2 and "„Bestand WSA“" in r.stderr, r.stderr     # was published with WSA stocks 0
    assert not (tmp_path / "out" / "2024-05").exists()
    stock(tmp_path, header="ags,flueag_bestand,wsa_bestand", row="{ags},10,5")
    r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 0, r.stderr
    manifest = json.loads(next((tmp_path / "out" / "2024-05").glob("r1/manifest.json")).read_text())
    assert manifest["angenommen_null"] == ["anrechnung_plaetze", "anrechnung_plaetze_eae"]


def test_missing_gemeinden_are_one_line(cli, tmp_path):
    path = write(tmp_path / "b.csv", "ags,flueag_bestand,wsa_bestand\n" + "".join(f"{a},1,1\n" for a in AGS[:3]))
    err = refused(cli, path, "393 der 396 Gemeinden fehlen in der Bestandsdatei: erste 20: ",
                  f"({AGS[3]})", "--ohne-meldung-null")
    assert len(err.strip().splitlines()) == 1
    assert f"({AGS[22]})" in err and f"({AGS[23]})" not in err


# ------------------------------------------------------------------ big bad files, bounds


def test_oversized_stock_file_is_refused_before_reading(cli, tmp_path):
    path = tmp_path / "bestand.csv"
    with path.open("wb") as fh:                 # sparse: 60 MB on paper, nothing on disk
        fh.write(b"ags,flueag_bestand,wsa_bestand\n")
        fh.truncate(60 * 1024 * 1024)
    refused(cli, path, "60 MB", "höchstens 50 MB")


def test_big_household_file_stops_at_the_first_bad_chunk(cli, tmp_path):
    hh = tmp_path / "hh.csv"
    with hh.open("w") as fh:
        fh.write("haushalt_id,personen,ags_fest\n")
        fh.writelines(f"h{i},2,09{i % 1000000:06d}\n" for i in range(30_000))
    path = stock(tmp_path)
    r = cli("allocate", "--system", "flueag", "--bestand", path, "--haushalte", hh, "--format", "json")
    assert r.code == 2
    assert "Prüfung nach Zeile 10001 angehalten" in r.stderr and "Zeile 10002" not in r.stderr


def test_household_file_with_wrong_columns_is_refused_at_the_header(cli, tmp_path):
    hh = write(tmp_path / "hh.csv", "id;personen;ags\nh1;2;05315000\n")
    r = cli("allocate", "--system", "flueag", "--bestand", stock(tmp_path), "--haushalte", hh)
    assert r.code == 2 and "Zeile 1" in r.stderr and "meinten Sie „ags_fest“" in r.stderr, r.stderr


def test_personen_is_bounded(cli, tmp_path):
    path = stock(tmp_path)
    r = cli("allocate", "--system", "flueag", "--bestand", path, "--personen", str(10**10))
    assert r.code == 2 and "Obergrenze" in r.stderr and "10.000.000" in r.stderr, r.stderr
    config = _run_config(tmp_path, personen=str(10_000_001))
    stock(tmp_path, header="ags,flueag_bestand,wsa_bestand", row="{ags},10,5")
    r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 2 and "zugaenge.flueag.personen" in r.stderr, r.stderr


@pytest.mark.parametrize("text,needle", [
    ("ags,min_zuweisung\n05315000,99999999999\n", "größer als die Obergrenze je Zeitraum"),
    ("ags,max_zuweisung\n05315000,1e30\n", "Exponentenschreibweise"),
])
def test_constraint_values_are_bounded(cli, tmp_path, text, needle):
    cons = write(tmp_path / "c.csv", text)
    r = cli("allocate", "--system", "flueag", "--bestand", stock(tmp_path), "--personen", "10",
            "--beschraenkungen", cons)
    assert r.code == 2 and needle in r.stderr and "AGS 05315000" in r.stderr, r.stderr


def test_household_size_is_bounded(cli, tmp_path):
    hh = write(tmp_path / "hh.csv", "haushalt_id,personen\nh1,1000\n")
    r = cli("allocate", "--system", "flueag", "--bestand", stock(tmp_path), "--haushalte", hh)
    assert r.code == 2 and "Obergrenze je Haushalt (50)" in r.stderr, r.stderr


# ------------------------------------------------------------------ the Gemeinde file


def test_gemeinde_file_errors_name_the_file(cli, tmp_path):
    r = cli("keys", "--system", "flueag", "--jahr", "2017")
    assert r.code == 2 and "bevoelkerung.csv" in r.stderr and "Gemeinde table" not in r.stderr, r.stderr
    g = write(tmp_path / "g.csv", "ags,gemeinde,einwohner,flaeche_km2\n05000001,A,100,3\n05000002,B,200,4\n")
    r = cli("keys", "--system", "awov", "--gemeinden", g)
    assert r.code == 2 and str(g) in r.stderr and "Gemeinde table" not in r.stderr, r.stderr


def test_gemeinde_file_in_german_notation(cli, tmp_path):
    g = write(tmp_path / "g.csv", "AGS;Gemeinde;Einwohner;Fläche (km²)\n05000001;A;1.200;12,5\n"
                                  "05000002;B;800;7,25\n")
    r = cli("keys", "--system", "flueag", "--gemeinden", g, "--jahr", "2024", "--format", "json")
    assert r.code == 0, r.stderr
    rows = r.json()["rows"]
    assert [x["einwohner"] for x in rows] == [1200, 800] and [x["flaeche_km2"] for x in rows] == [12.5, 7.25]
    bad = write(tmp_path / "g2.csv", "ags;gemeinde;einwohner;flaeche\n05000001;A;1.200;12,345\n")
    r = cli("keys", "--system", "flueag", "--gemeinden", bad)
    assert r.code == 2 and "12345 (Tausenderkomma) oder 12,345 (Dezimalkomma)" in r.stderr, r.stderr

