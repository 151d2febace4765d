"""Issue 25: the comparison's computation on arrays gives the outputs of the pandas code it replaced.

tests/test_golden_outputs.py holds the default comparison byte for byte. This second scenario goes
through the paths the default does not: another basis (M1), all shipped models (pacing, phase-in,
Verrechnung, Sperre), the Stichtag 30.06.2018 (the Integrationspauschale 2018 pot in the money,
key year 2018) and other arrivals. Its golden is one SHA-256 per output file (CSV and JSON,
normalised as the golden outputs are), recorded with the code before the change (d9dfa67);
``VERTEILUNG_GOLDEN_UPDATE=1`` re-records it after a deliberate change, said in the commit message.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.test_golden_outputs import GOLDEN, UPDATE, normalise

HASHES = GOLDEN / "compare_basis_m1_2018.json"
ALL_MODELS = ("status-quo,m1-gemeinsamer-bestand,m1-gemeinsamer-bestand-gestaffelt,m1-gemeinsamer-bestand-uebergang,"
              "m2-mischschluessel,m2-mischschluessel-gestaffelt,m3-verrechnung,m4-sperre")


def test_compare_on_another_basis_and_year_gives_the_recorded_outputs(cli, tmp_path):
    out = tmp_path / "vergleich"
    r = cli("compare", "--modelle", ALL_MODELS, "--basis", "m1-gemeinsamer-bestand", "--stichtag", "30.06.2018",
            "--zugaenge", "flueag=2000", "--zugaenge", "wsa=10", "--out", out)
    assert r.code == 0, r.stderr
    got = {p.name: hashlib.sha256(normalise(p.name, p.read_bytes(), tmp_path)).hexdigest()
           for p in sorted(out.iterdir()) if p.suffix in (".csv", ".json") and not p.name.startswith(".")
           and p.name != "verteilung-ausgaben.json"}
    got["terminal"] = hashlib.sha256(normalise("terminal.txt", r.stdout.encode(), tmp_path)).hexdigest()
    if UPDATE or not HASHES.exists():
        if not UPDATE:
            pytest.fail(f"{HASHES.name} is missing; record it with VERTEILUNG_GOLDEN_UPDATE=1")
        HASHES.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    want = json.loads(HASHES.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want)
    assert [n for n in sorted(want) if got[n] != want[n]] == []
