"""Code style is part of the test run, so the README's test command checks it too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed (pip install '.[test]')")
def test_ruff_clean():
    r = subprocess.run(["ruff", "check", "verteilung", "tests", "benchmarks", "scripts"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ci_runs_the_readme_test_command():
    from scripts.readme_commands import quickstart

    commands = quickstart()
    assert len(commands) == 2
    assert "pytest" in commands[1] and "[test]" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_commands.py test" in ci and 'bash -c "$test_cmd"' in ci
