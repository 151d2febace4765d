"""Read user tables (CSV or XLSX) strictly and collect every defect before refusing.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2,
so an officer can jump straight to the line named in the message.

What is checked before a single data row is read (docs/eingaben.md):

- the file's size against the limit of its kind (a table with one row per Gemeinde is small;
  a big file is refused at once instead of being parsed for minutes);
- the header, read as written: names match case-insensitively, with umlauts, spaces and
  hyphens normalised, and German spellings as aliases (``AGS``, ``Gemeindeschlüssel``,
  ``Bestand FlüAG``, ``Fläche (km²)`` …); a name given twice is refused (pandas would rename
  the second to ``x.1`` silently); an unknown name close to a known one (``wsa_bestnad``) is
  refused with "meinten Sie …?"; a column the command needs and the file lacks is refused.

Data rows are then read in chunks; the first chunk with a defect ends the reading, so a huge
file of unknown AGS is refused after its first rows. Numbers go through the one grammar of
``verteilung.data.zahlen``.

What a person sees is what is read:

- a CSV file is valid UTF-8 (with or without BOM) or else read as Windows-1252, the encoding of
  Excel's "CSV (Trennzeichen-getrennt)"; which one is recorded (:attr:`Table.kodierung`) and shown
  in ``data check`` and the Parameter sheet;
- an XLSX file is read from its *visible* sheet: hidden and very hidden sheets are never read.
  Several visible sheets: ``--blatt NAME`` (:data:`BLATT`), else the sheet named as in the
  template, else the one sheet whose first row has the required columns; otherwise refused,
  listing them;
- a 7-digit AGS (a template saved again by Excel, leading zero lost) gets its zero back and the
  number restored is reported in one line; other lengths are refused, never guessed.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from verteilung.data.zahlen import MAX_ZIFFERN, Schreibweise, Zahlfehler, parse_zahl, tausender
from verteilung.errors import MAX_LISTED, InputError, Problem

AGS_RE = re.compile(r"^\d{8}$")
FIRST_DATA_ROW = 2
CHUNK_ROWS = 10_000

MB = 1024 * 1024
MAX_BYTES_TABELLE = 50 * MB
"""Size limit of a table with one row per Gemeinde (stock, Gemeinde, constraints files).
All German Gemeinden (about 10,800) fit in about 1 MB."""
MAX_ROWS_TABELLE = 100_000
MAX_BYTES_HAUSHALTE = 500 * MB
"""Size limit of a household file (up to 10 million households at about 50 bytes a row)."""
MAX_SPALTEN = 500
"""Columns in a header: every input has a few dozen at most; a header of thousands is refused
before its names are compared (bounded time for a hostile file)."""
XLSX_ENTPACKT_FAKTOR = 4
"""An XLSX file may unpack to at most this many times its kind's size limit (a zip bomb, or a sheet
of a million empty cells, is refused before a single cell is parsed)."""

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | None

BLATT: ContextVar[str | None] = ContextVar("verteilung_blatt", default=None)
"""The sheet named by ``--blatt``: read from every XLSX input that has more than one visible sheet."""


@contextlib.contextmanager
def blatt(name: str | None) -> Iterator[None]:
    """Read XLSX inputs from the sheet ``name`` inside this block (the Python API's ``--blatt``)."""
    token = BLATT.set(name.strip() if name else None)
    try:
        yield
    finally:
        BLATT.reset(token)


# ---------------------------------------------------------------------------------- header


def normalise(name: str) -> str:
    """Header name as compared: NFKC, case-folded, umlauts spelled out, runs of other
    characters as one ``_`` (``Fläche (km²)`` → ``flaeche_km2``, ``Bestand FlüAG`` → ``bestand_flueag``)."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


@dataclass(frozen=True)
class Schema:
    """The columns one kind of input file knows: canonical name → aliases (as written in docs)."""

    name: str                                   # "Bestandsdatei", used in messages
    spalten: dict[str, tuple[str, ...]]
    verwechselbar: dict[str, str] = field(default_factory=dict)  # normalised name → canonical
    max_bytes: int = MAX_BYTES_TABELLE
    max_rows: int = MAX_ROWS_TABELLE
    blatt: str | None = None                    # the template's sheet name (data vorlage)

    def lookup(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for canon, aliases in self.spalten.items():
            for alias in (canon, *aliases):
                key = normalise(alias)
                if out.get(key, canon) != canon:
                    raise ValueError(f"alias {alias!r} of two columns in {self.name}")
                out[key] = canon
        return out


def _letter(i: int) -> str:
    """Spreadsheet column letter of a 0-based index (0 → A, 26 → AA)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _tolerance(name: str) -> int:
    return 1 if len(name) <= 5 else 2 if len(name) <= 12 else 3


def _suggest(key: str, schema: Schema, lookup: dict[str, str], present: set[str]) -> str | None:
    """The known column an unknown header most likely misspells (None if none is close)."""
    if key in schema.verwechselbar and schema.verwechselbar[key] not in present:
        return schema.verwechselbar[key]
    from rapidfuzz.distance import OSA  # only for an unknown header: not on every table read

    best: tuple[int, str] | None = None
    for alias, canon in lookup.items():
        if canon in present:
            continue
        d = OSA.distance(key, alias)
        if d <= _tolerance(alias) and (best is None or d < best[0]):
            best = (d, canon)
    return best[1] if best else None


# ---------------------------------------------------------------------------------- reading


def _check_file(path: Path, name: str, max_bytes: int) -> int:
    if not path.exists():
        raise InputError(Problem(name, "Datei nicht gefunden"))
    if path.is_dir():
        raise InputError(Problem(name, "ist ein Ordner, keine Datei"))
    size = path.stat().st_size
    if size == 0:
        raise InputError(Problem(name, "Datei ist leer"))
    if size > max_bytes:
        raise InputError(Problem(name, f"Datei ist {size / MB:,.0f} MB groß; erlaubt sind höchstens "
                                 f"{max_bytes // MB} MB für diese Art Datei (falsche Datei gewählt?)"
                                 .replace(",", ".")))
    return size


# The label line this tool writes above a table (SYNTHETISCH, NÄHERUNG; docs/ausgaben.md): its own
# Excel CSV and XLSX read back with the header in row 2.
MARKER_PREFIXES = ("SYNTHETISCH", "NÄHERUNG")


def _is_marker(first: str) -> bool:
    return first.lstrip('\ufeff"').startswith(MARKER_PREFIXES)


UTF8, UTF8_BOM, CP1252 = "UTF-8", "UTF-8 mit BOM", "Windows-1252"
_CODECS = {UTF8: "utf-8", UTF8_BOM: "utf-8-sig", CP1252: "cp1252"}


def _scan(path: Path, text_file: bool) -> tuple[str, str | None]:
    """SHA-256 of the file and, for a text file, its encoding, in one pass over its bytes.

    Valid UTF-8 (with or without BOM) is UTF-8; anything else is taken as Windows-1252, the
    encoding of Excel's "CSV (Trennzeichen-getrennt)" (checked when the rows are decoded)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if text_file else None
    utf8 = True
    bom = False
    with path.open("rb") as fh:
        first = True
        while block := fh.read(1 << 20):
            digest.update(block)
            if first:
                bom = block.startswith(codecs.BOM_UTF8)
                first = False
            if decoder is not None and utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if decoder is not None and utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    kodierung = None if not text_file else (UTF8_BOM if bom and utf8 else UTF8 if utf8 else CP1252)
    return digest.hexdigest(), kodierung


def _csv_rows(path: Path, name: str, kodierung: str
              ) -> tuple[list[str], Iterator[tuple[int, list[Cell]]], Schreibweise]:
    fh = path.open("r", encoding=_CODECS[kodierung], newline="")
    nr = 1
    try:
        first = fh.readline()
        if _is_marker(first):
            first, nr = fh.readline(), 2
    except UnicodeDecodeError as exc:
        fh.close()
        raise InputError(Problem(name, f"weder UTF-8 noch Windows-1252 (Byte 0x{exc.object[exc.start]:02x} "
                                 "in Zeile 1); bitte als „CSV UTF-8“ speichern")) from exc
    if not first.strip():
        fh.close()
        raise InputError(Problem(name, "Datei ist leer (keine Kopfzeile in Zeile 1)"))
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(itertools.chain([first], fh), delimiter=sep, quotechar='"', strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        fh.close()
        raise InputError(Problem(name, f"beschädigte CSV-Datei in Zeile 1: {exc}")) from exc

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        nonlocal nr
        with fh:
            try:
                for record in reader:
                    nr += 1
                    if any(record):
                        cells = list(map(str.strip, record))
                        if any(cells):          # empty rows (also ";;;") are skipped
                            yield nr, cells
            except UnicodeDecodeError as exc:
                raise InputError(Problem(name, f"weder UTF-8 noch Windows-1252 (Byte "
                                         f"0x{exc.object[exc.start]:02x} nach Zeile {nr}); bitte als "
                                         "„CSV UTF-8“ speichern")) from exc
            except csv.Error as exc:
                raise InputError(Problem(name, f"beschädigte CSV-Datei (abgeschnitten oder "
                                         f"beschädigt?): {exc}", nr + 1)) from exc

    return header, rows(), ("de" if sep == ";" else "offen")


def _xlsx_value(v: object) -> Cell:
    if v is None:
        return ""
    if isinstance(v, str):
        return v.strip()
    return v  # type: ignore[return-value]


def pruefe_xlsx(path: Path, name: str, max_entpackt: int, max_zeilen: int | None = None) -> None:
    """Refuse an XLSX file before parsing it when it unpacks to more than ``max_entpackt`` bytes or a
    sheet declares more than :data:`MAX_SPALTEN` columns (or ``max_zeilen`` rows) in its dimension:
    reading time and memory stay bounded by the file's kind, not by what the file claims."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if len(infos) > 10_000 or total > max_entpackt:
                raise InputError(Problem(name, f"XLSX-Datei entpackt {total / MB:,.1f} MB groß; erlaubt sind "
                                         f"höchstens {max_entpackt / MB:,.1f} MB für diese Art Datei (zu viele "
                                         "Zeilen oder Spalten? Nur die Tabelle mit den Daten speichern)"
                                         .replace(",", "X").replace(".", ",").replace("X", ".")))
            for info in infos:
                if not info.filename.startswith("xl/worksheets/") or not info.filename.endswith(".xml"):
                    continue
                with z.open(info) as fh:
                    head = fh.read(4096).decode("utf-8", "replace")
                m = re.search(r'<(?:\w+:)?dimension ref="[A-Z]+([0-9]+)(?::([A-Z]+)([0-9]+))?"', head)
                if m and m.group(2):
                    cols = _column_number(m.group(2))
                    rows = int(m.group(3))
                    if cols > MAX_SPALTEN:
                        raise InputError(Problem(name, f"ein Blatt hat {tausender(cols)} Spalten; erlaubt sind "
                                                 f"höchstens {tausender(MAX_SPALTEN)}"))
                    if max_zeilen is not None and rows > max_zeilen + 1:
                        raise InputError(Problem(name, f"ein Blatt hat {tausender(rows)} Zeilen; erlaubt sind "
                                                 f"höchstens {tausender(max_zeilen + 1)}"))
    except zipfile.BadZipFile as exc:
        raise InputError(Problem(name, "kann nicht als XLSX gelesen werden (keine gültige XLSX-Datei)")) from exc


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _header_of(ws: object) -> list[str]:
    """A sheet's header (row 1, or row 2 below the tool's own label line)."""
    for first in ws.iter_rows(max_row=2, values_only=True):  # type: ignore[attr-defined]
        if first and isinstance(first[0], str) and _is_marker(first[0]) and not any(first[1:]):
            continue
        return ["" if v is None else str(v).strip() for v in first]
    return []


def _sheet(wb: object, name: str, schema: Schema, required: list[str]) -> object:
    """The sheet a person means: never a hidden one (module docstring)."""
    sheets = list(wb.worksheets)  # type: ignore[attr-defined]
    visible = [ws for ws in sheets if getattr(ws, "sheet_state", "visible") == "visible"]
    names = ", ".join(f"„{ws.title}“" for ws in visible)
    wanted = BLATT.get()
    if wanted is not None:
        for ws in sheets:
            if ws.title == wanted or normalise(ws.title) == normalise(wanted):
                if ws in visible:
                    return ws
                raise InputError(Problem(name, f"das Blatt „{ws.title}“ ist ausgeblendet; ausgeblendete "
                                         f"Blätter werden nicht gelesen (sichtbar: {names or 'keins'})"))
        if len(visible) == 1:
            return visible[0]  # --blatt chooses among several; a one-sheet file has nothing to choose
        raise InputError(Problem(name, f"kein Blatt „{wanted}“ (--blatt); sichtbare Blätter: {names}"))
    if not visible:
        raise InputError(Problem(name, "alle Blätter sind ausgeblendet; bitte das Blatt mit den Daten "
                                 "einblenden"))
    if len(visible) == 1:
        return visible[0]
    if schema.blatt is not None:
        named = [ws for ws in visible if normalise(ws.title) == normalise(schema.blatt)]
        if len(named) == 1:
            return named[0]
    lookup = schema.lookup()
    need = set(required) or {"ags"}
    fitting = [ws for ws in visible
               if need <= {lookup.get(normalise(h), "") for h in _header_of(ws)}]
    if len(fitting) == 1:
        return fitting[0]
    raise InputError(Problem(name, f"{len(visible)} sichtbare Blätter ({names}), "
                             f"{'keins' if not fitting else 'mehrere'} mit den Spalten der {schema.name}; "
                             "bitte das Blatt mit --blatt NAME wählen"))


def _xlsx_rows(path: Path, name: str, schema: Schema, required: list[str]
               ) -> tuple[list[str], Iterator[tuple[int, list[Cell]]], Schreibweise, str]:
    import openpyxl

    pruefe_xlsx(path, name, XLSX_ENTPACKT_FAKTOR * schema.max_bytes, schema.max_rows)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InputError(Problem(name, f"kann nicht als XLSX gelesen werden ({exc.__class__.__name__})"
                                 )) from exc
    try:
        ws = _sheet(wb, name, schema, required)
        it = ws.iter_rows(values_only=True)  # type: ignore[attr-defined]
        first = next(it, None)
    except InputError:
        wb.close()
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files
        wb.close()
        raise InputError(Problem(name, f"kann nicht als XLSX gelesen werden ({exc.__class__.__name__})"
                                 )) from exc
    start = 2
    if first is not None and isinstance(first[0], str) and _is_marker(first[0]) and not any(first[1:]):
        first, start = next(it, None), 3
    if first is None:
        wb.close()
        raise InputError(Problem(name, "Datei ist leer (keine Kopfzeile in Zeile 1)"))
    header = ["" if v is None else str(v).strip() for v in first]
    sheet_name = str(ws.title)  # type: ignore[attr-defined]

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for nr, values in enumerate(it, start=start):
                yield nr, [_xlsx_value(v) for v in values]
        except InputError:
            raise
        except Exception as exc:
            raise InputError(Problem(name, f"kann nicht als XLSX gelesen werden ({exc.__class__.__name__})"
                                     )) from exc
        finally:
            wb.close()

    return header, rows(), "offen", sheet_name


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and cell == "")


