"""Stock reports (Bestandsmeldungen) per Gemeinde, validated against the Gemeinde table.

Canonical columns: ``flueag_bestand`` (persons counted under § 2 / § 3 Abs. 3 FlüAG),
``anrechnung_plaetze`` (planned places in state facilities, § 3 Abs. 5 FlüAG),
``anrechnung_plaetze_eae`` (places of facilities with Erstaufnahme processing, credited with
their own factor), ``wsa_bestand`` (persons counted under the Wohnsitzauflage). Extra columns
are kept untouched.

The stock column of each system the command computes is required (its registry entry names it); the
credit columns are optional and, when absent, taken as 0 and listed in
``attrs["angenommen_null"]`` so every output can say so.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.data.tables import AgsCheck, Checker, Schema, Table, missing_summary, text
from verteilung.data.zahlen import PERSONEN_MAX
from verteilung.errors import InputError, Problem

STOCK_COLUMNS = ("flueag_bestand", "anrechnung_plaetze", "anrechnung_plaetze_eae", "wsa_bestand")
CREDIT_COLUMNS = ("anrechnung_plaetze", "anrechnung_plaetze_eae")

SCHEMA = Schema(
    name="Bestandsdatei",
    blatt="Bestand",
    spalten={
        "ags": ("AGS", "Gemeindeschlüssel", "Amtlicher Gemeindeschlüssel", "Gemeindekennziffer"),
        "flueag_bestand": ("Bestand FlüAG", "FlüAG-Bestand", "Bestand nach FlüAG"),
        "anrechnung_plaetze": ("Anrechnung", "Anrechnung Plätze", "Plätze Landeseinrichtungen"),
        "anrechnung_plaetze_eae": ("Anrechnung EAE", "Anrechnung Plätze EAE", "Plätze EAE"),
        "wsa_bestand": ("Bestand WSA", "WSA-Bestand", "Bestand Wohnsitzauflage", "Bestand AWoV",
                        "awov_bestand"),
        "gemeinde": ("Gemeinde", "Gemeindename", "Name"),
        "quelle": ("Quelle",),
    },
)


def required_for_systems(systems: list[list[str]] | tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The stock columns a model needs: the union of its systems' ``bestand`` lists."""
    return tuple(sorted({c for cols in systems for c in cols}))


def load_bestand(path: str | Path, gemeinden: pd.DataFrame, *,
                 required: tuple[str, ...] = (), ohne_meldung_null: bool = False,
                 aliase: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """One row per Gemeinde of ``gemeinden`` (AGS order), stocks as int64.

    ``required`` names the stock columns the command computes with; without it any one stock
    column suffices (``data check``). A Gemeinde missing from the file is refused, unless
    ``ohne_meldung_null``: then it gets stock 0 and ``ohne_meldung=True``, as the
    Bezirksregierung shows late reporters "ohne Bestand". ``aliase`` are the header spellings of
    further stock columns (a Land package's system declares them in its registry entry).
    """
    path = Path(path)
    # a model may name a further stock column (its own system): read and checked like the others
    further = tuple(c for c in required if c not in STOCK_COLUMNS)
    schema = SCHEMA if not further else dataclasses.replace(
        SCHEMA, spalten={**SCHEMA.spalten, **{c: tuple((aliase or {}).get(c, ()))
                                              for c in further if c not in SCHEMA.spalten}})
    stock_columns = STOCK_COLUMNS + further
    tab = Table(path, schema, required=("ags", *required))
    file = tab.file
    if not any(tab.has(c) for c in stock_columns):
        tab.close()
        raise InputError(Problem(file, "keine Bestandsspalte gefunden; erwartet wird mindestens eine von "
                                 f"{', '.join(tab.spalte(c) for c in STOCK_COLUMNS)} "
                                 f"(gefunden: {', '.join(h for h in tab.header if h)})",
                                 1))
    present = [c for c in stock_columns if tab.has(c)]
    relevant = STOCK_COLUMNS if not required or "flueag_bestand" in required else required
    assumed = [c for c in relevant if c not in present]
    all_ags = gemeinden["ags"].tolist()
    known = set(all_ags)
    population = dict(zip(all_ags, gemeinden["einwohner"].tolist(), strict=True))
    check = Checker(tab)
    ags_ok = AgsCheck(check, known)
    values: dict[str, list] = {c: [] for c in present}
    extras: dict[str, list[str]] = {h: [] for h in tab.extras}
    extra_known = [c for c in ("gemeinde", "quelle") if tab.has(c)]
    for c in extra_known:
        extras[c] = []
    reported: list[str] = []
    for chunk in tab.chunks():
        for row in chunk:
            ags = ags_ok.lesen(tab.cell(row, "ags"))
            ok = ags_ok(ags, row.nr)
            bound = population.get(ags) if ok else None
            bound = None if bound is None or (isinstance(bound, float) and math.isnan(bound)) else bound
            for col in present:
                what = "die Einwohnerzahl der Gemeinde" if bound is not None else "die Obergrenze"
                v = check.number(row, col, ags=ags, ganz=True, max_wert=bound if bound is not None else PERSONEN_MAX,
                                 max_grund=what)
                values[col].append(v)
            for h, i in tab.extras.items():
                extras[h].append(text(row.cells[i]))
            for c in extra_known:
                extras[c].append(text(tab.cell(row, c)))
            reported.append(ags)
        check.stop_if_wrong()
    if not reported:
        raise InputError(Problem(file, "die Datei hat eine Kopfzeile, aber keine Datenzeilen"))
    reported_set = set(reported)
    missing = [a for a in all_ags if a not in reported_set]
    if missing and not ohne_meldung_null:
        names = dict(zip(all_ags, gemeinden["gemeinde"].tolist(), strict=True))
        hint = " – Datei abgeschnitten?" if len(missing) > len(gemeinden) // 4 else ""
        check.add(missing_summary(missing, names, len(gemeinden), "Bestandsdatei") + hint
                  + " (mit --ohne-meldung-null zählt eine fehlende Meldung als Bestand 0)")
    check.stop_if_wrong()
    at = {a: i for i, a in enumerate(reported)}
    pos = [at.get(a) for a in all_ags]
    out = pd.DataFrame({"ags": gemeinden["ags"].to_numpy()})
    for col in stock_columns:
        vals = values.get(col)
        out[col] = np.asarray([0 if i is None or vals is None else vals[i] for i in pos], dtype=np.int64)
    for h, vals in extras.items():
        if h not in out.columns:
            out[h] = [None if i is None else vals[i] for i in pos]
    out["ohne_meldung"] = np.asarray([i is None for i in pos], dtype=bool)
    marked = "quelle" in extras and any("SYNTHETISCH" in q.upper() for q in extras["quelle"])
    out.attrs.update(quelle=file, synthetisch=bool(marked) or "synthetisch" in path.name.lower()
                     or "synthetic" in path.name.lower(), angenommen_null=assumed,
                     eingabe=tab.eingabe("bestand"), ags_hinweis=tab.ags_hinweis())
    return out.reset_index(drop=True)
