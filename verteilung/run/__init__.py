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

The package's modules, one step each (docs/architecture.md, layer order): `konfig` (run.toml,
ledger, step log, lock), `vorbereitung` (step 1), `schreiben` (steps 3-4 and the explanation),
`reparatur` (revisions on disk vs. the ledger). This module runs them in order (`run_period`) and
keeps every name importable from ``verteilung.run`` as before the split.
"""

from __future__ import annotations

import datetime as dt
import getpass
import secrets
import shutil
import socket
import sys
import time
from pathlib import Path
from typing import TextIO

from verteilung.errors import DiskFullError, disk_full_text, is_disk_full
from verteilung.law import systems
from verteilung.ledger import Ledger
from verteilung.model import Context, evaluate
from verteilung.run.konfig import (
    _EXPECTED,
    _PLATZHALTER_RE,
    DISCARDED_PREFIX,
    EXIT_LOCKED,
    MAX_PERSONEN,
    PLATZHALTER,
    REVISION_RE,
    TEMP_PREFIX,
    Arrivals,
    LedgerCommitError,
    LockedError,
    Output,
    RunConfig,
    RunOutcome,
    StepLog,
    _resolve,
    _test_pause,
    check_period,
    ledger_url,
    lesarten_of,
    load_config,
    open_ledger,
    output_root,
    period_lock,
    platzhalter,
)
from verteilung.run.reparatur import (
    DiskRevision,
    _Discard,
    _refuse_unknown,
    _restore_or_remove_temp,
    disk_revisions,
    ledger_entry_from_disk,
    period_dirs,
    read_manifest,
    reconcile,
    repair,
    repair_command,
)
from verteilung.run.schreiben import (
    _explain,
    _fsync_dir,
    _household_rule,
    _take_back,
    _workbook_info,
    _write,
    gemeinde_rows,
    publish,
    write_revision,
)
from verteilung.run.vorbereitung import (
    Prepared,
    _refuse_blocked_places,
    check_stock_reused,
    prepare,
    uebergangsmonat,
)

__all__ = [
    "DISCARDED_PREFIX",
    "EXIT_LOCKED",
    "MAX_PERSONEN",
    "PLATZHALTER",
    "REVISION_RE",
    "TEMP_PREFIX",
    "_EXPECTED",
    "_PLATZHALTER_RE",
    "Arrivals",
    "DiskRevision",
    "LedgerCommitError",
    "LockedError",
    "Output",
    "Prepared",
    "RunConfig",
    "RunOutcome",
    "StepLog",
    "_Discard",
    "_explain",
    "_fsync_dir",
    "_household_rule",
    "_refuse_blocked_places",
    "_refuse_unknown",
    "_resolve",
    "_restore_or_remove_temp",
    "_take_back",
    "_test_pause",
    "_workbook_info",
    "_write",
    "check_period",
    "check_stock_reused",
    "disk_revisions",
    "gemeinde_rows",
    "ledger_entry_from_disk",
    "ledger_url",
    "lesarten_of",
    "load_config",
    "open_ledger",
    "output_root",
    "period_dirs",
    "period_lock",
    "platzhalter",
    "prepare",
    "publish",
    "read_manifest",
    "reconcile",
    "repair",
    "repair_command",
    "run_period",
    "uebergangsmonat",
    "write_revision",
]


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

