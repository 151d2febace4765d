"""A workbook's content as a person sees it, in a canonical form a golden file can hold.

The workbook has no golden bytes (the ZIP container and XlsxWriter's XML may change without any
cell changing), so `inhalt` reads it back with openpyxl: sheet names in order, column widths,
frozen panes, autofilter, the first rows (SYNTHETISCH note and German headers) in clear, and per
sheet the SHA-256 of every cell's coordinate, type, value, number format, font, fill and wrapping.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

KLAR = 3  # rows per sheet held in clear in the golden file (note, header, first data row)


def _farbe(color: Any) -> str | None:
    """A colour as its ARGB text, a theme or indexed colour by its number."""
    if color is None:
        return None
    if isinstance(color.rgb, str):
        return color.rgb
    return f"{color.type}:{color.theme if color.type == 'theme' else color.indexed}"


def _zelle(c: Any) -> list:
    v = c.value
    value = repr(v) if isinstance(v, float) else v.isoformat() if hasattr(v, "isoformat") else v
    return [c.coordinate, c.data_type, value, c.number_format, bool(c.font.b), _farbe(c.font.color),
            c.fill.patternType, _farbe(c.fill.fgColor), bool(c.alignment.wrap_text)]


def inhalt(path: Path) -> dict:
    """Everything of the workbook a reader sees, in sheet order; the cells of each sheet as a digest."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        rows = [[_zelle(c) for c in row if c.value is not None or c.has_style] for row in ws.iter_rows()]
        digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()
        sheets.append({"blatt": ws.title, "bereich": ws.dimensions, "fixiert": ws.freeze_panes,
                       "autofilter": ws.auto_filter.ref,
                       "breiten": {k: d.width for k, d in sorted(ws.column_dimensions.items())},
                       "erste_zeilen": rows[:KLAR], "zellen": len([c for r in rows for c in r]),
                       "zellen_sha256": digest})
    return {"erstellt": wb.properties.created.isoformat() if wb.properties.created else None, "blaetter": sheets}


def inhalt_bytes(path: Path) -> bytes:
    """`inhalt` as indented JSON with one cell per line (a changed cell shows as one changed line)."""
    data = inhalt(path)
    cells: list[str] = []
    for sheet in data["blaetter"]:
        for row in sheet["erste_zeilen"]:
            for i, cell in enumerate(row):
                cells.append(json.dumps(cell, ensure_ascii=False))
                row[i] = f"@zelle{len(cells) - 1}@"
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = re.sub(r'"@zelle(\d+)@"', lambda m: cells[int(m.group(1))], text)
    return (text + "\n").encode("utf-8")
