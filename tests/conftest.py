"""Shared helpers: run the real CLI entry point in-process and capture what it prints."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from verteilung.cli import main

DATA = Path(__file__).parent / "data"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


@pytest.fixture
def cli(capfd):
    """Call ``verteilung ARGS`` through ``cli.main`` and return exit code and output."""

    def run(*args: str | Path) -> Result:
        code = main([str(a) for a in args])
        out, errout = capfd.readouterr()
        return Result(code, out, errout)

    return run


@pytest.fixture
def postgres_exclusive():
    """Hold a machine-wide lock while a test drops and recreates the shared PostgreSQL tables.

    The suite runs on two worker processes (pytest-xdist); two ledger tests on the one test
    database must not interleave.
    """
    from filelock import FileLock

    with FileLock(Path(tempfile.gettempdir()) / "verteilung-test-postgres.lock"):
        yield


@pytest.fixture
def data_dir() -> Path:
    return DATA


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
