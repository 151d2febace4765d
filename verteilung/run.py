"""The scheduled monthly run: validate → status per system → allocation → outputs → ledger.

Guarantees (README "Scheduled monthly runs"):
- every input is validated before anything is written; bad input exits 2 and writes nothing;
- the same period with the same inputs is "unchanged": nothing new is written, exit 0;
- changed inputs give a new revision ``<out>/<periode>/r<N>`` beside the old ones;
- the ledger is the source of truth and never loses a revision: a run never moves a published
  revision aside. Revisions on disk that the ledger does not know (ledger deleted, new or
  another one) make the run refuse (exit 2) until ``verteilung runs repair`` has rebuilt their
  entries from the manifests;
- a revision is built in a hidden temporary folder and renamed into place; the ledger commit
  comes last. A run killed before the rename leaves only the hidden folder (removed by the next
  run); one killed between rename and commit leaves a complete revision whose manifest names this
  ledger: the next run completes its entry from the manifest. A commit that fails (disk full)
  hides the revision again, so no visible revision is ever without its ledger entry;
- one run per period at a time: a lock file, waited for or refused (``warten``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import socket
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from verteilung import land, params
from verteilung._version import __version__
from verteilung.darstellung import parameter_table, person_view, synthetic_note, system_short, with_marker
from verteilung.data.bestand import required_for_systems
from verteilung.data.zahlen import pruefe_personen
from verteilung.data.zugaenge import load_beschraenkungen, load_haushalte
from verteilung.errors import (
    DiskFullError,
    InputError,
    Problem,
    VerteilungError,
    disk_full_text,
    is_disk_full,
    validation_problems,
)
from verteilung.inputs import SYNTHETISCH_HINWEIS, Inputs, mit_naeherung
from verteilung.inputs import prepare as prepare_inputs
from verteilung.io import jsonable, to_csv_bytes, to_json_bytes
from verteilung.io.pfade import sha256_file
from verteilung.io.xlsx import workbook_bytes
from verteilung.law import systems
from verteilung.law.lesarten import Lesarten
from verteilung.ledger import PERIOD_RE, DuplicateRun, Ledger, default_url, parse_url
from verteilung.model import Context, evaluate, load_model, models_dir
from verteilung.resources import params_dir
from verteilung.status import Rundung, verteilstatistik

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
    blatt: str | None = None  # the sheet of every XLSX input with several visible sheets (as --blatt)
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
                                 f"erhalten „{periode}“"))


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
        raise InputError(Problem(where, f"unbekannter Platzhalter {{{unknown[0]}}} in „{value}“; erlaubt: "
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


# --- revisions on disk ------------------------------------------------------------------------


@dataclass
class DiskRevision:
    periode: str
    revision: int
    folder: Path
    manifest: dict | None        # None: missing or unreadable


def read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def period_dirs(out_root: Path) -> list[Path]:
    if not out_root.is_dir():
        return []
    return sorted(p for p in out_root.iterdir() if p.is_dir() and PERIOD_RE.fullmatch(p.name))


def disk_revisions(period_dir: Path) -> list[DiskRevision]:
    found = []
    for p in sorted(period_dir.iterdir()):
        m = REVISION_RE.fullmatch(p.name)
        if m and p.is_dir():
            found.append(DiskRevision(period_dir.name, int(m.group(1)), p, read_manifest(p)))
    return sorted(found, key=lambda r: r.revision)


def gemeinde_rows(system: str, vs: pd.DataFrame) -> pd.DataFrame:
    """The per-Gemeinde result rows the ledger keeps for one system (from the Verteilstatistik)."""
    return pd.DataFrame({
        "system": system, "ags": vs["ags"], "gemeinde": vs["gemeinde"], "bestand": vs["bestand"].astype(float),
        "anrechnung": vs["anrechnung"].astype(float),
        "soll": vs["soll_gerundet" if "soll_gerundet" in vs else "soll"].astype(int),  # folders before issue 22: soll
        "aufnahmeverpflichtung": vs["aufnahmeverpflichtung"].astype(int),
        "erfuellungsquote": vs["erfuellungsquote"].astype(float), "zuweisung": vs["zuweisung"].astype(int)})


def ledger_entry_from_disk(rev: DiskRevision, note: str) -> tuple[dict, pd.DataFrame]:
    """Rebuild a revision's ledger row and Gemeinde rows from its manifest and Verteilstatistik CSVs.

    Raises ValueError with a German reason when the folder does not prove itself complete.
    """
    m = rev.manifest
    if m is None:
        raise ValueError("manifest.json fehlt oder ist unlesbar")
    if m.get("periode") != rev.periode or m.get("revision") != rev.revision:
        raise ValueError(f"manifest.json nennt {m.get('periode')}/r{m.get('revision')}, nicht den Ordnernamen")
    for name, digest in (m.get("ausgaben") or {}).items():
        f = rev.folder / name
        if not f.is_file() or sha256_file(f) != digest:
            raise ValueError(f"{name} fehlt oder weicht von der Prüfsumme im manifest.json ab")
    summary = m.get("zusammenfassung")
    if not isinstance(summary, dict) or not summary or not isinstance(m.get("eingaben"), dict):
        raise ValueError("manifest.json ohne zusammenfassung oder eingaben")
    parts = []
    for system in sorted(summary):
        f = rev.folder / f"verteilstatistik_{system}.csv"
        if not f.is_file():
            raise ValueError(f"{f.name} fehlt")
        vs = pd.read_csv(f, dtype={"ags": str, "gemeinde": str}, keep_default_na=False, na_values=[""])
        parts.append(gemeinde_rows(system, vs))
    mtime = dt.datetime.fromtimestamp((rev.folder / "manifest.json").stat().st_mtime, dt.UTC)
    befehl = m.get("befehl") or []
    run = {
        "periode": rev.periode, "revision": rev.revision, "fingerprint": m["fingerprint"], "status": "fertig",
        "modell": m.get("modell", "?"),
        "input_hashes": json.dumps({k: v["sha256"] for k, v in m["eingaben"].items()}, sort_keys=True),
        "summary": json.dumps(summary, sort_keys=True, ensure_ascii=False),
        "started": m.get("gestartet") or mtime.isoformat(timespec="seconds"),
        "finished": m.get("beendet") or mtime.isoformat(timespec="seconds"),
        "user": m.get("benutzer") or "unbekannt", "host": m.get("rechner") or "unbekannt",
        "command": (" ".join(befehl) if isinstance(befehl, list) else str(befehl)) + f" ({note})",
        "folder": str(rev.folder.resolve()),
    }
    return run, pd.concat(parts, ignore_index=True)


def _refuse_unknown(unknown: list[DiskRevision], ledger_name: str, out_root: Path, fix: str) -> None:
    names = ", ".join(f"{r.periode}/r{r.revision}" for r in unknown[:10]) + (" …" if len(unknown) > 10 else "")
    raise InputError(Problem(str(out_root), f"Revisionen auf der Platte, die der Ledger {ledger_name} nicht kennt: "
                             f"{names} (Ledger fehlt, ist neu oder ein anderer). Nichts geschrieben. Abhilfe: "
                             f"{fix} trägt sie aus ihren manifest.json nach; danach den Lauf erneut starten"))


def reconcile(out_root: Path, ledger: Ledger, periode: str, log: StepLog, fix: str) -> None:
    """Bring this period's folder and the ledger into agreement before a run (under the period lock).

    - a hidden ``.tmp-*`` folder is a run that never published: restored into place when the
      ledger recorded exactly its revision (commit done, rename lost), otherwise removed;
    - a visible revision the ledger does not know, written for *this* ledger (its id is in the
      manifest), is a run killed between rename and commit: its entry is completed from the manifest;
    - any other unknown revision (any period) means the ledger is missing, new or another one:
      the run is refused, nothing is moved.
    """
    entries = ledger.entries()
    period_dir = out_root / periode
    if period_dir.is_dir():
        for p in sorted(period_dir.iterdir()):
            if p.name.startswith(TEMP_PREFIX) and p.is_dir():
                _restore_or_remove_temp(p, entries, log)
    unknown: list[DiskRevision] = []
    for d in period_dirs(out_root):
        for rev in disk_revisions(d):
            if (rev.periode, rev.revision) in entries:
                continue
            own = rev.manifest is not None and rev.manifest.get("ledger_id") == ledger.id
            if own and rev.periode == periode:
                try:
                    run, rows = ledger_entry_from_disk(rev, "nachgetragen beim nächsten Lauf")
                    ledger.record(run, rows)
                except (ValueError, KeyError, DuplicateRun):
                    unknown.append(rev)
                    continue
                log(f"Revision r{rev.revision} ohne Ledger-Eintrag (abgebrochener Lauf) aus manifest.json "
                    "nachgetragen")
            elif not own:
                unknown.append(rev)
    if unknown:
        _refuse_unknown(unknown, ledger.safe_url, out_root, fix)
    stale = [p.name for p in (period_dir.iterdir() if period_dir.is_dir() else [])
             if p.name.startswith(DISCARDED_PREFIX)]
    if stale:
        log(f"Hinweis: {len(stale)} beiseitegelegte Ordner ({', '.join(sorted(stale))}); "
            f"{fix} --aufraeumen entfernt sie")


def _restore_or_remove_temp(p: Path, entries: dict[tuple[str, int], str], log: StepLog, remove: bool = True) -> str:
    m = read_manifest(p)
    if m is not None and isinstance(m.get("revision"), int) and isinstance(m.get("fingerprint"), str):
        final = p.parent / f"r{m['revision']}"
        if entries.get((p.parent.name, m["revision"])) == m["fingerprint"] and not final.exists():
            os.replace(p, final)
            log(f"Revision {final.name} aus {p.name} wiederhergestellt (Ledger-Eintrag vorhanden)")
            return "wiederhergestellt"
    if remove:
        shutil.rmtree(p, ignore_errors=True)
        log(f"unvollständigen Lauf entfernt: {p.name}")
        return "entfernt"
    return "vorhanden"


# --- the run, step by step --------------------------------------------------------------------


@dataclass
class Prepared:
    """Validated inputs of one run: nothing has been written yet."""

    periode: str
    config_path: Path
    cfg: RunConfig
    model: object
    g: pd.DataFrame
    b: pd.DataFrame
    when: dt.date
    haushalte: dict
    beschr: dict
    counts: dict
    inputs: dict[str, Path]
    hashes: dict[str, str]
    fingerprint: str
    out_root: Path
    ledger_url: URL
    monat: int = 1  # month of the model's phase-in that this period is (uebergang.beginn)
    eingaben: Inputs | None = None  # the prepared inputs: which rows carry approximated figures (NÄHERUNG)


def uebergangsmonat(model: Any, periode: str, log: StepLog) -> int:
    """The month of the model's phase-in that this period is (1 without a phase-in), logged."""
    from verteilung.uebergang import Uebergang

    u = Uebergang.from_dict(getattr(model, "uebergang", None))
    if u is None or u.monate == 0:
        return 1
    monat = u.monat_der_periode(periode)
    log(f"Übergang: Periode {periode} ist Monat {monat} (Beginn {u.beginn}, {u.monate} Monate), "
        f"Gewicht des neuen Schlüssels {round(u.gewicht(monat) * 100)} %")
    return monat


