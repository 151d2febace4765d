"""Revisions on disk and the ledger brought into agreement: before each run (`reconcile`) and by
``verteilung runs repair`` (entries rebuilt from the manifests, leftovers reported or removed)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from verteilung.errors import (
    InputError,
    Problem,
)
from verteilung.io.pfade import sha256_file
from verteilung.ledger import PERIOD_RE, DuplicateRun, Ledger, default_url
from verteilung.run.konfig import DISCARDED_PREFIX, REVISION_RE, TEMP_PREFIX, StepLog, open_ledger, period_lock
from verteilung.run.schreiben import gemeinde_rows


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

