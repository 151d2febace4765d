"""Money rules as law: the dated § 4 FlüAG rates and the pots of ``params/mittel/`` with their keys.

A pot's key is a rule (shares by persons of named groups or by a system's key, with a minimum per
Gemeinde). It sits in the law layer so that a model file's own pot key (``model.ModelDef.mittel``) is
validated without importing the analysis above it; `verteilung.mittel` computes the money.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from verteilung import params
from verteilung.errors import InputError, Problem
from verteilung.law import systems
from verteilung.resources import glob_gemerkt

GRUPPEN = (systems.FLUEAG.id, systems.WSA.id)
PAUSCHALE = {"kreisfrei": "flueag_pauschale_kreisfrei", "kreisangehoerig": "flueag_pauschale_kreisangehoerig"}


@dataclass(frozen=True)
class Anteil:
    """One part of a pot's key: ``anteil`` of the pot by persons of ``gruppen`` or by ``system``'s key."""

    nach: Literal["personen", "schluessel"]
    anteil: float
    gruppen: tuple[str, ...] = ()
    system: str = ""

    def text(self) -> str:
        what = (f"Personen {' + '.join(systems.get(g).kurz for g in self.gruppen)}"
                if self.nach == "personen" else f"Schlüssel des Systems {self.system}")
        return f"{self.anteil * 100:g} % nach {what}".replace(".", ",")


@dataclass(frozen=True)
class Topf:
    """A pot rule as in force from ``gueltig_ab`` (params/mittel/<id>.yaml)."""

    id: str
    beschreibung: str
    gueltig_ab: dt.date
    gueltig_bis: dt.date | None
    empfaenger: str
    paragraph: str
    quelle: str
    href: str
    annahme: bool
    betrag_eur: float = 0.0
    verteilung: tuple[Anteil, ...] = ()
    mindestbetrag_eur: float = 0.0
    betrag_je_kreis_eur: float = 0.0

    def regel(self) -> str:
        if self.empfaenger == "kreise":
            return f"{_eur(self.betrag_je_kreis_eur)} je Kreis und Jahr"
        parts = "; ".join(a.text() for a in self.verteilung)
        mind = f"; mindestens {_eur(self.mindestbetrag_eur)} je Gemeinde" if self.mindestbetrag_eur else ""
        return f"{_eur(self.betrag_eur)} im Jahr: {parts}{mind}"


def _eur(x: float) -> str:
    from verteilung.io.deutsch import fmt_int

    return f"{fmt_int(round(x))} €"


def parse_verteilung(rows: Any, source: str) -> tuple[Anteil, ...]:
    """A pot's key from YAML rows; shares must sum to 1 (refused with the source otherwise)."""
    if not isinstance(rows, list) or not rows:
        raise InputError(Problem(source, "verteilung: eine Liste von Anteilen angeben"))
    out = []
    for i, r in enumerate(rows, start=1):
        if not isinstance(r, dict) or r.get("nach") not in ("personen", "schluessel"):
            raise InputError(Problem(source, f"Anteil {i}: nach muss personen oder schluessel sein"))
        extra = set(r) - {"nach", "anteil", "gruppen", "system"}
        if extra:
            raise InputError(Problem(source, f"Anteil {i}: unbekannte Angabe {', '.join(sorted(extra))}"))
        a = r.get("anteil")
        if isinstance(a, bool) or not isinstance(a, int | float) or not 0 < a <= 1:
            raise InputError(Problem(source, f"Anteil {i}: anteil muss eine Zahl in (0, 1] sein"))
        gruppen = tuple(r.get("gruppen") or ())
        if r["nach"] == "personen" and (not gruppen or any(g not in GRUPPEN for g in gruppen)):
            raise InputError(Problem(source, f"Anteil {i}: gruppen aus {', '.join(GRUPPEN)} angeben"))
        if r["nach"] == "schluessel" and not r.get("system"):
            raise InputError(Problem(source, f"Anteil {i}: system angeben (z. B. flueag oder gesamt)"))
        out.append(Anteil(r["nach"], float(a), gruppen, str(r.get("system") or "")))
    total = sum(a.anteil for a in out)
    if abs(total - 1) > 1e-9:
        raise InputError(Problem(source, f"die Anteile ergeben zusammen {total:g}, nicht 1".replace(".", ",")))
    return tuple(out)


def topf_ids() -> list[str]:
    return sorted(p.stem for p in glob_gemerkt(params.params_dir() / "mittel", "*.yaml"))


