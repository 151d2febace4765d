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


def resolve_stichtag(stichtag: str | dt.date | None, jahr: int | None, user_file: bool,
                     file_column: pd.Series | None = None, source: str = "--gemeinden") -> dt.date:
    """The reference date by the documented rule; never today's date."""
    if isinstance(stichtag, dt.date):
        return stichtag
    if stichtag is not None:
        try:
            return dt.date.fromisoformat(stichtag)
        except ValueError as exc:
            raise InputError(Problem("--stichtag", f"kein Datum (JJJJ-MM-TT): {stichtag!r}")) from exc
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


def prepare(*, land: str = "nrw", jahr: int | None = None, stichtag: str | dt.date | None = None,
            gemeinden: str | Path | pd.DataFrame | None = None, bestand: str | Path | None = None,
            bestand_spalten: tuple[str, ...] = (), ohne_meldung_null: bool = False) -> Inputs:
    """Load, validate and enrich the inputs of one computation.

    ``bestand_spalten`` are the stock columns the chosen systems count; they are required in the
    stock file. ``land`` chooses the Land package (`verteilung.land`); its shipped unit table
    defaults to the newest key year.
    """
    from verteilung.data import available_years, load_bestand, load_gemeinden

    land = laender.get(land).id  # refuses an unknown Land (exit 2)
    user_file = gemeinden is not None
    if isinstance(gemeinden, pd.DataFrame):
        g = gemeinden
    else:
        if not user_file and jahr is None:
            jahr = available_years(land)[-1]
        g = load_gemeinden(gemeinden, None if user_file else jahr, land=land)
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
