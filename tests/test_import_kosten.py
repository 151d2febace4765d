"""Issue 25, `verteilung compare` ≤ 1 s: what a fresh process imports before it computes.

The console script (`cli.entry`) starts `compare` and `langfrist` with pandas loaded without pyarrow
(`cli.ohne_pyarrow`); these tests run it as a fresh process (the only way to see what a process
loads) and hold its outputs to the same command run in-process, where pyarrow is loaded.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from verteilung import cli as cli_module
from verteilung.io import pandas_ohne_pyarrow
from verteilung.io.pfade import MANIFEST_NAME

ROOT = Path(__file__).resolve().parent.parent

# the console script `verteilung ARGS` (`cli.entry`, which ends the process with `os._exit` after the
# atexit handlers); an atexit handler reports what the process loaded
ENTRY = """import atexit, gc, json, sys
def report():
    loaded = {m: sys.modules.get(m) is not None for m in ("pandas", "pyarrow")}
    loaded["gc"] = gc.isenabled()
    sys.stderr.write("GELADEN " + json.dumps(loaded) + "\\n")
atexit.register(report)
sys.argv = ["verteilung", *sys.argv[1:]]
from verteilung.cli import entry
entry()
"""


def console_script(*args: str | Path) -> tuple[int, bytes, dict[str, bool]]:
    """Exit code, stdout and which of pandas/pyarrow were loaded, of a fresh ``verteilung ARGS``."""
    r = subprocess.run([sys.executable, "-c", ENTRY, *map(str, args)], cwd=ROOT, capture_output=True, check=False)
    line = next(x for x in r.stderr.decode().splitlines() if x.startswith("GELADEN "))
    return r.returncode, r.stdout, json.loads(line.removeprefix("GELADEN "))


def in_process(capfd, *args: str | Path) -> bytes:
    """stdout of ``cli.main(ARGS)`` in this process (pyarrow loaded), as bytes."""
    capfd.readouterr()
    assert cli_module.main([str(a) for a in args]) == 0
    return capfd.readouterr().out.encode()


@pytest.mark.parametrize(("argv", "blocked"), [
    (["compare", "--out", "v"], True),
    (["compare", "--alles", "--report", "--format", "json"], True),
    (["langfrist", "--ebene", "gemeinden", "--format", "csv"], True),
    (["langfrist", "--out", "x.xlsx"], True),
    (["langfrist", "--out", "x.parquet"], False),
    (["langfrist", "--out=X.PARQUET"], False),
    (["compare", "--bestand", "b.parquet"], False),  # refused later, as before: pandas says so itself
    (["status", "--system", "flueag"], False),
    (["sweep", "--szenarien", "10"], False),
    (["run", "--config", "run.toml"], False),
    (["app"], False),
    (["--help"], False),
    ([], False),
])
def test_only_the_simple_commands_start_without_pyarrow_and_never_for_parquet(monkeypatch, argv, blocked):
    calls = []
    monkeypatch.setattr(cli_module, "pandas_ohne_pyarrow", lambda: calls.append(1) or True)
    assert cli_module.ohne_pyarrow(argv) is blocked
    assert calls == ([1] if blocked else [])


def test_the_switch_does_nothing_once_pandas_is_loaded():
    before = sys.modules.get("pyarrow", "fehlt")
    assert "pandas" in sys.modules
    assert pandas_ohne_pyarrow() is False
    assert sys.modules.get("pyarrow", "fehlt") is before


def test_main_never_blocks_pyarrow(monkeypatch, capfd, tmp_path):
    """In-process callers of `cli.main` (tests, scripts) keep pyarrow: only the console script may."""
    monkeypatch.setattr(cli_module, "pandas_ohne_pyarrow", lambda: pytest.fail("main blocked pyarrow"))
    in_process(capfd, "langfrist", "--ohne-minimum", "--format", "json")


def test_console_script_compare_writes_the_same_bytes_without_pyarrow(capfd, tmp_path):
    """Every file of the default folder (workbook and manifest included) and the terminal summary:
    a fresh `verteilung compare` (pandas without pyarrow) against `cli.main` in this process."""
    code, out, loaded = console_script("compare", "--out", tmp_path / "frisch")
    assert code == 0
    assert loaded == {"pandas": True, "pyarrow": False, "gc": False}  # the collector stayed off to the end
    shown = in_process(capfd, "compare", "--out", tmp_path / "hier")
    assert out.replace(b"frisch", b"hier") == shown
    names = sorted(p.name for p in (tmp_path / "frisch").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "hier").iterdir())
    assert MANIFEST_NAME in names and any(n.endswith(".xlsx") for n in names) and len(names) > 20
    for name in names:
        assert (tmp_path / "frisch" / name).read_bytes() == (tmp_path / "hier" / name).read_bytes(), name


def test_console_script_langfrist_without_pyarrow_and_with_parquet(capfd, tmp_path):
    """`langfrist` without pyarrow prints the same table; with ``--out X.parquet`` it loads pyarrow and
    writes the same file as in-process."""
    args = ("langfrist", "--ohne-minimum", "--ebene", "gemeinden", "--format", "csv")
    code, out, loaded = console_script(*args)
    assert (code, loaded) == (0, {"pandas": True, "pyarrow": False, "gc": False})
    assert out == in_process(capfd, *args) and out.count(b"\n") > 396

    code, _, loaded = console_script("langfrist", "--ohne-minimum", "--out", tmp_path / "frisch.parquet")
    assert (code, loaded) == (0, {"pandas": True, "pyarrow": True, "gc": False})
    in_process(capfd, "langfrist", "--ohne-minimum", "--out", tmp_path / "hier.parquet")
    fresh = (tmp_path / "frisch.parquet").read_bytes()
    assert fresh == (tmp_path / "hier.parquet").read_bytes()
    assert pd.read_parquet(io.BytesIO(fresh))["modell"].tolist()[0] == "status-quo"


def test_a_simple_command_gets_a_group_of_itself_alone():
    """typer builds every registered command on each call; `compare` and `langfrist` get theirs alone."""
    import typer.main

    for argv in (["compare", "--out", "v"], ["--debug", "langfrist"]):
        group = typer.main.get_command(cli_module._app_fuer(argv))
        assert list(group.commands) == [argv[0] if argv[0] != "--debug" else argv[1]]
    for argv in (["--help", "compare"], ["keys", "--system", "flueag"], ["comapre"], ["data", "list"], []):
        assert cli_module._app_fuer(argv) is cli_module.app
    whole = typer.main.get_command(cli_module.app).commands  # the whole app is untouched
    assert {"compare", "langfrist", "keys", "data", "runs"} <= set(whole) and len(whole) > 10


@pytest.mark.parametrize(("argv", "code"), [
    (["compare", "--help"], 0),
    (["langfrist", "--help"], 0),
    (["compare", "--unbekannt"], 2),
    (["compare", "--format", "xml"], 2),
    (["--debug", "compare", "--jahr", "zwei"], 2),
    (["langfrist", "--ebene", "doerfer"], 2),
    (["langfrist", "--summe"], 2),
])
def test_help_and_usage_errors_of_a_simple_command_are_those_of_the_whole_app(capfd, monkeypatch, argv, code):
    capfd.readouterr()
    assert cli_module.main(argv) == code
    alone = capfd.readouterr()
    monkeypatch.setattr(cli_module, "_app_fuer", lambda argv: cli_module.app)
    assert cli_module.main(argv) == code
    whole = capfd.readouterr()
    assert (alone.out, alone.err) == (whole.out, whole.err)
    command = next(a for a in argv if not a.startswith("-"))
    assert f"Aufruf: verteilung {command} [OPTIONEN]" in alone.out + alone.err


def test_simple_commands_of_the_console_script_look_for_no_pydantic_plugins(monkeypatch):
    import os

    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    for argv in (["keys", "--system", "flueag"], ["sweep"], ["--help"]):
        cli_module.ohne_pydantic_plugins(argv)
        assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ
    cli_module.ohne_pydantic_plugins(["compare", "--out", "v"])
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "")  # the user's setting wins
    cli_module.ohne_pydantic_plugins(["langfrist"])
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == ""


def test_the_terminal_prints_names_as_they_are_without_emoji_codes(capfd):
    """rich would show ``:smile:`` as 😄 (and load its emoji table to do so); names stay as written."""
    from rich.table import Table

    from verteilung.report.output import wide_console

    console = wide_console()
    table = Table("gemeinde")
    table.add_row("Dorf :smile: am See")
    console.print("Modell :thumbs_up:")
    console.print(table)
    out = capfd.readouterr().out
    assert "Modell :thumbs_up:" in out and "Dorf :smile: am See" in out and "😄" not in out


def test_the_console_script_keeps_the_collector_off_to_the_end_only_where_the_command_runs_without_it():
    """`entry` turns the collector off before `main` exactly where `ohne_zyklen_gc` would turn it off
    for the command, and never turns it on again: the process ends with the command."""
    assert cli_module._ohne_gc(["compare", "--out", "v"]) and cli_module._ohne_gc(["--debug", "langfrist"])
    for argv in (["compare", "--report"], ["keys", "--system", "flueag"], ["sweep"], ["run"], ["app"], []):
        assert not cli_module._ohne_gc(argv)
