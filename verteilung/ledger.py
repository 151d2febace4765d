"""Run history: one row per run and its per-Gemeinde results, in SQLite or PostgreSQL.

SQLAlchemy Core keeps one code path for both. Unique keys (period, revision) and (period,
input fingerprint) make the database itself refuse a second revision from the same inputs, even
when two machines share one PostgreSQL ledger.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    func,
    select,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError, ProgrammingError

from verteilung.errors import InputError, Problem

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("periode", String(7), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("modell", String(100), nullable=False),
    Column("input_hashes", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("started", String(32), nullable=False),
    Column("finished", String(32), nullable=False),
    Column("user", String(100), nullable=False),
    Column("host", String(255), nullable=False),
    Column("command", Text, nullable=False),
    Column("folder", Text, nullable=False),
    UniqueConstraint("periode", "revision", name="uq_runs_periode_revision"),
    UniqueConstraint("periode", "fingerprint", name="uq_runs_periode_fingerprint"),
)

run_gemeinden = Table(
    "run_gemeinden", metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False, index=True),
    Column("system", String(50), nullable=False),
    Column("ags", String(8), nullable=False),
    Column("gemeinde", String(200), nullable=False),
    Column("bestand", Float, nullable=False),
    Column("anrechnung", Float, nullable=False),
    Column("soll", Integer, nullable=False),
    Column("aufnahmeverpflichtung", Integer, nullable=False),
    Column("erfuellungsquote", Float),
    Column("zuweisung", Integer, nullable=False),
)


ledger_info = Table(
    "ledger_info", metadata,
    Column("key", String(50), primary_key=True),
    Column("value", Text, nullable=False),
)

PERIOD_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")   # ASCII digits only; always used with fullmatch
URL_HINT = "erwartet sqlite:///PFAD oder postgresql+psycopg://BENUTZER@RECHNER/DATENBANK"


class DuplicateRun(Exception):
    """Another process recorded the same inputs for this period first."""


def default_url(output_root: Path) -> str:
    return f"sqlite:///{(output_root / 'ledger.sqlite').resolve()}"


def parse_url(url: str, where: str = "--ledger", base: Path | None = None) -> URL:
    """Check a ledger URL; a relative SQLite path is taken relative to ``base`` (the config's folder).

    Only SQLite and PostgreSQL are accepted. The URL itself is never echoed in a refusal: it may
    hold a password.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(Problem(where, f"keine gültige Datenbank-URL ({URL_HINT})")) from None
    dialect = parsed.get_backend_name()
    if dialect not in ("sqlite", "postgresql"):
        raise InputError(Problem(where, f"Datenbank „{dialect}“ wird nicht unterstützt ({URL_HINT})"))
    if dialect == "sqlite":
        db = parsed.database or ""
        if db in ("", ":memory:") or db.startswith("file:"):
            raise InputError(Problem(where, f"SQLite-Ledger braucht einen Dateipfad ({URL_HINT})"))
        path = Path(db).expanduser()
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        parsed = parsed.set(database=str(path.resolve()))
    return parsed


class Ledger:
    """The run history. ``anlegen=False`` (the read-only ``runs`` commands) refuses a SQLite ledger
    file that does not exist instead of creating an empty one."""

    def __init__(self, url: str | URL, where: str = "--ledger", anlegen: bool = True):
        parsed = url if isinstance(url, URL) else parse_url(url, where)
        self.url = parsed.render_as_string(hide_password=False)
        self.sqlite_path = Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None
        if self.sqlite_path is not None and self.sqlite_path.is_dir():
            raise InputError(Problem(where, f"{self.sqlite_path} ist ein Ordner, erwartet eine SQLite-Datei"))
        if self.sqlite_path is not None and not anlegen and not self.sqlite_path.exists():
            raise InputError(Problem(where, f"kein Ledger unter {self.sqlite_path} (noch kein Lauf mit dieser "
                                     "Konfiguration? --config run.toml oder --ledger sqlite:///PFAD angeben)"))
        try:
            self.engine: Engine = create_engine(parsed, future=True)
            if self.sqlite_path is not None:
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            self._create_tables()
            self.id = self._ledger_id()
        except (DatabaseError, ArgumentError, ModuleNotFoundError, OSError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            if "file is not a database" in detail:
                reason = f"{self.sqlite_path} ist keine SQLite-Datenbank"
            else:
                reason = f"Ledger {self.safe_url} lässt sich nicht öffnen ({exc.__class__.__name__}: {detail})"
            raise InputError(Problem(where, reason)) from exc

    def _create_tables(self) -> None:
        """Create the tables; two processes opening a new ledger at once may race, so retry."""
        for attempt in range(10):
            try:
                metadata.create_all(self.engine)
                return
            except (OperationalError, ProgrammingError, IntegrityError) as exc:
                lost_race = "already exists" in str(exc) or "duplicate key" in str(exc)
                if not lost_race or attempt == 9:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _ledger_id(self) -> str:
        """A random id made when the ledger is created: manifests carry it, so a run can tell its own
        interrupted commit from revisions recorded in another (lost or replaced) ledger."""
        for _ in range(10):
            with self.engine.connect() as con:
                value = con.execute(select(ledger_info.c.value).where(ledger_info.c.key == "id")).scalar()
            if value:
                return str(value)
            try:
                with self.engine.begin() as con:
                    con.execute(ledger_info.insert().values(key="id", value=uuid.uuid4().hex))
            except IntegrityError:
                time.sleep(0.02)  # another process made it first: read theirs
        raise OperationalError("ledger id", {}, Exception("ledger_info not readable"))

    @property
    def safe_url(self) -> str:
        """The URL without a password, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True) if hasattr(self, "engine") else self.url

    def find(self, periode: str, fingerprint: str) -> dict | None:
        with self.engine.connect() as con:
            row = con.execute(select(runs).where(runs.c.periode == periode, runs.c.fingerprint == fingerprint)).first()
        return dict(row._mapping) if row else None

    def revisions(self, periode: str) -> set[int]:
        with self.engine.connect() as con:
            return {r[0] for r in con.execute(select(runs.c.revision).where(runs.c.periode == periode))}

    def entries(self) -> dict[tuple[str, int], str]:
        """Every recorded (period, revision) with its input fingerprint."""
        with self.engine.connect() as con:
            rows = con.execute(select(runs.c.periode, runs.c.revision, runs.c.fingerprint)).all()
        return {(r[0], int(r[1])): r[2] for r in rows}

    def max_revision(self, periode: str) -> int:
        with self.engine.connect() as con:
            return con.execute(select(func.max(runs.c.revision)).where(runs.c.periode == periode)).scalar() or 0

    def record(self, run: dict, gemeinden: pd.DataFrame) -> int:
        """Write the run and its Gemeinde rows in one transaction."""
        try:
            with self.engine.begin() as con:
                run_id = con.execute(runs.insert().values(**run)).inserted_primary_key[0]
                rows = gemeinden.assign(run_id=run_id).to_dict(orient="records")
                if rows:
                    con.execute(run_gemeinden.insert(), rows)
        except IntegrityError as exc:
            raise DuplicateRun(str(exc).splitlines()[0]) from exc
        return int(run_id)

    def runs_with_input(self, name: str, digest: str) -> list[tuple[str, int]]:
        """The runs (period, revision) whose input NAME had the SHA-256 DIGEST, oldest first."""
        with self.engine.connect() as con:
            rows = con.execute(select(runs.c.periode, runs.c.revision, runs.c.input_hashes)
                               .order_by(runs.c.periode, runs.c.revision)).all()
        found = []
        for periode, revision, hashes in rows:
            try:
                if json.loads(hashes).get(name) == digest:
                    found.append((str(periode), int(revision)))
            except (ValueError, AttributeError):
                continue
        return found

    def list(self) -> pd.DataFrame:
        cols = [runs.c.periode, runs.c.revision, runs.c.status, runs.c.modell, runs.c.started, runs.c.finished,
                runs.c.user, runs.c.host, runs.c.fingerprint]
        with self.engine.connect() as con:
            df = pd.DataFrame(con.execute(select(*cols).order_by(runs.c.periode, runs.c.revision)).all(),
                              columns=[c.name for c in cols])
        df["fingerprint"] = df["fingerprint"].str[:12]
        return df

    def get(self, periode: str, revision: int | None = None) -> tuple[dict, pd.DataFrame]:
        with self.engine.connect() as con:
            q = select(runs).where(runs.c.periode == periode)
            q = q.where(runs.c.revision == revision) if revision is not None else q.order_by(runs.c.revision.desc())
            row = con.execute(q).first()
            if row is None:
                what = f"{periode}/r{revision}" if revision is not None else periode
                raise InputError(Problem("Ledger", f"kein Lauf {what} in {self.safe_url} "
                                         "(verteilung runs list zeigt die eingetragenen Läufe)"))
            run = dict(row._mapping)
            rows = con.execute(select(run_gemeinden).where(run_gemeinden.c.run_id == run["id"])
                               .order_by(run_gemeinden.c.system, run_gemeinden.c.ags)).all()
        run["input_hashes"] = json.loads(run["input_hashes"])
        run["summary"] = json.loads(run["summary"])
        return run, pd.DataFrame(rows, columns=[c.name for c in run_gemeinden.columns]).drop(columns="run_id")

    def diff(self, a: tuple[str, int | None], b: tuple[str, int | None]) -> pd.DataFrame:
        """Per Gemeinde and system: what changed between two runs (only rows that differ in any value)."""
        _, left = self.get(*a)
        _, right = self.get(*b)
        keys = ["system", "ags", "gemeinde"]
        m = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"))
        for f in DIFF_FIELDS:
            m[f"{f}_diff"] = m[f"{f}_b"] - m[f"{f}_a"]
        cols = keys + [c for f in DIFF_FIELDS for c in (f"{f}_a", f"{f}_b", f"{f}_diff")]
        return m.loc[changed(m), cols].reset_index(drop=True)

    def input_changes(self, a: tuple[str, int | None], b: tuple[str, int | None]) -> list[dict]:
        """The run-level inputs that differ between two runs: each input file by its SHA-256 (with the
        path from the revision's manifest where it can be read), the model and the arrivals per system.

        One dict per change: ``eingabe``, ``a``, ``b`` (None where the input is absent in that run)
        and ``pfad_a`` / ``pfad_b`` for files.
        """
        run_a, _ = self.get(*a)
        run_b, _ = self.get(*b)
        out: list[dict] = []
        if run_a["modell"] != run_b["modell"]:
            out.append({"eingabe": "modell", "a": run_a["modell"], "b": run_b["modell"]})
        paths_a, paths_b = _manifest_paths(run_a), _manifest_paths(run_b)
        ha, hb = run_a["input_hashes"], run_b["input_hashes"]
        for name in sorted(set(ha) | set(hb)):
            if ha.get(name) != hb.get(name):
                out.append({"eingabe": name, "a": ha.get(name), "b": hb.get(name),
                            "pfad_a": paths_a.get(name), "pfad_b": paths_b.get(name)})
        sa, sb = run_a["summary"], run_b["summary"]
        for system in sorted(set(sa) | set(sb)):
            pa, pb = (sa.get(system) or {}).get("personen"), (sb.get(system) or {}).get("personen")
            if pa != pb:
                out.append({"eingabe": f"zugaenge/{system}", "a": pa, "b": pb})
        return out


DIFF_FIELDS = ("bestand", "anrechnung", "soll", "aufnahmeverpflichtung", "erfuellungsquote", "zuweisung")
INPUT_FIELDS = ("bestand", "anrechnung")                       # what a stock file gives per Gemeinde
RESULT_FIELDS = ("soll", "aufnahmeverpflichtung", "zuweisung")  # whole persons: a change an officer acts on


def changed(diff: pd.DataFrame, fields: tuple[str, ...] = DIFF_FIELDS) -> pd.Series:
    """Rows of a diff table whose ``fields`` differ between the runs (a row in one run only counts)."""
    out = pd.Series(False, index=diff.index)
    for f in fields:
        a, b = diff[f"{f}_a"], diff[f"{f}_b"]
        out |= (a != b) & ~(a.isna() & b.isna())
    return out


def _manifest_paths(run: dict) -> dict[str, str]:
    """Input name → path as recorded in the revision's manifest.json (empty if it cannot be read)."""
    try:
        manifest = json.loads((Path(run["folder"]) / "manifest.json").read_text(encoding="utf-8"))
        return {k: str(v["pfad"]) for k, v in manifest.get("eingaben", {}).items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


REF_RE = re.compile(r"(?P<periode>[0-9]{4}-(0[1-9]|1[0-2]))(/r?(?P<revision>[1-9][0-9]{0,8}))?")


def parse_ref(text: str) -> tuple[str, int | None]:
    """``2024-05``, ``2024-05/2`` or ``2024-05/r2``: ASCII digits only, nothing stripped."""
    m = REF_RE.fullmatch(text)
    if m is None:
        raise InputError(Problem("Lauf-Angabe", f"erwartet PERIODE oder PERIODE/REVISION mit Ziffern 0-9, "
                                 f"z. B. 2024-05 oder 2024-05/2, erhalten „{text}“"))
    rev = m.group("revision")
    return m.group("periode"), int(rev) if rev else None
