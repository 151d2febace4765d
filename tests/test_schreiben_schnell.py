"""Issue 25, `verteilung compare`'s output folder and terminal: the faster writers give the bytes
of the plain ones (pandas' ``to_csv``, XlsxWriter's per-cell API), on tables long enough to take
the fast routes (distinct-value formatting from 64 values on)."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_compare_schnell import _frames
from verteilung.io import float_texts, jsonable, python_strings, records, to_csv_bytes

# few distinct values (as the comparison's columns have) and the awkward ones: both zeros, NaN with
# another payload, infinities, the smallest subnormal, integers beyond 2^53
POOL = [0.0, -0.0, 1.0, 0.1, 1e16, 1e-5, 123456.789, -2.5, np.nan, float.fromhex("0x7ff8000000000001"), np.inf,
        -np.inf, 5e-324, 2.0**60, 9309.278809234567]
FLOAT = st.one_of(st.sampled_from(POOL), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 300).flatmap(lambda n: st.lists(FLOAT, min_size=n, max_size=n)))
def test_float_texts_formats_each_value_as_itself(xs):
    values = np.array(xs, dtype=np.float64)
    assert float_texts(values, repr) == [repr(v) if v == v else "" for v in values.tolist()]
    assert float_texts(values, "{:.16G}".format, infinite=False) == [f"{v:.16G}" if v - v == 0 else ""
                                                                      for v in values.tolist()]
    assert float_texts(values[::2], repr) == [repr(v) if v == v else "" for v in values[::2].tolist()]  # strided


@st.composite
def _long_frames(draw) -> pd.DataFrame:
    n = draw(st.integers(60, 200))
    kinds = draw(st.lists(st.sampled_from(["float", "int", "str", "object"]), min_size=1, max_size=4))
    cols = {}
    for j, kind in enumerate(kinds):
        if kind == "float":
            cols[f"c{j}"] = pd.Series(draw(st.lists(st.sampled_from(POOL), min_size=n, max_size=n)), dtype="float64")
        elif kind == "int":
            cols[f"c{j}"] = pd.Series(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n)),
                                      dtype="int64")
        else:
            texts = st.one_of(st.none(), st.sampled_from(["", "a", 'a,"b"', "x\ny", "c\rd", "Düsseldorf, Stadt", "=1"]))
            xs = draw(st.lists(texts if kind == "str" else st.one_of(texts, st.sampled_from([1, 1.0, True, 0.1, -0.0])),
                               min_size=n, max_size=n))
            cols[f"c{j}"] = pd.Series(xs, dtype="str" if kind == "str" else object)
    return pd.DataFrame(cols)


@settings(max_examples=60, deadline=None)
@given(_long_frames())
def test_csv_writer_gives_pandas_bytes_on_long_tables(df):
    assert to_csv_bytes(df) == df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def test_csv_writer_without_pandas_private_route_gives_the_same_bytes(monkeypatch):
    """`io._column_arrays` reads columns through a pandas internal (a Series per column deep-copies
    the frame's attrs); a pandas without it gets the same bytes through Series."""
    from verteilung.compare import compare
    from verteilung.darstellung import with_marker

    res = compare()
    table = with_marker(res.gemeinden, res.info)
    want = to_csv_bytes(table)
    assert want == table.to_csv(index=False, lineterminator="\n").encode("utf-8")
    monkeypatch.delattr(pd.DataFrame, "_get_column_array")
    assert to_csv_bytes(table) == want


@pytest.mark.parametrize("values", [[""] * 70, [None] * 70, ["a", ""] * 35])
def test_a_single_column_writes_its_empty_rows_quoted(values):
    """csv writes a row of one empty field as ``""`` (else the row would vanish)."""
    for dtype in ("str", object):
        df = pd.DataFrame({"a": pd.Series(values, dtype=dtype)})
        assert to_csv_bytes(df) == df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    df = pd.DataFrame({"a": [np.nan if v is None or v == "" else 1.5 for v in values]})
    assert to_csv_bytes(df) == df.to_csv(index=False, lineterminator="\n").encode("utf-8")


@settings(max_examples=30, deadline=None)
@given(n=st.integers(64, 300), data=st.data())
def test_fast_sheet_writer_gives_the_cellwise_bytes_on_long_number_columns(n, data):
    """Long float and integer columns (texts once per distinct value, widths from the extremes):
    the bytes of XlsxWriter's per-cell API, for counts, exact decimals, quotas, text-kind and
    unknown columns, with the awkward values of `POOL` and integers beyond 2^53."""
    from verteilung.io.xlsx import workbook_bytes, write_sheet_cellwise

    floats = st.lists(st.one_of(st.sampled_from(POOL), st.floats(-1e12, 1e12)), min_size=n, max_size=n)
    ints = st.lists(st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-999, 999)), min_size=n, max_size=n)
    frame = pd.DataFrame({"soll": data.draw(floats), "quote": data.draw(floats), "gemeinde": data.draw(floats),
                          "spalte_x": data.draw(floats), "zuweisung": np.array(data.draw(ints), dtype="int64"),
                          "einwohner": np.array([abs(v) % 10**9 for v in data.draw(ints)], dtype="int64")})
    sheets = {"A": frame, "B": frame.iloc[::-1]}
    assert workbook_bytes(sheets) == workbook_bytes(sheets, writer=write_sheet_cellwise)


