"""Scheduled runs through the real CLI: idempotent, crash-safe, auditable; SQLite and PostgreSQL ledgers."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from verteilung.ledger import Ledger, metadata

SCENARIO = Path("inputs/nrw/szenario/bestand_synthetisch_2024.csv").resolve()
PG_URL = os.environ.get("VERTEILUNG_TEST_POSTGRES_URL", "postgresql+psycopg://verteilung:verteilung@127.0.0.1:5432/verteilung_test")
IN_CI = os.environ.get("CI") == "true"
PERIODE = "2024-05"


def postgres_available() -> bool:
    try:
        Ledger(PG_URL)
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgres"])
def ws(request, tmp_path):
    """A workspace: stock file, run config, output folder; the ledger in SQLite or PostgreSQL."""
    ledger = None
    if request.param == "postgres":
        request.getfixturevalue("postgres_exclusive")   # one test at a time owns the shared database
        if not postgres_available():
            if IN_CI:
                pytest.fail(f"PostgreSQL not reachable at {PG_URL} (.ci/run starts it)")
            pytest.skip("no PostgreSQL server reachable here; set VERTEILUNG_TEST_POSTGRES_URL (CI runs these)")
        led = Ledger(PG_URL)
        metadata.drop_all(led.engine)
        metadata.create_all(led.engine)
        ledger = PG_URL
    (tmp_path / "bestand.csv").write_bytes(SCENARIO.read_bytes())
    config = tmp_path / "run.toml"
    config.write_text("\n".join([
        'modell = "status-quo"', 'bestand = "bestand.csv"',
        "[zugaenge.flueag]", "personen = 1260", "[zugaenge.wsa]", "personen = 493",
        "[ausgabe]", 'ordner = "out"', *([f'ledger = "{ledger}"'] if ledger else []), ""]), encoding="utf-8")
    return tmp_path


def verteilung(ws: Path, *args: str, env: dict | None = None, wait: bool = True):
    cmd = [sys.executable, "-m", "verteilung", *args]
    full_env = {**os.environ, **(env or {})}
    if not wait:
        return subprocess.Popen(cmd, cwd=ws, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, cwd=ws, env=full_env, capture_output=True, text=True, timeout=300)


def run(ws: Path, **kw):
    return verteilung(ws, "run", "--periode", PERIODE, "--config", "run.toml", **kw)


def ledger_rows(ws: Path) -> pd.DataFrame:
    r = verteilung(ws, "runs", "list", "--config", "run.toml", "--format", "json")
    assert r.returncode == 0, r.stderr
    return pd.DataFrame(json.loads(r.stdout)["rows"])


def tree_hash(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def revisions(ws: Path) -> list[str]:
    d = ws / "out" / PERIODE
    return sorted(p.name for p in d.iterdir() if p.name.startswith("r")) if d.exists() else []


def change_stock(ws: Path, ags: str, delta: int) -> None:
    df = pd.read_csv(ws / "bestand.csv", dtype=str)
    i = df.index[df["ags"] == ags][0]
    df.loc[i, "flueag_bestand"] = str(int(df.loc[i, "flueag_bestand"]) + delta)
    df.to_csv(ws / "bestand.csv", index=False)


def test_run_twice_gives_one_revision(ws):
    first = run(ws)
    assert first.returncode == 0, first.stderr
    assert "fertig: 2024-05/r1" in first.stdout
    folder = ws / "out" / PERIODE / "r1"
    for name in ("manifest.json", "erlaeuterung.txt", "lauf.log", "verteilstatistik.xlsx",
                 "verteilstatistik_flueag.csv", "verteilstatistik_wsa.csv", "zuweisung_flueag.csv"):
        assert (folder / name).exists(), name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["eingaben"]["bestand"]["sha256"] == hashlib.sha256((ws / "bestand.csv").read_bytes()).hexdigest()
    assert any(p["name"] == "flueag_kappung" and p["paragraph"].startswith("§ 3") for p in manifest["parameter"])
    assert manifest["befehl"][:2] == ["verteilung", "run"] or "run" in manifest["befehl"]
    assert "§ 3 Abs. 5 S. 3 FlüAG" in (folder / "erlaeuterung.txt").read_text()
    # the audit trail: each Gemeinde's decision adds up to its allocation, and the log counts them
    for system, personen in (("flueag", 1260), ("wsa", 493)):
        ent = pd.read_csv(folder / f"entscheidungen_{system}.csv", dtype={"ags": str})
        zw = pd.read_csv(folder / f"zuweisung_{system}.csv", dtype={"ags": str})
        assert list(ent["ags"]) == list(zw["ags"]) and list(ent["zuweisung"]) == list(zw["zuweisung"])
        assert (ent["zuweisung_fest"] + ent["zuweisung_frei"] == ent["zuweisung"]).all()
        assert ent["zuweisung"].sum() == personen and list(ent["hinweis"]) == list(zw["hinweis"])  # NÄHERUNG too
        assert (ent.loc[ent["zuweisung_frei"] > 0, "grund"] == "rang").all()  # no bound in this config
        line = next(x for x in (folder / "erlaeuterung.txt").read_text().splitlines()
                    if x.startswith(f"[{'FlüAG' if system == 'flueag' else 'WSA'}] Entscheidungen"))
        counts = [int(n.replace(".", "")) for n in re.findall(r"([\d.]+) × ", line)]
        assert sum(counts) == len(ent) == 396
        assert f"{(ent['grund'] == 'rang').sum()} × niedrigste Erfüllungsquote zuerst" in line
    assert "Entscheidungen FlüAG" in openpyxl.load_workbook(folder / "verteilstatistik.xlsx").sheetnames
    assert "Ledger eingetragen" in first.stderr            # one log line per step on stderr
    before = tree_hash(ws / "out" / PERIODE)
    second = run(ws)
    assert second.returncode == 0 and "unverändert" in second.stdout
    assert revisions(ws) == ["r1"] and tree_hash(ws / "out" / PERIODE) == before
    assert len(ledger_rows(ws)) == 1
    # the next month with last month's stock file: refused from either ledger (issue 20)
    june = verteilung(ws, "run", "--periode", "2024-06", "--config", "run.toml")
    assert june.returncode == 2 and "byteweise gleich" in june.stderr and "2024-05/r1" in june.stderr
    assert not (ws / "out" / "2024-06").exists() and len(ledger_rows(ws)) == 1


def test_changed_stock_gives_revision_2_and_diff_names_the_gemeinde(ws):
    assert run(ws).returncode == 0
    r1 = tree_hash(ws / "out" / PERIODE / "r1")
    change_stock(ws, "05315000", 7)                   # Köln
    second = run(ws)
    assert second.returncode == 0 and "2024-05/r2" in second.stdout
    assert revisions(ws) == ["r1", "r2"]
    assert tree_hash(ws / "out" / PERIODE / "r1") == r1          # r1 untouched
    d = verteilung(ws, "runs", "diff", "2024-05/1", "2024-05/2", "--config", "run.toml", "--format", "json")
    assert d.returncode == 0, d.stderr
    rows = pd.DataFrame(json.loads(d.stdout)["rows"])
    changed_input = rows[rows["bestand_diff"] != 0]
    assert list(changed_input["ags"]) == ["05315000"] and list(changed_input["bestand_diff"]) == [7]
    assert [c["eingabe"] for c in json.loads(d.stdout)["summary"]["eingaben"]] == ["bestand"]
    t = verteilung(ws, "runs", "diff", "2024-05/1", "2024-05/2", "--config", "run.toml", env={"COLUMNS": "100"})
    assert t.returncode == 0, t.stderr
    lines = t.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100, t.stdout
    text = t.stdout
    assert text.index("Bestandsdatei geändert") < text.index("05315000 Köln, Stadt, FlüAG: Bestand") \
        < text.index("Gemeinden mit geändertem Ergebnis")                     # the input change first
    listed = [line.split()[0] for line in lines[lines.index(next(x for x in lines if x.lstrip().startswith("AGS"))):]
              if line[:1] == " " and line.split()[:1] and line.split()[0].isdigit()]
    result_changed = rows[(rows[["soll_diff", "aufnahmeverpflichtung_diff", "zuweisung_diff", "bestand_diff"]] != 0)
                          .any(axis=1)]
    assert "05315000" in listed and sorted(listed) == sorted(set(result_changed["ags"]))
    assert len(listed) < len(rows) and "mit --alle gezeigt" in text       # quota-only shifts are counted
    show = verteilung(ws, "runs", "show", "2024-05/2", "--config", "run.toml", "--format", "json")
    assert json.loads(show.stdout)["summary"]["revision"] == 2


@pytest.mark.parametrize("defect,needle", [
    ("bad_ags", "kein gültiger AGS"), ("negative", "ist negativ"), ("truncated", "abgeschnitten"),
])
def test_corrupt_input_changes_nothing(ws, defect, needle):
    assert run(ws).returncode == 0
    before = tree_hash(ws / "out")
    text = (ws / "bestand.csv").read_text()
    if defect == "bad_ags":
        text = text.replace("05315000", "531500", 1)  # 7 digits would get their zero back
    elif defect == "negative":
        df = pd.read_csv(ws / "bestand.csv", dtype=str)
        df.loc[3, "wsa_bestand"] = "-4"
        text = df.to_csv(index=False)
    else:
        text = text[: len(text) // 2]
    (ws / "bestand.csv").write_text(text)
    r = run(ws)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "bestand.csv" in r.stderr
    assert revisions(ws) == ["r1"] and len(ledger_rows(ws)) == 1
    after = {k: v for k, v in tree_hash(ws / "out").items()}
    assert {k: v for k, v in after.items() if not k.endswith("ledger.sqlite")} == \
        {k: v for k, v in before.items() if not k.endswith("ledger.sqlite")}


def _wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def test_sigkill_while_writing_leaves_previous_state(ws):
    assert run(ws).returncode == 0
    change_stock(ws, "05315000", 3)
    proc = run(ws, env={"VERTEILUNG_TEST_PAUSE": "write:60"}, wait=False)
    period = ws / "out" / PERIODE
    _wait_for(lambda: any(p.name.startswith(".tmp-") for p in period.iterdir()))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert revisions(ws) == ["r1"] and len(ledger_rows(ws)) == 1
    again = run(ws)
    assert again.returncode == 0 and "r2" in again.stdout
    assert not any(p.name.startswith(".tmp-") for p in period.iterdir())


def test_sigkill_between_rename_and_ledger_is_repaired(ws):
    assert run(ws).returncode == 0
    change_stock(ws, "05315000", 5)
    proc = run(ws, env={"VERTEILUNG_TEST_PAUSE": "renamed:60"}, wait=False)
    _wait_for(lambda: (ws / "out" / PERIODE / "r2").exists())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(ledger_rows(ws)["revision"]) == [1]          # the ledger never saw r2
    again = run(ws)
    assert again.returncode == 0, again.stderr
    assert "ohne Ledger-Eintrag" in again.stderr and "r2" in again.stdout
    assert list(ledger_rows(ws)["revision"]) == [1, 2] and revisions(ws) == ["r1", "r2"]
    manifest = json.loads((ws / "out" / PERIODE / "r2" / "manifest.json").read_text())
    assert manifest["revision"] == 2


def test_concurrent_runs_never_duplicate(ws):
    procs = [run(ws, env={"VERTEILUNG_TEST_PAUSE": "write:2"}, wait=False) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    texts = " ".join(o[0] for o in outs)
    assert texts.count("fertig") == 1 and texts.count("unverändert") == 1
    assert revisions(ws) == ["r1"] and len(ledger_rows(ws)) == 1


def test_lock_refusal_with_nicht_warten(ws):
    first = run(ws, env={"VERTEILUNG_TEST_PAUSE": "write:8"}, wait=False)
    _wait_for(lambda: (ws / "out" / PERIODE).exists() and any(p.name.startswith(".tmp-")
                                                              for p in (ws / "out" / PERIODE).iterdir()))
    second = verteilung(ws, "run", "--periode", PERIODE, "--config", "run.toml", "--nicht-warten")
    assert second.returncode == 75 and "ein anderer Lauf für diese Periode läuft gerade" in second.stderr
    first.communicate(timeout=300)
    assert first.returncode == 0


def test_infeasible_allocation_exits_3_and_writes_nothing(tmp_path):
    (tmp_path / "bestand.csv").write_bytes(SCENARIO.read_bytes())
    (tmp_path / "cap.csv").write_text("ags,max_zuweisung\n" + "".join(
        f"{a},1\n" for a in pd.read_csv(SCENARIO, dtype=str)["ags"]))
    (tmp_path / "run.toml").write_text('bestand = "bestand.csv"\n[zugaenge.flueag]\npersonen = 1260\n'
                                       'beschraenkungen = "cap.csv"\n[zugaenge.wsa]\npersonen = 10\n'
                                       '[ausgabe]\nordner = "out"\n')
    r = run(tmp_path)
    assert r.returncode == 3 and "1260 Personen sind zuzuweisen, die aufnehmenden Gemeinden" in r.stderr
    assert not (tmp_path / "out" / PERIODE).exists() or revisions(tmp_path) == []


def test_bad_config_and_period_are_refused(tmp_path):
    (tmp_path / "run.toml").write_text('bestand = "fehlt.csv"\nfarbe = 1\n[zugaenge.flueag]\npersonen = 1\n')
    r = verteilung(tmp_path, "run", "--periode", "2024-13", "--config", "run.toml")
    assert r.returncode == 2 and "erwartet JJJJ-MM" in r.stderr
    r = run(tmp_path)
    assert r.returncode == 2 and "farbe" in r.stderr
    assert not (tmp_path / "out").exists()


def test_many_processes_open_a_new_ledger_at_once(tmp_path):
    """Regression: concurrent first use raced on CREATE TABLE ('table runs already exists')."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    code = f"from verteilung.ledger import Ledger; Ledger({url!r}).max_revision('2024-05')"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(12)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors


def _record(led: Ledger, revision: int, rows: pd.DataFrame, hashes: dict, personen: int = 100) -> None:
    led.record({"periode": PERIODE, "revision": revision, "fingerprint": f"f{revision}", "status": "fertig",
                "modell": "status-quo", "input_hashes": json.dumps(hashes),
                "summary": json.dumps({"flueag": {"personen": personen}}), "started": "2024-05-01T00:00:00",
                "finished": "2024-05-01T00:00:01", "user": "test", "host": "test", "command": "test",
                "folder": "/nicht/vorhanden"}, rows)


def test_diff_lists_only_the_gemeinde_whose_input_and_result_changed(cli, tmp_path):
    """A one-Gemeinde input change whose result changes only there: exactly that Gemeinde is listed,
    the changed file and stock value come first, the rest of the Gemeinden are left out."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    led = Ledger(url)
    names = ["Aachen, Stadt", "Bonn, Stadt", "Ein sehr langer Gemeindename mit Zusatz (Westfalen)"]
    base = pd.DataFrame({"system": "flueag", "ags": ["05334002", "05314000", "05566000"], "gemeinde": names,
                         "bestand": [100.0, 200.0, 300.0], "anrechnung": 0.0, "soll": [110, 190, 300],
                         "aufnahmeverpflichtung": [10, 0, 0], "erfuellungsquote": [90.91, 105.26, 100.0],
                         "zuweisung": [5, 0, 0]})
    changed = base.copy()
    changed.loc[2, ["bestand", "aufnahmeverpflichtung", "erfuellungsquote", "zuweisung"]] = [280.0, 20, 93.33, 7]
    changed.loc[0, ["erfuellungsquote", "zuweisung"]] = [90.92, 3]
    changed.loc[0, "zuweisung"] = 5                                       # only the quota moves in Aachen
    _record(led, 1, base, {"bestand": "a" * 64, "config": "c" * 64})
    _record(led, 2, changed, {"bestand": "b" * 64, "config": "c" * 64}, personen=120)
    r = cli("runs", "diff", "2024-05/1", "2024-05/2", "--ledger", url)
    assert r.code == 0, r.stderr
    out = " ".join(r.stdout.split())                                     # rich wraps long lines
    assert max(len(line) for line in r.stdout.splitlines()) <= 100
    assert "Bestandsdatei geändert: SHA-256 aaaaaaaaaaaa → bbbbbbbbbbbb" in out
    assert "Zugänge FlüAG: 100 → 120 Personen" in out and "Konfiguration" not in out
    assert "05566000 Ein sehr langer Gemeindename mit Zusatz (Westfalen), FlüAG: Bestand 300 → 280" in out
    assert "Gemeinden mit geändertem Ergebnis: 1" in out and "Nur die Erfüllungsquote verschoben" in out
    table = out[out.index("Gemeinden mit geändertem Ergebnis"):]
    assert "05566000" in table and "Aufnahmeverpflichtung 0 → 20" in table and "Zuweisung 0 → 7" in table
    assert "Erfüllungsquote 100,00 % → 93,33 %" in table
    assert "05334002" not in table and "05314000" not in out
    alle = cli("runs", "diff", "2024-05/1", "2024-05/2", "--ledger", url, "--alle").stdout
    assert "05334002" in alle and "Erfüllungsquote 90,91 % → 90,92 %" in alle and "05314000" not in alle
    machine = json.loads(cli("runs", "diff", "2024-05/1", "2024-05/2", "--ledger", url, "--format", "json").stdout)
    assert [row["ags"] for row in machine["rows"]] == ["05334002", "05566000"]    # unchanged: every differing row
    assert machine["summary"]["geaendert"] == 2
    xlsx = tmp_path / "vergleich.xlsx"
    assert cli("runs", "diff", "2024-05/1", "2024-05/r2", "--ledger", url, "--out", xlsx).code == 0
    import openpyxl

    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[0] == "Läufe 2024-05 r1 → 2024-05 r2"
    cells = [str(v) for row in wb["Parameter"].iter_rows(values_only=True) for v in row]
    assert "Bestandsdatei geändert: SHA-256 aaaaaaaaaaaa → bbbbbbbbbbbb; Zugänge FlüAG: 100 → 120 Personen" in cells
    assert not any("{'" in c or "[{" in c for c in cells)                  # no Python reprs