def text(cell: Cell) -> str:
    """A cell as text: identifiers (AGS, household id) and names. A numeric XLSX cell 5111000
    gives ``"5111000"`` (so a lost leading zero is seen, not hidden)."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "WAHR" if cell else "FALSCH"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date | dt.time):
        return cell.isoformat()
    return str(cell)


@dataclass(slots=True)
class Row:
    nr: int
    cells: list[Cell]


class Table:
    """An opened input table: its header checked, its rows read lazily in chunks."""

    def __init__(self, path: str | Path, schema: Schema, required: Iterable[str] = (),
                 max_bytes: int | None = None):
        self.path = Path(path)
        self.file = str(path)
        self.schema = schema
        _check_file(self.path, self.file, max_bytes or schema.max_bytes)
        self.xlsx = self.path.suffix.lower() in (".xlsx", ".xlsm")
        self.sha256, kodierung = _scan(self.path, text_file=not self.xlsx)
        self.blatt: str | None = None
        if self.xlsx:
            header, rows, self.schreibweise, self.blatt = _xlsx_rows(self.path, self.file, schema,
                                                                     list(required))
            self.kodierung = f"XLSX, Blatt „{self.blatt}“"
        else:
            assert kodierung is not None
            header, rows, self.schreibweise = _csv_rows(self.path, self.file, kodierung)
            self.kodierung = kodierung
        self.ags_ergaenzt = 0                   # 7-digit AGS given their leading zero back
        self._rows = rows
        self.header = header
        self.index: dict[str, int] = {}        # canonical name → column position
        self.extras: dict[str, int] = {}       # unknown header (as written) → column position
        self.width = len(header)
        self._check_header(list(required))
        self.finished = False
        self.rows_read = 0
        self.last_row = 1

    def _check_header(self, required: list[str]) -> None:
        while self.width and not self.header[self.width - 1]:
            self.width -= 1                     # trailing empty header cells (";;" at the end)
        if self.width > MAX_SPALTEN:
            self.close()
            raise InputError(Problem(self.file, f"die Kopfzeile hat {tausender(self.width)} Spalten; erlaubt sind "
                                     f"höchstens {tausender(MAX_SPALTEN)} (falsche Datei gewählt?)", 1))
        header = self.header[: self.width]
        lookup = self.schema.lookup()
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        unknown: list[tuple[int, str]] = []
        for i, h in enumerate(header):
            key = normalise(h)
            if not key:
                problems.append(Problem(self.file, f"Spalte {_letter(i)} hat keine Überschrift", 1))
                continue
            name = lookup.get(key, key)
            if name in seen:
                first = seen[name]
                problems.append(Problem(self.file, f"die Spalte „{ueberschrift(self.schema, name)}“ steht doppelt "
                                        "in der Kopfzeile "
                                        f"(Spalten {_letter(first)} „{header[first]}“ und {_letter(i)} "
                                        f"„{h}“); bitte eine davon löschen", 1))
                continue
            seen[name] = i
            if key in lookup:
                self.index[name] = i
            else:
                unknown.append((i, h))
        present = set(self.index)
        for i, h in unknown:
            guess = _suggest(normalise(h), self.schema, lookup, present)
            if guess:
                problems.append(Problem(self.file, f"unbekannte Spalte „{h}“ (Spalte {_letter(i)}) – "
                                        f"meinten Sie „{guess}“? Bitte die Überschrift korrigieren", 1))
            else:
                self.extras[h] = i
        missing = [c for c in required if c not in self.index]
        if missing:
            problems.append(Problem(self.file, f"Pflichtspalte(n) fehlen in der {self.schema.name}: "
                                    f"{', '.join(self._fehlend(c) for c in missing)} "
                                    f"(gefunden: {', '.join(h for h in header if h)})",
                                    1))
        if problems:
            self.close()
            raise InputError(problems)

    def close(self) -> None:
        close = getattr(self._rows, "close", None)
        if close:
            close()

    def has(self, column: str) -> bool:
        return column in self.index

    def rows(self) -> Iterator[Row]:
        """Data rows with exactly the header's width; empty rows are skipped."""
        width, xlsx = self.width, self.xlsx
        for nr, cells in self._rows:
            if xlsx and all(_blank(c) for c in cells):
                continue
            if len(cells) == width:
                pass
            elif len(cells) > width:
                if any(not _blank(c) for c in cells[self.width:]):
                    hint = (" (ein Komma in einer Zahl ohne Anführungszeichen? Zahlen ohne "
                            "Tausendertrennzeichen schreiben)" if self.schreibweise == "offen"
                            and not self.xlsx else "")
                    raise InputError(Problem(self.file, f"die Zeile hat {len(cells)} Felder, die Kopfzeile "
                                             f"nur {self.width}: Wert in Spalte {_letter(self.width)} ohne "
                                             f"Überschrift{hint}", nr))
                cells = cells[: self.width]
            elif len(cells) < self.width:
                if not self.xlsx:
                    raise InputError(Problem(self.file, f"die Zeile hat {len(cells)} Felder, die Kopfzeile "
                                             f"{self.width} (Feld gelöscht oder Zeile abgeschnitten?)", nr))
                cells = cells + [""] * (self.width - len(cells))
            self.rows_read += 1
            self.last_row = nr
            if self.rows_read > self.schema.max_rows:
                raise InputError(Problem(self.file, f"mehr als {tausender(self.schema.max_rows)} Datenzeilen; "
                                         f"so viele hat keine {self.schema.name} (falsche Datei gewählt?)", nr))
            yield Row(nr, cells)
        self.finished = True

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
        it = self.rows()
        while True:
            chunk = list(itertools.islice(it, size))
            if not chunk:
                return
            yield chunk

    def spalte(self, column: str) -> str:
        """A column as the person sees it, in German quotes: its heading in this file, else the
        heading the template writes (``flueag_bestand`` → „Bestand FlüAG“), never the identifier."""
        i = self.index.get(column)
        if i is not None and i < len(self.header) and self.header[i]:
            return f"„{self.header[i]}“"
        return f"„{ueberschrift(self.schema, column)}“"

    def _fehlend(self, column: str) -> str:
        """A missing column by both headings the reader accepts: the template's German one and the
        identifier (a file with machine headings such as ``wsa_bestand`` needs the latter)."""
        shown = self.spalte(column)
        return shown if shown == f"„{column}“" else f"{shown} (oder {column})"

    def cell(self, row: Row, column: str) -> Cell:
        return row.cells[self.index[column]] if column in self.index else ""

    def ref(self, row: Row, column: str) -> str:
        """The cell's address as a spreadsheet shows it (``B2``), for messages."""
        return f"{_letter(self.index[column])}{row.nr}" if column in self.index else f"Zeile {row.nr}"

    def eingabe(self, art: str) -> dict:
        """What the outputs say about this input file: path, SHA-256, encoding, data rows and how
        many AGS got their leading zero back (the Parameter sheet, ``data check``)."""
        out = {"art": art, "datei": self.file, "sha256": self.sha256, "kodierung": self.kodierung,
               "zeilen": self.rows_read}
        if self.ags_ergaenzt:
            out["ags_ergaenzt"] = self.ags_ergaenzt
        return out

    def ags_hinweis(self) -> str | None:
        """One line on restored leading zeros, or None."""
        if not self.ags_ergaenzt:
            return None
        n = self.ags_ergaenzt
        return (f"{self.file}: {tausender(n)} AGS mit 7 Ziffern um die führende 0 ergänzt (von Excel als Zahl "
                f"gespeichert; z. B. 5111000 → 05111000)" if n > 1 else
                f"{self.file}: 1 AGS mit 7 Ziffern um die führende 0 ergänzt (von Excel als Zahl gespeichert)")