def _refuse_blocked_places(out_root: Path, periode: str) -> None:
    """A file where the period folder goes, or a folder where its lock file goes: refused before a
    lock file or a ledger is created, so a refused run writes nothing."""
    period_dir, lock = out_root / periode, out_root / f".{periode}.lock"
    if period_dir.exists() and not period_dir.is_dir():
        raise InputError(Problem(str(period_dir), "ist eine Datei; hier legt der Lauf den Ordner der Periode an. "
                                 "Nichts geschrieben; bitte die Datei umbenennen oder entfernen"))
    if lock.is_dir():
        raise InputError(Problem(str(lock), "ist ein Ordner; hier legt der Lauf seine Sperrdatei an. Nichts "
                                 "geschrieben; bitte den Ordner umbenennen oder entfernen"))


def prepare(periode: str, config_path: Path, log: StepLog) -> Prepared:
    """Step 1: validate the period, the config and every input before anything is written."""
    from verteilung.data.tables import blatt

    check_period(periode)
    cfg = load_config(config_path)
    with blatt(cfg.blatt):  # run.toml's ``blatt`` holds for every XLSX input, as --blatt does
        return _prepare(periode, config_path, cfg, log)


def _prepare(periode: str, config_path: Path, cfg: RunConfig, log: StepLog) -> Prepared:
    base = config_path.resolve().parent
    out_root = output_root(cfg, config_path)
    url = ledger_url(cfg, config_path, out_root)
    log(f"Lauf {periode}: Konfiguration {config_path}")
    inputs: dict[str, Path] = {"config": config_path}
    _refuse_blocked_places(out_root, periode)
    bestand_path = _resolve(base, cfg.bestand, periode, f"{config_path}: bestand")
    gemeinden_path = _resolve(base, cfg.gemeinden, periode, f"{config_path}: gemeinden")
    assert bestand_path is not None
    inputs["bestand"] = bestand_path
    if gemeinden_path:
        inputs["gemeinden"] = gemeinden_path
    else:
        for name in ("gemeinden.csv", "bevoelkerung.csv", "arbeitslose.csv", "kreise_arbeitslosenquote.csv"):
            inputs[f"shipped/{name}"] = land.get().datei(name)
    model_file = _resolve(base, cfg.modell) if Path(cfg.modell).suffix else models_dir() / f"{cfg.modell}.yaml"
    assert model_file is not None
    model = load_model(model_file if Path(cfg.modell).suffix else cfg.modell)
    inputs["modell"] = model_file
    year, month = int(periode[:4]), int(periode[5:])
    inp = prepare_inputs(jahr=cfg.jahr, stichtag=cfg.stichtag or dt.date(year, month, 1),
                         gemeinden=gemeinden_path, bestand=bestand_path,
                         bestand_spalten=required_for_systems([s.bestand for s in model.systeme]),
                         ohne_meldung_null=cfg.ohne_meldung_null)
    g, b, when = inp.gemeinden, inp.bestand, inp.stichtag
    assert b is not None
    names = {s.name for s in model.systeme}
    unknown = set(cfg.zugaenge) - names
    missing = names - set(cfg.zugaenge)
    problems = [Problem(str(config_path), f"zugaenge.{n}: Modell {model.id} hat kein System „{n}“ "
                        f"(Systeme: {', '.join(sorted(names))})") for n in sorted(unknown)]
    problems += [Problem(str(config_path), f"zugaenge.{n}: Pflichtangabe fehlt (Zugänge für jedes System von "
                         f"{model.id})") for n in sorted(missing)]
    if problems:
        raise InputError(problems)
    haushalte, beschr, counts = {}, {}, {}
    for name, arr in cfg.zugaenge.items():
        if arr.haushalte:
            p = _resolve(base, arr.haushalte, periode, f"{config_path}: zugaenge.{name}.haushalte")
            assert p is not None
            inputs[f"haushalte/{name}"] = p
            haushalte[name] = load_haushalte(p, g)
            counts[name] = int(haushalte[name]["personen"].sum())
        else:
            counts[name] = pruefe_personen(arr.personen or 0, f"{config_path}: zugaenge.{name}.personen")
        if arr.beschraenkungen:
            p = _resolve(base, arr.beschraenkungen, periode, f"{config_path}: zugaenge.{name}.beschraenkungen")
            assert p is not None
            inputs[f"beschraenkungen/{name}"] = p
            beschr[name] = load_beschraenkungen(p, g)
    for p in sorted(params_dir().glob("*.yaml")):
        inputs[f"params/{p.name}"] = p
    hashes = {k: sha256_file(v) for k, v in sorted(inputs.items())}
    fingerprint = hashlib.sha256(json.dumps({"periode": periode, "version": __version__, "inputs": hashes,
                                             "stichtag": when.isoformat()}, sort_keys=True).encode()).hexdigest()
    log(f"Eingaben geprüft ({len(inputs)} Dateien), Fingerabdruck {fingerprint[:12]}")
    monat = uebergangsmonat(model, periode, log)  # refused here, before anything is written
    return Prepared(periode, config_path, cfg, model, g, b, when, haushalte, beschr, counts, inputs, hashes,
                    fingerprint, out_root, url, monat, inp)


