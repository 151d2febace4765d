"""Steps 3 and 4 of the monthly run: the revision's files built in a hidden folder, renamed into
place, then the ledger commit; and the explanation log the revision carries."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import secrets
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from verteilung import params
from verteilung._version import __version__
from verteilung.allocate import GRUENDE, entscheidungen, entscheidungen_tabelle
from verteilung.darstellung import parameter_table, person_view, synthetic_note, system_short, with_marker
from verteilung.errors import (
    DiskFullError,
    InputError,
    disk_full_text,
    is_disk_full,
)
from verteilung.inputs import SYNTHETISCH_HINWEIS, mit_naeherung
from verteilung.io import jsonable, to_csv_bytes, to_json_bytes
from verteilung.io.xlsx import workbook_bytes
from verteilung.law import systems
from verteilung.ledger import DuplicateRun, Ledger
from verteilung.run.konfig import TEMP_PREFIX, LedgerCommitError, RunOutcome, StepLog, _test_pause
from verteilung.run.vorbereitung import Prepared
from verteilung.status import verteilstatistik


def gemeinde_rows(system: str, vs: pd.DataFrame) -> pd.DataFrame:
    """The per-Gemeinde result rows the ledger keeps for one system (from the Verteilstatistik)."""
    return pd.DataFrame({
        "system": system, "ags": vs["ags"], "gemeinde": vs["gemeinde"], "bestand": vs["bestand"].astype(float),
        "anrechnung": vs["anrechnung"].astype(float),
        "soll": vs["soll_gerundet" if "soll_gerundet" in vs else "soll"].astype(int),  # folders before issue 22: soll
        "aufnahmeverpflichtung": vs["aufnahmeverpflichtung"].astype(int),
        "erfuellungsquote": vs["erfuellungsquote"].astype(float), "zuweisung": vs["zuweisung"].astype(int)})


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
        # the audit trail: why each Gemeinde got its count
        ent = entscheidungen_tabelle(r.allocation) if r.allocation.grenzen is not None else None
        if prep.eingaben is not None:  # machine rows say NÄHERUNG where a figure is approximated
            nutzt = systems.nutzt_arbeitslose(name)
            vs, zw = mit_naeherung(vs, prep.eingaben, nutzt), mit_naeherung(zw, prep.eingaben, nutzt)
            ent = None if ent is None else mit_naeherung(ent, prep.eingaben, nutzt)
        kurz = system_short(name)
        # the officer's sheets: glossary columns (exact Soll with its quota, the rounded Soll labelled so);
        # the machine CSVs keep identifiers and carry the marker as a `hinweis` column
        tables[f"Verteilstatistik {kurz}"] = person_view(vs, "run.verteilstatistik")
        tables[f"Zuweisung {kurz}"] = person_view(zw, "run.zuweisung")
        ausgaben[f"verteilstatistik_{name}.csv"] = _write(tmp / f"verteilstatistik_{name}.csv",
                                                          to_csv_bytes(with_marker(vs, info)))
        ausgaben[f"zuweisung_{name}.csv"] = _write(tmp / f"zuweisung_{name}.csv",
                                                   to_csv_bytes(with_marker(zw, info)))
        if ent is not None:
            tables[f"Entscheidungen {kurz}"] = person_view(ent)
            ausgaben[f"entscheidungen_{name}.csv"] = _write(tmp / f"entscheidungen_{name}.csv",
                                                            to_csv_bytes(with_marker(ent, info)))
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
        if r.allocation.grenzen is not None:
            codes = entscheidungen(r.allocation)["grund"].value_counts()
            lines.append(f"{tag} Entscheidungen (je Gemeinde mit Satz und bindender Grenze: entscheidungen_{name}.csv "
                         f"und Blatt „Entscheidungen {system_short(name)}“): "
                         + "; ".join(f"{fmt_int(int(codes[c]))} × {text}" for c, text in GRUENDE.items() if c in codes))
    for line in lines:
        log(line)
    return lines