class Checker:
    """Collects the problems of one file; numbers through the one grammar."""

    def __init__(self, table: Table):
        self.table = table
        self.file = table.file
        self.problems: list[Problem] = []

    def add(self, reason: str, row: int | None = None, ags: str | None = None) -> None:
        self.problems.append(Problem(self.file, reason, row, ags or None))

    def number(self, row: Row, column: str, *, ags: str | None, ganz: bool, leer_ok: bool = False,
               max_wert: float | None = None, max_grund: str = "", positiv: bool = False
               ) -> int | float | None:
        cell = self.table.cell(row, column)
        if type(cell) is str and cell.isdigit() and cell.isascii() and len(cell) <= MAX_ZIFFERN:
            n = int(cell)                       # plain digits: the grammar's common case, inlined
            if ganz and (max_wert is None or n <= max_wert) and (n or not positiv):
                return n
        if _blank(cell):
            if not leer_ok:
                self.add(f"{self.table.spalte(column)} ist leer", row.nr, ags)
            return None
        try:
            return parse_zahl(cell, ganz=ganz, schreibweise=self.table.schreibweise, max_wert=max_wert,
                              max_grund=max_grund, positiv=positiv)
        except Zahlfehler as exc:
            hint = ""
            if exc.nicht_ganz:  # a formula's result: say where and how to make it whole
                where = self.table.ref(row, column)
                hint = (f" (Zelle {where}); bitte in der Tabellenkalkulation auf ganze Zahlen runden, z. B. "
                        f"mit =RUNDEN({where};0), und die Werte (nicht die Formel) speichern")
            self.add(f"{self.table.spalte(column)}: {exc}{hint}", row.nr, ags)
            return None

    def flag(self, row: Row, column: str, ags: str | None) -> bool:
        """0/1, ja/nein, wahr/falsch (or an XLSX boolean); blank counts as not flagged."""
        cell = self.table.cell(row, column)
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, int | float) and cell in (0, 1):
            return bool(cell)
        low = text(cell).strip().lower()
        if low in {"1", "ja", "j", "true", "wahr", "yes", "x"}:
            return True
        if low in {"0", "nein", "n", "false", "falsch", "no", ""}:
            return False
        self.add(f"{self.table.spalte(column)} muss 0/1 (oder ja/nein) sein, nicht „{text(cell)}“", row.nr, ags)
        return False

    def stop_if_wrong(self) -> None:
        """After a chunk: refuse if anything is wrong (later rows are not read)."""
        if self.problems:
            if not self.table.finished:
                self.table.close()
                self.problems.insert(0, Problem(self.file, f"{tausender(len(self.problems))} Fehler in den "
                                                f"ersten {tausender(self.table.rows_read)} Datenzeilen; Prüfung "
                                                f"nach Zeile {self.table.last_row} angehalten, weitere Zeilen "
                                                "nicht gelesen"))
            raise InputError(self.problems)


