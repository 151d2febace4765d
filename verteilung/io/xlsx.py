"""Workbooks for officers: German headers, number formats, frozen header row, autofilter.

Headers and number formats come from the vocabulary (``verteilung.vocab``): the header is the
column's German label, the number format its ``xlsx_format`` (the exact Soll ``#,##0.00``, the
rounded one ``#,##0``, quotas ``0.00" %"``), ISO dates become date cells shown ``01.01.2024``,
flags ``ja``/``nein``.

Written with XlsxWriter (made for writing; several times faster than openpyxl here). Safety and
reproducibility: every text value is written as a string cell, never as a formula, URL or number
(a Gemeinde name or household id starting with ``=``, ``+``, ``-``, ``@`` stays text), and the
document timestamps are fixed, so equal tables give byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from verteilung.vocab import Kind, labels, system_label

if TYPE_CHECKING:
    import pandas as pd

# Fixed document timestamp (created = modified): equal inputs give byte-identical workbooks.
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1, 0, 0, 0)


INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(title: str, taken: set[str] | None = None) -> str:
    """A valid, unique sheet name: forbidden characters replaced, at most 31 characters."""
    name = (title.translate(INVALID_SHEET_CHARS).strip() or "Tabelle")[:31]
    taken = taken if taken is not None else set()
    n = 2
    base = name
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    return name


def _cell_value(v: Any) -> Any:
    """A plain Python value: numpy scalars unwrapped, NaN/NA/None as an empty cell."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        with contextlib.suppress(ValueError, TypeError):
            v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if type(v).__name__ in ("NAType", "NaTType"):
        return None
    return v


def _as_datetime(v: Any, kind: Kind) -> dt.datetime | dt.date | None:
    """An ISO date or timestamp (text or date object) as a value for a date cell; None otherwise."""
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None) if v.tzinfo is None else v.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and v:
        try:
            parsed = dt.datetime.fromisoformat(v)
        except ValueError:
            return None
        if kind is Kind.DATE and len(v) == 10:
            return parsed.date()
        return parsed if parsed.tzinfo is None else parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return None


def _sheet_head(wb: Any, title: str, df: pd.DataFrame, styles: dict[str, Any],
                note: str | None) -> tuple[Any, list[str], list, int, list[int]]:
    """A new sheet with the label row (``note``) and the German header row; the column specs and
    the header widths the column widths start from."""
    from verteilung.io import _column_arrays
    from verteilung.io.deutsch import column_for

    ws = wb.add_worksheet(title)
    cols = [str(c) for c in df.columns]
    specs = [column_for(c, values) for c, values in zip(cols, _column_arrays(df), strict=True)]
    heads = labels(cols)
    head_row = 0
    if note:
        ws.write_string(0, 0, note, styles["note"])  # a string cell: never a formula
        head_row = 1
    for j, head in enumerate(heads):
        ws.write_string(head_row, j, head, styles["header"])
    return ws, cols, specs, head_row, [len(h) for h in heads]


def _sheet_tail(ws: Any, df: pd.DataFrame, head_row: int, widths: list[int]) -> None:
    """Column widths from the measured texts, frozen header row, autofilter over the table."""
    for j, width in enumerate(widths):
        ws.set_column(j, j, min(60, max(8, width + 2)))
    ws.freeze_panes(head_row + 1, 0)
    if len(df.columns):
        ws.autofilter(head_row, 0, head_row + max(len(df), 1), len(df.columns) - 1)


