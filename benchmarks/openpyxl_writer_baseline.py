"""BASELINE ONLY (benchmarks/bench_cli.py): the previous XLSX writer, with openpyxl.

This is verteilung/report/xlsx.py as it was before the switch to XlsxWriter, kept verbatim so the
benchmark can time the same `compare` with the old writer in the same run. Not used by the tool.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

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


def write_sheet(wb: Workbook, title: str, df: pd.DataFrame) -> None:
    ws = wb.create_sheet(title=title[:31])
    cols = list(df.columns)
    ws.append([header(c) for c in cols])
    for row in df.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and v != v) else (v.item() if hasattr(v, "item") else v)
                   for v in row])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE5F0")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    for j, col in enumerate(cols, start=1):
        fmt = _number_format(col)
        if col.startswith("quote_p") or col.startswith("last_index") or col.startswith("last_je") or \
                col.startswith("aenderung_je"):
            fmt = "#,##0.00"
        if fmt:
            for cell in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell[0].number_format = fmt
        width = max([len(str(header(col)))] + [len(f"{v:,.2f}" if isinstance(v, float) else str(v))
                                                for v in df[col].head(500)]) + 2
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width))
    ws.freeze_panes = "A2"
    if len(df):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(df) + 1}"


def workbook_bytes(sheets: Mapping[str, pd.DataFrame], note: str | None = None) -> bytes:
    """The old writer; ``note`` (the SYNTHETISCH row of today's writer) is accepted and ignored."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        write_sheet(wb, title, df)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
