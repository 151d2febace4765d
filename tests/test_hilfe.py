"""Help pages and usage errors are German: no English stock phrases of typer/click, no English
help texts (issue 13 item 6)."""

from __future__ import annotations

import re

import pytest
import typer

from verteilung.cli import app

STOCK = ("Show this message", "Usage:", "Options:", "Commands:", "Arguments:", "[default", "[required]",
         "<str>", "<int>", "<float>", "<path>", "Error:", "Try '", "Show the version", "Missing ")
# small English words that do not occur in German help texts
ENGLISH_WORD = re.compile(r"\b(the|and|of|with|for|this|to|from|instead|default)\b")


def _commands() -> list[list[str]]:
    """Every command path of the CLI, groups included ([], ["status"], ["runs", "diff"], …)."""
    out: list[list[str]] = []

    def walk(cmd, path: list[str]) -> None:
        out.append(path)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


COMMANDS = _commands()


def test_every_command_is_listed():
    names = {" ".join(c) for c in COMMANDS}
    assert {"", "status", "allocate", "runs diff", "data check", "data vorlage", "run"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "verteilung")
def test_help_page_is_german(cli, path):
    r = cli(*path, "--help")
    assert r.code == 0, r.stderr
    text = r.stdout
    assert text.startswith(f"Aufruf: verteilung {' '.join(path)}".rstrip() + " "), text[:200]
    assert "Diese Hilfe zeigen und beenden." in text
    assert "Optionen:" in text
    found = [s for s in STOCK if s in text]
    assert not found, (found, text)
    words = [w for line in text.splitlines() if not line.lstrip().startswith(("--", "Aufruf"))
             for w in ENGLISH_WORD.findall(line)]
    assert not words, (words, text)


def test_top_level_help_names_the_job_and_the_version_option(cli):
    r = cli("--help")
    assert "Aufnahmequoten der 396 Gemeinden" in r.stdout and "Befehle:" in r.stdout
    assert "--version  Die Version zeigen und beenden." in r.stdout


@pytest.mark.parametrize("args,message", [
    (["status"], "Fehler: Die Option --system fehlt (Pflichtangabe)."),
    (["explain", "--system", "flueag"], "Fehler: Das Argument AGS fehlt (Pflichtangabe)."),
    (["status", "--bogus"], "Fehler: Unbekannte Option --bogus."),
    (["status", "--forma", "csv"], "Fehler: Unbekannte Option --forma. Meinten Sie --format?"),
    (["stauts"], "Fehler: Unbekannter Befehl stauts. Meinten Sie status?"),
    (["simulate", "--monate", "x"], "Fehler: Ungültiger Wert für --monate: „x“ ist keine ganze Zahl."),
    (["keys", "--system"], "Fehler: Die Option --system braucht einen Wert."),
    (["keys", "--system", "flueag", "zuviel"], "Fehler: Überzählige Angabe(n): zuviel."),
])
def test_usage_errors_are_german_plain_text_exit_2(cli, args, message):
    r = cli(*args)
    assert r.code == 2, r.stderr
    lines = r.stderr.splitlines()
    assert lines[0].startswith(message), r.stderr
    assert lines[1].startswith(f"Aufruf: verteilung {args[0] if args[0] != 'stauts' else ''}".rstrip())
    assert lines[-1].startswith("Hilfe: verteilung") and lines[-1].endswith(" --help")
    assert not any(s in r.stderr for s in ("Usage:", "Error:", "Try '", "Missing", "No such")), r.stderr
    assert "\x1b[" not in r.stderr and "╭" not in r.stderr  # plain text, no rich box


def test_group_without_command_shows_german_help(cli):
    r = cli("runs")
    assert r.code == 2 and "Aufruf: verteilung runs [OPTIONEN] BEFEHL [ARGUMENTE]..." in r.stdout + r.stderr


def test_option_placeholders_and_choices(cli):
    """Placeholders say what to write; help offers nothing the command refuses or ignores."""
    sweep = cli("sweep", "--help").stdout
    assert "--parameter NAME=VON:BIS" in sweep and "<list" not in sweep
    staffelung = sweep.split("--staffelung", 1)[1].split("\n  --", 1)[0]
    assert "max_anteil_soll" in staffelung and "wochen" not in staffelung and "min_gemeinden" not in staffelung
    compare = cli("compare", "--help").stdout
    assert "--zugaenge NAME=N" in compare and "<list" not in compare
    assert "alle mitgelieferten" not in compare and "status-quo, m1" in compare
    assert "<table|csv|json>" in compare
    r = cli("compare", "--format", "xlsx")
    assert r.code == 2 and "xlsx" in r.stderr
    assert "--parameter NAME=VON:BIS" in cli("sensitivitaet", "--help").stdout


@pytest.mark.parametrize("args,message", [
    (["keys", "--system", "zz"], "Fehler: --system: unbekanntes System „zz“; bekannt: flueag (FlüAG), wsa (WSA)"),
    (["keys", "--land", "bw", "--system", "flueag"], "Fehler: --system: das System „flueag“ gehört zum Land nrw"),
    (["keys", "--land", "by", "--system", "flueag"], "Fehler: --land: unbekanntes Land „by“; vorhanden: nrw, bw"),
])
def test_system_and_land_are_refused_by_the_registry(cli, args, message):
    """The choices of --system depend on --land, so the registry (not the option parser) refuses
    an unknown or foreign system, naming the Land's own systems; exit 2, nothing computed."""
    r = cli(*args)
    assert r.code == 2, r.stderr
    assert r.stderr.splitlines()[0].startswith(message), r.stderr
