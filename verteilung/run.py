"""The scheduled monthly run: validate → status per system → allocation → outputs → ledger.

Guarantees (README "Scheduled runs"):
- every input is validated before anything is written; bad input exits 2 and writes nothing;
- the same period with the same inputs is "unchanged": nothing new is written, exit 0;
- changed inputs give a new revision ``<out>/<periode>/r<N>`` beside the old ones;
- a revision is built in a hidden temporary folder and renamed into place; the ledger
  transaction comes last. A run killed before the rename leaves only the hidden folder (removed
  by the next run); one killed between rename and ledger commit leaves a folder the ledger does
  not know, which the next run moves aside before anything else. Either way the published state
  is the previous one or the complete new one;
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
import shutil
import socket
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from verteilung import __version__, params
from verteilung.data import load_bestand, load_gemeinden
from verteilung.data.bestand import required_for_systems
from verteilung.data.zahlen import pruefe_personen
from verteilung.data.zugaenge import load_beschraenkungen, load_haushalte
from verteilung.errors import InputError, Problem, VerteilungError
from verteilung.ledger import DuplicateRun, Ledger, default_url
from verteilung.model import Context, evaluate, load_model, models_dir
from verteilung.report.output import jsonable, to_csv_bytes, to_json_bytes
from verteilung.report.xlsx import workbook_bytes
from verteilung.resources import params_dir, shipped
from verteilung.status import Rundung, verteilstatistik

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
EXIT_LOCKED = 75  # EX_TEMPFAIL: a scheduler may retry later


class LockedError(VerteilungError):
    exit_code = EXIT_LOCKED


class Arrivals(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personen: int | None = Field(default=None, ge=0)
    haushalte: str | None = None
    beschraenkungen: str | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.personen is None) == (self.haushalte is None):
            raise ValueError("give exactly one of personen or haushalte")
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
    jahr: int | None = None
    stichtag: str | None = None
    ohne_meldung_null: bool = False
    rundung: Rundung = "aufrunden"
    solver: str = "highs"
    zugaenge: dict[str, Arrivals]
    ausgabe: Output = Output()


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


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_config(path: Path) -> RunConfig:
    if not path.exists():
        raise InputError(Problem(str(path), "config file not found"))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), f"not valid TOML: {exc}")) from exc
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(str(path), f"{'.'.join(map(str, e['loc']))}: {e['msg']}") for e in exc.errors()]
                         ) from exc


def _resolve(base: Path, value: str | None) -> Path | None:
    if value is None:
        return None
    p = Path(value)
    return p if p.is_absolute() else (base / p)


@contextmanager
def period_lock(path: Path, wait: bool, log: StepLog) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise LockedError(f"another run for this period is in progress (lock {path}); "
                                  "try again later or use --warten") from None
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


def reconcile(period_dir: Path, ledger: Ledger, periode: str, log: StepLog) -> None:
    """Remove leftovers of killed runs: hidden temp folders, and revisions the ledger never recorded."""
    if not period_dir.exists():
        return
    known = ledger.revisions(periode)
    for p in sorted(period_dir.iterdir()):
        if p.name.startswith(".tmp-"):
            shutil.rmtree(p, ignore_errors=True)
            log(f"unvollständigen Lauf entfernt: {p.name}")
        elif re.fullmatch(r"r\d+", p.name) and int(p.name[1:]) not in known:
            target = period_dir / f".verworfen-{p.name}-{int(time.time())}"
            os.replace(p, target)
            log(f"Revision {p.name} ohne Ledger-Eintrag (abgebrochener Lauf) beiseitegelegt: {target.name}")


def run_period(periode: str, config_path: str | Path, warten: bool = True, command: list[str] | None = None,
               stream: TextIO | None = None) -> RunOutcome:
    log = StepLog(stream)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    if not PERIOD_RE.match(periode):
        raise InputError(Problem("--periode", f"expected YYYY-MM, got {periode!r}"))
    config_path = Path(config_path)
    cfg = load_config(config_path)
    base = config_path.resolve().parent
    log(f"Lauf {periode}: Konfiguration {config_path}")

    # 1. validate every input before anything is written
    inputs: dict[str, Path] = {"config": config_path}
    bestand_path = _resolve(base, cfg.bestand)
    gemeinden_path = _resolve(base, cfg.gemeinden)
    inputs["bestand"] = bestand_path
    if gemeinden_path:
        inputs["gemeinden"] = gemeinden_path
    else:
        for name in ("gemeinden.csv", "bevoelkerung.csv", "arbeitslose.csv", "kreise_arbeitslosenquote.csv"):
            inputs[f"shipped/{name}"] = shipped("inputs", "nrw", name)
    model_file = _resolve(base, cfg.modell) if Path(cfg.modell).suffix else models_dir() / f"{cfg.modell}.yaml"
    model = load_model(model_file if Path(cfg.modell).suffix else cfg.modell)
    inputs["modell"] = model_file
    g = load_gemeinden(gemeinden_path, cfg.jahr)
    year, month = int(periode[:4]), int(periode[5:])
    when = dt.date.fromisoformat(cfg.stichtag) if cfg.stichtag else dt.date(year, month, 1)
    b = load_bestand(bestand_path, g, required=required_for_systems([s.bestand for s in model.systeme]),
                     ohne_meldung_null=cfg.ohne_meldung_null)
    names = {s.name for s in model.systeme}
    unknown = set(cfg.zugaenge) - names
    missing = names - set(cfg.zugaenge)
    problems = [Problem(str(config_path), f"zugaenge.{n}: model {model.id} has no system {n!r} "
                        f"(systems: {', '.join(sorted(names))})") for n in sorted(unknown)]
    problems += [Problem(str(config_path), f"zugaenge.{n} is missing (arrivals for every system of "
                         f"{model.id})") for n in sorted(missing)]
    if problems:
        raise InputError(problems)
    haushalte, beschr, counts = {}, {}, {}
    for name, arr in cfg.zugaenge.items():
        if arr.haushalte:
            p = _resolve(base, arr.haushalte)
            inputs[f"haushalte/{name}"] = p
            haushalte[name] = load_haushalte(p, g)
            counts[name] = int(haushalte[name]["personen"].sum())
        else:
            counts[name] = pruefe_personen(arr.personen or 0, f"{config_path}: zugaenge.{name}.personen")
        if arr.beschraenkungen:
            p = _resolve(base, arr.beschraenkungen)
            inputs[f"beschraenkungen/{name}"] = p
            beschr[name] = load_beschraenkungen(p, g)
    for p in sorted(params_dir().glob("*.yaml")):
        inputs[f"params/{p.name}"] = p
    hashes = {k: sha256(v) for k, v in sorted(inputs.items())}
    fingerprint = hashlib.sha256(json.dumps({"periode": periode, "version": __version__, "inputs": hashes,
                                             "stichtag": when.isoformat()}, sort_keys=True).encode()).hexdigest()
    timings["validierung_s"] = time.perf_counter() - t0
    log(f"Eingaben geprüft ({len(inputs)} Dateien), Fingerabdruck {fingerprint[:12]}")

    out_root = _resolve(base, cfg.ausgabe.ordner)
    ledger = Ledger(cfg.ausgabe.ledger or default_url(out_root))
    period_dir = out_root / periode
    with period_lock(out_root / f".{periode}.lock", warten, log):
        reconcile(period_dir, ledger, periode, log)
        previous = ledger.find(periode, fingerprint)
        if previous:
            log(f"unverändert: gleiche Eingaben wie Revision {previous['revision']}; nichts geschrieben")
            return RunOutcome("unveraendert", periode, previous["revision"], Path(previous["folder"]))

        # 2. status and allocation
        t1 = time.perf_counter()
        ctx = Context(g, b, when, {"flueag": 0, "wsa": 0}, zugaenge_system=counts)
        results = evaluate(model, ctx, haushalte, beschr, solver=cfg.solver)
        timings["berechnung_s"] = time.perf_counter() - t1
        explanation = _explain(model, results, ctx, g, b, cfg, log)

        # 3. outputs, built aside and renamed into place
        revision = max([ledger.max_revision(periode)] + [int(p.name[1:]) for p in period_dir.glob("r*")
                                                        if p.name[1:].isdigit()]) + 1
        final = period_dir / f"r{revision}"
        period_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=period_dir))
        tables, gemeinde_rows = {}, []
        for name, r in results.items():
            vs = verteilstatistik(r.state, cfg.rundung)
            vs["zuweisung"] = r.zuweisung
            tables[f"Verteilstatistik {name}"] = vs.drop(columns=["soll_exakt", "aufnahmeverpflichtung_exakt"])
            (tmp / f"verteilstatistik_{name}.csv").write_bytes(to_csv_bytes(vs))
            (tmp / f"zuweisung_{name}.csv").write_bytes(to_csv_bytes(r.allocation.table))
            if r.allocation.households is not None:
                (tmp / f"haushalte_{name}.csv").write_bytes(to_csv_bytes(r.allocation.households))
            gemeinde_rows.append(pd.DataFrame({
                "system": name, "ags": vs["ags"], "gemeinde": vs["gemeinde"], "bestand": vs["bestand"].astype(float),
                "anrechnung": vs["anrechnung"].astype(float), "soll": vs["soll"].astype(int),
                "aufnahmeverpflichtung": vs["aufnahmeverpflichtung"].astype(int),
                "erfuellungsquote": vs["erfuellungsquote"].astype(float), "zuweisung": r.zuweisung.astype(int)}))
            _test_pause("write")
        (tmp / "verteilstatistik.xlsx").write_bytes(workbook_bytes(tables))
        summary = {name: {k: v for k, v in r.allocation.summary.items() if k != "lesarten"}
                   for name, r in results.items()}
        (tmp / "erlaeuterung.txt").write_text("\n".join(explanation) + "\n", encoding="utf-8")
        in_force = []
        for name in params.names():
            try:
                pv = params.get(name, when)
            except InputError:
                continue
            in_force.append({"name": name, "wert": pv.value, "gueltig_ab": pv.start.isoformat(),
                             "paragraph": pv.paragraph, "quelle": pv.title, "href": pv.href})
        solvers = sorted({s["pfad"] for s in summary.values()})
        timings["gesamt_s"] = time.perf_counter() - t0
        manifest = {
            "periode": periode, "revision": revision, "fingerprint": fingerprint, "version": __version__,
            "python": platform.python_version(), "modell": model.id, "stichtag": when.isoformat(),
            "eingaben": {k: {"pfad": str(inputs[k]), "sha256": v} for k, v in hashes.items()},
            "parameter": in_force, "lesarten": {n: r.state.info.get("lesarten", {}) for n, r in results.items()},
            "verfahren": solvers, "zeiten": timings, "befehl": command or sys.argv,
            "zusammenfassung": summary, "angenommen_null": b.attrs["angenommen_null"],
        }
        (tmp / "manifest.json").write_bytes(to_json_bytes(manifest))
        log(f"Ausgaben geschrieben: Revision r{revision}")
        (tmp / "lauf.log").write_text("\n".join(log.lines) + "\n", encoding="utf-8")
        os.replace(tmp, final)
        _test_pause("renamed")

        # 4. ledger, last
        finished = dt.datetime.now(dt.UTC)
        try:
            ledger.record({
                "periode": periode, "revision": revision, "fingerprint": fingerprint, "status": "fertig",
                "modell": model.id, "input_hashes": json.dumps(hashes, sort_keys=True),
                "summary": json.dumps(jsonable(summary), sort_keys=True, ensure_ascii=False),
                "started": started.isoformat(timespec="seconds"), "finished": finished.isoformat(timespec="seconds"),
                "user": getpass.getuser(), "host": socket.gethostname(), "command": " ".join(command or sys.argv),
                "folder": str(final.resolve()),
            }, pd.concat(gemeinde_rows, ignore_index=True))
        except DuplicateRun:
            os.replace(final, period_dir / f".verworfen-r{revision}-{int(time.time())}")
            prev = ledger.find(periode, fingerprint)
            log("unverändert: ein anderer Lauf hat dieselben Eingaben zuerst eingetragen")
            return RunOutcome("unveraendert", periode, prev["revision"] if prev else revision, final)
        log(f"Ledger eingetragen ({ledger.safe_url}): {periode}/r{revision}")
        with (final / "lauf.log").open("a", encoding="utf-8") as fh:
            fh.write(log.lines[-1] + "\n")
        return RunOutcome("fertig", periode, revision, final, summary)


def _explain(model, results, ctx, g, b, cfg, log: StepLog) -> list[str]:
    """The explanation log: each step with its paragraph."""
    lines = [f"Modell {model.id}: {model.titel}", f"Rechtsgrundlage: {model.rechtsgrundlage}",
             f"Gemeindedaten: {g.attrs['datenbasis']} (§ 3 Abs. 2 FlüAG: IT.NRW, Stand 1. Januar)",
             f"Stichtag: {ctx.stichtag.isoformat()}; Bestandsdatei: {b.attrs['quelle']}"
             + (" (SYNTHETISCH)" if b.attrs.get("synthetisch") else "")]
    if b["ohne_meldung"].any():
        lines.append(f"{int(b['ohne_meldung'].sum())} Gemeinden ohne Meldung mit Bestand 0 geführt "
                     "(BR Arnsberg: verspätete Meldungen ohne Bestand)")
    for name, r in results.items():
        st, a = r.state, r.allocation.summary
        lines += [
            f"[{name}] Schlüssel: {r.key_label}; Lesarten: {st.info.get('lesarten', {})}",
            f"[{name}] Bestand {st.bestand.sum():,.0f}, Anrechnung {st.anrechnung.sum():,.1f} (§ 3 Abs. 5 FlüAG: "
            f"Faktoren {', '.join(f'{p.name}={p.value}' for p in ctx.anrechnung_faktoren)})"
            if st.anrechnung.any() else f"[{name}] Bestand {st.bestand.sum():,.0f}, keine Anrechnung",
            f"[{name}] Soll = Schlüssel × (Σ Bestand + Anrechnung + Zugänge); Rundung: {cfg.rundung} (LEGAL.md Q5)",
            f"[{name}] Zuweisung von {a['personen']:,} Personen: {a['pfad']}; niedrigste Quote danach "
            f"{a['niedrigste_quote_nachher']:.2f} %, Gemeinden mit Zuweisung: {a['empfangende_gemeinden']} "
            "(Verteilung nach niedrigster Erfüllungsquote, LEGAL.md § 3; Haushalte ungeteilt, § 3 Abs. 1 S. 2 FlüAG)"
            if a["niedrigste_quote_nachher"] is not None else f"[{name}] keine Zuweisung",
        ]
    for line in lines:
        log(line)
    return lines