def write_sheet(wb: Any, title: str, df: pd.DataFrame, styles: dict[str, Any], note: str | None = None) -> None:
    """One table as a sheet: German headers (vocabulary), number formats per column kind, frozen
    header row, autofilter; ``note`` (e.g. the SYNTHETISCH marker) as a first row above the header.

    The data cells bypass XlsxWriter's per-cell API: each column's cell XML is built here in one
    pass (a comprehension for plain float and integer columns) and the sheet's row writer is
    replaced by `_RowWriter`, which emits exactly the bytes XlsxWriter's own ``write_number``/
    ``write_string``/``write_datetime`` would (tests compare both paths), at a fraction of the cost
    (the workbook was most of `verteilung compare`'s time).
    """
    import numpy as np

    from verteilung.io import _column_arrays

    ws, cols, specs, head_row, widths = _sheet_head(wb, title, df, styles, note)
    first = head_row + 1
    n_rows = max(0, min(len(df), ws.xls_rowmax - first))  # XlsxWriter drops cells past the last row
    measured = 500 - first  # column widths follow the first 500 rows of the sheet
    columns: list[_Column] = []
    for j, (col, stored) in enumerate(zip(specs, _column_arrays(df), strict=True)):
        kind = stored.dtype.kind if isinstance(stored.dtype, np.dtype) else "O"  # nullable types: cell by cell
        values = stored[:n_rows] if kind == "f" else stored.tolist()[:n_rows]  # floats stay an array
        if cols[j] == "system":  # identifiers in cells a person reads: FlüAG, WSA
            values = [system_label(v, short=True) if isinstance(v, str) else v for v in values]
        column, widths[j] = _column(wb, ws, styles, col, kind, values, widths[j], measured)
        columns.append(column)
    _RowWriter(ws, first, columns, n_rows).install()
    _sheet_tail(ws, df, head_row, widths)


BIG = 2**53  # integers below this in magnitude are exact floats: %.16G prints their digits, as str()

# One column's cells: the XML after ``<c r="A1"`` (None: no cell) and the format of each cell
# (one format for the whole column, or a list); or a plain number column as `_Numbers`.
_Column = tuple[list[str | None], Any]


class _Numbers(list):
    """A plain float or integer column as each cell's number text (``%.16G``, as XlsxWriter's
    ``write_number`` writes it; "" for a NaN or ±inf: no cell), put straight into each cell's XML
    by `_RowWriter.write` (one string per cell instead of a body and then a cell)."""

    def __init__(self, texts: list[str], present: Any) -> None:
        super().__init__(texts)
        self.filled = present

    def present(self) -> Any:
        return self.filled


def _float_width(head: Any, numeric: bool, places: int) -> int:
    """The longest text among the finite values of ``head`` (``f"{v:,.{places}f}"``, else ``repr``).

    A fixed-point text grows with ``|v|`` on either side of zero (correct rounding is monotone), so
    the largest value and the most negative one (told by the sign bit: ``-0.0`` prints ``-0,00``)
    are the longest; only ``repr`` needs every value."""
    import numpy as np

    finite = head[np.isfinite(head)]
    if not numeric:
        return max(map(len, map(repr, finite.tolist())), default=0)
    negative = np.signbit(finite)
    ends = [part.tolist() for part in (finite[~negative].max(initial=-np.inf), finite[negative].min(initial=np.inf))]
    return max((len(f"{v:,.{places}f}") for v in ends if v - v == 0), default=0)


def _number_column(values: Any, floats: bool, numeric: bool, places: int, measured: int) -> tuple[_Numbers, int]:
    """A plain float (NaN and ±inf left empty) or integer column's cells and its longest text in
    the first ``measured + 1`` rows."""
    import numpy as np

    from verteilung.io import float_texts

    if floats:
        array = np.asarray(values, dtype=np.float64)
        # %.16G as XlsxWriter's write_number writes a number; NaN and ±inf: no cell
        cells = _Numbers(float_texts(array, "{:.16G}".format, infinite=False), np.isfinite(array))
        return cells, _float_width(array[: measured + 1], numeric, places)
    values = values.tolist() if isinstance(values, np.ndarray) else values
    if not values or (min(values) > -BIG and max(values) < BIG):  # %.16G prints their digits, as str()
        texts = list(map(str, values))
    else:
        texts = [f"{v:.16G}" for v in values]
    head = values[: measured + 1]
    longest = max(len(f"{max(head):,}"), len(f"{min(head):,}")) if head else 0  # the ends: as for floats
    return _Numbers(texts, np.ones(len(values), dtype=bool)), longest