class AgsCheck:
    """Malformed, duplicate and unknown AGS, one problem per offending row."""

    def __init__(self, checker: Checker, known: set[str] | None, what: str = "in der Gemeindetabelle"):
        self.checker = checker
        self.known = known
        self.what = what
        self.seen: dict[str, int] = {}

    def lesen(self, cell: Cell) -> str:
        """The AGS of a cell; a 7-digit one (Excel dropped the leading zero of ``05…``) gets its zero
        back and is counted (:meth:`Table.ags_hinweis`). Other lengths are left for the check."""
        ags = text(cell).strip()
        if len(ags) == 7 and ags.isascii() and ags.isdigit():
            self.checker.table.ags_ergaenzt += 1
            return "0" + ags
        return ags

    def __call__(self, ags: str, nr: int, column: str = "ags", unique: bool = True) -> bool:
        if not AGS_RE.match(ags):
            self.checker.add(f"{self.checker.table.spalte(column)}: „{ags}“ ist kein gültiger AGS "
                             "(erwartet: 8 Ziffern)", nr,
                             ags or None)
            return False
        if unique:
            if ags in self.seen:
                self.checker.add(f"AGS doppelt (zuerst in Zeile {self.seen[ags]})", nr, ags)
                return False
            self.seen[ags] = nr
        if self.known is not None and ags not in self.known:
            self.checker.add(f"{self.checker.table.spalte(column)}: AGS nicht {self.what}", nr, ags)
            return False
        return True


