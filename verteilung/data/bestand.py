"""Stock reports (Bestandsmeldungen) per Gemeinde, validated against the Gemeinde table.

Canonical columns: ``flueag_bestand`` (persons counted under § 2 / § 3 Abs. 3 FlüAG),
``anrechnung_plaetze`` (planned places in state facilities, § 3 Abs. 5 FlüAG),
``anrechnung_plaetze_eae`` (places of facilities with Erstaufnahme processing, credited with
their own factor), ``wsa_bestand`` (persons counted under the Wohnsitzauflage). Extra columns
are kept untouched.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from verteilung.data.tables import check_ags, parse_numbers, read_table, require_columns
from verteilung.errors import InputError, Problem

STOCK_COLUMNS = ("flueag_bestand", "anrechnung_plaetze", "anrechnung_plaetze_eae", "wsa_bestand")


def load_bestand(path: str | Path, gemeinden: pd.DataFrame, *,
                 required: tuple[str, ...] = (), ohne_meldung_null: bool = False) -> pd.DataFrame:
    """One row per Gemeinde of ``gemeinden`` (AGS order), stocks as int64.

    A Gemeinde missing from the file is refused, unless ``ohne_meldung_null``: then it gets stock 0
    and ``ohne_meldung=True``, as the Bezirksregierung shows late reporters "ohne Bestand".
    """
    path = Path(path)
    file = str(path)
    raw = read_table(path)
    problems = require_columns(raw, ("ags", *required), file)
    if not any(c in raw.columns for c in STOCK_COLUMNS) and not problems:
        problems.append(Problem(file, f"no stock column found; expected one of {', '.join(STOCK_COLUMNS)}"))
    if problems:
        raise InputError(problems)
    known = set(gemeinden["ags"])
    problems = check_ags(raw, file, known)
    df = pd.DataFrame({"ags": raw["ags"]})
    for col in STOCK_COLUMNS:
        if col in raw.columns:
            values, p = parse_numbers(raw, col, file, integer=True)
            problems += p
            df[col] = values
        else:
            df[col] = 0
    for col in raw.columns:
        if col not in df.columns:
            df[col] = raw[col]
    reported = set(raw["ags"])
    missing = [a for a in gemeinden["ags"] if a not in reported]
    if missing and not ohne_meldung_null:
        names = dict(zip(gemeinden["ags"], gemeinden["gemeinde"], strict=True))
        hint = " (file truncated?)" if len(missing) > len(gemeinden) // 4 else ""
        problems += [Problem(file, f"Gemeinde {names[a]} missing from the stock file{hint} (use "
                             "--ohne-meldung-null to count a missing report as stock 0)", ags=a)
                     for a in missing]
    if problems:
        raise InputError(problems)
    df = df[df["ags"].isin(known)]
    out = gemeinden[["ags"]].merge(df, on="ags", how="left")
    out["ohne_meldung"] = ~out["ags"].isin(reported)
    for col in STOCK_COLUMNS:
        out[col] = out[col].fillna(0).astype("int64")
    marked = "quelle" in raw.columns and raw["quelle"].str.upper().str.contains("SYNTHETISCH").any()
    out.attrs.update(quelle=file, synthetisch=bool(marked) or "synthetisch" in path.name.lower()
                     or "synthetic" in path.name.lower())
    return out.reset_index(drop=True)
