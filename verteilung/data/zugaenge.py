"""Arrivals as households and per-Gemeinde constraints for one allocation period."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.data.tables import MAX_BYTES_HAUSHALTE, AgsCheck, Checker, Schema, Table, text
from verteilung.data.zahlen import HAUSHALT_MAX, PERSONEN_MAX, tausender
from verteilung.errors import InputError, Problem

HAUSHALTE = Schema(
    name="Haushaltsdatei",
    blatt="Haushalte",
    spalten={
        "haushalt_id": ("Haushalt", "Haushalts-ID", "Haushaltsnummer", "ID"),
        "personen": ("Personen", "Personenzahl", "Anzahl Personen"),
        "ags_fest": ("AGS fest", "feste Gemeinde", "Zielgemeinde"),
    },
    # a plain AGS column in a household file is not read: say which column is meant
    verwechselbar={"ags": "ags_fest", "gemeindeschluessel": "ags_fest"},
    max_bytes=MAX_BYTES_HAUSHALTE,
    max_rows=PERSONEN_MAX,
)

BESCHRAENKUNGEN = Schema(
    name="Beschränkungsdatei",
    blatt="Beschränkungen",
    spalten={
        "ags": ("AGS", "Gemeindeschlüssel", "Amtlicher Gemeindeschlüssel", "Gemeindekennziffer"),
        "max_zuweisung": ("max", "Höchstzahl", "höchstens", "Maximum"),
        "min_zuweisung": ("min", "Mindestzahl", "mindestens", "Minimum"),
        "gesperrt": ("Sperre", "Sperrung"),
        "gemeinde": ("Gemeinde", "Gemeindename", "Name"),
    },
)


def load_haushalte(path: str | Path, gemeinden: pd.DataFrame) -> pd.DataFrame:
    """Columns ``haushalt_id, personen, ags_fest`` (ags_fest optional, blank = free).

    Read in chunks: the first chunk with a defect ends the reading, so a big bad file is refused
    after its first rows. Household sizes are bounded by ``HAUSHALT_MAX``, their sum by
    ``PERSONEN_MAX``.
    """
    tab = Table(path, HAUSHALTE, required=("haushalt_id", "personen"))
    file = tab.file
    check = Checker(tab)
    known = set(gemeinden["ags"].tolist())
    ags_ok = AgsCheck(check, known)
    seen: dict[str, int] = {}
    ids: list[str] = []
    sizes: list[int] = []
    fixed: list[str] = []
    total = 0
    for chunk in tab.chunks():
        if _fast_chunk(tab, chunk, known, seen, ids, sizes, fixed):
            total = sum(sizes)
            if total > PERSONEN_MAX:
                check.add(f"die Haushalte umfassen mehr als {tausender(PERSONEN_MAX)} Personen (bis Zeile "
                          f"{chunk[-1].nr}); das ist mehr als die Obergrenze je Zeitraum")
                check.stop_if_wrong()
            continue
        for row in chunk:
            hid = text(tab.cell(row, "haushalt_id"))
            fest = ags_ok.lesen(tab.cell(row, "ags_fest"))
            if not hid:
                check.add(f"{tab.spalte('haushalt_id')} ist leer", row.nr, fest)
            elif hid in seen:
                check.add(f"{tab.spalte('haushalt_id')} „{hid}“ doppelt (zuerst in Zeile {seen[hid]})", row.nr, fest)
            else:
                seen[hid] = row.nr
            if fest:
                ags_ok(fest, row.nr, column="ags_fest", unique=False)
            n = check.number(row, "personen", ags=fest, ganz=True, positiv=True, max_wert=HAUSHALT_MAX,
                             max_grund="die Obergrenze je Haushalt")
            total += n or 0
            ids.append(hid)
            sizes.append(n or 0)
            fixed.append(fest)
        if total > PERSONEN_MAX:
            check.add(f"die Haushalte umfassen mehr als {tausender(PERSONEN_MAX)} Personen (bis Zeile "
                      f"{chunk[-1].nr}); das ist mehr als die Obergrenze je Zeitraum")
        check.stop_if_wrong()
    if not ids:
        raise InputError(Problem(file, "die Datei hat eine Kopfzeile, aber keine Datenzeilen"))
    out = pd.DataFrame({"haushalt_id": pd.Series(ids, dtype=object),
                        "personen": np.asarray(sizes, dtype=np.int64),
                        "ags_fest": pd.Series(fixed, dtype=object)})
    out.attrs.update(eingabe=tab.eingabe("haushalte"), ags_hinweis=tab.ags_hinweis())
    return out


def _fast_chunk(tab: Table, chunk: list, known: set[str], seen: dict[str, int], ids: list[str],
                sizes: list[int], fixed: list[str]) -> bool:
    """Accept a whole chunk of plain CSV rows at once if every check passes (the common case);
    False sends the chunk through the row-by-row check that words each problem."""
    if tab.xlsx:
        return False
    i_id, i_p = tab.index["haushalt_id"], tab.index["personen"]
    i_f = tab.index.get("ags_fest")
    hid = [r.cells[i_id] for r in chunk]
    pers = [r.cells[i_p] for r in chunk]
    fest = [r.cells[i_f] for r in chunk] if i_f is not None else [""] * len(chunk)
    digits = "".join(pers)
    if not (all(hid) and digits.isascii() and digits.isdigit() and min(map(len, pers)) >= 1
            and max(map(len, pers)) <= 3):
        return False
    n = list(map(int, pers))
    if min(n) < 1 or max(n) > HAUSHALT_MAX:
        return False
    new = dict(zip(hid, (r.nr for r in chunk), strict=True))
    if len(new) != len(hid) or not seen.keys().isdisjoint(new):
        return False
    if not {f for f in fest if f} <= known:
        return False
    seen.update(new)
    ids.extend(hid)
    sizes.extend(n)
    fixed.extend(fest)
    return True


def load_beschraenkungen(path: str | Path, gemeinden: pd.DataFrame) -> pd.DataFrame:
    """Per-Gemeinde ``max_zuweisung``, ``min_zuweisung``, ``gesperrt``, aligned to ``gemeinden``."""
    tab = Table(path, BESCHRAENKUNGEN, required=("ags",))
    file = tab.file
    present = [c for c in ("max_zuweisung", "min_zuweisung", "gesperrt") if tab.has(c)]
    if not present:
        tab.close()
        raise InputError(Problem(file, "keine Beschränkungsspalte; erwartet wird "
                                 f"{', '.join(tab.spalte(c) for c in ('max_zuweisung', 'min_zuweisung'))} oder "
                                 f"{tab.spalte('gesperrt')}", 1))
    check = Checker(tab)
    ags_ok = AgsCheck(check, set(gemeinden["ags"]))
    cols: dict[str, list] = {"ags": [], **{c: [] for c in present}}
    for chunk in tab.chunks():
        for row in chunk:
            ags = ags_ok.lesen(tab.cell(row, "ags"))
            ags_ok(ags, row.nr)
            cols["ags"].append(ags)
            for col in ("max_zuweisung", "min_zuweisung"):
                if col in present:
                    v = check.number(row, col, ags=ags, ganz=True, leer_ok=True, max_wert=PERSONEN_MAX,
                                     max_grund="die Obergrenze je Zeitraum")
                    cols[col].append(np.nan if v is None else float(v))
            if "gesperrt" in present:
                cols["gesperrt"].append(check.flag(row, "gesperrt", ags))
        check.stop_if_wrong()
    if not cols["ags"]:
        raise InputError(Problem(file, "die Datei hat eine Kopfzeile, aber keine Datenzeilen"))
    df = pd.DataFrame(cols)
    out = gemeinden[["ags"]].merge(df, on="ags", how="left")
    out["max_zuweisung"] = out.get("max_zuweisung", pd.Series(np.nan, index=out.index)).astype(float)
    out["min_zuweisung"] = out.get("min_zuweisung", pd.Series(np.nan, index=out.index)).astype(float).fillna(0)
    out["gesperrt"] = out.get("gesperrt", pd.Series(False, index=out.index)).fillna(False).astype(bool)
    out.attrs.update(eingabe=tab.eingabe("beschraenkungen"), ags_hinweis=tab.ags_hinweis())
    return out
