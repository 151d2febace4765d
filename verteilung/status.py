"""Verteilstatistik: Soll, Aufnahmeverpflichtung and Erfüllungsquote for one system.

A system is a key plus a counted stock plus credited places (DESIGN.md). The arithmetic is the
one BR Arnsberg explained (LEGAL.md § 1.8):
  A_i = credit factor(date) × planned places;  T = Σ (B_i + A_i);  Soll_i = key_i · T
  Aufnahmeverpflichtung_i = max(0, Soll_i − B_i − A_i);  Quote_i = (B_i + A_i) / Soll_i · 100
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from verteilung import params
from verteilung.errors import InputError, Problem
from verteilung.law.lesarten import Lesarten

if TYPE_CHECKING:
    from verteilung.law.systems import LegalSystem

Rundung = Literal["aufrunden", "runden"]
ROUNDING_SLACK = 1e-9  # float noise must not turn 28.0000000001 into 29

# Shown names of systems a model may name without registering them; registered systems answer
# from the registry (verteilung.law.systems).
SYSTEM_LABELS = {"gesamt": "Gesamtsystem"}


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
        from verteilung.law import systems

        if self.name in SYSTEM_LABELS:
            return SYSTEM_LABELS[self.name]
        try:
            return systems.get(self.name).anzeige
        except InputError:
            return self.name

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
    raise InputError(Problem("status", f"unbekannte Rundung „{rundung}“; erlaubt: aufrunden oder runden"))


def quote(last: np.ndarray, soll: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(soll > 0, last / soll * 100.0, np.nan)


def erfuellungsquote(last: np.ndarray, soll_stichtag: np.ndarray) -> np.ndarray:
    """The Erfüllungsquote as the Verteilstatistik publishes it: against the exact Soll (Stichtag),
    in percent with two decimals. `allocate` shows the same number as the quota before allocation."""
    return np.round(quote(last, soll_stichtag), 2)


def anrechnung(bestand: pd.DataFrame, stichtag: dt.date | str) -> tuple[np.ndarray, list[params.ParamValue]]:
    """Credited places: each facility type with the factor in force on the date (§ 3 Abs. 5)."""
    f_ae = params.get("flueag_anrechnung_aufnahmeeinrichtung", stichtag)
    f_eae = params.get("flueag_anrechnung_eae", stichtag)
    a = (f_ae.value * bestand["anrechnung_plaetze"].to_numpy(dtype=float)
         + f_eae.value * bestand["anrechnung_plaetze_eae"].to_numpy(dtype=float))
    return a, [f_ae, f_eae]


def exact_rounding(state: SystemState, rundung: Rundung) -> tuple[np.ndarray, np.ndarray] | None:
    """Soll and Aufnahmeverpflichtung rounded to whole persons from exact rationals: key_i · T and
    max(0, key_i · T − B_i − A_i), where the key's shares of integers are fractions (`law.key.
    exact_key`) and stocks and credited places are the decimals they were written as. None when
    the state's key has no exact form (a blended key of a phase-in, a mixed key).

    Computed in integers over common denominators (the rounding is floor/ceiling of a quotient of
    integers), not with a normalised Fraction per operation: the same results, a fraction of the
    time at 11,000 Gemeinden."""
    from verteilung.law.key import decimal_ratio

    exact = state.info.get("schluessel_exakt")
    if not callable(exact):
        return None
    if rundung not in ("aufrunden", "runden"):
        return None
    key = exact()
    if len(key) != len(state.schluessel):
        return None
    stock = [decimal_ratio(b) for b in state.bestand]
    credit = [decimal_ratio(round(float(a), 9)) for a in state.anrechnung]
    offset = [decimal_ratio(round(float(v), 9)) for v in state.verrechnung]
    scale = math.lcm(*(d for part in (stock, credit, offset) for _, d in part))
    # B_i + A_i + V_i over ``scale``; T = Σ B + Σ A over ``scale``
    held = [(b * (scale // bd) + a * (scale // ad) + v * (scale // vd))
            for (b, bd), (a, ad), (v, vd) in zip(stock, credit, offset, strict=True)]
    total = sum(b * (scale // d) for b, d in stock) + sum(a * (scale // d) for a, d in credit)

    def whole(num: int, den: int) -> int:  # den > 0
        return -((-num) // den) if rundung == "aufrunden" else (2 * num + den) // (2 * den)

    soll, duty = [], []
    for k, h in zip(key, held, strict=True):
        kn, kd = k.numerator, k.denominator
        den = kd * scale  # soll_i = kn·total / den; duty_i = (kn·total − kd·h) / den
        s = kn * total
        soll.append(whole(s, den))
        duty.append(whole(max(0, s - kd * h), den))
    return np.array(soll, dtype="int64"), np.array(duty, dtype="int64")


def verteilstatistik(state: SystemState, rundung: Rundung = "aufrunden") -> pd.DataFrame:
    """The Verteilstatistik of one system; the rounded Soll and obligation in exact arithmetic
    where the key has an exact form (`exact_rounding`), else from floats with ``ROUNDING_SLACK``."""
    g = state.gemeinden
    soll = state.schluessel * state.total
    last = state.last
    verpflichtung = np.maximum(0.0, soll - last)
    exact = exact_rounding(state, rundung)
    soll_rounded, duty_rounded = exact if exact is not None else (round_persons(soll, rundung),
                                                                  round_persons(verpflichtung, rundung))
    df = pd.DataFrame({
        "ags": g["ags"].to_numpy(),
        "gemeinde": g["gemeinde"].to_numpy(),
        "kreis": g["kreis"].to_numpy() if "kreis" in g.columns else "",
        "schluessel": state.schluessel,
        "bestand": state.bestand.astype("int64"),
        "anrechnung": state.anrechnung,
        "soll_stichtag": soll,
        "erfuellungsquote": erfuellungsquote(last, soll),
        "soll_gerundet": soll_rounded,
        "aufnahmeverpflichtung": duty_rounded,
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
        "soll_gerundet_summe": int(table["soll_gerundet"].sum()),
        "aufnahmeverpflichtung_summe": int(table["aufnahmeverpflichtung"].sum()),
        "ueber_100_prozent": int((q > 100).sum()),
        "quote_min": float(q.min()),
        "quote_max": float(q.max()),
    }


def reference_date(gemeinden: pd.DataFrame, stichtag: dt.date | str | None) -> dt.date:
    """The date whose parameters apply: as given, else 1 January of the table's key year.

    Never the clock: a table without a key year and no date given is refused (exit 2).
    """
    from verteilung.inputs import resolve_stichtag

    jahr = gemeinden.attrs.get("jahr")
    return resolve_stichtag(stichtag, int(jahr) if jahr else None, True)


def system_state(system: str | LegalSystem, gemeinden: pd.DataFrame, bestand: pd.DataFrame,
                 stichtag: dt.date | str | None = None, lesarten: Lesarten | None = None) -> SystemState:
    """Key, counted stock and credited places of one system, as its registry entry declares."""
    from verteilung.law import systems

    s = systems.get(system) if isinstance(system, str) else system
    lesarten = lesarten or Lesarten()
    when = reference_date(gemeinden, stichtag)
    k = s.key(gemeinden, when, lesarten)
    n = len(gemeinden)
    stock = np.zeros(n)
    for column in s.bestand:
        stock = stock + bestand[column].to_numpy(dtype=float)
    info: dict = {"stichtag": when.isoformat(), "key": k, "lesarten": k.attrs.get("lesarten", {})}
    if callable(k.attrs.get("exakt")):
        info["schluessel_exakt"] = k.attrs["exakt"]  # the key in rationals, for the legal rounding
    if s.anrechnung:
        credit, factors = anrechnung(bestand, when)
        info["anrechnung_faktoren"] = factors
    else:
        credit = np.zeros(n)
    if "ohne_meldung" in bestand.columns:
        info["ohne_meldung"] = bestand["ohne_meldung"].to_numpy()
    return SystemState(s.id, gemeinden, k["schluessel"].to_numpy(), stock, credit, info=info)