def topf(name: str, jahr: int | None = None) -> Topf:
    """The pot rule in force on 1 January of ``jahr``; without a year its first (dated) rule."""
    if name not in topf_ids():
        raise InputError(Problem("--topf", f"unbekannter Topf „{name}“; vorhanden: {', '.join(topf_ids())}"))
    key = f"mittel/{name}"
    spec = params._load(key)
    first = min(dt.date.fromisoformat(str(k)) for k in spec["values"])
    pv = params.get(key, dt.date(jahr, 1, 1) if jahr is not None else first)
    v = pv.value
    bis = v.get("gueltig_bis")
    return Topf(id=name, beschreibung=" ".join(str(spec["description"]).split()), gueltig_ab=pv.start,
                gueltig_bis=dt.date.fromisoformat(str(bis)) if bis else None, empfaenger=v["empfaenger"],
                paragraph=pv.paragraph, quelle=pv.title, href=pv.href, annahme=pv.uncertain,
                betrag_eur=float(v.get("betrag_eur", 0)),
                verteilung=parse_verteilung(v["verteilung"], f"params/mittel/{name}.yaml")
                if "verteilung" in v else (),
                mindestbetrag_eur=float(v.get("mindestbetrag_eur", 0)),
                betrag_je_kreis_eur=float(v.get("betrag_je_kreis_eur", 0)))


def in_kraft(jahr: int) -> list[str]:
    """Pots whose rule is in force on 1 January of ``jahr``."""
    out = []
    for name in topf_ids():
        try:
            t = topf(name, jahr)
        except InputError:
            continue
        if t.gueltig_bis is None or t.gueltig_bis >= dt.date(jahr, 1, 1):
            out.append(name)
    return out


def _neuester_wert(name: str) -> dt.date:
    """The start of a dated parameter's newest value (after it, the value is only carried forward)."""
    return max(dt.date.fromisoformat(str(k)) for k in params._load(name)["values"])


def fortgeschrieben(jahr: int, pots: list[Topf]) -> list[str]:
    """Why the money of ``jahr`` is an approximation (NÄHERUNG), one sentence per rule, or [].

    A rule counts as carried forward when ``jahr`` lies after the year of its newest dated value
    (no rate or pot has been dated for that year, so the last known one is applied), or when a pot is
    applied after its own end (``--topf`` of a past year). Within the dated years nothing is said.
    """
    from verteilung.io.deutsch import fmt_date

    out = []
    for art, name in PAUSCHALE.items():
        neu = _neuester_wert(name)
        if jahr > neu.year:
            out.append(f"Pauschale § 4 FlüAG ({art.replace('angehoerig', 'angehörig')}) für {jahr}: kein Satz "
                       f"hinterlegt, der Satz ab {fmt_date(neu)} ist fortgeschrieben")
    for t in pots:
        if t.gueltig_bis is not None and t.gueltig_bis < dt.date(jahr, 1, 1):
            out.append(f"Topf {t.id} galt bis {fmt_date(t.gueltig_bis)}; für {jahr} ist er mit seiner damaligen "
                       "Regel und Summe angewandt")
        elif t.gueltig_bis is None and jahr > _neuester_wert(f"mittel/{t.id}").year:
            out.append(f"Topf {t.id} für {jahr}: kein Betrag hinterlegt, der ab {fmt_date(t.gueltig_ab)} ist "
                       "fortgeschrieben")
    return out


def mit_mindestbetrag(betrag: float, anteile: np.ndarray, mindest: float) -> np.ndarray:
    """Split ``betrag`` by ``anteile`` (sum 1); whoever would get less than ``mindest`` gets
    ``mindest`` and the rest is split over the others by their shares (repeated until stable)."""
    n = len(anteile)
    if mindest <= 0:
        return betrag * anteile
    if mindest * n > betrag:
        raise InputError(Problem("mindestbetrag", "der Mindestbetrag aller Gemeinden übersteigt den Topf"))
    fixed = np.zeros(n, dtype=bool)
    while True:
        rest = betrag - mindest * fixed.sum()
        free = anteile * ~fixed
        out = np.where(fixed, mindest, rest * free / free.sum() if free.sum() > 0 else 0.0)
        below = ~fixed & (out < mindest)
        if not below.any():
            return out
        fixed |= below


def pauschale_saetze(jahr: int) -> dict[str, params.ParamValue]:
    """The § 4 FlüAG monthly rates per person on 1 January of ``jahr`` (kreisfrei / kreisangehörig)."""
    return {k: params.get(v, dt.date(jahr, 1, 1)) for k, v in PAUSCHALE.items()}


def satz_je_gemeinde(gemeinde_typ: pd.Series | np.ndarray, jahr: int) -> np.ndarray:
    saetze = pauschale_saetze(jahr)
    kreisfrei = np.asarray(gemeinde_typ == "kreisfreie Stadt", dtype=bool)
    return np.where(kreisfrei, float(saetze["kreisfrei"].value), float(saetze["kreisangehoerig"].value))
