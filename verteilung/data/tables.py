"""Read user tables (CSV or XLSX) and collect every defect before refusing.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2,
so an officer can jump straight to the line named in the message.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from verteilung.errors import InputError, Problem

AGS_RE = re.compile(r"^\d{8}$")
FIRST_DATA_ROW = 2


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, ``,`` or ``;``) or XLSX file with every cell as text."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError(Problem(name, "file not found"))
    if path.stat().st_size == 0:
        raise InputError(Problem(name, "file is empty"))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(path, dtype=str, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise InputError(Problem(name, f"cannot read as XLSX ({exc.__class__.__name__})")) from exc
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                Problem(name, f"not UTF-8 encoded (byte 0x{raw[exc.start]:02x} at offset "
                        f"{exc.start}); save the file as CSV UTF-8")
            ) from exc
        if not text.strip():
            raise InputError(Problem(name, "file is empty"))
        first_line = text.splitlines()[0]
        sep = ";" if first_line.count(";") > first_line.count(",") else ","
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, sep=sep, keep_default_na=False,
                             quoting=csv.QUOTE_MINIMAL, skipinitialspace=True)
        except (pd.errors.ParserError, csv.Error) as exc:
            raise InputError(Problem(name, f"malformed CSV (truncated or damaged file?): "
                                     f"{str(exc).strip()}")) from exc
    df.columns = [str(c).strip() for c in df.columns]
    df = df.fillna("")
    for col in df.columns:
        df[col] = df[col].astype(str).str.strip()
    if df.empty:
        raise InputError(Problem(name, "file has a header but no data rows"))
    return df


def require_columns(df: pd.DataFrame, columns: Iterable[str], file: str) -> list[Problem]:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        return [Problem(file, f"missing required column(s): {', '.join(missing)} "
                        f"(found: {', '.join(df.columns)})")]
    return []


def check_ags(df: pd.DataFrame, file: str, known: set[str] | None = None) -> list[Problem]:
    """Malformed, duplicate and unknown AGS, one problem per offending row."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, ags in enumerate(df["ags"], start=FIRST_DATA_ROW):
        if not AGS_RE.match(ags):
            hint = ""
            if re.fullmatch(r"\d{7}", ags):
                hint = " (7 digits: leading zero lost? store the AGS as text, e.g. '0" + ags + "')"
            problems.append(Problem(file, f"malformed AGS {ags!r}: expected 8 digits{hint}", i,
                                    ags or None))
            continue
        if ags in seen:
            problems.append(Problem(file, f"duplicate AGS (first in row {seen[ags]})", i, ags))
            continue
        seen[ags] = i
        if known is not None and ags not in known:
            problems.append(Problem(file, "AGS not in the Gemeinde table", i, ags))
    return problems


def parse_numbers(df: pd.DataFrame, column: str, file: str, *, integer: bool,
                  allow_blank: bool = False, positive: bool = False) -> tuple[pd.Series, list[Problem]]:
    """Convert one text column to numbers; blanks become NA only where allowed."""
    problems: list[Problem] = []
    values: list[float | None] = []
    for i, (ags, cell) in enumerate(zip(df["ags"], df[column], strict=True), start=FIRST_DATA_ROW):
        text = cell.replace("\u00a0", "").replace(" ", "")
        if text == "":
            if not allow_blank:
                problems.append(Problem(file, f"{column} is blank", i, ags))
            values.append(None)
            continue
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # German decimal comma
        try:
            number = float(text)
        except ValueError:
            problems.append(Problem(file, f"{column} is not a number: {cell!r}", i, ags))
            values.append(None)
            continue
        if number != number or number in (float("inf"), float("-inf")):
            problems.append(Problem(file, f"{column} is not a finite number: {cell!r}", i, ags))
        elif number < 0:
            problems.append(Problem(file, f"{column} is negative: {cell}", i, ags))
        elif positive and number == 0:
            problems.append(Problem(file, f"{column} must be greater than zero", i, ags))
        elif integer and number != int(number):
            problems.append(Problem(file, f"{column} must be a whole number of persons: {cell}", i, ags))
        values.append(number)
    series = pd.Series(values, index=df.index, dtype="float64")
    if integer and not problems and not series.isna().any():
        series = series.astype("int64")
    return series, problems


def parse_flags(df: pd.DataFrame, column: str, file: str) -> tuple[pd.Series, list[Problem]]:
    """0/1, ja/nein, true/false; blank counts as not flagged."""
    truthy = {"1", "ja", "j", "true", "wahr", "yes", "x"}
    falsy = {"0", "nein", "n", "false", "falsch", "no", ""}
    problems: list[Problem] = []
    out = []
    for i, (ags, cell) in enumerate(zip(df["ags"], df[column], strict=True), start=FIRST_DATA_ROW):
        low = cell.lower()
        if low in truthy:
            out.append(True)
        elif low in falsy:
            out.append(False)
        else:
            problems.append(Problem(file, f"{column} must be 0/1 (or ja/nein): {cell!r}", i, ags))
            out.append(False)
        continue
    return pd.Series(out, index=df.index, dtype=bool), problems