def _column(wb: Any, ws: Any, styles: dict[str, Any], col: Any, dtype_kind: str, values: Any, width: int,
            measured: int) -> tuple[_Column, int]:
    """The cells of one column and the column's width (from its first ``measured + 1`` rows);
    ``values`` a list, or a float array where ``dtype_kind`` is ``f``."""
    import numpy as np
    from xlsxwriter.worksheet import _utf16_len, _utf16_truncate

    from verteilung.io.deutsch import NO, YES

    code = col.xlsx_format
    num_fmt = _style(wb, styles, code) if col.numeric else None
    text_fmt = _style(wb, styles, "@") if col.kind is Kind.TEXT else None
    date_fmt = _style(wb, styles, code) if col.kind in (Kind.DATE, Kind.DATETIME) else None
    if date_fmt is None and (dtype_kind == "f" or (dtype_kind in "iu" and col.kind is not Kind.FLAG)):
        cells, longest = _number_column(values, dtype_kind == "f", col.numeric, max(col.places, 0), measured)
        return (cells, num_fmt), max(width, longest)
    values = values.tolist() if isinstance(values, np.ndarray) else values
    numeric, places, head = col.numeric, max(col.places, 0), values[: measured + 1]

    shared = ws.str_table._get_shared_string_index
    max_half = ws.xls_strmax // 2
    inf = math.inf

    def string_cell(text: str) -> str:
        if len(text) > max_half and _utf16_len(text) > ws.xls_strmax:
            text = _utf16_truncate(text, ws.xls_strmax)
        return f' t="s"><v>{shared(text)}</v></c>'

    if date_fmt is None and set(map(type, values)) <= {str}:  # plain texts: shared strings
        # each distinct text registered once, in order of first use (the indices XlsxWriter assigns
        # cell by cell); the repeats only add to the table's reference count
        cells = dict.fromkeys(values, "")
        for v in cells:
            cells[v] = string_cell(v)
        ws.str_table.count += len(values) - len(cells)
        return (list(map(cells.__getitem__, values)), text_fmt), max([width, *map(len, head)])
    bodies, fmts = [], []
    for i, v in enumerate(values):
        t = type(v)
        if t is not str and t is not int and t is not float and t is not bool:
            v = _cell_value(v)
            if v is None:
                bodies.append(None)
                fmts.append(None)
                continue
            t = type(v)
        text = None
        if date_fmt is not None and (when := _as_datetime(v, col.kind)) is not None:
            body, fmt = f"><v>{ws._convert_date_time(when):.16G}</v></c>", date_fmt
            text = "00.00.0000 00:00:00" if col.kind is Kind.DATETIME else "00.00.0000"
        elif t is str:
            body, fmt = string_cell(v), text_fmt  # text stays text: never a formula, URL or number
            text = v
        elif t is float:
            if v != v or v == inf or v == -inf:
                bodies.append(None)
                fmts.append(None)
                continue
            body, fmt = f"><v>{v:.16G}</v></c>", num_fmt
            if i <= measured:
                text = f"{v:,.{places}f}" if numeric else repr(v)
        elif t is int and not (t is bool or col.kind is Kind.FLAG):
            body, fmt = f"><v>{v:.16G}</v></c>", num_fmt
            if i <= measured:
                text = f"{v:,}"
        else:
            text = (YES if v else NO) if t is bool or t is int else str(v)
            body, fmt = string_cell(text), text_fmt
        bodies.append(body)
        fmts.append(fmt)
        if text is not None and i <= measured and len(text) > width:
            width = len(text)
    return (bodies, fmts), width


