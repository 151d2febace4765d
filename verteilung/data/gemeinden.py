"""The Gemeinde table: shipped population and area by reference date, or a user file.

The shipped figures come from the source named in each row of the Land package's population
file (``inputs/<land>/bevoelkerung.csv``, `verteilung.land`)
(mostly the Destatis Gemeindeverzeichnis; 31.12.2020 from the BBSR, rounded to 10 persons), and
the data basis shown to people names that source, never a blanket "IT.NRW/Destatis".

The FlüAG takes population and area "as of 1 January" (§ 3 Abs. 2 FlüAG); the statistical
offices publish them as of 31 December of the year before. So ``jahr=2024`` selects the
figures of 31.12.2023, ``jahr=2016`` those of 31.12.2015.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from verteilung.data.tables import AgsCheck, Checker, Schema, Table, text
from verteilung.data.zahlen import FLAECHE_MAX_KM2, PERSONEN_MAX
from verteilung.errors import InputError, Problem

REQUIRED = ("ags", "gemeinde", "einwohner", "flaeche_km2")
FLAG_COLUMNS = ("mietpreisbremse_2015", "eu_sgb2", "kappungsgrenze_2014", "mieterschutzvo_2020",
                "mieterschutzvo_2025")
TEXT_DEFAULTS = {"gemeinde_typ": "", "kreis_ags": "", "kreis": "", "regierungsbezirk": "",
                 "verstaedterung": ""}


@lru_cache(maxsize=4)
def _shipped_attributes(land: str = "nrw") -> pd.DataFrame:
    return pd.read_csv(_land(land).datei(_land(land).gemeinden), dtype={"ags": str, "kreis_ags": str})


@lru_cache(maxsize=4)
def _shipped_population(land: str = "nrw") -> pd.DataFrame:
    df = pd.read_csv(_population_file(land), dtype={"ags": str})
    df["jahr"] = df["stichtag"].str[:4].astype(int) + 1
    return df


def _land(land: str):
    from verteilung import land as laender

    return laender.get(land)


def _population_file(land: str) -> Path:
    return _land(land).datei(_land(land).bevoelkerung)


def available_years(land: str = "nrw") -> list[int]:
    """Key years that have shipped population and area figures (of one Land's package)."""
    return sorted(int(y) for y in _shipped_population(land)["jahr"].unique())


def stichtag_for(jahr: int) -> str:
    return f"{jahr - 1}-12-31"


# Short names of the shipped sources (by the start of the row's ``quelle``), as shown to people.
QUELLEN = (
    ("BBSR Referenz Gemeinden", "BBSR Referenz Gemeinden (Bundesinstitut für Bau-, Stadt- und Raumforschung)"),
    ("Destatis GV100AD", "Destatis Gemeindeverzeichnis GV100AD"),
    ("Destatis GV-ISys Auszug 3112", "Destatis Gemeindeverzeichnis GV-ISys (über hhilbig/regional_data)"),
    ("Destatis GV-ISys", "Destatis Gemeindeverzeichnis GV-ISys"),
)
RUNDUNG = {"rounded_10": "NÄHERUNG: Einwohnerzahlen vom BBSR auf 10 Personen gerundet veröffentlicht"}


def datenbasis(pop: pd.DataFrame, jahr: int) -> tuple[str, tuple[str, ...]]:
    """The data basis of a key year as people read it, and its approximations (NÄHERUNG).

    ``pop`` holds the shipped rows of that year (columns ``quelle``, ``genauigkeit``).

    >>> basis, naeherungen = datenbasis(pd.DataFrame({"quelle": ["BBSR Referenz Gemeinden ab 2020"],
    ...                                               "genauigkeit": ["rounded_10"]}), 2021)
    >>> basis.split(";")[0]
    'BBSR Referenz Gemeinden (Bundesinstitut für Bau-, Stadt- und Raumforschung), Stand 31.12.2020'
    >>> naeherungen
    ('NÄHERUNG: Einwohnerzahlen vom BBSR auf 10 Personen gerundet veröffentlicht',)
    """
    from verteilung.io.deutsch import fmt_date

    names: list[str] = []
    for q in pop["quelle"].dropna().astype(str).unique():
        name = next((short for start, short in QUELLEN if q.startswith(start)), q.split(",")[0])
        if name not in names:
            names.append(name)
    naeherungen = tuple(dict.fromkeys(RUNDUNG[g] for g in pop["genauigkeit"].dropna() if g in RUNDUNG))
    text = f"{' / '.join(names) or 'Gemeindeverzeichnis'}, Stand {fmt_date(stichtag_for(jahr))}"
    return "; ".join((text, *naeherungen)), naeherungen


def load_gemeinden(path: str | Path | None = None, jahr: int | None = None, land: str = "nrw") -> pd.DataFrame:
    """Validated Gemeinde table with ``einwohner`` and ``flaeche_km2`` for one key year.

    Without ``path`` the table is the shipped one of ``land``'s package (its units: Gemeinden in
    NRW, Stadt- und Landkreise in Baden-Württemberg).

    Blank population (six Landeseinrichtung hosts on 31.12.2016) stays NA here; computing a key
    on such a table is refused naming them (`require_complete`).
    """
    if path is not None:
        return _load_user_gemeinden(Path(path))
    years = available_years(land)
    if jahr is None:
        jahr = years[-1]
    if jahr not in years:
        raise InputError(Problem(
            str(_population_file(land)), f"keine Bevölkerungsdaten für das "
            f"Schlüsseljahr {jahr}; vorhanden: {', '.join(map(str, years))} (Schlüsseljahr J nutzt die "
            "Zahlen vom 31.12. des Jahres J−1)"))
    pop = _shipped_population(land)
    pop = pop[pop["jahr"] == jahr][["ags", "einwohner", "flaeche_km2", "genauigkeit", "quelle"]]
    df = _shipped_attributes(land).merge(pop, on="ags", how="left", validate="one_to_one")
    df["einwohner"] = df["einwohner"].astype("Float64").astype("float64")
    for col in ("mietpreisbremse_2015", "kappungsgrenze_2014", "mieterschutzvo_2020",
                "mieterschutzvo_2025"):
        df[col] = df[col].astype(bool) if col in df.columns else False  # a Land without these lists
    for col, default in TEXT_DEFAULTS.items():
        if col not in df.columns:  # e.g. no degree of urbanisation for Kreise
            df[col] = default
    df["eu_sgb2"] = False
    df = df.sort_values("ags").reset_index(drop=True)
    basis, naeherungen = datenbasis(pop, jahr)
    df.attrs.update(jahr=jahr, stichtag=stichtag_for(jahr), quelle="shipped", land=land,
                    datei=str(_population_file(land)),
                    datenbasis=basis, datenbasis_naeherungen=naeherungen)
    return df


SCHEMA = Schema(
    name="Gemeindedatei",
    spalten={
        "ags": ("AGS", "Gemeindeschlüssel", "Amtlicher Gemeindeschlüssel", "Gemeindekennziffer"),
        "gemeinde": ("Gemeinde", "Gemeindename", "Name"),
        "einwohner": ("Einwohner", "Einwohnerzahl", "Bevölkerung"),
        "flaeche_km2": ("Fläche", "Fläche km²", "flaeche", "Fläche in km²"),
        "arbeitslose": ("Arbeitslose",),
        "kreis": ("Kreis",), "kreis_ags": ("Kreisschlüssel",), "regierungsbezirk": ("Regierungsbezirk",),
        "gemeinde_typ": ("Gemeindetyp",), "verstaedterung": ("Verstädterung",), "land": ("Bundesland",),
        "lon": ("Längengrad",), "lat": ("Breitengrad",),
        **{f: () for f in FLAG_COLUMNS},
    },
)
DECIMALS = {"arbeitslose": None, "lon": 180.0, "lat": 90.0}


def _load_user_gemeinden(path: Path) -> pd.DataFrame:
    tab = Table(path, SCHEMA, required=REQUIRED)
    file = tab.file
    check = Checker(tab)
    ags_ok = AgsCheck(check, None)
    cols: dict[str, list] = {c: [] for c in tab.index}
    cols.update({h: [] for h in tab.extras})
    for chunk in tab.chunks():
        for row in chunk:
            ags = ags_ok.lesen(tab.cell(row, "ags"))
            ags_ok(ags, row.nr)
            for col in tab.index:
                if col == "einwohner":
                    v = check.number(row, col, ags=ags, ganz=True, max_wert=PERSONEN_MAX,
                                     max_grund="die Obergrenze für eine Gemeinde")
                    einwohner = v
                elif col == "flaeche_km2":
                    v = check.number(row, col, ags=ags, ganz=False, positiv=True, max_wert=FLAECHE_MAX_KM2,
                                     max_grund="die Obergrenze für eine Gemeinde in km²")
                elif col in DECIMALS:
                    continue
                elif col in FLAG_COLUMNS:
                    v = check.flag(row, col, ags)
                else:
                    v = text(tab.cell(row, col))
                cols[col].append(v)
            for col in DECIMALS:
                if col in tab.index:
                    bound = DECIMALS[col] if col != "arbeitslose" else (einwohner or PERSONEN_MAX)
                    cols[col].append(check.number(
                        row, col, ags=ags, ganz=False, leer_ok=col != "arbeitslose", max_wert=bound,
                        max_grund="die Einwohnerzahl" if col == "arbeitslose" else "der größte Wert"))
            for h, i in tab.extras.items():
                cols[h].append(text(row.cells[i]))
        check.stop_if_wrong()
    if not cols["ags"]:
        raise InputError(Problem(file, "die Datei hat eine Kopfzeile, aber keine Datenzeilen"))
    df = pd.DataFrame({c: pd.Series(v, dtype="float64") if c in ("einwohner", "flaeche_km2", *DECIMALS)
                       else pd.Series(v, dtype=bool) if c in FLAG_COLUMNS else pd.Series(v, dtype=object)
                       for c, v in cols.items()})
    for col in FLAG_COLUMNS:
        if col not in df.columns:
            df[col] = False
    for col, default in TEXT_DEFAULTS.items():
        if col not in df.columns:
            df[col] = default
    if "kreis_ags" in tab.index and not df["kreis_ags"].astype(bool).any():
        df["kreis_ags"] = df["ags"].str[:5]
    df = df.sort_values("ags").reset_index(drop=True)
    df.attrs.update(jahr=None, stichtag=None, quelle=file, datei=file, datenbasis=f"Nutzerdatei {file}",
                    eingabe=tab.eingabe("gemeinden"), ags_hinweis=tab.ags_hinweis())
    return df


def gemeinde_datei(gemeinden: pd.DataFrame) -> str:
    """The file a Gemeinde table came from, for messages (never just "Gemeinde table")."""
    return str(gemeinden.attrs.get("datei") or gemeinden.attrs.get("quelle") or "Gemeindetabelle")


def require_complete(gemeinden: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Refuse a key over blank figures instead of treating them as zero."""
    problems = []
    file = gemeinde_datei(gemeinden)
    for col in columns:
        if col not in gemeinden.columns:
            problems.append(Problem(file, f"die Spalte {col} fehlt"))
            continue
        blank = gemeinden[col].isna()
        if not blank.any():  # the usual case: no frame is filtered (~1 ms a key for 396 Gemeinden)
            continue
        for _, row in gemeinden[blank].iterrows():
            problems.append(Problem(
                file, f"{col} ist leer für {row['gemeinde']}; für dieses Jahr lässt sich kein Schlüssel "
                "berechnen (das Statistische Landesamt hat keinen Wert veröffentlicht)", ags=row["ags"]))
    if problems:
        raise InputError(problems)
