"""Write tables as terminal table, CSV or JSON for the command line.

The file writing itself (atomic writes, modes, output folders, CSV/JSON bytes) lives one layer
down in `verteilung.io`; its names are re-exported here for callers not yet switched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from verteilung.darstellung import (  # re-exported: the presentation helpers live one layer down
    LESART_NAMES,
    QUOTE_OF,
    SKIP_IN_SUMMARY,
    SYNTHETISCH,
    SYNTHETISCH_KURZ,
    _date_text,
    eingabe_text,
    einheit_text,
    is_synthetic,
    lesart_text,
    parameter_table,
    parameter_value_text,
    person_view,
    synthetic_note,
    system_short,
    with_marker,
)
from verteilung.io import (  # re-exported: import them from verteilung.io
    LEDGER_NAME,
    atomic_dir,
    atomic_write_bytes,
    check_out_dir,
    check_out_file,
    current_umask,
    excel_safe_text,
    formate,
    jsonable,
    make_temp_dir,
    public_mode,
    records,
    to_csv_bytes,
    to_json_bytes,
)

if TYPE_CHECKING:  # heavy imports only where a table is really written
    import pandas as pd
    from rich.console import Console

__all__ = [
    "LEDGER_NAME",
    "LESART_NAMES",
    "QUOTE_OF",
    "SKIP_IN_SUMMARY",
    "SYNTHETISCH",
    "SYNTHETISCH_KURZ",
    "Format",
    "atomic_dir",
    "atomic_write_bytes",
    "check_out_dir",
    "check_out_file",
    "current_umask",
    "einheit_text",
    "emit",
    "excel_safe_text",
    "explain_table",
    "is_synthetic",
    "jsonable",
    "lesart_text",
    "make_temp_dir",
    "parameter_table",
    "parameter_value_text",
    "person_view",
    "public_mode",
    "records",
    "render_table",
    "summary_lines",
    "synthetic_note",
    "system_short",
    "to_csv_bytes",
    "to_json_bytes",
    "wide_console",
    "with_marker",
]

Format = Literal["table", "csv", "json"]


def wide_console() -> Console:
    """A terminal keeps its width; a pipe or file gets room for every column.

    Markup and emoji codes are off: text from input data (names, AGS, file names) is printed as it
    is (rich would turn ``:smile:`` into 😄, and loads its table of 3.600 codes for that on the
    first print: 0,004 s CPU of `verteilung compare`, issue 25).
    """
    import sys

    from rich.console import Console

    if sys.stdout.isatty():
        return Console(markup=False, highlight=False, emoji=False)
    return Console(width=160, markup=False, highlight=False, emoji=False)


# Columns a terminal leaves out for width; files (--out, --format) keep every column.
TERMINAL_HIDDEN = ("aufnahmeverpflichtung_exakt", "hinweis")  # hinweis: the marker line above says it


def dropped_line(dropped: list[str]) -> str:
    """The one line saying which columns a narrow terminal left out, and where they all are."""
    return (f"Ausgelassen (Terminal zu schmal): {', '.join('„' + ' '.join(h.split()) + '“' for h in dropped)}; "
            "alle Spalten mit --out datei.xlsx")


def render_table(df: pd.DataFrame, title: str = "", max_rows: int | None = None,
                 console: Console | None = None, ausgabe: str | None = None, summary: dict | None = None) -> None:
    """A table on the terminal: German headers and numbers (``io.deutsch``), numbers right-aligned."""
    from verteilung.io.deutsch import fmt_int, rich_table

    console = console or wide_console()
    shown = person_view(df, ausgabe, summary)
    hidden = [c for c in TERMINAL_HIDDEN if c in shown.columns]
    hidden += [c for c in ("ohne_meldung",) if c in shown.columns and not shown[c].fillna(False).astype(bool).any()]
    shown = shown.drop(columns=hidden)
    dropped: list[str] = []
    console.print(rich_table(shown, title, max_rows, width=console.width, dropped=dropped))
    if dropped:
        console.print(dropped_line(dropped), highlight=False)
    if max_rows is not None and len(df) > max_rows:
        console.print(f"… {fmt_int(len(df) - max_rows)} weitere Zeilen (alle mit --out DATEI.xlsx|.csv "
                      "oder --format csv)")


# --- metadata as a person reads it -----------------------------------------------------------------


def parameter_lines(parameters: list[dict]) -> list[str]:
    """The legal parameters in force, one line each: ``Gewicht Einwohner (FlüAG) = 0,9 (§ 3 Abs. 1
    S. 1 FlüAG, gültig ab 28.02.2003)``, with ``(Annahme)`` where the value or its start is assumed."""
    from verteilung.vocab import parameter_label

    lines = []
    for p in parameters:
        mark = " (Annahme)" if p.get("annahme") else ""
        lines.append(f"{parameter_label(p['name'])} = {parameter_value_text(p['wert'])} "
                     f"({p['paragraph']}, gültig ab {_date_text(p['gueltig_ab'])}){mark}")
    return lines


def summary_lines(summary: dict, ausgabe: str | None = None) -> list[tuple[str, str]]:
    """(German label, German text) for each summary entry shown under a terminal table.

    No Python reprs: readings, factors and parameters are spelled out; empty entries are left out.
    """
    from verteilung.vocab import RENAMES, label, lesart_label, parameter_label, system_label

    names = RENAMES.get(f"{ausgabe}.summary", {}) if ausgabe else {}
    out: list[tuple[str, str]] = []
    for key, value in summary.items():
        if key in SKIP_IN_SUMMARY or value is None or (isinstance(value, list | dict | str) and not value):
            continue
        ident = names.get(key, key)
        head = einheit_text(label(ident), summary)
        if key == "parameter" and isinstance(value, list):
            out.append(("Rechtsgrundlagen (in Kraft am Stichtag)", "\n  " + "\n  ".join(parameter_lines(value))))
        elif key == "lesarten" and isinstance(value, dict):
            out.append((head, "\n  " + "\n  ".join(f"{lesart_label(k)}: {lesart_text(k, v)}"
                                                    for k, v in value.items())))
        elif key == "anrechnung_faktoren" and isinstance(value, dict):
            out.append((head, "; ".join(f"{parameter_label(k)} {parameter_value_text(v)}" for k, v in value.items())))
        elif key == "system" and isinstance(value, str):
            out.append((head, system_label(value)))
        elif key == "land" and summary.get("land_name"):
            out.append((head, f"{summary['land_name']} (Quellen: {summary.get('quellen', '')})"))
        elif key == "eingaben" and isinstance(value, list) and all(isinstance(e, dict) and "sha256" in e
                                                                    for e in value):
            out.append((head, "; ".join(eingabe_text(e, mit_hash=False) for e in value)))
        elif key == "beschraenkungen_bindend" and isinstance(value, list):
            out.append((head, "; ".join(f"{b['gemeinde']} ({b['ags']}): {b['beschraenkung']}" for b in value)))
        else:
            text = value_text(ident, value)
            if "\n" in text:  # a log or other multi-line text: indented under its label
                text = "\n  " + text.replace("\n", "\n  ")
            out.append((head, text))
    return out


def _key_label(key: str) -> str:
    from verteilung.vocab import SYSTEM_ALIASES, label, system_label

    return system_label(key, short=True) + ":" if key.lower() in SYSTEM_ALIASES else label(key)


def value_text(key: str, value: Any, depth: int = 0) -> str:
    """Any metadata value as German text: numbers by the vocabulary's kind of ``key`` (else all their
    digits, German style), dates ``01.01.2024``, flags ``ja``/``nein``, mappings as ``Label Wert``
    pairs (nested ones in parentheses) and lists comma-separated; never a Python repr."""
    from verteilung.io.deutsch import column_for, fmt_exact, fmt_value
    from verteilung.vocab import Kind, system_label

    if value is None:
        return ""
    if isinstance(value, dict):
        parts = [f"{_key_label(str(k))} {value_text(str(k), v, depth + 1)}".rstrip() for k, v in value.items()
                 if v is not None]
        text = (", " if depth else "; ").join(parts)
        return f"({text})" if depth else text
    if isinstance(value, list | tuple):
        items = [value_text(key, v, depth + 1) for v in value]
        return ", ".join(items[:20]) + (f" … ({len(items)} insgesamt)" if len(items) > 20 else "")
    if isinstance(value, bool):
        return "ja" if value else "nein"
    col = column_for(key)
    if isinstance(value, str):
        if key == "system":
            return system_label(value)
        return fmt_value(value, col) if col.kind in (Kind.DATE, Kind.DATETIME) else value
    if isinstance(value, int | float) and (not col.numeric or col.label == key):
        return fmt_exact(value)
    return fmt_value(value, col)


def pruefung_tabelle(result: dict) -> pd.DataFrame:
    """`data check` as a table a person opens (Parameter, Wert): each finding as a German line,
    so ``--out pruefung.xlsx|.csv`` (or a registered suffix) writes that format, never JSON."""
    import pandas as pd

    from verteilung.vocab import label

    rows = []
    for key, value in result.items():
        if key == "bestand" and isinstance(value, dict):
            rows += [{"parameter": f"Bestand: {label(k)}", "wert": value_text(k, v)} for k, v in value.items()]
        elif key == "einwohner_fehlend":
            text = ", ".join(f"{r['gemeinde']} ({r['ags']})" for r in value) or "keine"
            rows.append({"parameter": label(key), "wert": text})
        elif key == "quelle":
            rows.append({"parameter": "Datenbasis", "wert": str(value)})
        elif key == "einheit":
            continue  # names the count below (Gemeinden, Kreise)
        elif key == "einheiten":
            rows.append({"parameter": str(result.get("einheit", "Gemeinden")), "wert": value_text("gemeinden", value)})
        else:
            rows.append({"parameter": label(key), "wert": value_text(key, value)})
    return pd.DataFrame(rows, columns=["parameter", "wert"], dtype=object)


def explain_table(info: dict) -> pd.DataFrame:
    """The steps of `explain` as a table: number, quantity, value, the calculation as German text,
    paragraph, source and whether the step rests on an assumption."""
    import pandas as pd

    steps = (info.get("erklaerung") or {}).get("schritte", [])
    return pd.DataFrame([{"schritt": n, "groesse": s["groesse"], "wert": s["wert"], "rechnung": s["text"],
                          "paragraph": s["paragraph"], "quelle": s["quelle"], "annahme": bool(s["annahme"])}
                         for n, s in enumerate(steps, start=1)],
                        columns=["schritt", "groesse", "wert", "rechnung", "paragraph", "quelle", "annahme"])


OUT_SUFFIXES = formate.suffixes()  # the shipped formats; the registry may hold more


def emit(df: pd.DataFrame, fmt: Format, out: str | Path | None, summary: dict | None = None,
         title: str = "", max_rows: int | None = 40, ausgabe: str | None = None,
         terminal_rows: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
         sheets: Mapping[str, pd.DataFrame] | None = None) -> None:
    """Print or write one table with its summary in the chosen format.

    ``ausgabe`` names the output (``status``, ``allocate``, ``keys`` …) for ``vocab.RENAMES``: what a
    person reads (terminal, XLSX, Excel CSV) shows the glossary's columns, e.g. "Soll, gerundet"
    beside "Soll (Stichtag)" with the quota next to the exact Soll; JSON, the machine CSV and
    Parquet keep today's identifiers.

    ``--out FILE`` without ``--format`` chooses by the extension (docs/ausgaben.md): ``.csv`` the
    German Excel CSV, ``.xlsx`` a workbook with the table and a ``Parameter`` sheet, ``.json``,
    ``.parquet``; only a one-line note goes to the terminal. An explicit ``--format csv|json``
    writes that machine format whatever the name. ``terminal_rows`` narrows the rows shown on a
    terminal only (files keep every row); ``sheets`` are further tables for the workbook.
    """
    summary = summary or {}
    if fmt == "table" and out is not None:
        _write_by_extension(df, Path(out), summary, title, ausgabe, sheets or {})
        return
    if fmt == "json":
        data = to_json_bytes({"summary": summary, "rows": records(with_marker(df, summary))})
    elif fmt == "csv":
        data = to_csv_bytes(with_marker(df, summary))
    elif fmt == "table":
        print_table(df, summary, title, max_rows, ausgabe, terminal_rows)
        return
    else:
        raise ValueError(fmt)
    if out is not None:
        atomic_write_bytes(out, data)
    else:
        import sys

        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def print_table(df: pd.DataFrame, summary: dict, title: str = "", max_rows: int | None = 40,
                ausgabe: str | None = None,
                terminal_rows: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> None:
    """The terminal view: the marker, the German table, the summary as German lines."""
    from rich.text import Text

    console = wide_console()
    note = synthetic_note(summary)
    if note:
        console.print(Text(note, "bold yellow"))
    shown = terminal_rows(df) if terminal_rows is not None else df
    render_table(shown, title, max_rows, console, ausgabe, summary)
    for head, text in summary_lines(summary, ausgabe):
        console.print(Text.assemble((head, "bold"), f": {text}"))


def write_table(df: pd.DataFrame, out: str | Path, summary: dict | None = None, title: str = "",
                option: str = "--out") -> None:
    """Write one table to a file chosen by its extension, as ``--out FILE`` does (docs/ausgaben.md)."""
    _write_by_extension(df, Path(out), summary or {}, title, None, {}, option)


def tabelle(df: pd.DataFrame, summary: dict | None = None, title: str = "", ausgabe: str | None = None,
            sheets: Mapping[str, pd.DataFrame] | None = None) -> formate.Tabelle:
    """What a file of one table holds, for the format registry (`verteilung.io.formate`): the
    machine table, the person's view, the whole workbook with its Parameter sheet, the marker."""
    summary = summary or {}
    person = person_view(df, ausgabe, summary)
    book = {title or "Tabelle": person, **(sheets or {}), "Parameter": parameter_table(summary)}
    return formate.Tabelle(with_marker(df, summary), person, summary, title, book, synthetic_note(summary))


def _write_by_extension(df: pd.DataFrame, out: Path, summary: dict, title: str, ausgabe: str | None,
                        sheets: Mapping[str, pd.DataFrame], option: str = "--out") -> None:
    import sys

    from verteilung.io import check_out_file

    check_out_file(out, option)  # a folder or a path below a file is refused before the name is judged
    formate.get(out, option)     # an unknown suffix is refused before anything is computed or written
    formate.schreibe_datei(out, tabelle(df, summary, title, ausgabe, sheets), option)
    print(f"geschrieben: {out} ({len(df)} Zeilen)", file=sys.stderr)
