"""Benchmark results as data: each benchmark saves its rows (German text and numbers) to
``benchmarks/ergebnisse/NAME.json``; ``scripts/update_leistung.py`` builds the README's performance
table from these files, so the README shows exactly what the benchmarks printed."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "ergebnisse"
# the load when the benchmark's module imported this one, before it started any work of its own: the
# load at the end includes the benchmark's own processes, so only this one says whether others shared
# the machine
LAST_VORHER = round(os.getloadavg()[0], 2)


def save(name: str, befehl: str, rows: list[dict[str, str]]) -> Path:
    """``rows``: dicts with ``was``, ``messung``, ``basis`` (baseline of the same run), ``verhaeltnis``
    and ``ziel`` (goal and whether it is met), all German text."""
    FOLDER.mkdir(exist_ok=True)
    path = FOLDER / f"{name}.json"
    data = {"befehl": befehl.strip(), "datum": dt.date.today().isoformat(), "last_1min": round(os.getloadavg()[0], 2),
            "last_vorher": LAST_VORHER,
            "kerne": os.cpu_count(), "zeilen": rows}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
