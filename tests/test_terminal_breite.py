"""Terminal tables stay readable at 80, 100 and 120 columns (issue 20), rendered through the real
CLI at those widths: an AGS, a number or a model name is never broken across lines or cut; columns
that do not fit are left out and one line says which, pointing to ``--out datei.xlsx``."""

from __future__ import annotations

import re
import sys

import pytest

from verteilung.io.deutsch import fmt_dec, fmt_int, fmt_pct

STOCK = "inputs/nrw/szenario/bestand_synthetisch_2024.csv"
WIDTHS = (80, 100, 120)


@pytest.fixture
def terminal(monkeypatch):
    """The CLI's output as on a terminal of ``width`` columns (rich reads COLUMNS on a terminal)."""

    def set_width(width: int) -> None:
        monkeypatch.setenv("COLUMNS", str(width))
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    return set_width


def _plain(text: str) -> str:
    """Without the terminal's colour and bold codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _body(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("│")]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip("│").split("│")]


@pytest.mark.parametrize("width", WIDTHS)
def test_status_table_fits_and_breaks_no_ags_or_number(cli, terminal, width):
    r = cli("status", "--system", "flueag", "--bestand", STOCK, "--format", "json")
    rows = r.json()["rows"][:40]
    terminal(width)
    r = cli("status", "--system", "flueag", "--bestand", STOCK)
    assert r.code == 0, r.stderr
    text = _plain(r.stdout)
    assert max(len(line) for line in text.splitlines()) <= width
    first_cells = [_cells(line)[0] for line in _body(text)]
    # every row starts with its whole AGS; continuation lines of wrapped names have an empty AGS cell
    assert [c for c in first_cells if c] == [row["ags"] for row in rows]
    assert all(re.fullmatch(r"\d{8}", c) for c in first_cells if c)
    for row in rows:
        for value in (fmt_int(row["bestand"]), fmt_dec(row["soll_stichtag"], 2), fmt_pct(row["erfuellungsquote"], 2)):
            assert re.search(rf"│\s+{re.escape(value)} │", text), (width, value)
    dropped = [line for line in text.splitlines() if line.startswith("Ausgelassen")]
    if width < 120:
        joined = " ".join(" ".join(text[text.index("Ausgelassen"):].splitlines()[:3]).split())
        assert "„Kreis“" in joined and "alle Spalten mit --out datei.xlsx" in joined
    assert len(dropped) <= 1


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_summary_never_cuts_a_model_name(cli, terminal, tmp_path, width):
    terminal(width)
    r = cli("compare", "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    text = _plain(r.stdout)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    models = [_cells(line)[0] for line in _body(text)]
    assert models == ["status-quo", "m1-gemeinsamer-bestand", "m2-mischschluessel", "m3-verrechnung", "m4-sperre"]
    assert "…" not in "".join(_body(text))
    for line in _body(text):
        assert all(re.fullmatch(r"[\d.,]+|[a-z0-9-]+", c) for c in _cells(line)), line
    if width == 80:
        assert any(line.startswith("Ausgelassen (Terminal zu schmal): „kreisfrei“, „kreisangehörig“") for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_allocate_table_fits(cli, terminal, width):
    terminal(width)
    r = cli("allocate", "--system", "wsa", "--bestand", STOCK, "--personen", "493")
    assert r.code == 0, r.stderr
    text = _plain(r.stdout)
    body = _body(text)
    assert body and max(len(line) for line in text.splitlines()) <= width
    assert all(re.fullmatch(r"\d{8}", _cells(line)[0]) for line in body if _cells(line)[0])