def _write(path: Path, data: bytes) -> str:
    """Write and fsync one output file; returns its sha256 for the manifest."""
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_revision(tmp: Path, prep: Prepared, results: dict, explanation: list[str], revision: int,
                   ledger: Ledger, log: StepLog, meta: dict) -> tuple[dict, pd.DataFrame]:
    """Step 3: every output of the revision into the (hidden) folder ``tmp``; returns summary and rows."""
    cfg, when = prep.cfg, prep.when
    ausgaben: dict[str, str] = {}
    tables, parts = {}, []
    info = _workbook_info(prep, results)
    for name, r in results.items():
        vs = verteilstatistik(r.state, cfg.rundung)
        vs["zuweisung"] = r.zuweisung
        zw = r.allocation.table
        if prep.eingaben is not None:  # machine rows say NÄHERUNG where a figure is approximated
            nutzt = systems.nutzt_arbeitslose(name)
            vs, zw = mit_naeherung(vs, prep.eingaben, nutzt), mit_naeherung(zw, prep.eingaben, nutzt)
        kurz = system_short(name)
        # the officer's sheets: glossary columns (exact Soll with its quota, the rounded Soll labelled so);
        # the machine CSVs keep identifiers and carry the marker as a `hinweis` column
        tables[f"Verteilstatistik {kurz}"] = person_view(vs, "run.verteilstatistik")
        tables[f"Zuweisung {kurz}"] = person_view(zw, "run.zuweisung")
        ausgaben[f"verteilstatistik_{name}.csv"] = _write(tmp / f"verteilstatistik_{name}.csv",
                                                          to_csv_bytes(with_marker(vs, info)))
        ausgaben[f"zuweisung_{name}.csv"] = _write(tmp / f"zuweisung_{name}.csv",
                                                   to_csv_bytes(with_marker(zw, info)))
        if r.allocation.households is not None:
            tables[f"Haushalte {kurz}"] = r.allocation.households
            ausgaben[f"haushalte_{name}.csv"] = _write(tmp / f"haushalte_{name}.csv",
                                                       to_csv_bytes(with_marker(r.allocation.households, info)))
        parts.append(gemeinde_rows(name, vs))
        _test_pause("write")
    tables["Parameter"] = parameter_table(info, [
        {"parameter": f"Zugänge {system_short(name)}", "wert": prep.counts[name], "kennung": f"zugaenge.{name}",
         "quelle": str(prep.config_path)} for name in results])
    ausgaben["verteilstatistik.xlsx"] = _write(tmp / "verteilstatistik.xlsx",
                                               workbook_bytes(tables, note=synthetic_note(info)))
    summary = {name: {k: v for k, v in r.allocation.summary.items() if k != "lesarten"}
               for name, r in results.items()}
    ausgaben["erlaeuterung.txt"] = _write(tmp / "erlaeuterung.txt", ("\n".join(explanation) + "\n").encode("utf-8"))
    in_force = params.in_force(when)
    solvers = sorted({s["pfad"] for s in summary.values()})
    manifest = {
        "periode": prep.periode, "revision": revision, "fingerprint": prep.fingerprint, "version": __version__,
        "python": platform.python_version(), "modell": prep.model.id, "stichtag": when.isoformat(),  # type: ignore[attr-defined]
        "eingaben": {k: {"pfad": str(prep.inputs[k]), "sha256": v} for k, v in prep.hashes.items()},
        "parameter": in_force, "lesarten": {n: r.state.info.get("lesarten", {}) for n, r in results.items()},
        "verfahren": solvers, "zeiten": meta["timings"], "befehl": meta["command"],
        "zusammenfassung": summary, "angenommen_null": prep.b.attrs.get("angenommen_null", []),
        **({"hinweis": SYNTHETISCH_HINWEIS} if prep.b.attrs.get("synthetisch") else {}),
        **({"uebergang": {**prep.model.uebergang, "monat": prep.monat}}  # type: ignore[attr-defined]
           if getattr(prep.model, "uebergang", None) else {}),
        # what `runs repair` needs to rebuild the ledger entry from this folder alone
        "ledger_id": ledger.id, "gestartet": meta["started"],
        "beendet": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "benutzer": meta["user"], "rechner": meta["host"], "ausgaben": dict(sorted(ausgaben.items())),
    }
    _write(tmp / "manifest.json", to_json_bytes(manifest))
    log(f"Ausgaben geschrieben: Revision r{revision}")
    _write(tmp / "lauf.log", ("\n".join(log.lines) + "\n").encode("utf-8"))
    return jsonable(summary), pd.concat(parts, ignore_index=True)