class _RowWriter:
    """The ``<sheetData>`` rows of one sheet: the cells XlsxWriter holds (note, header) through its
    own writer, the data rows from the prepared column cells, in row order with the same ``spans``.
    Rows are assembled ``CHUNK`` at a time, so a large table never holds all its cell strings."""

    CHUNK = 4096

    def __init__(self, ws: Any, first: int, columns: list[_Column], n_rows: int) -> None:
        import numpy as np

        self.ws, self.first, self.columns, self.n_rows = ws, first, columns, n_rows
        filled = np.ones((len(columns), n_rows), dtype=bool)
        for j, (bodies, _) in enumerate(columns):
            if isinstance(bodies, _Numbers):
                filled[j] = bodies.present()
            elif None in bodies:
                filled[j] = [b is not None for b in bodies]
        self.filled = filled
        self.any = filled.any(axis=0) if len(columns) else np.zeros(n_rows, dtype=bool)
        self.lo = filled.argmax(axis=0) if len(columns) else np.zeros(n_rows, dtype=int)
        self.hi = len(columns) - 1 - filled[::-1].argmax(axis=0) if len(columns) else np.zeros(n_rows, dtype=int)
        rows = np.flatnonzero(self.any)
        if len(rows):  # the sheet's dimension, as XlsxWriter's per-cell bookkeeping would set it
            ws._check_dimensions(first + int(rows[0]), int(self.lo[rows].min()))
            ws._check_dimensions(first + int(rows[-1]), int(self.hi[rows].max()))

    def install(self) -> None:
        self.ws._write_rows = self.write

    def _spans(self) -> dict[int, str]:
        bounds: dict[int, tuple[int, int]] = {}

        def add(block: int, lo: int, hi: int) -> None:
            old = bounds.get(block)
            bounds[block] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))

        import numpy as np

        for row, cells in self.ws.table.items():
            if cells:
                add(row // 16, min(cells), max(cells))
        rows = np.flatnonzero(self.any)
        if len(rows):  # the data rows' first and last cell per block of 16 rows, in numpy
            blocks = (self.first + rows) // 16
            starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]])
            los = np.minimum.reduceat(self.lo[rows], starts)
            his = np.maximum.reduceat(self.hi[rows], starts)
            for block, lo, hi in zip(blocks[starts].tolist(), los.tolist(), his.tolist(), strict=True):
                add(block, lo, hi)
        return {block: f"{lo + 1}:{hi + 1}" for block, (lo, hi) in bounds.items()}

    def _formats_in_row_order(self) -> list[Any]:
        """The data cells' formats by their first cell in row-major order."""
        first: dict[int, tuple[int, int, Any]] = {}
        for j, (_, fmts) in enumerate(self.columns):
            if isinstance(fmts, list):  # a cell has a format only if it has a body (`_column`)
                distinct = {id(f): f for f in fmts if f is not None}.values()
                pairs = iter([(fmts.index(f), f) for f in distinct])
            else:
                present = self.filled[j].nonzero()[0]
                i = int(present[0]) if len(present) else None
                pairs = iter(() if i is None or fmts is None else ((i, fmts),))
            for i, f in pairs:
                if id(f) not in first or (i, j) < first[id(f)][:2]:
                    first[id(f)] = (i, j, f)
        return [f for _, _, f in sorted(first.values(), key=lambda x: x[:2])]

    def write(self) -> None:
        from xlsxwriter.utility import xl_col_to_name

        ws = self.ws
        spans = self._spans()
        names = [xl_col_to_name(j) for j in range(len(self.columns))]
        write = ws.fh.write
        for row in sorted(r for r, cells in ws.table.items() if cells and r < self.first):
            ws._write_row(row, spans.get(row // 16))
            for col in sorted(ws.table[row]):
                ws._write_cell(row, col, ws.table[row][col])
            ws._xml_end_tag("row")
        xf: dict[int, str] = {}

        def style(fmt: Any) -> str:
            if fmt is None:
                return ""
            s = xf.get(id(fmt))
            if s is None:
                s = xf[id(fmt)] = f' s="{fmt._get_xf_index()}"'
            return s

        for fmt in self._formats_in_row_order():  # XlsxWriter numbers formats in the order cells use them
            style(fmt)
        # default height, Excel 2007 attributes: a row's tag is r and spans only (`Worksheet._write_row`)
        plain_rows = ws.default_row_height == ws.original_row_height and ws.excel_version != 2010
        for start in range(0, self.n_rows, self.CHUNK):
            stop = min(start + self.CHUNK, self.n_rows)
            # row numbers as Excel counts, as text once for all columns; each cell is one f-string of
            # texts (`<c r="` and the column's name before, its style after): a third of the time
            # of formatting the row number into every cell
            numbers = [str(r) for r in range(self.first + start + 1, self.first + stop + 1)]
            texts = []
            for name, (bodies, fmts) in zip(names, self.columns, strict=True):
                part = bodies[start:stop]
                ref = f'<c r="{name}'
                if isinstance(bodies, _Numbers):  # %.16G as XlsxWriter's write_number; NaN, ±inf: no cell
                    mid = f'"{xf.get(id(fmts), "")}><v>'
                    texts.append([f"{ref}{r}{mid}{v}</v></c>" if v else "" for r, v in zip(numbers, part, strict=True)])
                elif isinstance(fmts, list):
                    texts.append([f'{ref}{r}"{style(f)}{b}' if b is not None else ""
                                  for r, b, f in zip(numbers, part, fmts[start:stop], strict=True)])
                else:
                    mid = f'"{xf.get(id(fmts), "")}'  # the style assigned above if the column has a cell
                    texts.append([f"{ref}{r}{mid}{b}" if b is not None else ""
                                  for r, b in zip(numbers, part, strict=True)])
            rows = []
            for i, cells in enumerate(zip(*texts, strict=True), start=start):
                if not self.any[i]:
                    continue
                row = self.first + i
                span = spans.get(row // 16)
                if plain_rows and row not in ws.row_info:  # XlsxWriter's <row> of a row without options
                    rows.append(f'<row r="{row + 1}" spans="{span}">' if span else f'<row r="{row + 1}">')
                else:
                    write("".join(rows))
                    rows = []
                    ws._write_row(row, span)
                rows.append("".join(cells))
                rows.append("</row>")
            write("".join(rows))


def write_sheet_cellwise(wb: Any, title: str, df: pd.DataFrame, styles: dict[str, Any],
                         note: str | None = None) -> None:
    """`write_sheet` through XlsxWriter's per-cell API: the previous writer, kept as the reference
    the tests compare bytes with and as the baseline `benchmarks/bench_cli.py` measures."""
    from verteilung.io.deutsch import NO, YES

    ws, cols, specs, head_row, widths = _sheet_head(wb, title, df, styles, note)
    inf = math.inf
    for j, col in enumerate(specs):
        code = col.xlsx_format
        num_fmt = _style(wb, styles, code) if col.numeric else None
        text_fmt = _style(wb, styles, "@") if col.kind is Kind.TEXT else None
        date_fmt = _style(wb, styles, code) if col.kind in (Kind.DATE, Kind.DATETIME) else None
        width = widths[j]
        write_number, write_string = ws.write_number, ws.write_string
        values = df.iloc[:, j].tolist()
        if cols[j] == "system":  # identifiers in cells a person reads: FlüAG, WSA
            values = [system_label(v, short=True) if isinstance(v, str) else v for v in values]
        for i, v in enumerate(values, start=head_row + 1):
            t = type(v)
            if t is not str and t is not int and t is not float and t is not bool:
                v = _cell_value(v)
                if v is None:
                    continue
                t = type(v)
            if date_fmt is not None and (when := _as_datetime(v, col.kind)) is not None:
                ws.write_datetime(i, j, when, date_fmt)
                text = "00.00.0000 00:00:00" if col.kind is Kind.DATETIME else "00.00.0000"
            elif t is str:
                write_string(i, j, v, text_fmt)  # text stays text: never a formula, URL or number
                text = v
            elif t is bool:
                text = YES if v else NO
                write_string(i, j, text, text_fmt)
            elif t is float:
                if v != v or v == inf or v == -inf:
                    continue
                write_number(i, j, v, num_fmt)
                text = f"{v:,.{max(col.places, 0)}f}" if col.numeric else repr(v)
            elif t is int:
                if col.kind is Kind.FLAG:
                    text = YES if v else NO
                    write_string(i, j, text, text_fmt)
                else:
                    write_number(i, j, v, num_fmt)
                    text = f"{v:,}"
            else:
                text = str(v)
                write_string(i, j, text, text_fmt)
            if i <= 500 and len(text) > width:
                width = len(text)
        widths[j] = width
    _sheet_tail(ws, df, head_row, widths)



def _style(wb: Any, styles: dict[str, Any], code: str) -> Any:
    if code not in styles:
        styles[code] = wb.add_format({"num_format": code})
    return styles[code]


# Deflate level of the workbook's ZIP container. XlsxWriter compresses with zlib's default (6);
# level 1 compresses the XML about three times faster for files ~20 % larger (issue 25: on the
# comparison's workbook 0,014 s instead of 0,044 s). Deterministic like the default.
ZIP_LEVEL = 1


def _fast_zip() -> None:
    """Have XlsxWriter's packager deflate at ``ZIP_LEVEL``: it builds its container with the
    module's ``ZipFile`` and passes each member as a ``ZipInfo`` (whose level the archive's default
    does not reach), so the level is set where the members are written. Idempotent."""
    import zipfile

    import xlsxwriter.workbook as xw

    if getattr(xw.ZipFile, "verteilung_level", None) == ZIP_LEVEL:
        return

    class LevelZip(zipfile.ZipFile):
        verteilung_level = ZIP_LEVEL

        def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                     compresslevel: int | None = None) -> None:
            level = ZIP_LEVEL if compresslevel is None else compresslevel
            super().writestr(zinfo_or_arcname, data, compress_type, level)

    xw.ZipFile = LevelZip


# A shared string XlsxWriter writes as it is: no control character, no XML special character or
# quote, no ``_`` (its ``_xHHHH_`` escapes), no non-character, no leading or trailing whitespace.
_SST_SPECIAL = re.compile(r'[\x00-\x1f"&<>_\ufffe\uffff]|^\s|\s$')
# the XlsxWriter versions whose ``SharedStrings._write_si`` was read against `_SST_SPECIAL` (review
# r56): another version keeps its own method (slower, never different)
SST_GEPRUEFT = ("3.3.1",)


def _fast_shared_strings() -> None:
    """Have XlsxWriter write each shared string that needs no escaping straight as
    ``<si><t>text</t></si>``, the bytes its ``_write_si`` writes for it after five regular
    expressions and a tag writer (a tenth of the workbook's time for its thousand distinct texts);
    every other string still goes through ``_write_si``. The original method stays reachable as
    ``.original`` (tests compare both). Idempotent. The patch is process-wide (every workbook
    XlsxWriter writes afterwards, a caller's own too), so only for the versions in `SST_GEPRUEFT`."""
    import xlsxwriter
    from xlsxwriter.sharedstrings import SharedStrings

    if xlsxwriter.__version__ not in SST_GEPRUEFT:
        return

    original = SharedStrings._write_sst_strings
    if getattr(original, "original", None) is not None:
        return

    def _write_sst_strings(self: Any) -> None:
        write, write_si, special = self.fh.write, self._write_si, _SST_SPECIAL.search
        for string in self.string_table.string_array:
            if type(string) is not str or special(string):
                write_si(string)
            else:
                write(f"<si><t>{string}</t></si>")

    _write_sst_strings.original = original  # type: ignore[attr-defined]
    SharedStrings._write_sst_strings = _write_sst_strings


def workbook_bytes(sheets: Mapping[str, pd.DataFrame], note: str | None = None,
                   writer: Callable[..., None] | None = None) -> bytes:
    """One workbook with a sheet per table; byte-identical for equal tables.

    Column identifiers become German headers (rename ambiguous ones with ``vocab.renamed`` first;
    two columns with one label are refused). ``note`` (the SYNTHETISCH marker) is written as the
    first row of EVERY sheet, above the header, so no sheet can be copied out without it.
    """
    import xlsxwriter

    _fast_zip()
    _fast_shared_strings()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": False,
                                   "remove_timezone": True})
    wb.set_properties({"created": FIXED_TIMESTAMP})
    styles: dict[str, Any] = {"header": wb.add_format({"bold": True, "bg_color": "#DDE5F0", "text_wrap": True}),
                              "note": wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"})}
    taken: set[str] = set()
    for title, df in sheets.items():
        name = sheet_name(title, taken)
        taken.add(name)
        (writer or write_sheet)(wb, name, df, styles, note)
    wb.close()
    return buf.getvalue()
