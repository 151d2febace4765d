"""Arrivals as households and per-Gemeinde constraints for one allocation period."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.data.tables import FIRST_DATA_ROW, check_ags, parse_flags, parse_numbers, read_table, require_columns
from verteilung.errors import InputError, Problem


def load_haushalte(path: str | Path, gemeinden: pd.DataFrame) -> pd.DataFrame:
    """Columns ``haushalt_id, personen, ags_fest`` (ags_fest optional, blank = free)."""
    file = str(path)
    raw = read_table(path)
    problems = require_columns(raw, ("haushalt_id", "personen"), file)
    if problems:
        raise InputError(problems)
    known = set(gemeinden["ags"])
    seen: dict[str, int] = {}
    ags_fest = raw["ags_fest"] if "ags_fest" in raw.columns else pd.Series([""] * len(raw))
    for i, (hid, fest) in enumerate(zip(raw["haushalt_id"], ags_fest, strict=True), start=FIRST_DATA_ROW):
        if not hid:
            problems.append(Problem(file, "haushalt_id is blank", i, fest or None))
        elif hid in seen:
            problems.append(Problem(file, f"duplicate haushalt_id {hid!r} (first in row {seen[hid]})", i,
                                    fest or None))
        else:
            seen[hid] = i
        if fest and fest not in known:
            problems.append(Problem(file, "ags_fest is not in the Gemeinde table", i, fest))
    tmp = raw.assign(ags=list(ags_fest))
    personen, p = parse_numbers(tmp, "personen", file, integer=True, positive=True)
    problems += p
    if problems:
        raise InputError(problems)
    return pd.DataFrame({"haushalt_id": raw["haushalt_id"], "personen": personen.astype("int64"),
                         "ags_fest": list(ags_fest)})


def load_beschraenkungen(path: str | Path, gemeinden: pd.DataFrame) -> pd.DataFrame:
    """Per-Gemeinde ``max_zuweisung``, ``min_zuweisung``, ``gesperrt``, aligned to ``gemeinden``."""
    file = str(path)
    raw = read_table(path)
    problems = require_columns(raw, ("ags",), file)
    present = [c for c in ("max_zuweisung", "min_zuweisung", "gesperrt") if c in raw.columns]
    if not present and not problems:
        problems.append(Problem(file, "no constraint column; expected max_zuweisung, min_zuweisung or gesperrt"))
    if problems:
        raise InputError(problems)
    problems = check_ags(raw, file, set(gemeinden["ags"]))
    df = pd.DataFrame({"ags": raw["ags"]})
    for col in ("max_zuweisung", "min_zuweisung"):
        if col in raw.columns:
            values, p = parse_numbers(raw, col, file, integer=True, allow_blank=True)
            problems += p
            df[col] = values
    if "gesperrt" in raw.columns:
        df["gesperrt"], p = parse_flags(raw, "gesperrt", file)
        problems += p
    if problems:
        raise InputError(problems)
    out = gemeinden[["ags"]].merge(df, on="ags", how="left")
    out["max_zuweisung"] = out.get("max_zuweisung", pd.Series(np.nan, index=out.index)).astype(float)
    out["min_zuweisung"] = out.get("min_zuweisung", pd.Series(np.nan, index=out.index)).astype(float).fillna(0)
    out["gesperrt"] = out.get("gesperrt", pd.Series(False, index=out.index)).fillna(False).astype(bool)
    return out
