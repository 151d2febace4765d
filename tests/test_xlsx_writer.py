"""The fast sheet writer emits exactly the bytes of XlsxWriter's per-cell API (the previous writer).

`verteilung.io.xlsx.write_sheet` builds the cell XML itself; `write_sheet_cellwise` is the
reference through ``write_number``/``write_string``/``write_datetime``. Equal bytes mean equal
cells, formats, shared strings, dimensions and row spans, so the speed-up changes no workbook.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verteilung.io.xlsx import workbook_bytes, write_sheet_cellwise

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
CELL = st.one_of(
    st.none(), st.integers(-(2**60), 2**60), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    TEXT, st.sampled_from(["=1+1", "+49", "-3", "@x", "flueag", "wsa", "2024-01-01", "2024-01-01T10:30:00"]),
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2100, 12, 31)),
)
# vocabulary columns of each kind (text, exact decimal, count, date, flag, system) and unknown names
NAMES = ["gemeinde", "soll", "zuweisung", "stichtag", "started", "gekappt", "system", "quote", "spalte_x", "fest"]


def both(sheets: dict[str, pd.DataFrame], note: str | None) -> tuple[bytes, bytes]:
    return workbook_bytes(sheets, note=note), workbook_bytes(sheets, note=note, writer=write_sheet_cellwise)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n_rows=st.integers(0, 40), names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=6,
                                                                  unique=True),
       note=st.sampled_from([None, "SYNTHETISCH: erzeugte Bestände"]))
def test_fast_writer_gives_the_cellwise_bytes_for_mixed_columns(data, n_rows, names, note):
    frame = pd.DataFrame({name: pd.Series(data.draw(st.lists(CELL, min_size=n_rows, max_size=n_rows)), dtype=object)
                          for name in names})
    fast, reference = both({"Tabelle": frame}, note)
    assert fast == reference


@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=0, max_size=60),
       counts=st.lists(st.integers(0, 10**9), min_size=60, max_size=60), gap=st.integers(0, 59))
def test_fast_writer_gives_the_cellwise_bytes_for_typed_columns(values, counts, gap):
    """Typed (numpy, nullable, boolean) columns; a row left empty moves the row spans of its block."""
    n = len(values)
    ints = pd.array(counts[:n], dtype="Int64")
    if n:
        ints[gap % n] = pd.NA
    frame = pd.DataFrame({"soll": np.array(values, dtype=float), "zuweisung": ints,
                          "gekappt": np.array([c % 2 == 0 for c in counts[:n]]),
                          "ags": [f"05{c:07d}" for c in counts[:n]],
                          # numpy integers on both sides of 2^53 (exact as floats below, %.16G rounds above)
                          "einwohner": np.array([c * (10**8 + 7) - 5 * 10**16 for c in counts[:n]], dtype="int64")})
    if n:
        frame.loc[gap % n, ["soll", "ags"]] = [np.nan, None]
    fast, reference = both({"A": frame, "B": frame.iloc[::-1]}, None)
    assert fast == reference


def test_fast_writer_gives_the_cellwise_bytes_for_the_compare_workbook():
    from verteilung.compare import compare
    from verteilung.report import vergleich
    from verteilung.report.output import synthetic_note

    res = compare()
    fast, reference = both(vergleich.workbook_sheets(res), synthetic_note(res.info))
    assert fast == reference


def test_rows_assembled_in_chunks_give_the_cellwise_bytes(monkeypatch):
    """Rows are joined a chunk at a time; chunk borders inside a 16-row span block, empty rows and
    columns with gaps change nothing."""
    from verteilung.io import xlsx

    monkeypatch.setattr(xlsx._RowWriter, "CHUNK", 7)
    n = 61
    soll = np.arange(n, dtype=float) * 1.25
    soll[[3, 20, 40]] = np.nan
    frame = pd.DataFrame({"gemeinde": [None if i in (5, 33) else f"G{i}" for i in range(n)], "soll": soll,
                          "zuweisung": np.arange(n, dtype="int64"), "gekappt": [i % 3 == 0 for i in range(n)]})
    frame.loc[33, ["soll"]] = np.nan
    sparse = pd.DataFrame({"gemeinde": [None] * 20 + ["x"] + [None] * 20, "soll": [np.nan] * 41})
    fast, reference = both({"A": frame, "B": sparse}, "SYNTHETISCH")
    assert fast == reference


def test_long_text_is_cut_like_xlsxwriter_cuts_it():
    frame = pd.DataFrame({"gemeinde": ["x" * 40_000, "ü" * 20_000, "kurz"]})
    fast, reference = both({"Lang": frame}, None)
    assert fast == reference