def _workbook_info(prep: Prepared, results: dict) -> dict:
    """What the run's Parameter sheet shows: model, period, data basis, reference date, readings,
    the parameters in force, and whether synthetic stock went in."""
    lesarten: dict = {}
    for r in results.values():
        lesarten.update(r.state.info.get("lesarten", {}))
    return {"modell": prep.model.id, "periode": prep.periode,  # type: ignore[attr-defined]
            "datenbasis": str(prep.g.attrs.get("datenbasis", "")), "bestand_datei": str(prep.inputs["bestand"]),
            "synthetisch": bool(prep.b.attrs.get("synthetisch")), "stichtag": prep.when.isoformat(),
            "rundung": prep.cfg.rundung, "lesarten": lesarten, "parameter": params.in_force(prep.when)}


def publish(prep: Prepared, ledger: Ledger, tmp: Path, final: Path, revision: int, summary: dict,
            rows: pd.DataFrame, meta: dict, log: StepLog) -> RunOutcome:
    """Step 4: rename into place, then the ledger commit; a failed commit takes the revision back."""
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    _test_pause("renamed")
    entry = {
        "periode": prep.periode, "revision": revision, "fingerprint": prep.fingerprint, "status": "fertig",
        "modell": prep.model.id, "input_hashes": json.dumps(prep.hashes, sort_keys=True),  # type: ignore[attr-defined]
        "summary": json.dumps(summary, sort_keys=True, ensure_ascii=False),
        "started": meta["started"], "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "user": meta["user"], "host": meta["host"], "command": " ".join(meta["command"]),
        "folder": str(final.resolve()),
    }
    try:
        ledger.record(entry, rows)
    except DuplicateRun:
        _take_back(final, revision)
        prev = ledger.find(prep.periode, prep.fingerprint)
        log("unverändert: ein anderer Lauf hat dieselben Eingaben zuerst eingetragen")
        return RunOutcome("unveraendert", prep.periode, prev["revision"] if prev else revision,
                          Path(prev["folder"]) if prev else final)
    except (OSError, SQLAlchemyError) as exc:
        hidden = _take_back(final, revision)
        if is_disk_full(exc):
            raise DiskFullError(f"{ledger.safe_url}: {disk_full_text(exc)}; Ledger-Eintrag für {prep.periode}/"
                                f"r{revision} nicht geschrieben, die Revision ist nicht veröffentlicht "
                                f"({hidden.name} wird beim nächsten Lauf entfernt)") from exc
        detail = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise LedgerCommitError(f"{ledger.safe_url}: Ledger-Eintrag für {prep.periode}/r{revision} fehlgeschlagen "
                                f"({detail}); die Revision ist nicht veröffentlicht ({hidden.name} wird beim "
                                "nächsten Lauf entfernt). Ursache beheben und den Lauf erneut starten") from exc
    log(f"Ledger eingetragen ({ledger.safe_url}): {prep.periode}/r{revision}")
    with (final / "lauf.log").open("a", encoding="utf-8") as fh:
        fh.write(log.lines[-1] + "\n")
    return RunOutcome("fertig", prep.periode, revision, final, summary)


