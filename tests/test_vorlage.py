"""`verteilung data vorlage`: templates with the accepted headers, read back by the real readers once
filled in, written atomically and never over a file with other content (issue 13 item 4)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from verteilung.data import load_gemeinden
from verteilung.data.bestand import SCHEMA as BESTAND
from verteilung.data.tables import normalise
from verteilung.data.vorlage import SCHEMAS, SPALTEN

G = load_gemeinden()
AGS = sorted(G["ags"])


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    path.write_bytes(df.to_csv(sep=";", index=False, lineterminator="\r\n").encode("utf-8-sig"))


def headers(path: Path) -> list[str]:
    if path.suffix == ".csv":
        return list(read_csv(path).columns)
    ws = openpyxl.load_workbook(path).worksheets[0]
    return [c.value for c in ws[1]]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize("art", ["bestand", "haushalte", "beschraenkungen"])
def test_template_headers_are_exactly_the_accepted_ones(cli, tmp_path, art, suffix):
    out = tmp_path / f"vorlage{suffix}"
    r = cli("data", "vorlage", art, "--out", out)
    assert r.code == 0, r.stderr
    assert r.stdout == "" and f"Vorlage {art} geschrieben: {out}" in r.stderr
    lookup = SCHEMAS[art].lookup()
    assert [lookup.get(normalise(h)) for h in headers(out)] == list(SPALTEN[art])
    assert all(h[:1].isupper() and "_" not in h for h in headers(out))       # German names, not identifiers


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_stock_template_lists_all_396_gemeinden_and_refuses_until_filled(cli, tmp_path, suffix):
    out = tmp_path / f"bestand{suffix}"
    assert cli("data", "vorlage", "bestand", "--out", out).code == 0
    if suffix == ".csv":
        df = read_csv(out)
        assert list(df.iloc[:, 0]) == AGS and (df.iloc[:, 2:] == "").all().all()
    else:
        rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(min_row=2, values_only=True))
        assert [r[0] for r in rows] == AGS and all(v is None for r in rows for v in r[2:])
    r = cli("status", "--system", "flueag", "--bestand", out)          # empty: refused, not read as 0
    assert r.code == 2 and "„Bestand FlüAG“ ist leer" in r.stderr  # the template's heading, not the identifier


def test_filled_csv_templates_run_through_status_and_allocate(cli, tmp_path):
    b, h, s = tmp_path / "bestand.csv", tmp_path / "haushalte.csv", tmp_path / "beschraenkungen.csv"
    for art, path in (("bestand", b), ("haushalte", h), ("beschraenkungen", s)):
        assert cli("data", "vorlage", art, "--out", path).code == 0
    df = read_csv(b)
    df.iloc[:, 2] = [str(10 + i) for i in range(len(df))]                # Bestand FlüAG
    df.iloc[:, 3] = "0"
    df.iloc[:, 4] = "0"
    df.iloc[:, 5] = "1.234"                                              # German thousands point
    write_csv(df, b)
    lim = read_csv(s)
    lim.iloc[1, 2] = "0"                                                 # Duisburg takes no one this time
    write_csv(lim, s)
    r = cli("status", "--system", "flueag", "--bestand", b, "--format", "json")
    assert r.code == 0, r.stderr
    rows = r.json()["rows"]
    assert len(rows) == 396 and rows[0]["bestand"] == 10
    assert cli("status", "--system", "wsa", "--bestand", b, "--format", "json").json()["rows"][0]["bestand"] == 1234
    r = cli("allocate", "--system", "flueag", "--bestand", b, "--haushalte", h, "--beschraenkungen", s,
            "--format", "json")
    assert r.code == 0, r.stderr
    payload = r.json()
    assert sorted(x["haushalt_id"] for x in payload["haushalte"]) == ["Beispiel-1", "Beispiel-2", "Beispiel-3"]
    got = {x["ags"]: x["zuweisung"] for x in payload["rows"]}
    assert sum(got.values()) == 7 and got[AGS[0]] >= 2 and got[AGS[1]] == 0   # Beispiel-3 is fixed to AGS[0]


def test_filled_xlsx_templates_run_through_status_and_allocate(cli, tmp_path):
    b, h, s = tmp_path / "bestand.xlsx", tmp_path / "haushalte.xlsx", tmp_path / "beschraenkungen.xlsx"
    for art, path in (("bestand", b), ("haushalte", h), ("beschraenkungen", s)):
        assert cli("data", "vorlage", art, "--out", path).code == 0
    wb = openpyxl.load_workbook(b)
    ws = wb.worksheets[0]
    for i, row in enumerate(ws.iter_rows(min_row=2), start=0):           # as an officer types numbers in Excel
        row[2].value, row[3].value, row[4].value, row[5].value = 20 + i, 0, 0, 5
    wb.save(b)
    wb = openpyxl.load_workbook(s)
    ws = wb.worksheets[0]
    ws.cell(row=3, column=5).value = True                                # gesperrt: WAHR for AGS[1]
    wb.save(s)
    assert openpyxl.load_workbook(h).sheetnames == ["Haushalte", "Gemeinden"]
    r = cli("allocate", "--system", "flueag", "--bestand", b, "--haushalte", h, "--beschraenkungen", s,
            "--format", "json")
    assert r.code == 0, r.stderr
    got = {x["ags"]: x["zuweisung"] for x in r.json()["rows"]}
    assert sum(got.values()) == 7 and got[AGS[1]] == 0
    assert cli("data", "check", "--bestand", b).code == 0


def test_template_never_replaces_a_file_with_other_content(cli, tmp_path):
    out = tmp_path / "bestand.xlsx"
    assert cli("data", "vorlage", "bestand", "--out", out).code == 0
    first = out.read_bytes()
    r = cli("data", "vorlage", "bestand", "--out", out)                   # the same template again: fine
    assert r.code == 0 and "unverändert" in r.stderr and out.read_bytes() == first
    filled = tmp_path / "meine_zahlen.csv"
    filled.write_bytes(b"ags;flueag_bestand\r\n05111000;17\r\n")
    r = cli("data", "vorlage", "bestand", "--out", filled)
    assert r.code == 2 and "existiert bereits und wird nicht überschrieben" in r.stderr
    assert filled.read_bytes() == b"ags;flueag_bestand\r\n05111000;17\r\n"
    r = cli("data", "vorlage", "haushalte", "--out", out)                  # another template over it: refused
    assert r.code == 2 and out.read_bytes() == first
    for bad, needle in ((tmp_path / "x.txt", "Endung .xlsx oder .csv"), (tmp_path, "ist ein Ordner")):
        r = cli("data", "vorlage", "bestand", "--out", bad)
        assert r.code == 2 and needle in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bestand.xlsx", "meine_zahlen.csv"]  # no temp files
    r = cli("data", "vorlage", "gemeinden", "--out", tmp_path / "g.csv")
    assert r.code == 2 and "Fehler: Ungültiger Wert für ART" in r.stderr


def test_template_uses_an_own_gemeinde_table(cli, tmp_path):
    out = tmp_path / "b.csv"
    assert cli("data", "vorlage", "bestand", "--out", out, "--gemeinden", "tests/data/modelle_gemeinden.csv").code == 0
    own = pd.read_csv("tests/data/modelle_gemeinden.csv", dtype=str)
    assert list(read_csv(out).iloc[:, 0]) == sorted(own["ags"])


def test_every_template_header_is_the_readers_own():
    """The bestand header row as written: no abbreviation, each one a name the reader lists."""
    names = {normalise(a) for canon, aliases in BESTAND.spalten.items() for a in (canon, *aliases)}
    df = pd.read_csv(io.BytesIO(__import__("verteilung.data.vorlage", fromlist=["x"]).template_bytes(
        "bestand", G, Path("v.csv"))), sep=";", encoding="utf-8-sig", dtype=str)
    assert all(normalise(h) in names for h in df.columns)