@pytest.mark.filterwarnings("ignore:DataFrame columns are not unique")  # pandas' route, in both
@settings(max_examples=150, deadline=None)
@given(_frames_any=st.data(), python_storage=st.booleans())
def test_records_are_pandas_records_made_jsonable(_frames_any, python_storage):
    """`io.records` reads plain columns as lists; the rows are pandas' ``to_dict("records")``
    through `jsonable`, for every kind of column (dates and nullable numbers take pandas' route)."""
    df = _frames_any.draw(_frames())
    with python_strings() if python_storage else contextlib.nullcontext():
        frame = df.copy()
        assert records(frame) == [jsonable(r) for r in frame.to_dict(orient="records")]


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
def test_writing_leaves_the_table_as_it_was(storage):
    """The writers read the frame's own arrays; missing texts become empty fields in a copy."""
    with pd.option_context("mode.string_storage", storage):
        df = pd.DataFrame({"gemeinde": pd.Series(["a", None, "b,c"] * 30, dtype="str"),
                           "soll": [1.5, np.nan, -0.0] * 30, "wert": pd.Series([None, 1, "x"] * 30, dtype=object)})
    before = df.copy()
    to_csv_bytes(df)
    records(df)
    pd.testing.assert_frame_equal(df, before)
    assert df["gemeinde"].isna().sum() == 30 and df["wert"].isna().sum() == 30


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=8), st.sampled_from(
    [" a", "a ", "a\n", "\ta", "_x0041_", "a_b", "x&y", "<r>b</r>", 'say "hi"', "\ufffe", "\x07", "Düsseldorf, Stadt",
     "\u00a0a", "a\u2003", "", "\x1f"])), max_size=30))
def test_shared_strings_are_written_as_xlsxwriter_writes_them(strings):
    """`io.xlsx._fast_shared_strings` writes plain texts itself: the same bytes as XlsxWriter's own
    method for every text, whitespace, control characters, ``_xHHHH_`` and XML characters included."""
    import io as stdio

    import xlsxwriter
    from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable

    from verteilung.io.xlsx import SST_GEPRUEFT, _fast_shared_strings

    if xlsxwriter.__version__ not in SST_GEPRUEFT:
        pytest.skip(f"XlsxWriter {xlsxwriter.__version__}: its own method, nothing patched")
    _fast_shared_strings()
    table = SharedStringTable()
    for text in strings:
        table._get_shared_string_index(text)
    table._sort_string_data()  # the table as the workbook hands it to the writer when it closes
    assert len(table.string_array) == len(set(strings))
    out = []
    for method in (SharedStrings._write_sst_strings, SharedStrings._write_sst_strings.original):
        sst = SharedStrings()
        sst.string_table, sst.fh = table, stdio.StringIO()
        method(sst)
        out.append(sst.fh.getvalue())
    assert out[0] == out[1]
