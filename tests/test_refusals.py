"""Every refusal of bad input, with a real file through the real CLI.

Each case checks the exit code (2), that the message names file, row and AGS, and that the
--out file was not written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write
from verteilung.data import load_gemeinden

G = load_gemeinden(jahr=2024)
AGS = list(G["ags"])


def stock_file(tmp_path: Path, rows: list[str], header: str = "ags,flueag_bestand,anrechnung_plaetze,wsa_bestand",
               encoding: str = "utf-8", name: str = "bestand.csv") -> Path:
    return write(tmp_path / name, "\n".join([header, *rows]) + "\n", encoding)


def full_rows(overrides: dict[int, str] | None = None) -> list[str]:
    rows = [f"{a},10,0,5" for a in AGS]
    for i, row in (overrides or {}).items():
        rows[i] = row
    return rows


def check_refused(cli, tmp_path: Path, path: Path, *needles: str) -> str:
    out = tmp_path / "result.csv"
    r = cli("status", "--system", "flueag", "--bestand", path, "--out", out)
    assert r.code == 2, r.stdout + r.stderr
    assert not out.exists()
    assert str(path) in r.stderr
    for n in needles:
        assert n in r.stderr, (n, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stderr


def test_valid_file_is_accepted(cli, tmp_path):
    path = stock_file(tmp_path, full_rows())
    out = tmp_path / "result.csv"
    r = cli("status", "--system", "flueag", "--bestand", path, "--out", out)
    assert r.code == 0, r.stderr
    assert out.exists()


def test_duplicate_ags(cli, tmp_path):
    rows = full_rows()
    rows.append(f"{AGS[3]},1,0,1")
    check_refused(cli, tmp_path, stock_file(tmp_path, rows), "Zeile 398", AGS[3], "AGS doppelt (zuerst in Zeile 5)")


def test_seven_digit_ags_gets_its_zero_back_and_is_counted(cli, tmp_path):
    """A template saved again by Excel: 7-digit AGS are restored, one line says how many."""
    rows = full_rows({0: f"{AGS[0][1:]},10,0,5", 1: f"{AGS[1][1:]},10,0,5"})
    r = cli("status", "--system", "flueag", "--bestand", stock_file(tmp_path, rows), "--format", "json")
    assert r.code == 0, r.stderr
    d = r.json()
    assert d["rows"][0]["ags"] == AGS[0] and d["rows"][0]["bestand"] == 10
    assert "2 AGS mit 7 Ziffern um die führende 0 ergänzt" in d["summary"]["eingabe_hinweise"][0]


@pytest.mark.parametrize("bad", ["5111", "511100", "051110000"])
def test_other_ags_lengths_are_refused_not_guessed(cli, tmp_path, bad):
    check_refused(cli, tmp_path, stock_file(tmp_path, full_rows({0: f"{bad},10,0,5"})), "Zeile 2",
                  "kein gültiger AGS")


def test_ags_not_in_gemeinde_table(cli, tmp_path):
    rows = full_rows()
    rows.append("09162000,10,0,5")
    check_refused(cli, tmp_path, stock_file(tmp_path, rows), "Zeile 398", "AGS 09162000",
                  "nicht in der Gemeindetabelle")


def test_negative_number(cli, tmp_path):
    check_refused(cli, tmp_path, stock_file(tmp_path, full_rows({5: f"{AGS[5]},-3,0,5"})), "Zeile 7",
                  f"AGS {AGS[5]}", "„flueag_bestand“: „-3“ ist negativ")


def test_non_numeric(cli, tmp_path):
    check_refused(cli, tmp_path, stock_file(tmp_path, full_rows({9: f"{AGS[9]},zehn,0,5"})), "Zeile 11",
                  f"AGS {AGS[9]}", "„zehn“ ist keine Zahl")


def test_fractional_persons(cli, tmp_path):
    check_refused(cli, tmp_path, stock_file(tmp_path, full_rows({1: f"{AGS[1]},2.5,0,5"})), "Zeile 3",
                  "keine ganze Zahl")


def test_missing_required_column(cli, tmp_path):
    path = stock_file(tmp_path, [f"{a},5" for a in AGS], header="ags,wsa_bestand")
    check_refused(cli, tmp_path, path, "Pflichtspalte(n) fehlen", "flueag_bestand")


def test_empty_file(cli, tmp_path):
    path = write(tmp_path / "bestand.csv", "")
    check_refused(cli, tmp_path, path, "Datei ist leer")


def test_header_only(cli, tmp_path):
    path = stock_file(tmp_path, [])
    check_refused(cli, tmp_path, path, "keine Datenzeilen")


def test_windows_1252_is_read_and_named(cli, tmp_path):
    """Excel's "CSV (Trennzeichen-getrennt)" is Windows-1252: read it, and say so."""
    rows = [f"{r},Grüße" for r in full_rows()]
    path = stock_file(tmp_path, rows, header="ags,flueag_bestand,anrechnung_plaetze,wsa_bestand,notiz",
                      encoding="cp1252")
    r = cli("data", "check", "--bestand", path, "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json()["bestand"]["kodierung"] == "Windows-1252"
    r = cli("status", "--system", "flueag", "--bestand", path, "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json()["summary"]["eingaben"][0]["kodierung"] == "Windows-1252"


def test_undecodable_bytes_are_refused(cli, tmp_path):
    path = tmp_path / "bestand.csv"
    path.write_bytes(("ags,flueag_bestand,wsa_bestand,notiz\n" + "".join(f"{a},1,1,x\n" for a in AGS))
                     .encode() .replace(b",x\n", b",\x81\n", 1))
    check_refused(cli, tmp_path, path, "weder UTF-8 noch Windows-1252")


def test_missing_gemeinde_refused_then_accepted_as_no_report(cli, tmp_path):
    path = stock_file(tmp_path, full_rows()[1:])
    check_refused(cli, tmp_path, path, "1 der 396 Gemeinden fehlt in der Bestandsdatei", AGS[0])
    r = cli("status", "--system", "flueag", "--bestand", path, "--ohne-meldung-null", "--format", "json")
    assert r.code == 0, r.stderr
    d = r.json()
    assert d["summary"]["ohne_meldung"] == 1
    first = next(row for row in d["rows"] if row["ags"] == AGS[0])
    assert first["bestand"] == 0 and first["ohne_meldung"] is True


def test_many_problems_listed_at_once_up_to_twenty(cli, tmp_path):
    rows = full_rows({i: f"{AGS[i]},-1,0,5" for i in range(30)})
    err = check_refused(cli, tmp_path, stock_file(tmp_path, rows), "Zeile 2", "Zeile 21", "und 10 weitere Fehler")
    assert err.count("ist negativ") == 20


def test_semicolon_csv_and_xlsx_are_read(cli, tmp_path):
    import pandas as pd

    path = write(tmp_path / "b.csv", "ags;flueag_bestand\n" + "\n".join(f"{a};7" for a in AGS) + "\n")
    assert cli("status", "--system", "flueag", "--bestand", path, "--format", "json").code == 0
    xlsx = tmp_path / "b.xlsx"
    pd.DataFrame({"ags": AGS, "flueag_bestand": 7}).to_excel(xlsx, index=False)
    r = cli("status", "--system", "flueag", "--bestand", xlsx, "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json()["summary"]["bestand"] == 7 * 396


@pytest.mark.parametrize("text,needle", [
    ("ags,gemeinde,einwohner,flaeche_km2\n05000001,A,100,0\n", "„flaeche_km2“: muss größer als 0 sein"),
    ("ags,gemeinde,einwohner\n05000001,A,100\n", "fehlen in der Gemeindedatei: „Fläche (km²)“ (oder flaeche_km2)"),
    ("ags,gemeinde,einwohner,flaeche_km2\n050001,A,100,3\n", "kein gültiger AGS"),
])
def test_bad_gemeinde_file(cli, tmp_path, text, needle):
    path = write(tmp_path / "g.csv", text)
    r = cli("keys", "--system", "flueag", "--gemeinden", path, "--out", tmp_path / "k.csv")
    assert r.code == 2
    assert needle in r.stderr
    assert not (tmp_path / "k.csv").exists()


def test_debug_shows_traceback(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path / "g.csv", "ags,gemeinde,einwohner\n05000001,A,100\n")
    r = subprocess.run([sys.executable, "-m", "verteilung", "--debug", "keys", "--system", "flueag",
                        "--gemeinden", str(path)], capture_output=True, text=True)
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_unknown_option_is_a_usage_error(cli):
    r = cli("status", "--bogus")
    assert r.code == 2 and "Unbekannte Option --bogus" in (r.stdout + r.stderr)


def test_system_names_are_case_insensitive_and_unknown_ones_named(cli):
    base = ["keys", "--format", "json"]
    upper = cli(*base, "--system", "WSA").json()
    assert upper["rows"] == cli(*base, "--system", "awov").json()["rows"]
    r = cli(*base, "--system", "foo")
    assert r.code == 2 and "unbekanntes System „foo“; bekannt: flueag (FlüAG), wsa (WSA)" in r.stderr
    stock = "inputs/nrw/szenario/bestand_synthetisch_2024.csv"  # status takes model systems too: the registry
    assert cli("status", "--system", "WSA", "--bestand", stock, "--format", "json").code == 0
    r = cli("status", "--system", "foo", "--bestand", stock)
    assert r.code == 2 and "unbekanntes System „foo“; bekannt: flueag (FlüAG), wsa (WSA)" in r.stderr
