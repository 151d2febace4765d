"""``verteilung runs diff`` on a terminal: the changed inputs first, then the Gemeinden whose result
changed, one row per Gemeinde with each system's changed quantities as ``A → B``; fits 100 columns.

A changed stock of one Gemeinde shifts the Gesamtzahl and with it every Erfüllungsquote by a few
hundredths of a point; those Gemeinden are counted, not listed (``--alle`` lists them too).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from verteilung.io.deutsch import fmt_dec, fmt_int, fmt_pct
from verteilung.ledger import DIFF_FIELDS, INPUT_FIELDS, RESULT_FIELDS, changed
from verteilung.vocab import system_label

LABELS = {"bestand": "Bestand", "anrechnung": "Anrechnung", "soll": "Soll, gerundet",
          "aufnahmeverpflichtung": "Aufnahmeverpflichtung", "erfuellungsquote": "Erfüllungsquote",
          "zuweisung": "Zuweisung"}
ARROW = "→"


def _input_label(name: str) -> str:
    """How a recorded input is named for a person."""
    kind, _, rest = name.partition("/")
    if name == "bestand":
        return "Bestandsdatei"
    if name == "config":
        return "Konfiguration (run.toml)"
    if name == "modell":
        return "Modell"
    if name == "gemeinden":
        return "Gemeindetabelle"
    if kind == "haushalte":
        return f"Haushaltsdatei {system_label(rest, short=True)}"
    if kind == "beschraenkungen":
        return f"Beschränkungen {system_label(rest, short=True)}"
    if kind == "params":
        return f"Parameterdatei {rest}"
    if kind == "zugaenge":
        return f"Zugänge {system_label(rest, short=True)}"
    return name


def _value(field: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "–"
    if field == "erfuellungsquote":
        return fmt_pct(v)
    if isinstance(v, float) and not float(v).is_integer():
        return fmt_dec(v)
    return fmt_int(v)


def input_lines(info: dict) -> list[str]:
    """One line per changed input: file with path and shortened SHA-256, model, arrivals."""
    lines = []
    for c in info.get("eingaben", []):
        label = _input_label(c["eingabe"])
        if "pfad_a" in c:
            if c["a"] is None:
                lines.append(f"{label}: neu in B ({c.get('pfad_b') or c['eingabe']})")
            elif c["b"] is None:
                lines.append(f"{label}: nur in A ({c.get('pfad_a') or c['eingabe']})")
            else:
                where = c.get("pfad_b") or c.get("pfad_a")
                moved = f", Pfad {c['pfad_a']} {ARROW} {c['pfad_b']}" if c.get("pfad_a") != c.get("pfad_b") \
                    and c.get("pfad_a") and c.get("pfad_b") else ""
                lines.append(f"{label} geändert{f' ({where})' if where and not moved else ''}: "
                             f"SHA-256 {c['a'][:12]} {ARROW} {c['b'][:12]}{moved}")
        elif c["eingabe"].startswith("zugaenge/"):
            lines.append(f"{label}: {_value('zuweisung', c['a'])} {ARROW} {_value('zuweisung', c['b'])} Personen")
        else:
            lines.append(f"{label}: {c['a']} {ARROW} {c['b']}")
    return lines


def _changes(row: Any, fields: tuple[str, ...]) -> list[str]:
    out = []
    for f in fields:
        a, b = row[f"{f}_a"], row[f"{f}_b"]
        if (pd.isna(a) and pd.isna(b)) or a == b:
            continue
        out.append(f"{LABELS[f]} {_value(f, a)} {ARROW} {_value(f, b)}")
    return out


def stock_lines(diff: pd.DataFrame) -> list[str]:
    """Gemeinden whose stock values (Bestand, Anrechnung) differ: the input side of the change."""
    rows = diff.loc[changed(diff, INPUT_FIELDS)].sort_values(["ags", "system"], kind="stable")
    return [f"{r['ags']} {r['gemeinde']}, {system_label(r['system'], short=True)}: "
            + "; ".join(_changes(r, INPUT_FIELDS)) for _, r in rows.iterrows()]


def result_table(diff: pd.DataFrame, alle: bool = False) -> tuple[pd.DataFrame, int]:
    """One row per Gemeinde whose result changed (``alle``: any value changed): AGS, Gemeinde and per
    system its changed quantities, one ``Name A → B`` per line; and how many rows only moved in the
    Erfüllungsquote (not listed unless ``alle``)."""
    result = changed(diff, RESULT_FIELDS) | changed(diff, INPUT_FIELDS) | diff[[
        f"{f}_a" for f in DIFF_FIELDS]].isna().all(axis=1) | diff[[f"{f}_b" for f in DIFF_FIELDS]].isna().all(axis=1)
    shown_rows = diff if alle else diff.loc[result]
    only_quote = int((~result).sum())
    ags_shown = sorted(set(shown_rows["ags"]))
    systems = list(dict.fromkeys(diff["system"]))
    table = []
    for ags in ags_shown:
        rows = diff[diff["ags"] == ags]
        line = {"AGS": ags, "Gemeinde": str(rows["gemeinde"].iloc[0])}
        for system in systems:
            r = rows[rows["system"] == system]
            line[system_label(system, short=True)] = "\n".join(_changes(r.iloc[0], DIFF_FIELDS)) if len(r) else ""
        table.append(line)
    columns = ["AGS", "Gemeinde", *[system_label(s, short=True) for s in systems]]
    return pd.DataFrame(table, columns=columns), 0 if alle else only_quote


def print_diff(diff: pd.DataFrame, info: dict, alle: bool = False, console: Any = None) -> None:
    """The whole terminal view: title, changed inputs, stock changes per Gemeinde, result table."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    c = console or Console(markup=False, highlight=False, emoji=False)
    c.print(f"Vergleich der Läufe A = {info['a']} und B = {info['b']}", style="bold")
    inputs = input_lines(info)
    stock = stock_lines(diff)
    c.print("Geänderte Eingaben:" if inputs or stock else "Eingaben: unverändert (gleiche Prüfsummen)")
    for line in inputs:
        c.print(f"  {line}")
    if stock:
        c.print(f"  Geänderte Bestandswerte ({fmt_int(len(stock))}):")
        for line in stock:
            c.print(f"    {line}")
    table, only_quote = result_table(diff, alle)
    what = "mit einer Änderung" if alle else "mit geändertem Ergebnis"
    c.print(f"Gemeinden {what}: {fmt_int(len(table))}")
    if only_quote:
        c.print(f"  Nur die Erfüllungsquote verschoben (geänderte Gesamtzahl): {fmt_int(only_quote)} weitere "
                "Zeilen, mit --alle gezeigt")
    if table.empty:
        return
    t = Table(box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False)
    t.add_column("AGS", no_wrap=True)
    t.add_column("Gemeinde", max_width=26, overflow="fold")
    for col in table.columns[2:]:
        t.add_column(col, no_wrap=False)
    for row in table.itertuples(index=False):
        t.add_row(*[str(v) for v in row])
    c.print(t)
