"""The monthly run's configuration: run.toml read and checked, paths with placeholders, the
ledger it names, the step log, the period lock and the constants the other run modules share."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import URL, make_url

from verteilung.errors import (
    InputError,
    Problem,
    VerteilungError,
    validation_problems,
)
from verteilung.law.lesarten import Lesarten
from verteilung.ledger import PERIOD_RE, Ledger, default_url, parse_url
from verteilung.status import Rundung

EXIT_LOCKED = 75  # EX_TEMPFAIL: a scheduler may retry later
MAX_PERSONEN = 10_000_000  # arrivals per system and month above this are a typo, not a month
REVISION_RE = re.compile(r"r([1-9][0-9]*)")
TEMP_PREFIX = ".tmp-"
DISCARDED_PREFIX = ".verworfen-"


class LockedError(VerteilungError):
    exit_code = EXIT_LOCKED


class LedgerCommitError(VerteilungError):
    """The ledger refused the commit (disk full, connection lost): the revision was taken back."""

    exit_code = 1


class Arrivals(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personen: int | None = Field(default=None, ge=0, le=MAX_PERSONEN, strict=True)
    haushalte: str | None = None
    beschraenkungen: str | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.personen is None) == (self.haushalte is None):
            raise ValueError("genau eins von personen oder haushalte angeben")
        return self


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ordner: str = "outputs"
    ledger: str | None = None


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    modell: str = "status-quo"
    bestand: str
    gemeinden: str | None = None
    jahr: int | None = Field(default=None, ge=1900, le=2999, strict=True)  # TOML is typed: "2024" is refused
    stichtag: dt.date | None = None
    ohne_meldung_null: bool = Field(default=False, strict=True)
    rundung: Rundung = "aufrunden"
    solver: Literal["highs", "cbc"] = "highs"
    lesarten: dict[str, Any] = Field(default_factory=dict)  # validated by Lesarten.from_mapping
    zugaenge: dict[str, Arrivals]
    ausgabe: Output = Output()
    # the stock file may be byte-identical to one an earlier period used (no new report this month)
    bestand_unveraendert: bool = Field(default=False, strict=True)

    @field_validator("stichtag", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        from verteilung.data.zahlen import config_datum

        return config_datum(value)


_EXPECTED = {"stichtag": "ein Datum JJJJ-MM-TT, z. B. 2024-05-01"}


@dataclass
class RunOutcome:
    status: str                     # "fertig" or "unveraendert"
    periode: str
    revision: int
    folder: Path
    summary: dict = field(default_factory=dict)


class StepLog:
    """One line per step on stderr; the same lines go into the run folder's log."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.lines: list[str] = []

    def __call__(self, message: str) -> None:
        line = f"{dt.datetime.now().isoformat(timespec='seconds')} {message}"
        self.lines.append(line)
        print(line, file=self.stream, flush=True)


def check_period(periode: str, where: str = "--periode") -> None:
    """``YYYY-MM`` in ASCII digits, nothing stripped: one month has exactly one spelling."""
    if not PERIOD_RE.fullmatch(periode):
        raise InputError(Problem(where, f"erwartet JJJJ-MM mit Ziffern 0-9 und Monat 01 bis 12, z. B. 2024-05; "
                                 f"erhalten {periode!r}"))


def load_config(path: Path) -> RunConfig:
    if not path.is_file():
        what = "ist ein Ordner" if path.is_dir() else "nicht gefunden"
        raise InputError(Problem(str(path), f"Konfigurationsdatei {what}; erwartet eine TOML-Datei"))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(Problem(str(path), "kein UTF-8-Text; erwartet eine TOML-Datei in UTF-8")) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(str(path), f"kein gültiges TOML: {exc}")) from None
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, str(path), RunConfig, _EXPECTED)) from None
    if "rundung" in cfg.lesarten:
        raise InputError(Problem(str(path), "lesarten.rundung: die Rundung steht oben in der Datei "
                                 "(rundung = \"aufrunden\" oder \"runden\")"))
    lesarten_of(cfg, path)  # an unknown reading is refused before anything runs
    return cfg