def ueberschrift(schema: Schema, column: str) -> str:
    """The heading ``data vorlage`` writes for COLUMN (the German label), or the column's first
    alias where no template has it; the identifier only for a column the reader does not know."""
    from verteilung.data.vorlage import header_for  # the template module imports this one
    from verteilung.vocab import label

    try:
        return label(header_for(schema, column))
    except AssertionError:
        aliases = schema.spalten.get(column, ())
        return aliases[0] if aliases else column


def missing_summary(missing: list[str], names: dict[str, str], total: int, what: str) -> str:
    """One line for Gemeinden absent from a file: count, then the first 20 by name and AGS."""
    shown = ", ".join(f"{names.get(a, a)} ({a})" for a in missing[:MAX_LISTED])
    verb = "fehlt" if len(missing) == 1 else "fehlen"
    first = f"erste {MAX_LISTED}: " if len(missing) > MAX_LISTED else ""
    return f"{tausender(len(missing))} der {tausender(total)} Gemeinden {verb} in der {what}: {first}{shown}"


def eingaben_info(*frames: object) -> dict:
    """The input files a result rests on (``eingaben``: path, SHA-256, encoding, rows) and the
    reader's notes on them (``eingabe_hinweise``: restored leading zeros), from the tables' attrs."""
    attrs = [getattr(f, "attrs", {}) for f in frames if f is not None]
    records = [a["eingabe"] for a in attrs if a.get("eingabe")]
    notes = [a["ags_hinweis"] for a in attrs if a.get("ags_hinweis")]
    out: dict = {}
    if records:
        out["eingaben"] = records
    if notes:
        out["eingabe_hinweise"] = notes
    return out