def _take_back(final: Path, revision: int) -> Path:
    """Hide a just-renamed revision whose commit failed: no visible revision without a ledger entry.

    It stays as a hidden temp folder: the next run restores it if the commit did land after all
    (the ledger then names exactly this revision and fingerprint), and removes it otherwise.
    """
    hidden = final.with_name(f"{TEMP_PREFIX}r{revision}-{secrets.token_hex(4)}")
    os.replace(final, hidden)
    return hidden


def check_stock_reused(prep: Prepared, ledger: Ledger, allowed: bool) -> None:
    """Refuse a stock file byte-identical to one another period used: an unedited run.toml would
    otherwise compute this month on last month's stock. Allowed with ``--bestand-unveraendert`` or
    ``bestand_unveraendert = true`` (no new report this month)."""
    if allowed or prep.cfg.bestand_unveraendert:
        return
    others = [(p, r) for p, r in ledger.runs_with_input("bestand", prep.hashes["bestand"]) if p != prep.periode]
    if others:
        used = ", ".join(f"{p}/r{r}" for p, r in others[:5]) + (" …" if len(others) > 5 else "")
        raise InputError(Problem(str(prep.inputs["bestand"]), f"byteweise gleich der Bestandsdatei des Laufs {used} "
                                 f"(andere Periode); die Meldung für {prep.periode} fehlt wohl. Nichts geschrieben. "
                                 "Abhilfe: in run.toml einen Pfad mit Platzhalter nennen (bestand = "
                                 "\"meldung_{periode}.csv\"; auch {jahr}, {monat}) oder, wenn der Bestand wirklich "
                                 "unverändert ist, --bestand-unveraendert angeben (oder bestand_unveraendert = true)"))


