"""The Gemeinde table: shipped IT.NRW/Destatis figures by reference date, or a user file.

The FlüAG takes population and area "as of 1 January" (§ 3 Abs. 2 FlüAG); the statistical
offices publish them as of 31 December of the year before. So ``jahr=2024`` selects the
figures of 31.12.2023, ``jahr=2016`` those of 31.12.2015.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from verteilung.data.tables import check_ags, parse_flags, parse_numbers, read_table, require_columns
from verteilung.errors import InputError, Problem
from verteilung.resources import shipped

REQUIRED = ("ags", "gemeinde", "einwohner", "flaeche_km2")
FLAG_COLUMNS = ("mietpreisbremse_2015", "eu_sgb2", "kappungsgrenze_2014", "mieterschutzvo_2020",
                "mieterschutzvo_2025")
TEXT_DEFAULTS = {"gemeinde_typ": "", "kreis_ags": "", "kreis": "", "regierungsbezirk": "",
                 "verstaedterung": ""}


@lru_cache(maxsize=1)
def _shipped_attributes() -> pd.DataFrame:
    return pd.read_csv(shipped("inputs", "nrw", "gemeinden.csv"),
                       dtype={"ags": str, "kreis_ags": str})


@lru_cache(maxsize=1)
def _shipped_population() -> pd.DataFrame:
    df = pd.read_csv(shipped("inputs", "nrw", "bevoelkerung.csv"), dtype={"ags": str})
    df["jahr"] = df["stichtag"].str[:4].astype(int) + 1
    return df


def available_years() -> list[int]:
    """Key years that have shipped population and area figures."""
    return sorted(int(y) for y in _shipped_population()["jahr"].unique())


def stichtag_for(jahr: int) -> str:
    return f"{jahr - 1}-12-31"


def load_gemeinden(path: str | Path | None = None, jahr: int | None = None) -> pd.DataFrame:
    """Validated Gemeinde table with ``einwohner`` and ``flaeche_km2`` for one key year.

    Blank population (six Landeseinrichtung hosts on 31.12.2016) stays NA here; computing a key
    on such a table is refused naming them (`require_complete`).
    """
    if path is not None:
        return _load_user_gemeinden(Path(path))
    years = available_years()
    if jahr is None:
        jahr = years[-1]
    if jahr not in years:
        raise InputError(Problem(
            "shipped data", f"no population data for key year {jahr}; available: "
            f"{', '.join(map(str, years))} (key year Y uses the figures of 31.12. of Y-1)"))
    pop = _shipped_population()
    pop = pop[pop["jahr"] == jahr][["ags", "einwohner", "flaeche_km2", "genauigkeit", "quelle"]]
    df = _shipped_attributes().merge(pop, on="ags", how="left", validate="one_to_one")
    df["einwohner"] = df["einwohner"].astype("Float64").astype("float64")
    for col in ("mietpreisbremse_2015", "kappungsgrenze_2014", "mieterschutzvo_2020",
                "mieterschutzvo_2025"):
        df[col] = df[col].astype(bool)
    df["eu_sgb2"] = False
    df = df.sort_values("ags").reset_index(drop=True)
    df.attrs.update(jahr=jahr, stichtag=stichtag_for(jahr), quelle="shipped",
                    datenbasis=f"IT.NRW/Destatis Gemeindeverzeichnis, Stand {stichtag_for(jahr)}")
    return df


def _load_user_gemeinden(path: Path) -> pd.DataFrame:
    raw = read_table(path)
    file = str(path)
    problems = require_columns(raw, REQUIRED, file)
    if problems:
        raise InputError(problems)
    problems = check_ags(raw, file)
    df = raw.copy()
    ein, p = parse_numbers(raw, "einwohner", file, integer=True)
    problems += p
    fl, p = parse_numbers(raw, "flaeche_km2", file, integer=False, positive=True)
    problems += p
    df["einwohner"], df["flaeche_km2"] = ein.astype("float64"), fl
    for col in FLAG_COLUMNS:
        if col in raw.columns:
            df[col], p = parse_flags(raw, col, file)
            problems += p
        else:
            df[col] = False
    if "arbeitslose" in raw.columns:
        df["arbeitslose"], p = parse_numbers(raw, "arbeitslose", file, integer=False)
        problems += p
    for col, default in TEXT_DEFAULTS.items():
        if col not in df.columns:
            df[col] = default
    if "kreis_ags" in raw.columns and not df["kreis_ags"].astype(bool).any():
        df["kreis_ags"] = df["ags"].str[:5]
    extra_numeric = [c for c in raw.columns if c not in df.columns or c in ("lon", "lat")]
    for col in extra_numeric:
        df[col] = pd.to_numeric(raw[col], errors="coerce")
    if problems:
        raise InputError(problems)
    df = df.sort_values("ags").reset_index(drop=True)
    df.attrs.update(jahr=None, stichtag=None, quelle=file, datenbasis=f"user file {file}")
    return df


def require_complete(gemeinden: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Refuse a key over blank figures instead of treating them as zero."""
    problems = []
    for col in columns:
        if col not in gemeinden.columns:
            problems.append(Problem("Gemeinde table", f"column {col!r} does not exist"))
            continue
        for _, row in gemeinden[gemeinden[col].isna()].iterrows():
            problems.append(Problem(
                gemeinden.attrs.get("datenbasis", "Gemeinde table"),
                f"{col} is blank for {row['gemeinde']}; no key can be computed for this year "
                "(the statistical office published no value)", ags=row["ags"]))
    if problems:
        raise InputError(problems)
