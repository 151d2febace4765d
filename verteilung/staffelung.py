"""Staffelung: pacing rules for one allocation period (issue 14, item 1).

A Bezirksregierung that lets a city resume intake paces it ("bis zu 20 Asylsuchende pro
Woche"). `Staffelung` states such rules as named parameters:

* ``max_personen``: at most this many persons per Gemeinde and period;
* ``max_anteil_soll``: at most this share of the Gemeinde's Soll of the period (0.02 = 2 %);
* ``max_je_1000_einwohner``: at most this many persons per 1,000 inhabitants and period;
* ``wochen``: the month's arrivals are split into this many weeks and allocated week by week,
  the stocks updated in between; with ``wochen > 1`` the period of every bound is the week;
* ``min_gemeinden``: at least this many Gemeinden receive someone in each period, as far as
  the arrivals allow (k persons or households can reach at most k Gemeinden).

Several bounds may be given; the smallest applies. Relative bounds are rounded down to whole
persons (2 % of a Soll of 140 is 2,8: at most 2 persons), so a small Gemeinde can have bound 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from verteilung.errors import InputError, Problem

SLACK = 1e-9  # 0.02 · 1500 must give 30, not 29 from float noise


@dataclass(frozen=True)
class Staffelung:
    """Pacing rules of a model or a run; all bounds are per Gemeinde and per period."""

    max_personen: int | None = None
    max_anteil_soll: float | None = None
    max_je_1000_einwohner: float | None = None
    wochen: int = 1
    min_gemeinden: int = 0

    def __post_init__(self) -> None:
        problems = []

        def bad(name: str, reason: str) -> None:
            problems.append(Problem("staffelung", f"{name}: {reason}"))

        if self.max_personen is not None and (isinstance(self.max_personen, bool)
                                              or not isinstance(self.max_personen, int | np.integer)
                                              or self.max_personen < 0):
            bad("max_personen", f"muss eine ganze Zahl ≥ 0 sein, nicht „{self.max_personen}“")
        for name in ("max_anteil_soll", "max_je_1000_einwohner"):
            v = getattr(self, name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float | np.number) or not np.isfinite(v) or v < 0:
                bad(name, f"muss eine Zahl ≥ 0 sein, nicht „{v}“")
        if self.max_anteil_soll is not None and not isinstance(self.max_anteil_soll, bool) \
                and isinstance(self.max_anteil_soll, int | float) and self.max_anteil_soll > 1:
            bad("max_anteil_soll", f"ist ein Anteil (0,02 = 2 %), „{self.max_anteil_soll}“ liegt über 1")
        for name, least in (("wochen", 1), ("min_gemeinden", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < least:
                bad(name, f"muss eine ganze Zahl ≥ {least} sein, nicht „{v}“")
        if problems:
            raise InputError(problems)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Staffelung | None:
        """From a model file's ``staffelung:`` mapping; unknown keys are refused, None stays None."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise InputError(Problem("staffelung", "muss eine Zuordnung sein, z. B. {max_anteil_soll: 0.02}"))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(Problem("staffelung", f"unbekannte Angabe {', '.join(unknown)}; "
                                                   f"erlaubt: {', '.join(sorted(known))}"))
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        """The parameters that differ from no pacing (for summaries and model files)."""
        default = Staffelung()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)}

    @property
    def begrenzt(self) -> bool:
        return any(v is not None for v in (self.max_personen, self.max_anteil_soll, self.max_je_1000_einwohner))

    def obergrenze(self, soll: np.ndarray, einwohner: np.ndarray | None = None) -> np.ndarray:
        """Per-Gemeinde bound in whole persons for one period (inf where no bound is set)."""
        soll = np.asarray(soll, dtype=float)
        bound = np.full(soll.shape, np.inf)
        if self.max_personen is not None:
            bound = np.minimum(bound, float(self.max_personen))
        if self.max_anteil_soll is not None:
            bound = np.minimum(bound, np.floor(np.maximum(soll, 0) * self.max_anteil_soll + SLACK))
        if self.max_je_1000_einwohner is not None:
            if einwohner is None:
                raise InputError(Problem("staffelung", "max_je_1000_einwohner braucht die Einwohnerzahlen"))
            ew = np.asarray(einwohner, dtype=float)
            if np.isnan(ew).any():
                raise InputError(Problem("staffelung", f"max_je_1000_einwohner: {int(np.isnan(ew).sum())} "
                                                       "Gemeinden ohne Einwohnerzahl"))
            bound = np.minimum(bound, np.floor(ew * self.max_je_1000_einwohner / 1000 + SLACK))
        return bound


def personen_je_woche(n: int, wochen: int) -> list[int]:
    """n persons in k weeks as evenly as possible, the remainder to the first weeks (10, 3 → 4, 3, 3)."""
    base, rest = divmod(int(n), int(wochen))
    return [base + (1 if w < rest else 0) for w in range(int(wochen))]


def haushalte_je_woche(sizes: np.ndarray, wochen: int) -> np.ndarray:
    """Week (0-based) of each household, households whole and in their given order.

    The persons, counted in the given order, are split as `personen_je_woche`; a household goes
    to the week in which its first person falls. Sizes (3, 3, 2, 2) in 2 weeks: persons 0–4
    are week 1, 5–9 week 2; the households start at persons 0, 3, 6, 8 → weeks 1, 1, 2, 2.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    per_week = personen_je_woche(int(sizes.sum()), wochen)
    ends = np.cumsum(per_week)  # first person index of the next week
    first = np.cumsum(sizes) - sizes
    return np.searchsorted(ends, first, side="right").clip(max=wochen - 1).astype(np.int64)


WHOLE = ("max_personen", "wochen", "min_gemeinden")


def staffelung_aus(value: Staffelung | dict[str, Any] | str | None, option: str = "--staffelung") -> Staffelung | None:
    """Pacing from what a caller gives: a `Staffelung`, a mapping as in a model file, or the
    command line's ``max_anteil_soll=0.02,wochen=4``; None stays None. Refused with the reason
    (exit 2) when a name is unknown or a value is no number."""
    if value is None or isinstance(value, Staffelung):
        return value
    if isinstance(value, dict):
        return Staffelung.from_dict(value)
    data: dict[str, Any] = {}
    for part in str(value).split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise InputError(Problem(option, f"erwartet NAME=WERT, z. B. max_anteil_soll=0.02, nicht „{part.strip()}“"))
        name, text = (x.strip() for x in part.split("=", 1))
        try:
            data[name] = int(text) if name in WHOLE else float(text)
        except ValueError:
            kind = "keine ganze Zahl" if name in WHOLE else "keine Zahl"
            raise InputError(Problem(option, f"{name}: „{text}“ ist {kind}")) from None
    return Staffelung.from_dict(data)