def run_period(periode: str, config_path: str | Path, warten: bool = True, command: list[str] | None = None,
               stream: TextIO | None = None, bestand_unveraendert: bool = False) -> RunOutcome:
    log = StepLog(stream)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    config_path = Path(config_path)
    prep = prepare(periode, config_path, log)
    timings = {"validierung_s": time.perf_counter() - t0}
    fix = f"verteilung runs repair --config {config_path}"
    if prep.ledger_url.get_backend_name() == "sqlite" and not Path(str(prep.ledger_url.database)).exists():
        unknown = [r for d in period_dirs(prep.out_root) for r in disk_revisions(d)]
        if unknown:   # a lost ledger file: refuse before creating an empty one
            _refuse_unknown(unknown, f"{prep.ledger_url.database} (Datei fehlt)", prep.out_root, fix)
    ledger = Ledger(prep.ledger_url, f"{config_path}: ausgabe.ledger")
    check_stock_reused(prep, ledger, bestand_unveraendert)
    period_dir = prep.out_root / periode
    with period_lock(prep.out_root / f".{periode}.lock", warten, log):
        reconcile(prep.out_root, ledger, periode, log, fix)
        previous = ledger.find(periode, prep.fingerprint)
        if previous:
            log(f"unverändert: gleiche Eingaben wie Revision {previous['revision']}; nichts geschrieben")
            return RunOutcome("unveraendert", periode, previous["revision"], Path(previous["folder"]))

        # 2. status and allocation
        t1 = time.perf_counter()
        ctx = Context(prep.g, prep.b, prep.when, dict.fromkeys(systems.standard_zugaenge(), 0),
                      zugaenge_system=prep.counts,
                      lesarten=lesarten_of(prep.cfg, prep.config_path))
        results = evaluate(prep.model, ctx, prep.haushalte, prep.beschr, solver=prep.cfg.solver, monat=prep.monat)
        timings["berechnung_s"] = time.perf_counter() - t1
        explanation = _explain(prep.model, results, ctx, prep.g, prep.b, prep.cfg, log, prep.monat)

        # 3. outputs, built aside (ordinary permissions, unlike mkdtemp's 0700) and renamed into place
        revision = max([ledger.max_revision(periode)] + [r.revision for r in (
            disk_revisions(period_dir) if period_dir.is_dir() else [])]) + 1
        period_dir.mkdir(parents=True, exist_ok=True)
        tmp = period_dir / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        tmp.mkdir()
        timings["gesamt_s"] = time.perf_counter() - t0
        meta = {"started": started.isoformat(timespec="seconds"), "user": getpass.getuser(),
                "host": socket.gethostname(), "command": command or sys.argv, "timings": timings}
        try:
            summary, rows = write_revision(tmp, prep, results, explanation, revision, ledger, log, meta)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if is_disk_full(exc):
                raise DiskFullError(f"{period_dir}: {disk_full_text(exc)}; Revision r{revision} nicht "
                                    "veröffentlicht, Ledger unverändert") from exc
            raise

        # 4. rename, then the ledger, last
        return publish(prep, ledger, tmp, period_dir / f"r{revision}", revision, summary, rows, meta, log)


