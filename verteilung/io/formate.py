"""The output-format registry: file suffix → writer, for single ``--out`` files and folders alike.

A `Tabelle` is what a command has to write: the machine table (identifiers, today's columns),
the table as a person reads it (German headers, glossary columns; built by the report layer),
the summary and the further workbook sheets. Each `Format` turns it into bytes twice:
``person`` for a single file a person opens (``--out F.csv`` is the German Excel CSV) and
``maschine`` for a member of a results folder (``gemeinden.csv`` keeps identifiers). A further
format is one `register(...)` (recipe "Ein neues Ausgabeformat" in docs/architecture.md).

Folder writers (`schreibe_ordner`) stage every member through the same registry in one
`atomic_dir`, so no command writes a folder member by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verteilung.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Tabelle:
    """One table to write: ``df`` for machines, ``person`` for people (defaults to ``df``),
    ``summary`` (the result's metadata), ``blaetter`` (the whole workbook, when the caller built
    one: table, further sheets, Parameter) and ``hinweis`` (the SYNTHETISCH and NÄHERUNG line, or None)."""

    df: pd.DataFrame
    person: pd.DataFrame | None = None
    summary: dict = field(default_factory=dict)
    titel: str = ""
    blaetter: Mapping[str, pd.DataFrame] | None = None
    hinweis: str | None = None

    @property
    def fuer_personen(self) -> pd.DataFrame:
        return self.df if self.person is None else self.person


Writer = Callable[[Tabelle], bytes]


@dataclass(frozen=True)
class Format:
    suffix: str                       # ".csv"
    beschreibung: str                 # German, for help texts and refusals
    person: Writer
    maschine: Writer | None = None    # folder member; None: the same bytes as ``person``

    def bytes_fuer(self, tabelle: Tabelle, ordner: bool = False) -> bytes:
        writer = self.maschine if ordner and self.maschine is not None else self.person
        return writer(tabelle)


FORMATE: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add (or replace) the writer of one suffix: the one place a format is named."""
    FORMATE[fmt.suffix.lower()] = fmt
    return fmt


def suffixes() -> tuple[str, ...]:
    return tuple(FORMATE)


def get(path: str | Path, option: str = "--out") -> Format:
    """The format a file name asks for; an unknown suffix is refused (exit 2) before anything is written."""
    suffix = Path(path).suffix.lower()
    fmt = FORMATE.get(suffix)
    if fmt is None:
        raise InputError(Problem(option, f"unbekannte Dateiendung „{Path(path).suffix or '(keine)'}“; erlaubt: "
                                 f"{', '.join(FORMATE)} (oder --format csv|json)"))
    return fmt


def schreibe_datei(path: str | Path, tabelle: Tabelle, option: str = "--out") -> None:
    """A single file for people, its format chosen by the suffix; atomic."""
    from verteilung.io import atomic_write_bytes, check_out_file

    check_out_file(path, option)  # a folder or a path below a file is refused before the name is judged
    data = get(path, option).bytes_fuer(tabelle)
    atomic_write_bytes(path, data, option)


def schreibe_ordner(out: str | Path, dateien: Mapping[str, Tabelle | bytes], option: str = "--out") -> Path:
    """A results folder: each member by its suffix through the registry (machine form), or given
    bytes (charts, HTML, a JSON payload); staged and moved into place by `io.atomic_dir`."""
    from verteilung.io import atomic_dir

    out = Path(out)
    staged = {name: data if isinstance(data, bytes) else get(name, option).bytes_fuer(data, ordner=True)
              for name, data in dateien.items()}
    with atomic_dir(out, option) as tmp:
        for name, data in staged.items():
            (tmp / name).write_bytes(data)
    return out


# ------------------------------------------------------------------ the shipped formats

def _csv_person(t: Tabelle) -> bytes:
    from verteilung.io.deutsch import excel_csv_bytes

    return excel_csv_bytes(t.fuer_personen, note=t.hinweis)


def _csv_maschine(t: Tabelle) -> bytes:
    from verteilung.io import to_csv_bytes

    return to_csv_bytes(t.df)


def _json(t: Tabelle) -> bytes:
    from verteilung.io import records, to_json_bytes

    return to_json_bytes({"summary": t.summary, "rows": records(t.df)})


def _xlsx(t: Tabelle) -> bytes:
    from verteilung.io.xlsx import workbook_bytes

    book = dict(t.blaetter) if t.blaetter is not None else {t.titel or "Tabelle": t.fuer_personen}
    return workbook_bytes(book, note=t.hinweis)


def _parquet(t: Tabelle) -> bytes:
    from verteilung.io import parquet_bytes

    plain = t.df.copy()  # the caller marks machine rows (darstellung.with_marker)
    plain.attrs = {}  # the computation's metadata is not table data
    return parquet_bytes(plain)


register(Format(".csv", "CSV (für Personen: deutsches Excel-CSV; im Ergebnisordner: maschinenlesbar)",
                _csv_person, _csv_maschine))
register(Format(".json", "JSON (Zusammenfassung und Zeilen)", _json))
register(Format(".xlsx", "Excel-Arbeitsmappe mit Blatt Parameter", _xlsx))
register(Format(".parquet", "Parquet (maschinenlesbar)", _parquet))


def beschreibung() -> dict[str, Any]:
    """Suffix → description, e.g. for help texts."""
    return {s: f.beschreibung for s, f in FORMATE.items()}
