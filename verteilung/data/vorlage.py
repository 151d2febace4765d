"""Templates an officer fills in: stock, household and constraint files (``verteilung data vorlage``).

Each template has exactly the headers its reader accepts (checked against the reader's schema, not
copied), is written by the project's own XLSX and German-Excel-CSV writers, and is read back by
``--bestand`` / ``--haushalte`` / ``--beschraenkungen`` once the numbers are filled in:

- ``bestand``: every Gemeinde of the table (396 for NRW) with AGS and name, the stock and credit
  columns empty. An empty stock cell is refused until filled, so a forgotten row cannot count as 0.
- ``haushalte``: three example households (free, one person, one with a fixed Gemeinde) to be
  replaced; the XLSX has a second sheet ``Gemeinden`` with every AGS for ``ags_fest``.
- ``beschraenkungen``: every Gemeinde with empty limits and ``gesperrt`` = nein: as it stands no
  constraint at all; fill only the cells that apply.

A template never replaces an existing file (it may already hold the officer's numbers); writing the
same template again over an unchanged one is allowed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from verteilung.data.bestand import SCHEMA as BESTAND
from verteilung.data.tables import Schema, normalise
from verteilung.data.zugaenge import BESCHRAENKUNGEN, HAUSHALTE
from verteilung.errors import InputError, Problem
from verteilung.vocab import label

ARTEN = ("bestand", "haushalte", "beschraenkungen")
FORMATE = (".xlsx", ".csv")

# canonical columns of each template, in the order an officer fills them
SPALTEN = {
    "bestand": ("ags", "gemeinde", "flueag_bestand", "anrechnung_plaetze", "anrechnung_plaetze_eae", "wsa_bestand"),
    "haushalte": ("haushalt_id", "personen", "ags_fest"),
    "beschraenkungen": ("ags", "gemeinde", "max_zuweisung", "min_zuweisung", "gesperrt"),
}
SCHEMAS: dict[str, Schema] = {"bestand": BESTAND, "haushalte": HAUSHALTE, "beschraenkungen": BESCHRAENKUNGEN}
BLATT = {art: str(schema.blatt) for art, schema in SCHEMAS.items()}  # the reader prefers these sheets


def header_for(schema: Schema, canon: str) -> str:
    """The column name to hand the writer so that the header it writes reads back as ``canon``:
    the project's German label where the reader knows it, else the first German alias longer than
    an abbreviation."""
    lookup = schema.lookup()
    aliases = [a for a in schema.spalten.get(canon, ()) if len(a) > 3]  # "Höchstzahl" rather than "max"
    for candidate in (canon, *aliases):
        shown = label(candidate)  # the header both writers put over this column name
        if shown != canon and lookup.get(normalise(shown)) == canon:  # a German header, not the identifier
            return candidate
    if canon in lookup.values():
        return canon
    raise AssertionError(f"{schema.name}: no header reads back as {canon}")  # a test covers every template


def template(art: str, gemeinden: pd.DataFrame, suffix: str) -> dict[str, pd.DataFrame]:
    """The template's sheets (the first is the one the reader reads), columns already named so
    that the written headers are the accepted ones."""
    if art not in ARTEN:
        raise InputError(Problem("Vorlage", f"unbekannte Art „{art}“; erlaubt: {', '.join(ARTEN)}"))
    g = gemeinden.sort_values("ags", kind="stable")
    n = len(g)
    empty = pd.array([pd.NA] * n, dtype="Int64")
    if art == "bestand":
        data = {"ags": g["ags"].tolist(), "gemeinde": g["gemeinde"].tolist(),
                **{c: empty for c in SPALTEN[art][2:]}}
    elif art == "beschraenkungen":
        data = {"ags": g["ags"].tolist(), "gemeinde": g["gemeinde"].tolist(), "max_zuweisung": empty,
                "min_zuweisung": empty, "gesperrt": [False] * n}
    else:
        first = g.iloc[0]
        data = {"haushalt_id": ["Beispiel-1", "Beispiel-2", "Beispiel-3"], "personen": [4, 1, 2],
                "ags_fest": [None, None, str(first["ags"])]}
    schema = SCHEMAS[art]
    main = pd.DataFrame(data).rename(columns={c: header_for(schema, c) for c in SPALTEN[art]})
    sheets = {BLATT[art]: main}
    if art == "haushalte" and suffix == ".xlsx":
        sheets["Gemeinden"] = g[["ags", "gemeinde"]].reset_index(drop=True)
    return sheets


def template_bytes(art: str, gemeinden: pd.DataFrame, out: Path) -> bytes:
    """The template file for ``out`` by its extension: ``.xlsx`` or the German Excel ``.csv``."""
    suffix = out.suffix.lower()
    if suffix not in FORMATE:
        raise InputError(Problem("--out", f"{out}: erwartet eine Datei mit Endung .xlsx oder .csv"))
    sheets = template(art, gemeinden, suffix)
    if suffix == ".xlsx":
        from verteilung.io.xlsx import workbook_bytes

        return workbook_bytes(sheets)
    from verteilung.io.deutsch import excel_csv_bytes

    return excel_csv_bytes(next(iter(sheets.values())))


def write_template(art: str, out: str | Path, gemeinden: pd.DataFrame) -> str:
    """Write the template atomically; refuses to replace a file with other content. Returns
    "geschrieben" or "unverändert" (the same template was there already)."""
    from verteilung.io import atomic_write_bytes, check_out_file

    path = check_out_file(out)
    data = template_bytes(art, gemeinden, path)
    if path.exists():
        if path.is_file() and path.read_bytes() == data:
            return "unverändert"
        raise InputError(Problem("--out", f"{path} existiert bereits und wird nicht überschrieben (vielleicht "
                                 "stehen dort schon Zahlen); anderen Namen wählen oder die Datei erst löschen"))
    atomic_write_bytes(path, data)
    return "geschrieben"