# --- runs repair ------------------------------------------------------------------------------


def repair(out_root: Path, ledger: Ledger, aufraeumen: bool, echo: Callable[[str], None]) -> list[Problem]:
    """Rebuild missing ledger entries from the revisions on disk; report (and remove) leftovers.

    Returns the problems a person has to look at (nothing is moved or deleted for them).
    """
    problems: list[Problem] = []
    log = StepLog(_Discard())
    counts = {"eingetragen": 0, "nachgetragen": 0}
    if not out_root.is_dir():
        raise InputError(Problem(str(out_root), "Ausgabeordner nicht gefunden; erwartet den Ordner mit den "
                                 "Perioden-Ordnern (--config oder --ordner)"))
    echo(f"Ledger {ledger.safe_url}, Ausgabeordner {out_root}")
    for d in period_dirs(out_root):
        with period_lock(out_root / f".{d.name}.lock", True, log):
            entries = ledger.entries()
            for rev in disk_revisions(d):
                ref = f"{rev.periode}/r{rev.revision}"
                known = entries.get((rev.periode, rev.revision))
                if known is not None:
                    if rev.manifest is not None and rev.manifest.get("fingerprint") not in (None, known):
                        problems.append(Problem(str(rev.folder), f"{ref}: Fingerabdruck im manifest.json weicht "
                                                "vom Ledger-Eintrag ab; nichts geändert, bitte prüfen"))
                    counts["eingetragen"] += 1
                    continue
                try:
                    run, rows = ledger_entry_from_disk(rev, "nachgetragen: verteilung runs repair")
                    ledger.record(run, rows)
                except (ValueError, KeyError) as exc:
                    problems.append(Problem(str(rev.folder), f"{ref} nicht nachgetragen: {exc}"))
                    continue
                except DuplicateRun:
                    problems.append(Problem(str(rev.folder), f"{ref} nicht nachgetragen: der Ledger hat dieselben "
                                            "Eingaben oder diese Revisionsnummer schon unter einem anderen Eintrag"))
                    continue
                counts["nachgetragen"] += 1
                echo(f"nachgetragen: {ref} aus {rev.folder / 'manifest.json'}")
            entries = ledger.entries()
            for p in sorted(d.iterdir()):
                if not p.is_dir() or not p.name.startswith((TEMP_PREFIX, DISCARDED_PREFIX)):
                    continue
                if p.name.startswith(TEMP_PREFIX):
                    state = _restore_or_remove_temp(p, entries, lambda _m: None, remove=False)
                    if state == "wiederhergestellt":
                        echo(f"wiederhergestellt: {d.name}/{p.name} (Ledger-Eintrag vorhanden)")
                        continue
                    what = "unvollständiger Lauf (versteckter Arbeitsordner)"
                else:
                    m = read_manifest(p)
                    rev_no, fp = (m or {}).get("revision"), (m or {}).get("fingerprint")
                    if m and isinstance(rev_no, int) and isinstance(fp, str) and entries.get((d.name, rev_no)) == fp:
                        what = f"beiseitegelegt; Kopie von {d.name}/r{m.get('revision')} im Ledger"
                    elif m:
                        what = (f"beiseitegelegt; Revision r{m.get('revision')}, Fingerabdruck "
                                f"{str(m.get('fingerprint'))[:12]}, nicht im Ledger")
                    else:
                        what = "beiseitegelegt; ohne lesbares manifest.json"
                if aufraeumen:
                    shutil.rmtree(p)
                    echo(f"entfernt: {d.name}/{p.name} ({what})")
                else:
                    echo(f"übrig: {d.name}/{p.name} ({what}); --aufraeumen entfernt ihn")
    echo(f"{counts['nachgetragen']} Revision(en) nachgetragen, {counts['eingetragen']} waren schon eingetragen"
         + (f", {len(problems)} Problem(e)" if problems else ""))
    return problems


