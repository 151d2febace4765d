"""The monthly run never loses a revision and refuses bad config cleanly (issue 11, items 6, 7, 9, 10).

All through the real CLI, in-process (the ``cli`` fixture); the SIGKILL windows are in test_run.py.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest

from verteilung.ledger import Ledger

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
PERIODE = "2024-05"
CONFIG = ['bestand = "bestand.csv"', "[zugaenge.flueag]", "personen = 1260", "[zugaenge.wsa]", "personen = 493"]


def workspace(folder: Path, ausgabe: list[str] | None = None, top: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bestand.csv").write_bytes(SCENARIO.read_bytes())
    lines = [*(top or []), *CONFIG, "[ausgabe]", *(ausgabe if ausgabe is not None else ['ordner = "out"']), ""]
    (folder / "run.toml").write_text("\n".join(lines), encoding="utf-8")
    return folder / "run.toml"


def tree_hash(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".sqlite" and p.suffix != ".lock"}


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def change_stock(ws: Path, delta: int) -> None:
    df = pd.read_csv(ws / "bestand.csv", dtype=str)
    i = df.index[df["ags"] == "05315000"][0]
    df.loc[i, "flueag_bestand"] = str(int(df.loc[i, "flueag_bestand"]) + delta)
    df.to_csv(ws / "bestand.csv", index=False)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Fehler:")]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """r1 and r2 recorded once per module (two full runs); tests work on copies."""
    from verteilung.cli import main

    ws = tmp_path_factory.mktemp("vorlage")
    config = workspace(ws)
    assert main(["run", "--periode", PERIODE, "--config", str(config)]) == 0
    change_stock(ws, 7)
    assert main(["run", "--periode", PERIODE, "--config", str(config)]) == 0
    assert names(ws / "out" / PERIODE) == ["r1", "r2"]
    return ws


@pytest.fixture
def two_revisions(cli, template, tmp_path):
    """A workspace with r1 and r2 recorded; returns (config, the two runs as `runs show` reports them)."""
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    config = tmp_path / "run.toml"
    shown = {n: cli("runs", "show", f"{PERIODE}/{n}", "--config", config, "--format", "json").json() for n in (1, 2)}
    return config, shown


def comparable(show: dict) -> dict:
    volatile = ("command", "started", "finished", "user", "host", "folder")
    s = {k: v for k, v in show["summary"].items() if k not in volatile}
    return {"summary": s, "rows": show["rows"]}


def test_lost_ledger_is_refused_and_repair_rebuilds_it_exactly(cli, two_revisions, tmp_path):
    config, shown = two_revisions
    out = tmp_path / "out"
    before = tree_hash(out)
    (out / "ledger.sqlite").unlink()
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 2, r.stderr
    msg = " ".join(error_lines(r.stderr))
    assert "2024-05/r1" in msg and "2024-05/r2" in msg and "verteilung runs repair" in msg
    assert tree_hash(out) == before and names(out / PERIODE) == ["r1", "r2"]    # nothing moved aside
    assert not (out / "ledger.sqlite").exists()                                # no empty ledger left behind

    rep = cli("runs", "repair", "--config", config)
    assert rep.code == 0, rep.stderr
    assert "nachgetragen: 2024-05/r1" in rep.stdout and "nachgetragen: 2024-05/r2" in rep.stdout
    for n in (1, 2):
        again = cli("runs", "show", f"{PERIODE}/r{n}", "--config", config, "--format", "json").json()
        assert comparable(again) == comparable(shown[n])
    assert tree_hash(out) == before                                            # repair touches no revision
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 0 and "unverändert: 2024-05/r2" in r.stdout
    assert cli("runs", "repair", "--config", config).stdout.count("nachgetragen:") == 0   # idempotent


def test_new_or_other_ledger_is_refused_not_restarted_at_r1(cli, two_revisions, tmp_path):
    config, _ = two_revisions
    out = tmp_path / "out"
    before = tree_hash(out)
    text = config.read_text().replace('ordner = "out"', 'ordner = "out"\nledger = "sqlite:///neu.sqlite"')
    config.write_text(text)
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 2 and "runs repair" in r.stderr, r.stderr
    # `runs list` never creates a ledger; a new, empty one that already exists is refused too
    r = cli("runs", "list", "--config", config)
    assert r.code == 2 and "kein Ledger unter" in r.stderr and not (tmp_path / "neu.sqlite").exists()
    Ledger(f"sqlite:///{tmp_path / 'neu.sqlite'}")
    r = cli("run", "--periode", "2024-06", "--config", config)
    assert r.code == 2 and "2024-05/r1" in r.stderr
    assert tree_hash(out) == before and names(out / PERIODE) == ["r1", "r2"] and not (out / "2024-06").exists()


def test_relative_sqlite_url_counts_from_the_config_folder(cli, tmp_path, monkeypatch):
    config = workspace(tmp_path / "projekt", ['ordner = "out"', 'ledger = "sqlite:///daten/ledger.sqlite"'])
    for where in ("a", "b"):
        (tmp_path / where).mkdir()
        monkeypatch.chdir(tmp_path / where)
        r = cli("run", "--periode", PERIODE, "--config", config)
        assert r.code == 0, r.stderr
        assert ("fertig: 2024-05/r1" if where == "a" else "unverändert: 2024-05/r1") in r.stdout
        assert names(tmp_path / where) == []                              # no ledger in the working dir
    assert (tmp_path / "projekt" / "daten" / "ledger.sqlite").is_file()
    rows = cli("runs", "list", "--config", config, "--format", "json").json()["rows"]
    assert [(x["periode"], x["revision"]) for x in rows] == [(PERIODE, 1)]


@pytest.mark.parametrize("periode", ["2024-05\n", "\u0662\u0660\u0662\u0664-05", "2024-5", " 2024-05", "2024-00",
                                     "2024-05 ", "２０２４-05"])
def test_period_is_ascii_and_exact(cli, tmp_path, periode):
    config = workspace(tmp_path)
    r = cli("run", "--periode", periode, "--config", config)
    assert r.code == 2 and "erwartet JJJJ-MM" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("ref", ["2024-05/abc", "2024-05\n", "\u0662\u0660\u0662\u0664-05/1", "2024-05/0",
                                 "2024-05/\u00b2", "2024-05/1\n", "2024-5/1", "2024-05/"])
def test_run_refs_are_validated(cli, tmp_path, ref):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    for cmd in (["runs", "show", ref], ["runs", "diff", ref, "2024-05/1"]):
        r = cli(*cmd, "--ledger", url)
        assert r.code == 2, r.stderr
        assert error_lines(r.stderr) and "Lauf-Angabe" in r.stderr and "internal error" not in r.stderr


def test_ref_with_r_prefix_as_the_run_prints_it(cli, two_revisions):
    config, shown = two_revisions
    assert cli("runs", "show", "2024-05/r2", "--config", config, "--format", "json").json() == shown[2]
    assert cli("runs", "show", "2024-05", "--config", config, "--format", "json").json() == shown[2]


BAD_CONFIG = [
    (["stichtag = \"2024-13-01\""], None, "stichtag", "JJJJ-MM-TT"),
    (["stichtag = \"gestern\""], None, "stichtag", "JJJJ-MM-TT"),
    (['solver = "gurobi"'], None, "solver", "highs oder cbc"),
    (["farbe = 1"], None, "farbe", "unbekannter Schlüssel"),
    (None, ['ordner = "out"', 'ledger = "kein url"'], "ausgabe.ledger", "sqlite:///"),
    (None, ['ordner = "out"', 'ledger = "mysql://u@h/db"'], "ausgabe.ledger", "nicht unterstützt"),
    (None, ['ordner = "out"', 'ledger = "sqlite:///bestand.csv"'], "ausgabe.ledger", "keine SQLite-Datenbank"),
    (None, ['ordner = "out"', 'ledger = "sqlite:///"'], "ausgabe.ledger", "Dateipfad"),
    (None, ['ordner = "bestand.csv"'], "ausgabe.ordner", "erwartet einen Ordner"),
    (None, ['ordner = "bestand.csv/out"'], "ausgabe.ordner", "erwartet einen Ordner"),
    (None, ['ordner = "out"', "farbe = 2"], "ausgabe.farbe", "unbekannter Schlüssel"),
    (["jahr = \"2024\""], None, "jahr", "ganze Zahl"),
    (["ohne_meldung_null = \"ja\""], None, "ohne_meldung_null", "true oder false"),
]


@pytest.mark.parametrize("top,ausgabe,key,expected", BAD_CONFIG)
def test_bad_run_config_exits_2_with_one_german_line(cli, tmp_path, top, ausgabe, key, expected):
    config = workspace(tmp_path, ausgabe, top)
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 2, r.stderr
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and str(config) in lines[0] and key in lines[0] and expected in lines[0], r.stderr
    for english in ("Field required", "Input should", "Extra inputs", "Value error", "Traceback", "internal error"):
        assert english not in r.stderr
    assert not (tmp_path / "out").exists() or names(tmp_path / "out") in ([], ["ledger.sqlite"])


@pytest.mark.parametrize("zugaenge,expected", [
    ("personen = -1", "mindestens 0"), ("personen = 100000000000000000000", "höchstens 10.000.000"),
    ('personen = "viele"', "ganze Zahl"), ("personen = 1.5", "ganze Zahl"), ("", "genau eins von personen"),
])
def test_bad_arrivals_in_config(cli, tmp_path, zugaenge, expected):
    config = workspace(tmp_path)
    config.write_text(config.read_text().replace("personen = 493", zugaenge))
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 2 and "zugaenge.wsa" in r.stderr and expected in r.stderr, r.stderr
    assert "Input should" not in r.stderr and "Value error" not in r.stderr


def test_missing_required_key_and_config_folder(cli, tmp_path):
    config = workspace(tmp_path)
    config.write_text(config.read_text().replace('bestand = "bestand.csv"\n', ""))
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 2 and "bestand: Pflichtangabe fehlt" in r.stderr and "Field required" not in r.stderr
    r = cli("run", "--periode", PERIODE, "--config", tmp_path)
    assert r.code == 2 and "ist ein Ordner" in r.stderr


def _disk_full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_during_commit_leaves_no_visible_unrecorded_revision(cli, tmp_path, monkeypatch):
    config = workspace(tmp_path)
    assert cli("run", "--periode", PERIODE, "--config", config).code == 0
    change_stock(tmp_path, 3)
    with monkeypatch.context() as m:
        m.setattr(Ledger, "record", _disk_full)
        r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 74 and "kein Speicherplatz mehr" in r.stderr and "nicht veröffentlicht" in r.stderr
    assert "internal error" not in r.stderr and "No space left" not in r.stderr
    visible = [n for n in names(tmp_path / "out" / PERIODE) if not n.startswith(".")]
    assert visible == ["r1"]
    rows = cli("runs", "list", "--config", config, "--format", "json").json()["rows"]
    assert [x["revision"] for x in rows] == [1]
    r = cli("run", "--periode", PERIODE, "--config", config)           # space again: the run goes through
    assert r.code == 0 and "fertig: 2024-05/r2" in r.stdout, r.stderr
    assert names(tmp_path / "out" / PERIODE) == ["r1", "r2"]


def test_commit_that_landed_despite_an_error_is_restored(cli, tmp_path, monkeypatch):
    config = workspace(tmp_path)
    original = Ledger.record

    def landed_then_failed(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise OSError(errno.EIO, "connection lost after commit")

    with monkeypatch.context() as m:
        m.setattr(Ledger, "record", landed_then_failed)
        assert cli("run", "--periode", PERIODE, "--config", config).code == 1
    assert [n for n in names(tmp_path / "out" / PERIODE) if not n.startswith(".")] == []
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 0 and "unverändert: 2024-05/r1" in r.stdout and "wiederhergestellt" in r.stderr
    assert names(tmp_path / "out" / PERIODE) == ["r1"]
    assert (tmp_path / "out" / PERIODE / "r1" / "manifest.json").is_file()


def test_revision_folders_get_ordinary_permissions(cli, tmp_path):
    old = os.umask(0o022)
    try:
        config = workspace(tmp_path)
        assert cli("run", "--periode", PERIODE, "--config", config).code == 0
    finally:
        os.umask(old)
    r1 = tmp_path / "out" / PERIODE / "r1"
    assert stat.S_IMODE(r1.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "out" / PERIODE).stat().st_mode) == 0o755
    for f in r1.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f.name


def test_repair_reports_leftovers_and_removes_them_only_when_asked(cli, two_revisions, tmp_path):
    config, _ = two_revisions
    period = tmp_path / "out" / PERIODE
    shutil.copytree(period / "r1", period / ".verworfen-r1-1700000000")
    (period / ".tmp-abc").mkdir()
    (period / ".tmp-abc" / "verteilstatistik_flueag.csv").write_text("halb")
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 0 and ".verworfen-r1-1700000000" in r.stderr and "--aufraeumen" in r.stderr
    (period / ".tmp-abc").mkdir()
    rep = cli("runs", "repair", "--config", config)
    assert rep.code == 0, rep.stderr
    assert "übrig: 2024-05/.verworfen-r1-1700000000 (beiseitegelegt; Kopie von 2024-05/r1 im Ledger)" in rep.stdout
    assert "übrig: 2024-05/.tmp-abc" in rep.stdout
    assert (period / ".verworfen-r1-1700000000").exists() and (period / ".tmp-abc").exists()
    rep = cli("runs", "repair", "--config", config, "--aufraeumen")
    assert rep.code == 0 and "entfernt: 2024-05/.verworfen-r1-1700000000" in rep.stdout
    assert "entfernt: 2024-05/.tmp-abc" in rep.stdout
    assert names(period) == ["r1", "r2"]


def test_repair_refuses_a_revision_whose_files_changed(cli, two_revisions, tmp_path):
    config, _ = two_revisions
    out = tmp_path / "out"
    (out / "ledger.sqlite").unlink()
    f = out / PERIODE / "r2" / "verteilstatistik_wsa.csv"
    f.write_text(f.read_text().replace("05315000", "05315001", 1))
    before = tree_hash(out)
    rep = cli("runs", "repair", "--ledger", f"sqlite:///{out / 'ledger.sqlite'}", "--ordner", out)
    assert rep.code == 2 and "nachgetragen: 2024-05/r1" in rep.stdout
    assert "2024-05/r2 nicht nachgetragen: verteilstatistik_wsa.csv" in rep.stderr
    assert tree_hash(out) == before
    r = cli("run", "--periode", PERIODE, "--config", config)        # still refused: r2 is unknown
    assert r.code == 2 and "2024-05/r2" in r.stderr and "2024-05/r1" not in r.stderr


def test_new_postgres_ledger_is_refused_and_repaired(cli, tmp_path, postgres_exclusive):
    """The same rules on a shared PostgreSQL ledger: a recreated database is new, not a fresh start."""
    from tests.test_run import IN_CI, PG_URL, postgres_available
    from verteilung.ledger import metadata

    if not postgres_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL not reachable at {PG_URL} (.ci/run starts it)")
        pytest.skip("no PostgreSQL server reachable here; set VERTEILUNG_TEST_POSTGRES_URL (CI runs these)")
    engine = Ledger(PG_URL).engine
    metadata.drop_all(engine)
    config = workspace(tmp_path, ['ordner = "out"', f'ledger = "{PG_URL}"'])
    assert cli("run", "--periode", PERIODE, "--config", config).code == 0
    metadata.drop_all(engine)                                            # the database is replaced
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 2 and "2024-05/r1" in r.stderr and "runs repair" in r.stderr
    assert "verteilung:verteilung@" not in r.stderr                     # no password in messages
    assert cli("runs", "repair", "--config", config).code == 0
    r = cli("run", "--periode", PERIODE, "--config", config)
    assert r.code == 0 and "unverändert: 2024-05/r1" in r.stdout
