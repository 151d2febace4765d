"""Step 1 of the monthly run: every input validated and fingerprinted before anything is written."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import URL

from verteilung import land
from verteilung._version import __version__
from verteilung.data.bestand import required_for_systems
from verteilung.data.zahlen import pruefe_personen
from verteilung.data.zugaenge import load_beschraenkungen, load_haushalte
from verteilung.errors import (
    InputError,
    Problem,
)
from verteilung.inputs import Inputs
from verteilung.inputs import prepare as prepare_inputs
from verteilung.io.pfade import sha256_file
from verteilung.ledger import Ledger
from verteilung.model import load_model, models_dir
from verteilung.resources import params_dir
from verteilung.run.konfig import RunConfig, StepLog, _resolve, check_period, ledger_url, load_config, output_root


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
    check_period(periode)
    cfg = load_config(config_path)
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
    problems = [Problem(str(config_path), f"zugaenge.{n}: Modell {model.id} hat kein System {n!r} "
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

