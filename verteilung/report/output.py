"""Write tables as terminal table, CSV or JSON for the command line.

The file writing itself (atomic writes, modes, output folders, CSV/JSON bytes) lives one layer
down in `verteilung.io`; its names are re-exported here for callers not yet switched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from verteilung.io import (  # re-exported: import them from verteilung.io
    LEDGER_NAME,
    atomic_dir,
    atomic_write_bytes,
    check_out_dir,
    check_out_file,
    current_umask,
    excel_safe_text,
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

__all__ = ["LEDGER_NAME", "Format", "atomic_dir", "atomic_write_bytes", "check_out_dir", "check_out_file",
           "current_umask", "emit", "excel_safe_text", "explain_table", "jsonable", "make_temp_dir",
           "parameter_table", "person_view", "public_mode", "records", "render_table", "summary_lines",
           "synthetic_note", "system_short", "to_csv_bytes", "to_json_bytes", "wide_console", "with_marker"]

Format = Literal["table", "csv", "json"]


def wide_console() -> Console:
    """A terminal keeps its width; a pipe or file gets room for every column.

    Markup is off: text from input data (names, AGS, file names) is printed as it is.
    """
    import sys

    from rich.console import Console

    if sys.stdout.isatty():
        return Console(markup=False, highlight=False)
    return Console(width=160, markup=False, highlight=False)


SYNTHETISCH = ("SYNTHETISCH: Bestandsdaten aus dem synthetischen Szenario (inputs/nrw/szenario/README.md), "
               "kein amtlicher Bestand")
SYNTHETISCH_KURZ = "SYNTHETISCH"  # the machine-safe marker (a `hinweis` column of machine CSVs)
# Columns a terminal leaves out for width; files (--out, --format) keep every column.
TERMINAL_HIDDEN = ("aufnahmeverpflichtung_exakt", "hinweis")  # hinweis: the marker line above says it
# Each Erfüllungsquote and the exact Soll it is computed from: the quota is shown right after it.
QUOTE_OF = {"erfuellungsquote": "soll_stichtag", "erfuellungsquote_vorher": "soll_stichtag",
            "erfuellungsquote_nachher": "soll_nach_zuweisung",
            "gesamtquote_nach_zuweisung": "gesamtsoll_nach_zuweisung"}


def system_short(system: str) -> str:
    """A system's short name for sheet names and titles: the vocabulary's (FlüAG, WSA; ``awov``
    accepted), else the registry's, else a model's own system name as it is."""
    from verteilung.errors import InputError
    from verteilung.law import systems
    from verteilung.vocab import SYSTEM_ALIASES, system_label

    if system.strip().lower() in SYSTEM_ALIASES:
        return system_label(system, short=True)
    try:
        return systems.get(system).kurz
    except InputError:
        return system


def is_synthetic(info: dict | None) -> bool:
    """Did synthetic stock go into the result this metadata describes?"""
    if not info:
        return False
    return info.get("synthetisch") is True or "SYNTHETISCH" in str(info.get("hinweis", ""))


def synthetic_note(info: dict | None) -> str | None:
    """The label line above every table, sheet and Excel CSV of a result: SYNTHETISCH when synthetic
    stock went in, then each approximation (NÄHERUNG, with its source) the result used; else None."""
    parts = [SYNTHETISCH] if is_synthetic(info) else []
    for note in (info or {}).get("naeherungen") or []:
        parts.append(note if str(note).startswith("NÄHERUNG") else f"NÄHERUNG: {note}")
    return " · ".join(parts) or None


def with_marker(df: pd.DataFrame, info: dict | None) -> pd.DataFrame:
    """A machine table (machine CSV, JSON rows, Parquet) carrying its markers machine-safely: a last
    column ``hinweis`` with ``SYNTHETISCH`` in every row when synthetic stock went in, joined by
    ``NÄHERUNG`` on the rows that carry an approximated figure (the column `inputs.mit_naeherung`
    added); unchanged otherwise."""
    if not is_synthetic(info):
        return df
    if "hinweis" not in df.columns:
        return df.assign(hinweis=SYNTHETISCH_KURZ)
    own = df["hinweis"].fillna("").astype(str)
    if own.str.startswith(SYNTHETISCH_KURZ).all():
        return df
    return df.assign(hinweis=[f"{SYNTHETISCH_KURZ}; {h}" if h else SYNTHETISCH_KURZ for h in own])


def person_view(df: pd.DataFrame, ausgabe: str | None = None) -> pd.DataFrame:
    """The table as a person gets it (terminal, XLSX, Excel CSV): the glossary's identifiers for
    this output (``vocab.RENAMES[ausgabe]``), and every Erfüllungsquote placed right after the exact
    Soll it was computed from (``QUOTE_OF``): the quota before allocation after the Soll (Stichtag),
    the quota after allocation after the Soll nach Zuweisung."""
    from verteilung.vocab import renamed

    out = renamed(df, ausgabe)
    cols = [str(c) for c in out.columns]
    placed = {q: s for q, s in QUOTE_OF.items() if q in cols and s in cols}
    if not placed:
        return out
    order: list[str] = []
    for c in cols:
        if c in placed:
            continue
        order.append(c)
        order += [q for q, s in placed.items() if s == c]
    return out[order]


def dropped_line(dropped: list[str]) -> str:
    """The one line saying which columns a narrow terminal left out, and where they all are."""
    return (f"Ausgelassen (Terminal zu schmal): {', '.join('„' + ' '.join(h.split()) + '“' for h in dropped)}; "
            "alle Spalten mit --out datei.xlsx")


def render_table(df: pd.DataFrame, title: str = "", max_rows: int | None = None,
                 console: Console | None = None, ausgabe: str | None = None) -> None:
    """A table on the terminal: German headers and numbers (``io.deutsch``), numbers right-aligned."""
    from verteilung.io.deutsch import fmt_int, rich_table

    console = console or wide_console()
    shown = person_view(df, ausgabe)
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


def _date_text(value: Any) -> str:
    from verteilung.io.deutsch import fmt_date

    return fmt_date(value)


# names under which a system's state reports a reading (state.info["lesarten"]) -> the reading
LESART_NAMES = {"minderung_kombination": "minderung", "umverteilung_basis": "umverteilung",
                "anlage1_variante": "anlage1"}


def lesart_text(name: str, value: Any) -> str:
    """A reading with what it means: ``R1 – z ≤ 1,25·e (Standard)``; the meaning alone for switches."""
    from verteilung.law.lesarten import ERLAUBT

    meaning = ERLAUBT.get(LESART_NAMES.get(name, name), {}).get(value)
    if isinstance(value, bool):
        return meaning or ("ja" if value else "nein")
    return f"{value} – {meaning}" if meaning else str(value)


def parameter_value_text(value: Any) -> str:
    from verteilung.io.deutsch import fmt_exact

    if isinstance(value, list | tuple):
        return f"Liste ({len(value)} Einträge)"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int | float):
        return fmt_exact(value)
    return str(value)


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


SKIP_IN_SUMMARY = {"erklaerung", "synthetisch", "modell_titel"}


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
        head = label(ident)
        if key == "parameter" and isinstance(value, list):
            out.append(("Rechtsgrundlagen (in Kraft am Stichtag)", "\n  " + "\n  ".join(parameter_lines(value))))
        elif key == "lesarten" and isinstance(value, dict):
            out.append((head, "\n  " + "\n  ".join(f"{lesart_label(k)}: {lesart_text(k, v)}"
                                                    for k, v in value.items())))
        elif key == "anrechnung_faktoren" and isinstance(value, dict):
            out.append((head, "; ".join(f"{parameter_label(k)} {parameter_value_text(v)}" for k, v in value.items())))
        elif key == "system" and isinstance(value, str):
            out.append((head, system_label(value)))
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


EINGABE_ART = {"bestand": "Bestandsdatei", "gemeinden": "Gemeindedatei", "haushalte": "Haushaltsdatei",
               "beschraenkungen": "Beschränkungsdatei"}


def eingabe_text(e: dict, mit_hash: bool = True) -> str:
    """One input file as a person reads it: path, encoding, data rows (and its SHA-256)."""
    from verteilung.io.deutsch import fmt_int

    text = f"{e['datei']} ({e['kodierung']}, {fmt_int(e['zeilen'])} Datenzeilen"
    if e.get("ags_ergaenzt"):
        text += f", {fmt_int(e['ags_ergaenzt'])} AGS um die führende 0 ergänzt"
    return text + (f", SHA-256 {e['sha256']})" if mit_hash else ")")


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


def parameter_table(info: dict, extra: list[dict] | None = None) -> pd.DataFrame:
    """THE Parameter sheet of every workbook (``--out F.xlsx`` of each table command, the compare and
    run folders): data basis, reference date, readings, the legal parameters in force on the
    reference date with paragraph, start date and ``(Annahme)``, then the result's other metadata.

    Columns ``parameter`` (German name), ``wert``, ``paragraph``, ``gueltig_ab``, ``hinweis``,
    ``quelle``, ``kennung`` (identifier in JSON, params/*.yaml, run.toml). ``extra`` rows (dicts
    with those keys) follow the data basis, e.g. a comparison's arrivals.
    """
    import pandas as pd

    from verteilung.vocab import label, lesart_label, parameter_label, system_label

    rows: list[dict] = []

    def add(parameter: str, wert: Any, kennung: str = "", **more: Any) -> None:
        rows.append({"parameter": parameter, "wert": wert, "kennung": kennung, **more})

    if is_synthetic(info):
        add("Hinweis", SYNTHETISCH, "hinweis", hinweis=SYNTHETISCH_KURZ)
    if isinstance(info.get("system"), str):
        add("System", system_label(info["system"]), "system")
    if isinstance(info.get("modell"), str):
        add("Modell", info["modell"], "modell")
    if info.get("datenbasis"):
        add("Datenbasis Gemeinden", info["datenbasis"], "datenbasis", quelle="inputs/nrw/README.md")
    if info.get("bestand_datei"):
        add("Bestandsdatei", info["bestand_datei"], "bestand_datei",
            hinweis=SYNTHETISCH_KURZ if is_synthetic(info) else "",
            quelle="inputs/nrw/szenario/README.md" if is_synthetic(info) else "Nutzerdatei")
    files = info.get("eingaben")
    files = files if isinstance(files, list) and all(isinstance(e, dict) and "sha256" in e for e in files) else []
    for e in files:  # the input files an allocation read (not runs diff's sentence of changed inputs)
        add(f"Eingabedatei ({EINGABE_ART.get(e['art'], e['art'])})", e["datei"], f"eingaben.{e['art']}",
            hinweis=f"Kodierung {e['kodierung']}; {e['zeilen']} Datenzeilen"
            + (f"; {e['ags_ergaenzt']} AGS um die führende 0 ergänzt" if e.get("ags_ergaenzt") else ""),
            quelle=f"SHA-256 {e['sha256']}")
    bindend = info.get("beschraenkungen_bindend")
    if isinstance(bindend, list):
        for b in bindend:
            add("Bindende Beschränkung", f"{b['gemeinde']} ({b['ags']})", "beschraenkungen_bindend",
                hinweis=b["beschraenkung"])
    elif bindend:
        add("Bindende Beschränkung", bindend, "beschraenkungen_bindend")
    for note in info.get("naeherungen") or []:
        add("Näherung", note, "naeherungen", hinweis="NÄHERUNG")
    if info.get("stichtag"):
        add("Stichtag", _date_text(info["stichtag"]), "stichtag",
            quelle="Stichtag der Verteilstatistik; Parameter in der am Stichtag geltenden Fassung")
    for r in extra or []:
        rows.append({"kennung": "", **r})
    for name, value in (info.get("lesarten") or {}).items():
        add(lesart_label(name), lesart_text(name, value), f"lesarten.{name}",
            quelle="Lesart (docs/recht.md Abschnitt 3)")
    parameters = info.get("parameter")
    if parameters is None and info.get("stichtag"):
        from verteilung.params import in_force

        parameters = in_force(info["stichtag"])
    for p in parameters or []:
        value = p["wert"]
        add(parameter_label(p["name"]), f"Liste ({len(value)} Einträge)" if isinstance(value, list) else value,
            p["name"], paragraph=p["paragraph"], gueltig_ab=p["gueltig_ab"],
            hinweis="(Annahme)" + _param_note(p) if p.get("annahme") else "",
            quelle=f"{p['quelle']} ({p['href']})" if p.get("href") else p.get("quelle", ""))
    shown = {"hinweis", "system", "modell", "datenbasis", "bestand_datei", "naeherungen", "stichtag", "lesarten",
             "parameter", "beschraenkungen_bindend", *SKIP_IN_SUMMARY} | ({"eingaben"} if files else set())
    for key, value in info.items():
        if key in shown or value is None or isinstance(value, dict):
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
            if not value:
                continue
        add(label(key), value, key)
    cols = ["parameter", "wert", "paragraph", "gueltig_ab", "hinweis", "quelle", "kennung"]
    return pd.DataFrame(rows, columns=cols, dtype=object).fillna("")  # mixed values: no float column to fill with text


def _param_note(p: dict) -> str:
    """The YAML's note on an assumed value (why it is one), when it has one."""
    from verteilung import params

    try:
        note = params.get(p["name"], p["gueltig_ab"]).note
    except Exception:  # a parameter no longer known: the flag alone
        return ""
    return f": {' '.join(note.split())}" if note else ""


def explain_table(info: dict) -> pd.DataFrame:
    """The steps of `explain` as a table: number, quantity, value, the calculation as German text,
    paragraph, source and whether the step rests on an assumption."""
    import pandas as pd

    steps = (info.get("erklaerung") or {}).get("schritte", [])
    return pd.DataFrame([{"schritt": n, "groesse": s["groesse"], "wert": s["wert"], "rechnung": s["text"],
                          "paragraph": s["paragraph"], "quelle": s["quelle"], "annahme": bool(s["annahme"])}
                         for n, s in enumerate(steps, start=1)],
                        columns=["schritt", "groesse", "wert", "rechnung", "paragraph", "quelle", "annahme"])


OUT_SUFFIXES = (".csv", ".json", ".xlsx", ".parquet")


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
    render_table(shown, title, max_rows, console, ausgabe)
    for head, text in summary_lines(summary, ausgabe):
        console.print(Text.assemble((head, "bold"), f": {text}"))


def write_table(df: pd.DataFrame, out: str | Path, summary: dict | None = None, title: str = "",
                option: str = "--out") -> None:
    """Write one table to a file chosen by its extension, as ``--out FILE`` does (docs/ausgaben.md)."""
    _write_by_extension(df, Path(out), summary or {}, title, None, {}, option)


def _write_by_extension(df: pd.DataFrame, out: Path, summary: dict, title: str, ausgabe: str | None,
                        sheets: Mapping[str, pd.DataFrame], option: str = "--out") -> None:
    import sys

    from verteilung.errors import InputError, Problem
    from verteilung.io import check_out_file

    check_out_file(out)  # a folder or a path below a file is refused before the name is judged
    suffix = out.suffix.lower()
    if suffix == ".csv":
        from verteilung.io.deutsch import excel_csv_bytes

        data = excel_csv_bytes(person_view(df, ausgabe), note=synthetic_note(summary))
    elif suffix == ".json":
        data = to_json_bytes({"summary": summary, "rows": records(with_marker(df, summary))})
    elif suffix == ".xlsx":
        from verteilung.io.xlsx import workbook_bytes

        book = {title or "Tabelle": person_view(df, ausgabe), **sheets, "Parameter": parameter_table(summary)}
        data = workbook_bytes(book, note=synthetic_note(summary))
    elif suffix == ".parquet":
        import io as _io

        buf = _io.BytesIO()
        plain = with_marker(df.copy(), summary)
        plain.attrs = {}  # the computation's metadata is not table data
        plain.to_parquet(buf, index=False)
        data = buf.getvalue()
    else:
        raise InputError(Problem(option, f"unbekannte Dateiendung {out.suffix or '(keine)'!r}; erlaubt: "
                                 f"{', '.join(OUT_SUFFIXES)} (oder --format csv|json)"))
    atomic_write_bytes(out, data)
    print(f"geschrieben: {out} ({len(df)} Zeilen)", file=sys.stderr)
