"""Readings of ambiguous law (LEGAL.md § 8), validated where they are defined.

Every entry point (CLI option, Python API, model YAML, run.toml, web API) builds a `Lesarten`;
an unknown reading is refused here with `InputError` (exit 2), so no caller can pass "R9" and
silently get another rule.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from verteilung.errors import InputError, Problem

# reading → its allowed values and what each means (shown in help texts and error messages)
ERLAUBT: dict[str, dict[Any, str]] = {
    "kappung": {"R1": "z ≤ 1,25·e (Standard)", "R2": "z ≤ 1,15·e"},
    "kappung_iteriert": {True: "wiederholt, bis keine Gemeinde die Grenze übersteigt (Standard)",
                         False: "einmalige Umverteilung"},
    "anlage1": {"A": "m = P·(1−u)", "B": "m = P·ū/u (Standard)", "C": "m = U"},
    "mietpreisliste": {"2015": "Mietpreisbegrenzungsverordnung 2015 (Standard)",
                       "mieterschutzvo_2020": "Mieterschutzverordnung 2020",
                       "mieterschutzvo_2025": "Mieterschutzverordnung 2025"},
    "minderung": {"additiv": "beide Minderungen auf den Schlüssel nach Abs. 2 (Standard)",
                  "multiplikativ": "zweite Minderung auf das nach der ersten Verbliebene"},
    "umverteilung": {"k0": "nach dem ungeminderten Schlüssel (Standard)",
                     "gemindert": "nach dem geminderten Schlüssel"},
    "rundung": {"aufrunden": "Soll und Aufnahmeverpflichtung aufgerundet (Standard)",
                "runden": "kaufmännisch gerundet"},
    # who takes the excess of a reduction (not a command-line option; models and the sweep set it)
    "empfaenger": {"nicht_betroffen": "alle von dieser Minderung nicht betroffenen Gemeinden (Standard)",
                   "ohne_jede_minderung": "nur Gemeinden ohne jede Minderung"},
}
OPTION = {"kappung": "--kappung", "kappung_iteriert": "--kappung-einmalig", "anlage1": "--anlage1",
          "mietpreisliste": "--mietpreisliste", "minderung": "--minderung",
          "umverteilung": "--umverteilung", "rundung": "--rundung"}


@dataclass(frozen=True)
class Lesarten:
    """The chosen reading of each open question; defaults as documented in README."""

    kappung: str = "R1"
    kappung_iteriert: bool = True
    anlage1: str = "B"
    mietpreisliste: str = "2015"
    minderung: str = "additiv"
    umverteilung: str = "k0"
    rundung: str = "aufrunden"

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            allowed = ERLAUBT[f.name]
            if value not in allowed or type(value) is not type(next(iter(allowed))):
                choices = ", ".join(str(v) for v in allowed)
                problems.append(Problem(OPTION[f.name], f"unbekannte Lesart {value!r}; erlaubt: {choices}"))
        if problems:
            raise InputError(problems)

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None, source: str = "Lesarten") -> Lesarten:
        """From a model YAML / run.toml table; unknown names are refused with the source named."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(Problem(source, f"unbekannte Lesart(en) {', '.join(unknown)}; "
                                     f"bekannt: {', '.join(sorted(known))}"))
        try:
            return cls(**data)
        except InputError as exc:
            raise InputError([Problem(source, p.reason) for p in exc.problems]) from exc

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def beschreibung(self, name: str) -> str:
        """'R1: z ≤ 1,25·e (Standard)' — the reading as shown next to a result."""
        value = getattr(self, name)
        return f"{value}: {ERLAUBT[name][value]}"
