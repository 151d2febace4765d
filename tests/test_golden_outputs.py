"""Golden outputs of the main commands on the shipped data, held byte for byte.

These files were recorded before the layers above the core were restructured (issue 12), so
moving code cannot change a result unnoticed. A deliberate change of an output re-records them
with ``VERTEILUNG_GOLDEN_UPDATE=1 python -m pytest tests/test_golden_outputs.py`` and says why
in the commit message. Volatile fields (wall times, temporary paths, package version) are
normalised before the comparison; nothing else is.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.arbeitsmappe import inhalt_bytes
from verteilung.io.pfade import MANIFEST_NAME

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
SCENARIO = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
UPDATE = os.environ.get("VERTEILUNG_GOLDEN_UPDATE") == "1"
VOLATILE_KEYS = {"sekunden", "seconds", "rechenzeit", "zeiten", "dauer_s", "erstellt", "version",
                 "paketversion", "befehl", "start", "ende", "host", "benutzer", "gestartet", "beendet"}


def _scrub(value, tmp: str):
    if isinstance(value, dict):
        return {k: ("<volatil>" if k in VOLATILE_KEYS else _scrub(v, tmp)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, tmp) for v in value]
    if isinstance(value, str):
        return value.replace(tmp, "<TMP>").replace(str(ROOT), "<ROOT>")
    return value


def normalise(name: str, data: bytes, tmp: Path) -> bytes:
    if name.endswith(".json"):
        return (json.dumps(_scrub(json.loads(data), str(tmp)), ensure_ascii=False, indent=1,
                           sort_keys=True) + "\n").encode()
    text = data.decode("utf-8").replace(str(tmp), "<TMP>").replace(str(ROOT), "<ROOT>")
    text = re.sub(r"(Rechenzeit|Laufzeit|Dauer)[^\n]*", r"\1 <volatil>", text)
    return text.encode()


def check(name: str, data: bytes, tmp: Path) -> None:
    path = GOLDEN / name
    got = normalise(name, data, tmp)
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"golden file {path.name} is missing; record it with VERTEILUNG_GOLDEN_UPDATE=1")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(got)
        return
    assert got == path.read_bytes(), f"{name} differs from its golden file"


COMMANDS = {
    "keys_flueag.csv": ["keys", "--system", "flueag", "--jahr", "2024", "--format", "csv"],
    "keys_wsa.csv": ["keys", "--system", "awov", "--jahr", "2024", "--format", "csv"],
    "status_flueag.json": ["status", "--system", "flueag", "--bestand", SCENARIO, "--format", "json"],
    "status_wsa.csv": ["status", "--system", "awov", "--bestand", SCENARIO, "--format", "csv"],
    "explain_flueag.txt": ["explain", "05513000", "--system", "flueag", "--bestand", SCENARIO],
    "explain_wsa.txt": ["explain", "05362036", "--system", "awov", "--bestand", SCENARIO],
    "allocate_flueag.json": ["allocate", "--system", "flueag", "--bestand", SCENARIO, "--personen", "1260",
                             "--format", "json"],
    "allocate_wsa.csv": ["allocate", "--system", "awov", "--bestand", SCENARIO, "--personen", "493",
                         "--format", "csv"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_output_is_golden(cli, tmp_path, name):
    r = cli(*COMMANDS[name])
    assert r.code == 0, r.stderr
    check(name, r.stdout.encode(), tmp_path)


def _folder_goldens(prefix: str, folder: Path, tmp: Path, suffixes: tuple[str, ...]) -> list[str]:
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")  # the folder's manifest lists
                   if p.is_file() and p.suffix in suffixes and p.name != MANIFEST_NAME)  # hashes, not results
    assert names, f"no outputs in {folder}"
    for rel in names:
        check(f"{prefix}/{rel}", (folder / rel).read_bytes(), tmp)
    return names


def test_compare_outputs_are_golden(cli, tmp_path):
    out = tmp_path / "vergleich"
    r = cli("compare", "--out", out)
    assert r.code == 0, r.stderr
    _folder_goldens("compare", out, tmp_path, (".csv", ".json"))
    # the officer's workbook has no golden bytes: its cells, formats, widths and sheets as openpyxl reads them
    check("compare_arbeitsmappe.txt", inhalt_bytes(out / "SYNTHETISCH_vergleich.xlsx"), tmp_path)
    # the terminal summary in German number format (1.079, 78,2, 0,142, 01.01.2024)
    check("compare_zusammenfassung.txt", r.stdout.encode(), tmp_path)


def test_simulate_outputs_are_golden(cli, tmp_path):
    out = tmp_path / "sim"
    r = cli("simulate", "--monate", "6", "--out", out)
    assert r.code == 0, r.stderr
    _folder_goldens("simulate", out, tmp_path, (".csv", ".json"))


def test_run_outputs_are_golden(cli, tmp_path):
    (tmp_path / "bestand.csv").write_bytes(SCENARIO.read_bytes())
    (tmp_path / "run.toml").write_text(
        'modell = "status-quo"\nbestand = "bestand.csv"\n[zugaenge.flueag]\npersonen = 1260\n'
        '[zugaenge.wsa]\npersonen = 493\n[ausgabe]\nordner = "out"\n', encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", tmp_path / "run.toml")
    assert r.code == 0, r.stderr
    folder = tmp_path / "out" / "2024-05" / "r1"
    _folder_goldens("run", folder, tmp_path, (".csv", ".txt"))