def lesarten_of(cfg: RunConfig, path: Path | str = "run.toml") -> Lesarten:
    """The readings of a run: run.toml ``[lesarten]`` over the defaults; the model's key wins."""
    return Lesarten.from_mapping({**cfg.lesarten, "rundung": cfg.rundung}, f"{path}: [lesarten]")


PLATZHALTER = ("periode", "jahr", "monat")
_PLATZHALTER_RE = re.compile(r"\{([^{}]*)\}")


def platzhalter(value: str, periode: str, where: str) -> str:
    """``{periode}``, ``{jahr}``, ``{monat}`` in an input path of run.toml, for this period.

    ``meldung_{periode}.csv`` for 2024-05 is ``meldung_2024-05.csv``; ``{jahr}/{monat}.csv`` is
    ``2024/05.csv``. Any other ``{…}`` is refused, so a typo never reads a file literally named so.
    """
    values = {"periode": periode, "jahr": periode[:4], "monat": periode[5:]}
    unknown = [m for m in _PLATZHALTER_RE.findall(value) if m not in values]
    if unknown:
        raise InputError(Problem(where, f"unbekannter Platzhalter {{{unknown[0]}}} in {value!r}; erlaubt: "
                                 + ", ".join(f"{{{k}}}" for k in PLATZHALTER)))
    return _PLATZHALTER_RE.sub(lambda m: values[m.group(1)], value)


def _resolve(base: Path, value: str | None, periode: str | None = None, where: str = "run.toml") -> Path | None:
    if value is None:
        return None
    p = Path(platzhalter(value, periode, where) if periode else value)
    return p if p.is_absolute() else (base / p)


def output_root(cfg: RunConfig, config_path: Path) -> Path:
    """``ausgabe.ordner`` relative to the config file; refused when it (or a parent) is a file."""
    root = _resolve(config_path.resolve().parent, cfg.ausgabe.ordner)
    assert root is not None
    for p in (root, *root.parents):
        if p.exists():
            if not p.is_dir():
                raise InputError(Problem(str(config_path), f"ausgabe.ordner: {p} ist eine Datei; erwartet einen "
                                         "Ordner (wird angelegt, wenn er fehlt)"))
            break
    return root


def ledger_url(cfg: RunConfig, config_path: Path, out_root: Path) -> URL:
    """The ledger of a config: ``ausgabe.ledger`` (a relative SQLite path counts from the config's
    folder, not the working directory), by default ``<ordner>/ledger.sqlite``."""
    if cfg.ausgabe.ledger is None:
        return make_url(default_url(out_root))
    return parse_url(cfg.ausgabe.ledger, f"{config_path}: ausgabe.ledger", config_path.resolve().parent)


def open_ledger(config_path: Path, anlegen: bool = True) -> tuple[Ledger, Path]:
    """The ledger and output folder named by a run config (for ``runs`` commands; the read-only
    ones pass ``anlegen=False`` so a missing SQLite ledger is refused, not created)."""
    cfg = load_config(config_path)
    out_root = output_root(cfg, config_path)
    return Ledger(ledger_url(cfg, config_path, out_root), f"{config_path}: ausgabe.ledger", anlegen), out_root


@contextmanager
def period_lock(path: Path, wait: bool, log: StepLog) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise LockedError(f"{path}: ein anderer Lauf für diese Periode läuft gerade; später erneut "
                                  "versuchen oder mit --warten starten") from None
            log(f"warte auf Sperre {path}")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _test_pause(point: str) -> None:
    """Test hook: VERTEILUNG_TEST_PAUSE=point:seconds stops here so a test can kill the process."""
    spec = os.environ.get("VERTEILUNG_TEST_PAUSE", "")
    if spec.startswith(point + ":"):
        time.sleep(float(spec.split(":", 1)[1]))

