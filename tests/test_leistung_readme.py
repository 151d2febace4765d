"""The README's performance table is exactly what the benchmarks saved (`scripts/update_leistung.py`)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.update_leistung import END, README, START, block


def test_readme_table_is_the_saved_benchmark_results():
    text = README.read_text(encoding="utf-8")
    shown = START + text.split(START, 1)[1].split(END, 1)[0] + END
    assert shown == block(), "README veraltet: python scripts/update_leistung.py ausführen"


def test_rows_are_rendered_as_saved_with_german_date_and_load(tmp_path: Path):
    row = {"was": "a | b", "messung": "0,52 s", "basis": "1,10 s", "verhaeltnis": "2,12×", "ziel": "erreicht"}
    (tmp_path / "compare.json").write_text(json.dumps({"befehl": "python x.py", "datum": "2026-12-07",
                                                       "last_1min": 6.5, "kerne": 2, "zeilen": [row]}))
    out = block(tmp_path)
    assert out.startswith(START) and out.endswith(END)
    assert "(07.12.2026, 2 Kerne, Last 6,50 über 1 Minute am Ende, der Lauf selbst eingeschlossen;" in out
    assert "geteilt" not in out and "frei" not in out  # the end's load alone says nothing of others
    assert "| a \\| b | 0,52 s | 1,10 s | 2,12× | erreicht |" in out


def test_load_before_the_run_says_whether_the_machine_was_shared(tmp_path: Path):
    row = {"was": "x", "messung": "1", "basis": "2", "verhaeltnis": "2×", "ziel": "erreicht"}
    for name, before, said in (("a", 0.3, "Last 0,30 vor dem Lauf (die Maschine war sonst frei), 2,10 am Ende"),
                               ("b", 3.2, "Last 3,20 vor dem Lauf (die Maschine war nicht frei), 2,10 am Ende")):
        (tmp_path / f"{name}.json").write_text(json.dumps({"befehl": name, "datum": "2026-12-07", "last_1min": 2.1,
                                                           "last_vorher": before, "kerne": 2, "zeilen": [row]}))
        assert said in block(tmp_path)
        (tmp_path / f"{name}.json").unlink()
