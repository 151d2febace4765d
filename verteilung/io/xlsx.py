"""Workbooks for officers: German headers, number formats, frozen header row, autofilter.

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
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# Fixed document timestamp (created = modified): equal inputs give byte-identical workbooks.
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1, 0, 0, 0)


HEADERS = {
    "modell": "Modell", "system": "System", "ags": "AGS", "gemeinde": "Gemeinde", "kreis": "Kreis",
    "regierungsbezirk": "Regierungsbezirk", "gemeinde_typ": "Gemeindetyp", "verstaedterung": "Verstädterung",
    "einwohner": "Einwohner", "schluessel": "Schlüssel", "bestand": "Bestand", "anrechnung": "Anrechnung",
    "verrechnung": "Verrechnung", "soll": "Soll", "aufnahmeverpflichtung": "Aufnahmeverpflichtung",
    "erfuellungsquote": "Erfüllungsquote", "gezaehlt": "Gezählt", "quote": "Quote", "zuweisung": "Zuweisung",
    "last_nachher": "Gesamtlast", "last_je_1000": "Last je 1.000 EW", "last_index": "Lastindex (Land = 100)",
    "aenderung_je_1000": "Änderung je 1.000 EW", "aenderung_zuweisung": "Änderung Zuweisung",
    "gemeinden": "Gemeinden", "titel": "Titel", "systeme": "Systeme", "ueber_100": "über 100 %",
    "ueber_120": "über 120 %", "ueber_150": "über 150 %", "gini_last_je_einwohner": "Gini (Last je EW)",
    "vk_last_je_einwohner": "Variationskoeffizient", "konflikt_personen": "Konflikte (Personen)",
    "konflikt_gemeinden": "Konflikte (Gemeinden)", "zuweisungen": "Zuweisungen", "richtung": "Richtung",
    "quote_min": "Quote min", "quote_p10": "Quote P10", "quote_median": "Quote Median", "quote_p90": "Quote P90",
    "quote_max": "Quote max", "last_index_p10": "Lastindex P10", "last_index_p90": "Lastindex P90",
    "empfangende_gemeinden": "empfangende Gemeinden", "zugaenge": "Zugänge", "ohne_meldung": "ohne Meldung",
    "parameter": "Parameter", "wert": "Wert", "quelle": "Quelle",
}
PERCENT_COLUMNS = ("quote", "erfuellungsquote")
INTEGER_COLUMNS = ("einwohner", "bestand", "soll", "aufnahmeverpflichtung", "zuweisung", "gemeinden",
                   "zuweisungen", "ueber_", "konflikt_", "aenderung_zuweisung", "empfangende", "zugaenge")


def header(col: str) -> str:
    if col in HEADERS:
        return HEADERS[col]
    for prefix in ("quote_", "zuweisung_"):
        if col.startswith(prefix):
            return f"{HEADERS[prefix[:-1]]} {col[len(prefix):]}"
    return col


def _number_format(col: str) -> str | None:
    if (col.startswith(PERCENT_COLUMNS) and not col.startswith("quote_p")) or col in ("quote_min", "quote_max",
                                                                                    "quote_median"):
        return '0.00" %"'
    if any(col.startswith(p) for p in INTEGER_COLUMNS):
        return "#,##0"
    return None


def _column_format(col: str) -> str | None:
    if col.startswith(("quote_p", "last_index", "last_je", "aenderung_je")):
        return "#,##0.00"
    return _number_format(col)


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


def write_sheet(wb: Any, title: str, df: pd.DataFrame, header_fmt: Any, formats: dict[str, Any]) -> None:
    ws = wb.add_worksheet(title[:31])
    cols = [str(c) for c in df.columns]
    widths = [len(header(c)) for c in cols]
    for j, col in enumerate(cols):
        ws.write_string(0, j, header(col), header_fmt)
    fmts = []
    for col in cols:
        code = _column_format(col)
        if code and code not in formats:
            formats[code] = wb.add_format({"num_format": code})
        fmts.append(formats[code] if code else None)
    inf = math.inf
    for j in range(len(cols)):
        fmt = fmts[j]
        width = widths[j]
        write_number, write_string, write_boolean = ws.write_number, ws.write_string, ws.write_boolean
        for i, v in enumerate(df.iloc[:, j].tolist(), start=1):
            t = type(v)
            if t is not str and t is not int and t is not float and t is not bool:
                v = _cell_value(v)
                if v is None:
                    continue
                t = type(v)
            if t is str:
                write_string(i, j, v, fmt)  # text stays text: never a formula, URL or number
                text = v
            elif t is bool:
                write_boolean(i, j, v, fmt)
                text = "FALSCH" if not v else "WAHR"
            elif t is float:
                if v != v or v == inf or v == -inf:
                    continue
                write_number(i, j, v, fmt)
                text = f"{v:,.2f}"
            elif t is int:
                write_number(i, j, v, fmt)
                text = str(v)
            else:
                text = str(v)
                write_string(i, j, text, fmt)
            if i <= 500 and len(text) > width:
                width = len(text)
        widths[j] = width
    for j, width in enumerate(widths):
        ws.set_column(j, j, min(60, max(8, width + 2)))
    ws.freeze_panes(1, 0)
    if len(df) and cols:
        ws.autofilter(0, 0, len(df), len(cols) - 1)


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """One workbook with a sheet per table; byte-identical for equal tables."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": False})
    wb.set_properties({"created": FIXED_TIMESTAMP})
    header_fmt = wb.add_format({"bold": True, "bg_color": "#DDE5F0"})
    formats: dict[str, Any] = {}
    for title, df in sheets.items():
        write_sheet(wb, title, df, header_fmt, formats)
    wb.close()
    return buf.getvalue()
