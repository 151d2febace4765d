"""Verteilstatistik: Soll, Aufnahmeverpflichtung and Erfüllungsquote for one system.

A system is a key plus a counted stock plus credited places (DESIGN.md). The arithmetic is the
one BR Arnsberg explained (LEGAL.md § 1.8):
  A_i = credit factor(date) × planned places;  T = Σ (B_i + A_i);  Soll_i = key_i · T
  Aufnahmeverpflichtung_i = max(0, Soll_i − B_i − A_i);  Quote_i = (B_i + A_i) / Soll_i · 100
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from verteilung import params
from verteilung.errors import InputError, Problem

Rundung = Literal["aufrunden", "runden"]
ROUNDING_SLACK = 1e-9  # float noise must not turn 28.0000000001 into 29

SYSTEM_LABELS = {"flueag": "FlüAG", "awov": "Wohnsitzauflage (AWoV)", "gesamt": "Gesamtsystem"}


@dataclass
class SystemState:
    """Everything a distribution system needs at one reference date, aligned by AGS."""

    name: str
    gemeinden: pd.DataFrame
    schluessel: np.ndarray
    bestand: np.ndarray
    anrechnung: np.ndarray
    # Counts toward a Gemeinde's own obligation but not toward the state total (model M3).
    verrechnung: np.ndarray | None = None
    gesperrt: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.gemeinden)
        if self.verrechnung is None:
            self.verrechnung = np.zeros(n)
        if self.gesperrt is None:
            self.gesperrt = np.zeros(n, dtype=bool)

    @property
    def label(self) -> str:
        return SYSTEM_LABELS.get(self.name, self.name)

    @property
    def last(self) -> np.ndarray:
        """Load that the obligation is measured against."""
        return self.bestand + self.anrechnung + self.verrechnung

    @property
    def total(self) -> float:
        return float((self.bestand + self.anrechnung).sum())


def round_persons(x: np.ndarray, rundung: Rundung) -> np.ndarray:
    if rundung == "aufrunden":
        return np.ceil(x - ROUNDING_SLACK).astype("int64")
    if rundung == "runden":
        return np.floor(x + 0.5 + ROUNDING_SLACK).astype("int64")
    raise InputError(Problem("status", f"unknown rounding rule {rundung!r}; choose aufrunden or runden"))


def quote(last: np.ndarray, soll: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(soll > 0, last / soll * 100.0, np.nan)


def anrechnung(bestand: pd.DataFrame, stichtag: dt.date | str) -> tuple[np.ndarray, list[params.ParamValue]]:
    """Credited places: each facility type with the factor in force on the date (§ 3 Abs. 5)."""
    f_ae = params.get("flueag_anrechnung_aufnahmeeinrichtung", stichtag)
    f_eae = params.get("flueag_anrechnung_eae", stichtag)
    a = (f_ae.value * bestand["anrechnung_plaetze"].to_numpy(dtype=float)
         + f_eae.value * bestand["anrechnung_plaetze_eae"].to_numpy(dtype=float))
    return a, [f_ae, f_eae]


def verteilstatistik(state: SystemState, rundung: Rundung = "aufrunden") -> pd.DataFrame:
    g = state.gemeinden
    soll = state.schluessel * state.total
    last = state.last
    verpflichtung = np.maximum(0.0, soll - last)
    df = pd.DataFrame({
        "ags": g["ags"].to_numpy(),
        "gemeinde": g["gemeinde"].to_numpy(),
        "kreis": g["kreis"].to_numpy() if "kreis" in g.columns else "",
        "schluessel": state.schluessel,
        "bestand": state.bestand.astype("int64"),
        "anrechnung": state.anrechnung,
        "soll": round_persons(soll, rundung),
        "aufnahmeverpflichtung": round_persons(verpflichtung, rundung),
        "erfuellungsquote": np.round(quote(last, soll), 2),
        "soll_exakt": soll,
        "aufnahmeverpflichtung_exakt": verpflichtung,
    })
    if np.any(state.verrechnung):
        df.insert(6, "verrechnung", state.verrechnung)
    if "ohne_meldung" in state.info:
        df["ohne_meldung"] = state.info["ohne_meldung"]
    df.attrs.update(system=state.name, rundung=rundung, **state.info.get("attrs", {}))
    return df


def summary(table: pd.DataFrame) -> dict:
    q = table["erfuellungsquote"]
    return {
        "gemeinden": len(table),
        "bestand": int(table["bestand"].sum()),
        "anrechnung": float(table["anrechnung"].sum()),
        "gesamt_T": float(table["bestand"].sum() + table["anrechnung"].sum()),
        "soll_summe": int(table["soll"].sum()),
        "aufnahmeverpflichtung_summe": int(table["aufnahmeverpflichtung"].sum()),
        "ueber_100_prozent": int((q > 100).sum()),
        "quote_min": float(q.min()),
        "quote_max": float(q.max()),
    }


def reference_date(gemeinden: pd.DataFrame, stichtag: dt.date | str | None) -> dt.date:
    """The date whose parameters apply: as given, else 1 January of the key year."""
    if stichtag is None:
        return dt.date(gemeinden.attrs.get("jahr") or dt.date.today().year, 1, 1)
    if isinstance(stichtag, dt.date):
        return stichtag
    try:
        return dt.date.fromisoformat(stichtag)
    except ValueError as exc:
        raise InputError(Problem("--stichtag", f"not a date (YYYY-MM-DD): {stichtag!r}")) from exc


def flueag_state(gemeinden: pd.DataFrame, bestand: pd.DataFrame, stichtag: dt.date | str | None = None,
                 kappung: str = "R1", kappung_iteriert: bool = True) -> SystemState:
    from verteilung.law import flueag

    when = reference_date(gemeinden, stichtag)
    k = flueag.key(gemeinden, when, kappung, kappung_iteriert)  # type: ignore[arg-type]
    a, factors = anrechnung(bestand, when)
    return SystemState("flueag", gemeinden, k["schluessel"].to_numpy(),
                       bestand["flueag_bestand"].to_numpy(dtype=float), a,
                       info={"stichtag": when.isoformat(), "key": k, "anrechnung_faktoren": factors,
                             "lesarten": k.attrs["lesarten"],
                             "ohne_meldung": bestand["ohne_meldung"].to_numpy()})


def awov_state(gemeinden: pd.DataFrame, bestand: pd.DataFrame, stichtag: dt.date | str | None = None,
               **awov_options) -> SystemState:
    from verteilung.law import awov

    when = reference_date(gemeinden, stichtag)
    k = awov.key(gemeinden, when, **awov_options)
    n = len(gemeinden)
    return SystemState("awov", gemeinden, k["schluessel"].to_numpy(),
                       bestand["wsa_bestand"].to_numpy(dtype=float), np.zeros(n),
                       info={"stichtag": when.isoformat(), "key": k, "lesarten": k.attrs["lesarten"],
                             "ohne_meldung": bestand["ohne_meldung"].to_numpy()})


def system_state(system: str, gemeinden: pd.DataFrame, bestand: pd.DataFrame,
                 stichtag: dt.date | str | None = None, **options) -> SystemState:
    if system == "flueag":
        return flueag_state(gemeinden, bestand, stichtag, **options)
    if system in ("awov", "wsa"):
        return awov_state(gemeinden, bestand, stichtag, **options)
    raise InputError(Problem("system", f"unknown system {system!r}; choose flueag or awov"))

