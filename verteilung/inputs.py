"""One input preparation for every command: Gemeinden, stocks, key year and reference date.

Every analysis (keys, status, explain, allocate, compare, simulate, sweep, calibrate, run, the
app) starts from an `Inputs`. The key year and the reference date are explicit fields, never
DataFrame attributes and never the clock: with a user Gemeinde file the date comes from
``stichtag``, from ``jahr`` (1 January of the key year), or from the file's ``stichtag`` column;
otherwise the preparation is refused and says which option to give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung import land as laender
from verteilung.errors import InputError, Problem
from verteilung.land import Land

SYNTHETISCH_HINWEIS = "SYNTHETISCHE Bestandsdaten (kein amtlicher Bestand)"


@dataclass(frozen=True)
class Inputs:
    """Everything downstream needs; tables aligned by AGS (sorted), one row per Gemeinde."""

    land: str
    jahr: int | None                   # key year (figures of 31.12. of jahr − 1); None: user file without --jahr
    stichtag: dt.date                  # the date whose legal parameters apply
    gemeinden: pd.DataFrame            # validated, enriched (arbeitslose, flaeche)
    datenbasis: str                    # where population and area come from
    bestand: pd.DataFrame | None = None
    bestand_quelle: str | None = None
    synthetisch: bool = False          # stock figures from the seeded synthetic scenario
    naeherungen: tuple[str, ...] = ()  # approximated quantities with their source (NÄHERUNG)
    angenommen_null: tuple[str, ...] = ()  # optional stock columns absent from the file
    hinweise: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return len(self.gemeinden)

    @property
    def paket(self) -> Land:
        """The Land package these inputs belong to (names, files, systems, models)."""
        return laender.get(self.land)

    def info(self) -> dict:
        """The metadata every result carries (JSON summary, manifest, Parameter sheet)."""
        out: dict = {"land": self.land, "jahr": self.jahr, "stichtag": self.stichtag.isoformat(),
                     "datenbasis": self.datenbasis}
        if self.bestand_quelle:
            out["bestand_datei"] = self.bestand_quelle
        out.update(self.kennzeichnung())
        if self.angenommen_null:
            out["angenommen_null"] = list(self.angenommen_null)
        return out


    def land_angaben(self) -> dict:
        """What every result says about the Land: nothing for the default Land (NRW's outputs stay
        as they were), else its id, name and unit ("Kreis"), so outputs name their own units and sources."""
        if self.land == laender.STANDARD:
            return {}
        paket = self.paket
        return {"land": paket.id, "land_name": paket.name, "einheit": paket.einheit.singular,
                "quellen": paket.anzeige_pfad(paket.quellen)}

    def kennzeichnung(self, nutzt_arbeitslose: bool = True) -> dict:
        """The labels every output built on these inputs carries: ``hinweis`` (SYNTHETISCH, when
        the stock is the synthetic scenario) and ``naeherungen`` (approximated data with method and
        source; the unemployment approximation only where the result uses unemployment, e.g. not
        for the FlüAG key). Empty when there is nothing to label."""
        out: dict = {}
        if self.synthetisch:
            out["hinweis"] = SYNTHETISCH_HINWEIS
        alo = str(self.gemeinden.attrs.get("arbeitslose_quelle", ""))
        shown = [n for n in self.naeherungen if nutzt_arbeitslose or n != alo]
        if shown:
            out["naeherungen"] = shown
        return out


NAEHERUNG_KURZ = "NÄHERUNG"  # the machine-safe row marker (a `hinweis` cell of JSON and machine CSV rows)


def naeherung_je_zeile(inputs: Inputs, nutzt_arbeitslose: bool = True) -> pd.Series:
    """Per Gemeinde (by AGS): does a figure of that row rest on an approximation (NÄHERUNG)?

    A key year standing in for a missing one marks every row, and so do approximated unemployment
    figures where the result uses unemployment (not the FlüAG key); population the BBSR published
    rounded to 10 persons marks the rows it concerns.
    """
    notes = list(inputs.kennzeichnung(nutzt_arbeitslose).get("naeherungen", []))
    return naeherung_zeilen(inputs.gemeinden, notes, nutzt_arbeitslose)


def naeherung_zeilen(g: pd.DataFrame, notes: list[str], nutzt_arbeitslose: bool = True) -> pd.Series:
    """`naeherung_je_zeile` from a Gemeinde table and the result's NÄHERUNG notes (for callers
    that keep the notes, not the `Inputs`: a comparison)."""
    return pd.Series(naeherung_maske(g, notes, nutzt_arbeitslose), index=g["ags"].astype(str).to_numpy())


def naeherung_maske(g: pd.DataFrame, notes: list[str], nutzt_arbeitslose: bool = True) -> np.ndarray:
    """`naeherung_zeilen` as a flag per row of ``g`` (a comparison marks each model's rows, which
    are in the table's order)."""
    rows = np.zeros(len(g), dtype=bool)
    alo = str(g.attrs.get("arbeitslose_quelle", ""))
    if any("Schlüsseljahr" in n for n in notes) or (nutzt_arbeitslose and alo in notes):
        rows[:] = True
    elif "genauigkeit" in g.columns:
        rows |= (g["genauigkeit"].astype(str) == "rounded_10").to_numpy()
    return rows


def mit_naeherung(table: pd.DataFrame, inputs: Inputs, nutzt_arbeitslose: bool = True) -> pd.DataFrame:
    """``table`` (rows with ``ags``) with a last column ``hinweis`` saying NÄHERUNG on each row that
    carries an approximated figure; unchanged when no row does (the marker of machine rows)."""
    rows = naeherung_je_zeile(inputs, nutzt_arbeitslose)
    if not rows.any() or "ags" not in table.columns:
        return table
    marked = table["ags"].astype(str).map(rows).fillna(False).astype(bool)
    out = table.copy()
    out.attrs = dict(table.attrs)
    out["hinweis"] = marked.map({True: NAEHERUNG_KURZ, False: ""}).to_numpy()
    return out


def parse_stichtag(text: str, option: str = "--stichtag") -> dt.date:
    """A reference date as an officer writes it, ``30.06.2018``, or as files and options write it,
    ``2018-06-30``; both are unambiguous (four-digit year), anything else is refused."""
    import re

    value = text.strip()
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", value)
    try:
        if german:
            day, month, year = (int(x) for x in german.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(Problem(option, f"kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT): „{text}“")) from exc


def resolve_stichtag(stichtag: str | dt.date | None, jahr: int | None, user_file: bool,
                     file_column: pd.Series | None = None, source: str = "--gemeinden") -> dt.date:
    """The reference date by the documented rule; never today's date."""
    if isinstance(stichtag, dt.date):
        return stichtag
    if stichtag is not None:
        return parse_stichtag(stichtag)
    if jahr is not None:
        return dt.date(jahr, 1, 1)
    if file_column is not None:
        values = {str(v).strip() for v in file_column if str(v).strip()}
        if len(values) == 1:
            return resolve_stichtag(values.pop(), None, False, None, source)
        raise InputError(Problem(source, "die Spalte stichtag muss in jeder Zeile dasselbe Datum "
                                 f"enthalten (gefunden: {', '.join(sorted(values)[:3]) or 'keins'})"))
    if user_file:
        raise InputError(Problem(source, "kein Stichtag bekannt: bitte --stichtag JJJJ-MM-TT oder "
                                 "--jahr JJJJ angeben (oder eine Spalte stichtag in die Datei)"))
    raise InputError(Problem("--jahr", "kein Schlüsseljahr angegeben"))


def jahr_zum_stichtag(stichtag: str | dt.date | None, years: list[int]) -> tuple[int, str]:
    """The key year of the shipped data for a reference date, and a NÄHERUNG note when it differs.

    § 3 Abs. 2 FlüAG: the key uses the population and area figures of 1 January of the year in
    force, i.e. the key year is the Stichtag's year (figures of 31.12. of the year before). Where
    the shipped data lacks that year, the nearest earlier year stands in, labelled NÄHERUNG with
    the reason; a date before the first shipped year is refused. Without a date: the newest year.
    """
    if stichtag is None:
        return years[-1], ""
    wanted = resolve_stichtag(stichtag, None, False).year
    earlier = [y for y in years if y <= wanted]
    if not earlier:
        raise InputError(Problem("--stichtag", f"keine Einwohner- und Flächenzahlen für {wanted} oder früher; "
                                 f"vorhanden sind die Schlüsseljahre {years[0]}–{years[-1]}"))
    if earlier[-1] == wanted:
        return wanted, ""
    return earlier[-1], (f"NÄHERUNG: Schlüsseljahr {earlier[-1]} statt {wanted}: Einwohner- und Flächenzahlen "
                         f"zum 01.01.{wanted} (§ 3 Abs. 2 FlüAG) liegen nicht vor, es gelten die neuesten "
                         f"früheren (Stand 31.12.{earlier[-1] - 1}); mit --jahr wählbar")


def prepare(*, land: str = "nrw", jahr: int | None = None, stichtag: str | dt.date | None = None,
            gemeinden: str | Path | pd.DataFrame | None = None, bestand: str | Path | None = None,
            bestand_spalten: tuple[str, ...] = (), ohne_meldung_null: bool = False) -> Inputs:
    """Load, validate and enrich the inputs of one computation.

    ``bestand_spalten`` are the stock columns the chosen systems count; they are required in the
    stock file. ``land`` chooses the Land package (`verteilung.land`). For its shipped unit table
    the key year follows ``stichtag`` unless ``jahr`` is given (`jahr_zum_stichtag`); with neither,
    the newest key year.
    """
    from verteilung.data import available_years, load_bestand, load_gemeinden

    land = laender.get(land).id  # refuses an unknown Land (exit 2)
    user_file = gemeinden is not None
    if isinstance(gemeinden, pd.DataFrame):
        g = gemeinden
    else:
        jahr_naeherung = ""
        auto = not user_file and jahr is None and stichtag is not None
        if not user_file and jahr is None:
            jahr, jahr_naeherung = jahr_zum_stichtag(stichtag, available_years(land))
        g = load_gemeinden(gemeinden, None if user_file else jahr, land=land)
        while auto and g["einwohner"].isna().any() and jahr is not None and jahr > available_years(land)[0]:
            # a key year without a figure for every Gemeinde cannot give a key: the nearest complete
            # earlier year stands in, labelled (an explicit --jahr is refused instead, naming them)
            wanted = resolve_stichtag(stichtag, None, False).year
            missing = int(g["einwohner"].isna().sum())
            incomplete = jahr
            jahr = max(y for y in available_years(land) if y < incomplete)
            g = load_gemeinden(None, jahr, land=land)
            jahr_naeherung = (f"NÄHERUNG: Schlüsseljahr {jahr} statt {wanted}: die Einwohnerzahlen zum "
                              f"31.12.{incomplete - 1} sind unvollständig ({missing} Gemeinden ohne Wert; "
                              f"§ 3 Abs. 2 FlüAG), es gelten die neuesten vollständigen früheren (Stand "
                              f"31.12.{jahr - 1}); mit --jahr wählbar")
        if jahr_naeherung:
            g.attrs["datenbasis_naeherungen"] = (jahr_naeherung, *g.attrs.get("datenbasis_naeherungen", ()))
    column = g["stichtag"] if user_file and "stichtag" in g.columns else None
    when = resolve_stichtag(stichtag, jahr, user_file, column, str(gemeinden) if user_file else "--jahr")
    key_year = jahr
    g = enrich(g, when, key_year, laender.get(land).arbeitslose)
    naeherungen = tuple(q for q in (*g.attrs.get("datenbasis_naeherungen", ()),
                                    g.attrs.get("arbeitslose_quelle", "")) if "NÄHERUNG" in q)
    b = None
    synthetisch = False
    angenommen: tuple[str, ...] = ()
    if bestand is not None:
        from verteilung.law import systems

        aliase = {c: a for s in systems.all_systems(land) for c, a in s.bestand_aliase.items()}
        b = load_bestand(bestand, g, required=bestand_spalten, ohne_meldung_null=ohne_meldung_null,
                         aliase=aliase)
        synthetisch = bool(b.attrs.get("synthetisch"))
        angenommen = tuple(b.attrs.get("angenommen_null", ()))
    return Inputs(land=land, jahr=key_year, stichtag=when, gemeinden=g,
                  datenbasis=str(g.attrs.get("datenbasis", gemeinden)), bestand=b,
                  bestand_quelle=str(bestand) if bestand is not None else None,
                  synthetisch=synthetisch, naeherungen=naeherungen, angenommen_null=angenommen)


def enrich(g: pd.DataFrame, when: dt.date, jahr: int | None, arbeitslose: bool = True) -> pd.DataFrame:
    """Add the columns keys may name: ``arbeitslose`` (as the AWoV uses it, where the Land ships
    the figures) and ``flaeche``."""
    from verteilung.law import awov

    g = g.copy()
    g.attrs = dict(g.attrs)
    if arbeitslose and ("arbeitslose" not in g.columns or g["arbeitslose"].isna().any()):
        try:
            g["arbeitslose"], source = awov.unemployed(g, (jahr or when.year) - 1)
            g.attrs["arbeitslose_quelle"] = source
        except InputError:
            pass  # no figures for this table: a key that needs them refuses, naming the column
    g["flaeche"] = g["flaeche_km2"]
    return g
