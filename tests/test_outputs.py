"""Outputs: ``--out`` never deletes what the tool did not write, files get the umask's modes,
equal inputs give byte-identical files, and spreadsheet cells from input data stay text.
"""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from verteilung.io.xlsx import workbook_bytes
from verteilung.report.output import atomic_write_bytes, excel_safe_text

G = "tests/data/modelle_gemeinden.csv"
B = "tests/data/modelle_bestand.csv"
SMALL = ("--modelle", "status-quo,m1-gemeinsamer-bestand", "--gemeinden", G, "--bestand", B,
         "--stichtag", "2024-01-01", "--zugaenge", "flueag=100", "--zugaenge", "wsa=50")
PAYLOADS = ("=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "=1+1")


def snapshot(root: Path, skip: str | None = None) -> dict[str, bytes | None]:
    """Every file and folder under ROOT with its bytes (None for folders)."""
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if skip and (rel == skip or rel.startswith(skip + "/")):
            continue
        out[rel] = None if p.is_dir() else p.read_bytes()
    return out


def project_with_runs(root: Path) -> Path:
    """An outputs folder laid out as README suggests: ledger, two revisions, a note."""
    outputs = root / "outputs"
    for rev in ("r1", "r2"):
        folder = outputs / "2024-05" / rev
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(f'{{"revision": "{rev}"}}\n')
        (folder / "verteilstatistik.xlsx").write_bytes(os.urandom(64))
    (outputs / "ledger.sqlite").write_bytes(b"SQLite format 3\x00" + os.urandom(100))
    (outputs / "notiz.txt").write_text("meine Notiz\n")
    return outputs


def test_compare_out_next_to_ledger_and_revisions_leaves_them_byte_identical(cli, tmp_path):
    outputs = project_with_runs(tmp_path)
    before = snapshot(outputs)
    r = cli("compare", *SMALL, "--out", outputs)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Fehler: ") and "ledger.sqlite" in r.stderr and "Traceback" not in r.stderr
    assert snapshot(outputs) == before
    r = cli("compare", *SMALL, "--out", outputs / "vergleich")
    assert r.code == 0, r.stderr
    assert snapshot(outputs, skip="vergleich") == before
    assert (outputs / "vergleich" / "vergleich.xlsx").exists()


def test_revisions_without_ledger_are_refused_too(cli, tmp_path):
    outputs = project_with_runs(tmp_path)
    (outputs / "ledger.sqlite").unlink()
    before = snapshot(outputs)
    r = cli("compare", *SMALL, "--out", outputs)
    assert r.code == 2 and "2024-05" in r.stderr
    assert snapshot(outputs) == before


def test_out_folder_keeps_foreign_files_and_replaces_own(cli, tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    (out / "meine_tabelle.xlsx").write_bytes(b"not ours")
    (out / "unterordner").mkdir()
    (out / "unterordner" / "x.txt").write_text("x")
    r = cli("compare", *SMALL, "--out", out)
    assert r.code == 0, r.stderr
    assert (out / "meine_tabelle.xlsx").read_bytes() == b"not ours"
    assert (out / "unterordner" / "x.txt").read_text() == "x"
    first = (out / "gemeinden.csv").read_bytes()
    (out / "gemeinden.csv").write_text("stale\n")  # our old file, replaced only if unchanged: now refused
    r = cli("compare", *SMALL, "--out", out)
    assert r.code == 2 and "gemeinden.csv" in r.stderr and "--ueberschreiben" in r.stderr
    assert (out / "gemeinden.csv").read_text() == "stale\n"
    r = cli("compare", *SMALL, "--out", out, "--ueberschreiben")
    assert r.code == 0, r.stderr
    assert (out / "gemeinden.csv").read_bytes() == first
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_out_dot_writes_into_the_working_directory(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bleibt.txt").write_text("x")
    r = cli("compare", *(a.replace("tests/", str(Path(__file__).parent) + "/") for a in SMALL), "--out", ".")
    assert r.code == 0, r.stderr
    assert (tmp_path / "vergleich.xlsx").exists() and (tmp_path / "bleibt.txt").read_text() == "x"


FOLDER_COMMANDS = [
    ("compare", *SMALL),
    ("simulate", "--monate", "1"),
    ("sensitivitaet", "--modell", "m1", "--parameter", "kappung=1.05:1.6,zugaenge=100:5000", "--sobol", "8"),
    ("sweep", "--modell", "gewichtet", "--gewichte", "einwohner=0.8,flaeche=0.2",
     "--parameter", "einwohner=0.7:0.9", "--raster", "2"),
]
FILE_COMMANDS = [
    ("report", "--monate", "0"),
    ("calibrate", "--spalten", "einwohner,flaeche"),
    ("keys", "--system", "flueag"),
    ("keys", "--system", "flueag", "--format", "csv"),
    ("status", "--system", "flueag", "--bestand", "inputs/nrw/szenario/bestand_synthetisch_2024.csv"),
    ("allocate", "--system", "flueag", "--bestand", "inputs/nrw/szenario/bestand_synthetisch_2024.csv",
     "--personen", "10", "--format", "json"),
    ("data", "list"),
    ("data", "check", "--format", "json"),
]


@pytest.mark.parametrize("args", FOLDER_COMMANDS, ids=lambda a: a[0])
def test_folder_commands_refuse_a_file_and_a_run_folder(cli, tmp_path, args):
    target = tmp_path / "ergebnis"
    target.write_bytes(b"keep me")
    r = cli(*args, "--out", target)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Fehler: ") and "Datei" in r.stderr
    assert target.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ergebnis"]
    outputs = project_with_runs(tmp_path / "p")
    before = snapshot(outputs)
    r = cli(*args, "--out", outputs)
    assert r.code == 2, r.stderr
    assert snapshot(outputs) == before


@pytest.mark.parametrize("args", FILE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_file_commands_refuse_a_folder(cli, tmp_path, args):
    folder = tmp_path / "ordner"
    folder.mkdir()
    (folder / "x.txt").write_text("x")
    r = cli(*args, "--out", folder)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Fehler: ") and "Ordner" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["x.txt"]


def test_runs_list_out_folder_is_refused(cli, tmp_path):
    folder = tmp_path / "ordner"
    folder.mkdir()
    r = cli("runs", "list", "--ledger", f"sqlite:///{tmp_path / 'l.sqlite'}", "--out", folder)
    assert r.code == 2 and "Ordner" in r.stderr
    assert list(folder.iterdir()) == []


def test_out_file_below_a_file_is_refused(cli, tmp_path):
    (tmp_path / "datei").write_text("x")
    r = cli("keys", "--system", "flueag", "--format", "csv", "--out", tmp_path / "datei" / "k.csv")
    assert r.code == 2 and r.stderr.startswith("Fehler: ")
    assert (tmp_path / "datei").read_text() == "x"


def test_input_file_that_is_a_folder_exits_2(cli, tmp_path):
    r = cli("status", "--system", "flueag", "--bestand", tmp_path)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Fehler: ") and "Traceback" not in r.stderr
    r = cli("keys", "--system", "flueag", "--gemeinden", tmp_path, "--format", "csv")
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Fehler: ")


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]}


@pytest.mark.parametrize("mask", [0o022, 0o027], ids=["umask022", "umask027"])
def test_outputs_get_the_umask_modes(cli, tmp_path, mask):
    file_mode, dir_mode = 0o666 & ~mask, 0o777 & ~mask
    folders = ["v", "k"]
    with umask(mask):
        assert cli("compare", *SMALL, "--out", tmp_path / "v").code == 0
        (tmp_path / "k").mkdir()
        atomic_write_bytes(tmp_path / "k" / "x.csv", b"a\n")
        if mask == 0o022:
            folders += ["b", "s"]
            r = cli("report", "--monate", "0", *SMALL[:8], "--out", tmp_path / "b" / "bericht.html")
            assert r.code == 0, r.stderr
            r = cli("sweep", "--modell", "gewichtet", "--gewichte", "einwohner=0.8,flaeche=0.2",
                    "--parameter", "einwohner=0.7:0.9", "--raster", "2", "--gemeinden", G, "--bestand", B,
                    "--stichtag", "2024-01-01", "--out", tmp_path / "s")
            assert r.code == 0, r.stderr
    for folder in folders:
        for name, mode in modes(tmp_path / folder).items():
            is_dir = (tmp_path / folder / name).is_dir()
            assert mode == (dir_mode if is_dir else file_mode), (folder, name, oct(mode))


def test_equal_inputs_give_byte_identical_compare_outputs(cli, tmp_path):
    assert cli("compare", *SMALL, "--out", tmp_path / "a").code == 0
    time.sleep(1.1)  # the document timestamp must not be the clock's
    assert cli("compare", *SMALL, "--out", tmp_path / "b").code == 0
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert sorted(a) == sorted(b) and {"vergleich.xlsx", "vergleich.json", "gemeinden.csv"} <= set(a)
    for name in a:
        assert a[name] == b[name], name


def test_names_that_look_like_formulas_stay_text_in_the_workbook(cli, tmp_path):
    from openpyxl import load_workbook

    g = pd.read_csv(G, dtype=str)
    g["gemeinde"] = list(PAYLOADS[:3])
    g["kreis"] = list(PAYLOADS[2:5])
    (tmp_path / "g.csv").write_text(g.to_csv(index=False))
    args = [a if a != G else str(tmp_path / "g.csv") for a in SMALL]
    r = cli("compare", *args, "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    wb = load_workbook(tmp_path / "v" / "vergleich.xlsx")
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value in PAYLOADS:
                    assert cell.data_type == "s"
                    seen.add(cell.value)
    assert seen == set(PAYLOADS)


def test_workbook_cells_keep_types_and_household_ids_stay_text():
    from openpyxl import load_workbook

    df = pd.DataFrame({"haushalt_id": ["=1+1", "@A1", "-5", "007"], "ags": ["05111000"] * 4,
                       "zuweisung": [1, 2, 3, 4], "quote": [95.5, float("nan"), 100.0, 1.0]})
    wb = load_workbook(io.BytesIO(workbook_bytes({"Haushalte": df})))
    ws = wb["Haushalte"]
    assert [c.value for c in ws[1]] == ["Haushalt-Nr.", "AGS", "Zuweisung", "Quote nach Zuweisung (%)"]
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [("=1+1", "s"), ("@A1", "s"), ("-5", "s"), ("007", "s")]
    assert ws["B2"].data_type == "s" and ws["C2"].value == 1 and ws["C2"].number_format == '#,##0;"−"#,##0'
    assert ws["D2"].number_format == '0.0" %";"−"0.0" %"' and ws["D3"].value is None  # quotas: one decimal
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:D5"


def test_excel_safe_text_follows_the_owasp_rule():
    assert [excel_safe_text(v) for v in ("=1+1", "+a", "-a", "@a", "\tx", "\rx")] == \
        ["'=1+1", "'+a", "'-a", "'@a", "'\tx", "'\rx"]
    assert [excel_safe_text(v) for v in ("Essen", "-3", "+1.5", "", "05111000")] == \
        ["Essen", "-3", "+1.5", "", "05111000"]


def test_out_chooses_the_format_by_extension(cli, tmp_path):
    """Issue 13 item 2: `--out F.xlsx|.csv|.json|.parquet`, the same rows, a one-line note only."""
    import pandas as pd

    scenario = Path(__file__).parents[1] / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
    base = ["status", "--system", "flueag", "--bestand", scenario]
    machine = cli(*base, "--format", "json").json()
    rows = pd.DataFrame(machine["rows"])
    for suffix in (".xlsx", ".csv", ".json", ".parquet"):
        out = tmp_path / f"st{suffix}"
        r = cli(*base, "--out", out)
        assert r.code == 0, r.stderr
        assert r.stdout == "" and r.stderr.strip() == f"geschrieben: {out} (396 Zeilen)"
    book = pd.read_excel(tmp_path / "st.xlsx", sheet_name=None, skiprows=1)  # row 1: the SYNTHETISCH marker
    first, params = list(book.values())
    assert {"bestand", "rundung", "stichtag"} <= set(params["Kennung"])
    assert list(book) == ["Verteilstatistik FlüAG", "Parameter"]
    assert "AGS" in first.columns and first["Bestand"].sum() == rows["bestand"].sum()
    assert list(first.columns) == list(pd.read_csv(tmp_path / "st.csv", sep=";", decimal=",", skiprows=1).columns)
    german = pd.read_csv(tmp_path / "st.csv", sep=";", decimal=",", skiprows=1, dtype={"AGS": str})
    assert list(german["AGS"]) == list(rows["ags"])
    assert german["Erfüllungsquote (%)"].round(2).tolist() == rows["erfuellungsquote"].round(2).tolist()
    assert pd.read_parquet(tmp_path / "st.parquet")["bestand"].tolist() == rows["bestand"].tolist()
    r = cli(*base, "--out", tmp_path / "st.txt")
    assert r.code == 2 and "Dateiendung" in r.stderr and not (tmp_path / "st.txt").exists()
