"""Rewrite the README's generated performance table from the benchmarks' saved results.

Each benchmark that feeds the table saves its rows to ``benchmarks/ergebnisse/NAME.json``
(`benchmarks/ergebnis.py`); this script puts them, unchanged, between the README's markers
``<!-- leistung:start -->`` and ``<!-- leistung:end -->``. Run the benchmarks first, then
``python scripts/update_leistung.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "ergebnisse"
START, END = "<!-- leistung:start -->", "<!-- leistung:end -->"
ORDER = ("compare", "app_last", "zeitlimit", "sweep")


def _date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}.{m}.{y}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _zahl(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def _last(data: dict) -> str:
    """The load as measured: the 1-minute load at the end includes the benchmark's own processes;
    whether other work shared the machine is told by the load before it started (``last_vorher``,
    saved since session 7; older results only have the end's)."""
    end = _zahl(data["last_1min"])
    if "last_vorher" not in data:
        return f"Last {end} über 1 Minute am Ende, der Lauf selbst eingeschlossen"
    before = data["last_vorher"]
    frei = ("die Maschine war nicht frei" if before >= 1 else "die Maschine war sonst frei")
    return f"Last {_zahl(before)} vor dem Lauf ({frei}), {end} am Ende (1-Minuten-Mittel, der Lauf eingeschlossen)"


def block(folder: Path = RESULTS) -> str:
    files = sorted(folder.glob("*.json"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem))
    lines = [START]
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        lines += ["", f"`{data['befehl'].strip()}` ({_date(data['datum'])}, {data['kerne']} Kerne, "
                      f"{_last(data)}; maßgeblich sind die Verhältnisse zur Basis aus demselben Lauf):", "",
                  "| was | Messung | Basis im selben Lauf | Verhältnis | Ziel |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(r['was'])} | {_cell(r['messung'])} | {_cell(r['basis'])} | {_cell(r['verhaeltnis'])} "
                  f"| {_cell(r['ziel'])} |" for r in data["zeilen"]]
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md: Markierungen {START} … {END} fehlen")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(head + block() + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
