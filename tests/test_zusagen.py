"""README "Zusagen": nothing of the user's is overwritten, refused commands write nothing, and the
monthly run and allocate follow one rule. Every case through the real CLI (issue 20)."""

from __future__ import annotations

import configparser
import errno
import importlib
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from tests.test_outputs import SMALL, project_with_runs, snapshot

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
G = str(ROOT / "tests" / "data" / "modelle_gemeinden.csv")
B = str(ROOT / "tests" / "data" / "modelle_bestand.csv")


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Path:
    """A working folder with a stock file, a Gemeinden table and a household file, as cwd."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.csv").write_bytes(SCENARIO.read_bytes())
    (tmp_path / "g.csv").write_bytes(Path(G).read_bytes())
    (tmp_path / "h.csv").write_text("haushalt_id,personen\nh1,3\nh2,1\n", encoding="utf-8")
    return tmp_path


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- outputs never overwrite an input or each other ------------------------------------------------

ONTO_INPUT = [
    ("status", "--system", "flueag", "--bestand", "b.csv", "--out", "b.csv"),
    ("status", "--system", "flueag", "--bestand", "b.csv", "--out", "./b.csv"),
    ("status", "--system", "flueag", "--bestand", "./b.csv", "--out", "link.csv"),   # a symlink to b.csv
    ("status", "--system", "flueag", "--bestand", "b.csv", "--out", "hart.csv"),     # a hard link to b.csv
    ("status", "--system", "flueag", "--bestand", "b.csv", "--out", "sub/../b.csv"),
    ("keys", "--system", "flueag", "--gemeinden", "g.csv", "--out", "g.csv"),
    ("allocate", "--system", "flueag", "--bestand", "b.csv", "--haushalte", "h.csv", "--out", "h.csv"),
    ("allocate", "--system", "flueag", "--bestand", "b.csv", "--haushalte", "h.csv", "--haushalte-out", "b.csv"),
    ("allocate", "--system", "flueag", "--bestand", "b.csv", "--haushalte", "h.csv", "--out", "x.xlsx",
     "--haushalte-out", "./x.xlsx"),
    ("explain", "05315000", "--system", "flueag", "--bestand", "b.csv", "--out", "b.csv"),
    ("data", "check", "--bestand", "b.csv", "--format", "json", "--out", "b.csv"),
    ("calibrate", "--spalten", "einwohner,flaeche", "--bestand", "b.csv", "--out", "b.csv"),
    ("compare", "--gemeinden", "g.csv", "--out", ".", "--ueberschreiben"),           # input inside the folder
]


@pytest.mark.parametrize("args", ONTO_INPUT, ids=lambda a: " ".join(a))
def test_an_output_onto_an_input_is_refused_before_computing(cli, ws, args):
    (ws / "sub").mkdir()
    (ws / "link.csv").symlink_to("b.csv")
    os.link(ws / "b.csv", ws / "hart.csv")
    before = _files(ws)
    r = cli(*args)
    assert r.code == 2, r.stderr
    assert r.stderr.startswith("Fehler: ") and "Traceback" not in r.stderr
    assert ("dieselbe Datei" in r.stderr) or ("liegt im Ausgabeordner" in r.stderr), r.stderr
    assert _files(ws) == before


def test_an_input_the_tool_wrote_into_the_output_folder_is_not_replaced(cli, ws):
    args = ("compare", "--modelle", "status-quo", "--bestand", B, "--stichtag", "2024-01-01")
    assert cli(*args, "--gemeinden", G, "--out", "v").code == 0
    (ws / "v" / "gemeinden_eigen.csv").write_bytes(Path(G).read_bytes())   # the user's own file in v/
    before = _files(ws / "v")
    r = cli(*args, "--gemeinden", "v/gemeinden.csv", "--out", "v")          # compare's own output as input
    assert r.code == 2 and "liegt im Ausgabeordner" in r.stderr, r.stderr
    assert _files(ws / "v") == before
    r = cli(*args, "--gemeinden", "v/gemeinden_eigen.csv", "--out", "v")   # never replaced: allowed
    assert r.code == 0, r.stderr
    assert (ws / "v" / "gemeinden_eigen.csv").read_bytes() == Path(G).read_bytes()


def test_the_path_check_comes_before_reading_the_inputs(cli, ws):
    (ws / "kaputt.csv").write_text("das ist keine Bestandsdatei\n", encoding="utf-8")
    r = cli("status", "--system", "flueag", "--bestand", "kaputt.csv", "--out", "kaputt.csv")
    assert r.code == 2 and "dieselbe Datei wie die Eingabe --bestand" in r.stderr, r.stderr
    assert (ws / "kaputt.csv").read_text(encoding="utf-8") == "das ist keine Bestandsdatei\n"


def test_a_model_file_and_a_ledger_file_count_as_inputs(cli, ws):
    model = ws / "m.yaml"
    model.write_bytes((ROOT / "models" / "m1-gemeinsamer-bestand.yaml").read_bytes())
    r = cli("status", "--system", "gesamt", "--modell", "m.yaml", "--bestand", "b.csv", "--out", "m.yaml")
    assert r.code == 2 and "--modell" in r.stderr
    assert model.read_bytes() == (ROOT / "models" / "m1-gemeinsamer-bestand.yaml").read_bytes()
    ledger = ws / "mein.sqlite"
    ledger.write_bytes(b"SQLite format 3\x00")
    r = cli("runs", "list", "--ledger", f"sqlite:///{ledger}", "--format", "csv", "--out", ledger)
    assert r.code == 2 and "--ledger" in r.stderr and ledger.read_bytes() == b"SQLite format 3\x00"


# --- nothing is written into a published run ----------------------------------------------------

INTO_RUN = [
    ("status", "--system", "flueag", "--bestand", str(SCENARIO), "--out", "{o}/2024-05/r1/verteilstatistik.xlsx"),
    ("status", "--system", "flueag", "--bestand", str(SCENARIO), "--out", "{o}/2024-05/neu.xlsx"),
    ("keys", "--system", "flueag", "--format", "csv", "--out", "{o}/2024-05/r2/k.csv"),
    ("keys", "--system", "flueag", "--format", "csv", "--out", "{o}/2024-07/k.csv"),   # a month still to run
    ("compare", *SMALL, "--out", "{o}/2024-05"),
    ("compare", *SMALL, "--out", "{o}/2024-05/r1/vergleich"),
    ("simulate", "--monate", "1", "--out", "{o}/2024-05/r2"),
    ("report", "--monate", "0", "--out", "{o}/2024-05/bericht.html"),
    ("runs", "list", "--ledger", "sqlite:///{o}/ledger.sqlite", "--out", "{o}/2024-05/r1/laeufe.csv"),
]


@pytest.mark.parametrize("args", INTO_RUN, ids=lambda a: " ".join(a[:2]) + " " + a[-1].split("}")[-1])
def test_nothing_is_written_into_a_period_or_revision_folder(cli, tmp_path, args):
    outputs = project_with_runs(tmp_path)
    before = snapshot(outputs)
    r = cli(*(a.replace("{o}", str(outputs)) for a in args))
    assert r.code == 2, r.stderr
    assert "eines Monatslaufs" in r.stderr and "nur verteilung run schreibt dort" in r.stderr
    assert snapshot(outputs) == before


def test_a_period_folder_of_a_postgres_ledger_is_known_by_its_revisions(cli, tmp_path):
    outputs = project_with_runs(tmp_path)
    (outputs / "ledger.sqlite").unlink()  # no ledger file beside it: the revisions' manifests tell
    before = snapshot(outputs)
    r = cli("keys", "--system", "flueag", "--format", "csv", "--out", outputs / "2024-05" / "k.csv")
    assert r.code == 2 and "eines Monatslaufs" in r.stderr
    assert snapshot(outputs) == before


# --- an output folder replaces only what the tool wrote ------------------------------------------

def test_a_users_file_of_an_output_name_is_refused_unless_ueberschreiben(cli, tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    (out / "bericht.html").write_text("<p>mein eigener Bericht</p>", encoding="utf-8")
    r = cli("compare", *SMALL, "--report", "--out", out)
    assert r.code == 2 and str(out / "bericht.html") in r.stderr and "--ueberschreiben" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["bericht.html"]  # nothing else written either
    assert (out / "bericht.html").read_text(encoding="utf-8") == "<p>mein eigener Bericht</p>"
    r = cli("compare", *SMALL, "--report", "--out", out, "--ueberschreiben")
    assert r.code == 0, r.stderr
    written = json.loads((out / "verteilung-ausgaben.json").read_text(encoding="utf-8"))["dateien"]
    assert "bericht.html" in written and "vergleich.xlsx" in written
    r = cli("compare", *SMALL, "--report", "--out", out)                 # its own files: replaced
    assert r.code == 0, r.stderr


@pytest.mark.parametrize("command", [
    ("simulate", "--monate", "1"),
    ("sensitivitaet", "--modell", "m1", "--parameter", "kappung=1.05:1.6,zugaenge=100:5000", "--sobol", "8"),
    ("sweep", "--modell", "gewichtet", "--gewichte", "einwohner=0.8,flaeche=0.2", "--parameter",
     "einwohner=0.7:0.9", "--raster", "2"),
], ids=lambda a: a[0])
def test_every_folder_command_keeps_a_users_file(cli, tmp_path, command):
    out = tmp_path / "v"
    out.mkdir()
    names = {"simulate": "SYNTHETISCH_monate.csv", "sensitivitaet": "SYNTHETISCH_sobol.csv",
             "sweep": "SYNTHETISCH_sweep.json"}
    mine = out / names[command[0]]
    mine.write_text("meins\n", encoding="utf-8")
    r = cli(*command, "--out", out)
    assert r.code == 2 and str(mine) in r.stderr, r.stderr
    assert mine.read_text(encoding="utf-8") == "meins\n"
    assert not (out / "verteilung-ausgaben.json").exists()


def test_a_users_file_named_like_the_manifest_is_kept(cli, tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    (out / "verteilung-ausgaben.json").write_text('{"meine": "Notizen"}\n', encoding="utf-8")
    r = cli("compare", *SMALL, "--out", out)
    assert r.code == 2 and "verteilung-ausgaben.json" in r.stderr, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["verteilung-ausgaben.json"]
    assert (out / "verteilung-ausgaben.json").read_text(encoding="utf-8") == '{"meine": "Notizen"}\n'


def test_a_symlinked_output_pointing_outside_is_refused_not_followed(cli, tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    outside = tmp_path / "fremd.xlsx"
    outside.write_bytes(b"fremde Daten")
    (out / "vergleich.xlsx").symlink_to(outside)
    r = cli("compare", *SMALL, "--out", out)
    assert r.code == 2 and "symbolischer Link nach außerhalb" in r.stderr
    r = cli("compare", *SMALL, "--out", out, "--ueberschreiben")   # not even with --ueberschreiben
    assert r.code == 2 and outside.read_bytes() == b"fremde Daten"
    sweep_out = tmp_path / "s"
    sweep_out.mkdir()
    (tmp_path / "anderswo").mkdir()
    (sweep_out / "batches").symlink_to(tmp_path / "anderswo")
    r = cli("sweep", "--modell", "gewichtet", "--gewichte", "einwohner=0.8,flaeche=0.2", "--parameter",
            "einwohner=0.7:0.9", "--raster", "2", "--out", sweep_out)
    assert r.code == 2 and "symbolischer Link" in r.stderr and not list((tmp_path / "anderswo").iterdir())


def test_sweep_twice_with_equal_inputs_gives_byte_identical_files(cli, tmp_path):
    args = ("sweep", "--modell", "gewichtet", "--gewichte", "einwohner=0.8,flaeche=0.2",
            "--parameter", "einwohner=0.7:0.9", "--raster", "3", "--report")
    assert cli(*args, "--out", tmp_path / "a").code == 0
    first = _files(tmp_path / "a")
    r = cli(*args, "--out", tmp_path / "a")                          # again into the same folder
    assert r.code == 0, r.stderr
    assert cli(*args, "--out", tmp_path / "b").code == 0             # and into a fresh one
    assert _files(tmp_path / "a") == first == _files(tmp_path / "b")
    assert "sekunden" not in json.loads(first["SYNTHETISCH_sweep.json"])


# --- a refused command writes nothing -------------------------------------------------------------

def _config(ws: Path, bestand: str = "b.csv", extra: str = "") -> Path:
    config = ws / "run.toml"
    config.write_text(f'bestand = "{bestand}"\n{extra}[zugaenge.flueag]\npersonen = 1260\n[zugaenge.wsa]\n'
                      'personen = 493\n[ausgabe]\nordner = "out"\n', encoding="utf-8")
    return config


def test_a_run_whose_period_folder_is_a_file_writes_nothing(cli, ws):
    config = _config(ws)
    (ws / "out").mkdir()
    (ws / "out" / "2024-05").write_text("notiz\n", encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 2 and "ist eine Datei" in r.stderr, r.stderr
    assert sorted(p.name for p in (ws / "out").iterdir()) == ["2024-05"]   # no lock file, no ledger.sqlite


def test_runs_commands_without_a_ledger_say_so_and_create_none(cli, ws):
    r = cli("runs", "list")
    assert r.code == 2 and "kein Ledger unter" in r.stderr and str(ws / "outputs" / "ledger.sqlite") in r.stderr
    assert not (ws / "outputs").exists()
    config = _config(ws)
    for args in (("runs", "list"), ("runs", "show", "2024-05"), ("runs", "diff", "2024-05/1", "2024-05/2")):
        r = cli(*args, "--config", config)
        assert r.code == 2 and "kein Ledger unter" in r.stderr, r.stderr
    assert not (ws / "out").exists()


# --- the monthly run and allocate follow one rule ---------------------------------------------------

def _fullest_gemeinde() -> tuple[str, str]:
    """The Gemeinde with the highest FlüAG quota in the synthetic stock (well over 100 %)."""
    from verteilung import api

    table, _ = api.status("flueag", SCENARIO)
    row = table.sort_values("erfuellungsquote", ascending=False).iloc[0]
    assert row["erfuellungsquote"] > 100
    return str(row["ags"]), str(row["gemeinde"])


def test_run_and_allocate_give_one_answer_and_name_the_true_cause(cli, ws):
    ags, name = _fullest_gemeinde()
    (ws / "min.csv").write_text(f"ags,min_zuweisung\n{ags},20\n", encoding="utf-8")
    a = cli("allocate", "--system", "flueag", "--bestand", "b.csv", "--personen", "1260", "--beschraenkungen",
            "min.csv")
    config = _config(ws).read_text(encoding="utf-8").replace("personen = 1260\n",
                                                             'personen = 1260\nbeschraenkungen = "min.csv"\n', 1)
    (ws / "run.toml").write_text(config, encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", "run.toml")
    assert a.code == r.code == 3, (a.stderr, r.stderr)
    cause = f"{name} (AGS {ags}) hat keine offene Aufnahmeverpflichtung"
    for res in (a, r):
        assert cause in res.stderr and "§ 3 FlüAG" in res.stderr and "Mindestzuweisung 20" in res.stderr
        assert "ist gesperrt" not in res.stderr
    assert not (ws / "out" / "2024-05").exists()
    (ws / "sperre.csv").write_text(f"ags,gesperrt,min_zuweisung\n{ags},ja,20\n", encoding="utf-8")
    s = cli("allocate", "--system", "flueag", "--bestand", "b.csv", "--personen", "1260", "--beschraenkungen",
            "sperre.csv")
    assert s.code == 3 and "ist in den Beschränkungen gesperrt" in s.stderr


def test_run_and_allocate_count_the_same_receiving_gemeinden(cli, ws):
    import pandas as pd

    ags = pd.read_csv(ws / "b.csv", dtype={"ags": str})["ags"]
    (ws / "eins.csv").write_text("ags,max_zuweisung\n" + "".join(f"{a},1\n" for a in ags), encoding="utf-8")
    a = cli("allocate", "--system", "flueag", "--bestand", "b.csv", "--personen", "300", "--beschraenkungen",
            "eins.csv", "--stichtag", "2024-05-01")
    config = _config(ws).read_text(encoding="utf-8").replace("personen = 1260\n",
                                                             'personen = 300\nbeschraenkungen = "eins.csv"\n', 1)
    (ws / "run.toml").write_text(config, encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", "run.toml")
    assert a.code == r.code == 3, (a.stderr, r.stderr)
    places = [re.search(r"300 Personen sind zuzuweisen, die aufnehmenden Gemeinden haben aber nur noch (\d+) "
                        r"Plätze", x.stderr) for x in (a, r)]
    assert places[0] and places[1] and places[0].group(1) == places[1].group(1), (a.stderr, r.stderr)
    assert int(places[0].group(1)) < len(ags)  # only the Gemeinden with an open obligation have room


def test_run_and_allocate_assign_the_same_with_the_same_constraints(cli, ws):
    (ws / "max.csv").write_text("ags,max_zuweisung\n05315000,10\n05111000,5\n", encoding="utf-8")
    a = cli("allocate", "--system", "flueag", "--bestand", "b.csv", "--personen", "1260", "--beschraenkungen",
            "max.csv", "--format", "json", "--stichtag", "2024-05-01")
    assert a.code == 0, a.stderr
    config = _config(ws).read_text(encoding="utf-8").replace("personen = 1260\n",
                                                             'personen = 1260\nbeschraenkungen = "max.csv"\n', 1)
    (ws / "run.toml").write_text(config, encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", "run.toml")
    assert r.code == 0, r.stderr
    import pandas as pd

    ran = pd.read_csv(ws / "out" / "2024-05" / "r1" / "zuweisung_flueag.csv", dtype={"ags": str})
    alloc = {row["ags"]: row["zuweisung"] for row in a.json()["rows"]}
    assert dict(zip(ran["ags"], ran["zuweisung"], strict=True)) == alloc


# --- run.toml: placeholders and a stock file reused from another month ---------------------------------

def test_placeholders_pick_each_months_stock_file(cli, ws):
    stock = SCENARIO.read_text(encoding="utf-8")
    (ws / "meldung_2024-05.csv").write_text(stock, encoding="utf-8")
    (ws / "2024").mkdir()
    lines = stock.splitlines(keepends=True)
    (ws / "2024" / "06.csv").write_text("".join(lines[:-1]) + lines[-1].replace(",0,", ",1,", 1), encoding="utf-8")
    _config(ws, "meldung_{periode}.csv")
    assert cli("run", "--periode", "2024-05", "--config", "run.toml").code == 0
    manifest = json.loads((ws / "out" / "2024-05" / "r1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["eingaben"]["bestand"]["pfad"].endswith("meldung_2024-05.csv")
    _config(ws, "{jahr}/{monat}.csv")
    r = cli("run", "--periode", "2024-06", "--config", "run.toml")
    assert r.code == 0, r.stderr
    manifest = json.loads((ws / "out" / "2024-06" / "r1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["eingaben"]["bestand"]["pfad"].endswith("2024/06.csv")
    _config(ws, "meldung_{tag}.csv")
    r = cli("run", "--periode", "2024-07", "--config", "run.toml")
    assert r.code == 2 and "unbekannter Platzhalter {tag}" in r.stderr and "{periode}, {jahr}, {monat}" in r.stderr
    _config(ws, "meldung_{periode}.csv")
    r = cli("run", "--periode", "2024-08", "--config", "run.toml")       # no report for August yet
    assert r.code == 2 and "meldung_2024-08.csv" in r.stderr


def test_a_stock_file_used_for_another_month_is_refused_unless_declared(cli, ws):
    config = _config(ws)
    assert cli("run", "--periode", "2024-05", "--config", config).code == 0
    before = _files(ws / "out")
    r = cli("run", "--periode", "2024-06", "--config", config)
    assert r.code == 2 and "byteweise gleich" in r.stderr and "2024-05/r1" in r.stderr, r.stderr
    assert "--bestand-unveraendert" in r.stderr and "{periode}" in r.stderr
    assert _files(ws / "out") == before                                   # nothing written, no lock
    again = cli("run", "--periode", "2024-05", "--config", config)       # the same month stays unchanged
    assert again.code == 0 and "unverändert" in again.stdout
    r = cli("run", "--periode", "2024-06", "--config", config, "--bestand-unveraendert")
    assert r.code == 0 and "fertig: 2024-06/r1" in r.stdout, r.stderr
    _config(ws, extra="bestand_unveraendert = true\n")
    r = cli("run", "--periode", "2024-07", "--config", config)
    assert r.code == 0 and "fertig: 2024-07/r1" in r.stdout, r.stderr


# --- a full disk is not bad input ----------------------------------------------------------------------

def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_during_a_run_has_its_own_exit_code_and_keeps_the_ledger(cli, ws, monkeypatch):
    run_module = importlib.import_module("verteilung.run.schreiben")  # where the revision's files are written
    config = _config(ws)
    with monkeypatch.context() as m:
        m.setattr(run_module, "_write", _enospc)
        r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 74, r.stderr
    assert "kein Speicherplatz mehr auf dem Datenträger" in r.stderr and "Ledger unverändert" in r.stderr
    assert "No space left" not in r.stderr and "Traceback" not in r.stderr
    assert [p.name for p in (ws / "out" / "2024-05").iterdir()] == []     # no revision, no hidden folder
    assert cli("runs", "list", "--config", config, "--format", "json").json()["rows"] == []
    r = cli("run", "--periode", "2024-05", "--config", config)            # room again: the run goes through
    assert r.code == 0 and "fertig: 2024-05/r1" in r.stdout


def test_full_disk_writing_a_file_exits_74_and_leaves_no_part(cli, ws, monkeypatch):
    import verteilung.io as io_module

    with monkeypatch.context() as m:
        m.setattr(io_module.os, "fsync", _enospc)
        r = cli("keys", "--system", "flueag", "--out", "k.xlsx")
    assert r.code == 74 and r.stderr.startswith("Fehler: kein Speicherplatz mehr"), r.stderr
    assert not [p for p in ws.iterdir() if p.name.startswith((".k.xlsx", "k.xlsx"))]


# --- schedule examples under deploy/ ------------------------------------------------------------------

def test_deploy_examples_use_absolute_paths_and_fit_together():
    deploy = ROOT / "deploy"
    cron = [line for line in (deploy / "verteilung.cron").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    assert len(cron) == 1
    fields = cron[0].split(None, 5)
    assert len(fields) == 6 and fields[2] == "3"                     # the 3rd of each month
    command = shlex.split(fields[5].split(" >>")[0])
    runner = command[command.index("run") - 1]
    assert runner.startswith("/") and "%" not in fields[5].replace("\\%", "")   # cron needs \% for %
    assert "--config" in command and Path(command[command.index("--config") + 1]).is_absolute()
    service = configparser.ConfigParser(interpolation=None, strict=False)
    service.read(deploy / "verteilung.service", encoding="utf-8")
    start = service["Service"]["ExecStart"]
    assert service["Service"]["Type"] == "oneshot" and re.search(r"(^|\s|')/\S+/verteilung run ", start)
    assert "%%Y-%%m" in start                                         # systemd needs %% for a literal %
    timer = configparser.ConfigParser(interpolation=None, strict=False)
    timer.read(deploy / "verteilung.timer", encoding="utf-8")
    assert timer["Timer"]["OnCalendar"].startswith("*-*-03") and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    readme = (deploy / "README.md").read_text(encoding="utf-8")
    assert "command -v verteilung" in readme and "systemctl enable --now verteilung.timer" in readme
    assert "deploy/" in (ROOT / "README.md").read_text(encoding="utf-8")