class _Discard:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


def repair_command(ledger_url_arg: str | None, config: Path | None, ordner: Path | None, aufraeumen: bool,
                   echo: Callable[[str], None]) -> None:
    """``verteilung runs repair``: the config names ledger and folder; or ``--ledger`` and ``--ordner``."""
    if config is not None:
        ledger, out_root = open_ledger(config)
        if ledger_url_arg:
            ledger = Ledger(ledger_url_arg)
        if ordner is not None:
            out_root = ordner
    else:
        out_root = ordner or Path("outputs")
        ledger = Ledger(ledger_url_arg) if ledger_url_arg else Ledger(default_url(out_root))
    problems = repair(out_root, ledger, aufraeumen, echo)
    if problems:
        raise InputError(problems)


def _household_rule(system: str) -> str:
    """The paragraph on households of a registered system (FlüAG § 3 Abs. 1 S. 2, AWoV § 5 Abs. 2)."""
    from verteilung.law import systems

    try:
        return systems.get(system).paragraphen.get("haushalt", "Haushalte nach Modell")
    except InputError:
        return "Haushalte nach Modell"


def _explain(model, results, ctx, g, b, cfg, log: StepLog, monat: int = 1) -> list[str]:
    """The explanation log: each step with its paragraph, in German text (no Python values)."""
    from verteilung.darstellung import lesart_text, parameter_value_text
    from verteilung.io.deutsch import fmt_date, fmt_dec, fmt_int
    from verteilung.uebergang import Uebergang
    from verteilung.vocab import lesart_label, parameter_label, system_label

    lines = [f"Modell {model.id}: {model.titel}", f"Rechtsgrundlage: {model.rechtsgrundlage}",
             f"Gemeindedaten: {g.attrs['datenbasis']} (§ 3 Abs. 2 FlüAG: IT.NRW, Stand 1. Januar)",
             f"Stichtag: {fmt_date(ctx.stichtag)}; Bestandsdatei: {b.attrs['quelle']}"
             + (" (SYNTHETISCH)" if b.attrs.get("synthetisch") else "")]
    u = Uebergang.from_dict(getattr(model, "uebergang", None))
    if u is not None and u.monate:
        w = u.gewicht(monat)
        lines.append(f"Übergang von {u.von}: Monat {monat} von {u.monate} (Beginn {u.beginn}), Schlüssel zu "
                     f"{fmt_int(round(w * 100))} % neu, {fmt_int(100 - round(w * 100))} % {u.von}")
    if b["ohne_meldung"].any():
        lines.append(f"{int(b['ohne_meldung'].sum())} Gemeinden ohne Meldung mit Bestand 0 geführt "
                     "(BR Arnsberg: verspätete Meldungen ohne Bestand)")
    for name, r in results.items():
        st, a = r.state, r.allocation.summary
        tag = f"[{system_label(name, short=True)}]"
        faktoren = ", ".join(f"{parameter_label(p.name)} {parameter_value_text(p.value)}"
                             for p in ctx.anrechnung_faktoren)
        lesarten = "; ".join(f"{lesart_label(k)}: {lesart_text(k, v)}"
                             for k, v in st.info.get("lesarten", {}).items() if k != "schluessel")
        lines += [
            f"{tag} Schlüssel: {r.key_label}; Lesarten: {lesarten}",
            f"{tag} Bestand {fmt_int(st.bestand.sum())}, Anrechnung {fmt_dec(st.anrechnung.sum(), 1)} "
            f"({'; '.join(dict.fromkeys(p.paragraph for p in ctx.anrechnung_faktoren))}: {faktoren})"
            if st.anrechnung.any() else f"{tag} Bestand {fmt_int(st.bestand.sum())}, keine Anrechnung",
            f"{tag} Soll nach Zuweisung = Schlüssel × (Σ Bestand + Anrechnung + Zugänge); Rundung: {cfg.rundung} "
            "(docs/recht.md Abschnitt 3)",
            f"{tag} Zuweisung von {fmt_int(a['personen'])} Personen: {a['pfad']}; niedrigste Quote danach "
            f"{fmt_dec(a['niedrigste_quote_nachher'], 2)} %, "
            f"Gemeinden mit Zuweisung: {fmt_int(a['empfangende_gemeinden'])} "
            "(Verteilung nach niedrigster Erfüllungsquote, docs/recht.md Abschnitt 1.4"
            + (f"; Haushalte ungeteilt, {_household_rule(name)})" if a.get("haushalte") else ")")
            if a["niedrigste_quote_nachher"] is not None else f"{tag} keine Zuweisung",
        ]
    for line in lines:
        log(line)
    return lines
