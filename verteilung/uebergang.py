"""Übergang: phase-in of a new key over months, and the figures that judge a transition (issue 14).

Month t (t = 1, 2, …) of a phase-in over T months uses the key
    key_t = (1 − w_t) · key_status_quo + w_t · key_new,
with w_t = t / T (``verlauf: linear``) or the stated schedule w_1, …, w_T (non-decreasing, in
[0, 1], ending at 1); from month T on, and for T = 0 from the first month, w_t = 1 (the new key
exactly). Both keys are shares summing to 1, so the blend does too; since Soll_i = key_i · total,
blending the Solls at one total gives the same numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np

from verteilung.errors import InputError, Problem
from verteilung.status import SystemState

GELSENKIRCHEN = "05513000"


@dataclass(frozen=True)
class Uebergang:
    """Phase-in over ``monate`` months, ``verlauf`` "linear" or a tuple of weights (one per month),
    starting from the model ``von`` (its id; the status quo by default)."""

    monate: int = 0
    verlauf: str | tuple[float, ...] = "linear"
    von: str = "status-quo"
    beginn: str | None = None  # first period of the phase-in, JJJJ-MM; a monthly run needs it

    def __post_init__(self) -> None:
        def bad(reason: str) -> None:
            raise InputError(Problem("uebergang", reason))

        if not isinstance(self.von, str) or not self.von:
            bad(f"von muss die id eines Modells sein, nicht „{self.von}“")
        if isinstance(self.monate, bool) or not isinstance(self.monate, int | np.integer) or self.monate < 0:
            bad(f"monate muss eine ganze Zahl ≥ 0 sein, nicht „{self.monate}“")
        if self.beginn is not None and (not isinstance(self.beginn, str)
                                        or not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", self.beginn)):
            bad(f"beginn ist die erste Periode des Übergangs als JJJJ-MM, z. B. 2025-01, nicht „{self.beginn}“")
        if isinstance(self.verlauf, str):
            if self.verlauf != "linear":
                bad(f"verlauf muss „linear“ oder eine Liste von Gewichten sein, nicht „{self.verlauf}“")
            return
        w = list(self.verlauf)
        if not all(isinstance(x, int | float | np.number) and not isinstance(x, bool) for x in w):
            bad("verlauf: die Gewichte müssen Zahlen sein")
        if len(w) != self.monate:
            bad(f"verlauf hat {len(w)} Gewichte, monate ist {self.monate}")
        if w and (min(w) < 0 or max(w) > 1 or not all(np.isfinite(w))):
            bad("verlauf: jedes Gewicht liegt zwischen 0 und 1")
        if any(b < a for a, b in pairwise(w)):
            bad("verlauf: die Gewichte dürfen nicht fallen")
        if w and w[-1] != 1:
            bad(f"verlauf: das letzte Gewicht muss 1 sein (das neue Modell), nicht „{w[-1]}“")
        object.__setattr__(self, "verlauf", tuple(float(x) for x in w))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Uebergang | None:
        """From a model file's ``uebergang:`` mapping: {monate: 6, verlauf: linear} or
        {verlauf: [0.25, 0.5, 0.75, 1]} (monate then is the list's length)."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise InputError(Problem("uebergang", "muss eine Zuordnung sein, z. B. {monate: 6, verlauf: linear}"))
        unknown = sorted(set(data) - {"monate", "verlauf", "von", "beginn"})
        if unknown:
            raise InputError(Problem("uebergang", f"unbekannte Angabe {', '.join(unknown)}; "
                                                  "erlaubt: monate, verlauf, von, beginn"))
        verlauf = data.get("verlauf", "linear")
        von = data.get("von", "status-quo")
        beginn = data.get("beginn")
        beginn = str(beginn) if isinstance(beginn, int | float) and not isinstance(beginn, bool) else beginn
        if isinstance(verlauf, list | tuple):
            return cls(data.get("monate", len(verlauf)), tuple(verlauf), von, beginn)
        return cls(data.get("monate", 0), verlauf, von, beginn)

    def monat_der_periode(self, periode: str) -> int:
        """Month of the phase-in that a period (JJJJ-MM) is: ``beginn`` is month 1.

        A monthly run has no month counter of its own, so the model file must say when the
        phase-in starts; a period before that start is refused rather than computed as month 1.
        """
        if self.monate == 0:
            return 1
        if self.beginn is None:
            raise InputError(Problem("uebergang", f"das Modell führt seinen Schlüssel über {self.monate} Monate ein; "
                                                  "für einen Monatslauf muss die Modelldatei mit beginn: JJJJ-MM "
                                                  "sagen, welche Periode Monat 1 ist"))
        y0, m0 = int(self.beginn[:4]), int(self.beginn[5:])
        y, m = int(periode[:4]), int(periode[5:])
        monat = (y - y0) * 12 + (m - m0) + 1
        if monat < 1:
            raise InputError(Problem("uebergang", f"Periode {periode} liegt vor dem Beginn des Übergangs "
                                                  f"({self.beginn}); vorher gilt das Modell nicht"))
        return monat

    def gewicht(self, monat: int) -> float:
        """Weight of the new key in month ``monat`` (1-based); 1.0 from month T on."""
        if monat < 1:
            raise ValueError("months count from 1")
        if monat >= self.monate:
            return 1.0
        if self.verlauf == "linear":
            return monat / self.monate
        return float(self.verlauf[monat - 1])

    def gewichte(self) -> np.ndarray:
        """w_1, …, w_T (empty for T = 0)."""
        return np.array([self.gewicht(t) for t in range(1, self.monate + 1)])


def mischen(alt: np.ndarray, neu: np.ndarray, gewicht: float) -> np.ndarray:
    """(1 − w) · alt + w · neu; w = 1 returns ``neu`` itself unchanged (bit for bit), w = 0 ``alt``."""
    alt, neu = np.asarray(alt, dtype=float), np.asarray(neu, dtype=float)
    if alt.shape != neu.shape:
        raise ValueError(f"keys of different length: {alt.shape} vs {neu.shape}")
    if not 0 <= gewicht <= 1:
        raise ValueError("weight outside [0, 1]")
    if gewicht == 1:
        return neu.copy()
    if gewicht == 0:
        return alt.copy()
    return (1 - gewicht) * alt + gewicht * neu


def schluessel_im_monat(alt: np.ndarray, neu: np.ndarray, monat: int, uebergang: Uebergang | None) -> np.ndarray:
    """The key (or Soll) used in month ``monat`` (1-based); None or T = 0: the new one."""
    return mischen(alt, neu, 1.0 if uebergang is None else uebergang.gewicht(monat))


def zustand_im_monat(neu: SystemState, schluessel_alt: np.ndarray, monat: int,
                     uebergang: Uebergang | None) -> SystemState:
    """The new model's state with the blended key of month ``monat``. ``schluessel_alt`` must be
    aligned with ``neu.gemeinden`` (same AGS order; see `ausrichten`)."""
    return replace(neu, schluessel=schluessel_im_monat(schluessel_alt, neu.schluessel, monat, uebergang))


def ausrichten(quelle: SystemState, ziel: SystemState) -> np.ndarray:
    """``quelle``'s key in ``ziel``'s row order (by AGS); Gemeinden missing in ``quelle`` are refused."""
    pos = {a: i for i, a in enumerate(quelle.gemeinden["ags"])}
    missing = [a for a in ziel.gemeinden["ags"] if a not in pos]
    if missing:
        raise InputError(Problem("uebergang", f"{len(missing)} Gemeinden fehlen im Status quo, z. B. AGS {missing[0]}"))
    return np.asarray(quelle.schluessel, dtype=float)[[pos[a] for a in ziel.gemeinden["ags"]]]


def effektiver_schluessel(quellen: list[SystemState], ziel: SystemState) -> np.ndarray:
    """The share of the summed Soll of several systems (the status quo's FlüAG and AWoV), in
    ``ziel``'s row order: Σ_s key_s · total_s, normalised. Blending this key with a merged
    model's key is blending the Solls at the merged total."""
    soll = sum(ausrichten(q, ziel) * q.total for q in quellen)
    summe = float(np.sum(soll))
    if summe <= 0:
        raise InputError(Problem("uebergang", "der Status quo hat keinen Soll (Bestand 0)"))
    return np.asarray(soll, dtype=float) / summe


# ---------------------------------------------------------------- transition figures

@dataclass(frozen=True)
class Pfad:
    """One Gemeinde's path through the months."""

    ags: str
    gemeinde: str
    zuweisung: list[int]          # per month
    kumuliert: list[int]          # running total
    erfuellungsquote: list[float]  # per month, in % of the new Soll


@dataclass(frozen=True)
class Uebergangskennzahlen:
    monate_bis_toleranz: int | None  # first month after which every Gemeinde is within ±toleranz; None: never
    toleranz_prozent: float
    groesste_zuweisung: int           # largest single-month assignment to one Gemeinde
    groesste_zuweisung_ags: str | None
    groesste_zuweisung_monat: int | None  # 1-based
    groesste_zuweisung_anteil: float | None  # its share of that month's arrivals (0–1)
    gemeinden_ohne_zuweisung: int     # Gemeinden with a run of ≥ monate_ohne consecutive months without anyone
    monate_ohne: int
    konflikte_kumuliert: float | None
    verfolgt: Pfad | None             # the named Gemeinde (Gelsenkirchen by default), None if absent
    groesster_gewinner: Pfad | None   # the Gemeinde receiving most persons over all months
    groesste_zuweisung_gemeinde: str | None = None  # name of the Gemeinde of the largest assignment
    im_toleranzband_ende: int = 0     # eligible Gemeinden within ±toleranz after the last month
    gemeinden_bewertet: int = 0       # eligible Gemeinden (with a Soll)


def _path(j: int, ags: np.ndarray, names: np.ndarray, z: np.ndarray, q: np.ndarray) -> Pfad:
    return Pfad(str(ags[j]), str(names[j]), [int(v) for v in z[:, j]], [int(v) for v in np.cumsum(z[:, j])],
                [float(v) for v in q[:, j]])


def kennzahlen(zuweisung: np.ndarray, erfuellungsquote: np.ndarray, ags: np.ndarray, gemeinden: np.ndarray,
               *, eligible: np.ndarray | None = None, konflikte: np.ndarray | None = None,
               verfolgt: str = GELSENKIRCHEN, toleranz_prozent: float = 10.0,
               monate_ohne: int = 3) -> Uebergangskennzahlen:
    """Figures of a month-by-month result.

    ``zuweisung`` and ``erfuellungsquote`` are arrays months × Gemeinden: persons assigned in the
    month, and the fulfilment after the month in % of the new model's Soll (NaN where there is
    no Soll). A Gemeinde is within tolerance when |quote − 100| ≤ ``toleranz_prozent``
    (percentage points); ``monate_bis_toleranz`` is the first month t (1-based) after which all
    ``eligible`` Gemeinden (default: all with a fulfilment) are within it. ``konflikte`` (per
    month, or months × anything) is summed. Ties: the smaller AGS, the earlier month.
    """
    z = np.asarray(zuweisung, dtype=np.int64)
    q = np.asarray(erfuellungsquote, dtype=float)
    ags = np.asarray(ags).astype(str)
    names = np.asarray(gemeinden).astype(str)
    if z.ndim != 2 or q.shape != z.shape or z.shape[1] != len(ags) or len(names) != len(ags):
        raise ValueError("zuweisung and erfuellungsquote must be months × Gemeinden, aligned with ags")
    months, n = z.shape
    elig = ~np.isnan(q).all(axis=0) if eligible is None else np.asarray(eligible, dtype=bool)
    within = np.abs(q[:, elig] - 100.0) <= toleranz_prozent + 1e-9
    all_in = within.all(axis=1) if elig.any() else np.ones(months, dtype=bool)
    reached = np.flatnonzero(all_in)
    by_ags = np.argsort(ags, kind="stable")
    biggest, b_ags, b_name, b_month, b_share = 0, None, None, None, None
    if months and n:
        zz = z[:, by_ags]
        flat = int(np.argmax(zz))  # first maximum: earliest month, then smallest AGS
        t, j = divmod(flat, n)
        biggest = int(zz[t, j])
        if biggest > 0:
            b_ags, b_name, b_month = str(ags[by_ags[j]]), str(names[by_ags[j]]), t + 1
            b_share = biggest / float(z[t].sum())
    # longest run of months without anyone, per Gemeinde
    run = np.zeros(n, dtype=np.int64)
    longest = np.zeros(n, dtype=np.int64)
    for t in range(months):
        run = np.where(z[t] == 0, run + 1, 0)
        longest = np.maximum(longest, run)
    dry = int((longest >= monate_ohne).sum())
    conflicts = None if konflikte is None else float(np.asarray(konflikte, dtype=float).sum())
    tracked = None
    hit = np.flatnonzero(ags == verfolgt)
    if hit.size and months:
        tracked = _path(int(hit[0]), ags, names, z, q)
    winner = None
    if months and n:
        totals = z.sum(axis=0)[by_ags]
        winner = _path(int(by_ags[int(np.argmax(totals))]), ags, names, z, q)
    return Uebergangskennzahlen(int(reached[0]) + 1 if reached.size else None, toleranz_prozent, biggest, b_ags,
                                b_month, b_share, dry, monate_ohne, conflicts, tracked, winner, b_name,
                                int(within[-1].sum()) if months else 0, int(elig.sum()))
