"""Readings of ambiguous law (LEGAL.md § 8), validated where they are defined.

Every entry point (CLI option, Python API, model YAML, run.toml, web API) builds a `Lesarten`;
an unknown reading is refused here with `InputError` (exit 2), so no caller can pass "R9" and
silently get another rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from verteilung.errors import InputError, Problem


@dataclass(frozen=True)
class Wert:
    """One allowed value of a reading: what it means and, where it changes a number, how.

    ``parameter`` maps formula symbols to dated parameters (`verteilung.params`): a reading's
    constants live there with their paragraph, never in code. ``rechnung`` computes the
    reading's quantity from those values (the cap reading: the factor of z ≤ factor·e);
    ``formel`` shows it in the step records (`explain`).
    """

    bedeutung: str
    parameter: Mapping[str, str] = field(default_factory=dict)
    rechnung: Callable[[Mapping[str, float]], float] | None = None
    formel: str = ""


@dataclass(frozen=True)
class Lesart:
    """One open question of the law (LEGAL.md § 8): its option, label and allowed values."""

    name: str
    option: str                       # the command-line option ("" where no option sets it)
    titel: str                        # help text head
    werte: dict[Any, Wert]
    standard: Any

    def hilfe(self) -> str:
        """The option's help text: every allowed value with its meaning, the default marked."""
        shown = [f"{v} ({w.bedeutung.removesuffix(' (Standard)')}{', Standard' if v == self.standard else ''})"
                 for v, w in self.werte.items()]
        text = ", ".join(shown[:-1]) + " oder " + shown[-1] if len(shown) > 1 else shown[0]
        return f"{self.titel}: {text}."


def _cap_r1(p: Mapping[str, float]) -> float:
    return 1.0 + p["c"]


def _cap_r2(p: Mapping[str, float]) -> float:
    return p["w_e"] + p["c"]


LESARTEN: dict[str, Lesart] = {}


def register(lesart: Lesart) -> Lesart:
    """Define a reading (or redefine one with a further value): the one place readings are spelled."""
    if lesart.standard not in lesart.werte:
        raise ValueError(f"default {lesart.standard!r} of reading {lesart.name!r} is not an allowed value")
    LESARTEN[lesart.name] = lesart
    return lesart


def add_value(name: str, value: Any, wert: Wert) -> None:
    """A further allowed value of an existing reading (recipe "Eine neue Lesart")."""
    old = LESARTEN[name]
    register(Lesart(old.name, old.option, old.titel, {**old.werte, value: wert}, old.standard))


register(Lesart("kappung", "--kappung", "Lesart der Kappung (FlüAG)", {
    "R1": Wert("z ≤ 1,25·e (Standard)", {"c": "flueag_kappung", "w_e": "flueag_gewicht_einwohner"}, _cap_r1,
               "z ≤ (1 + {c:exakt})·e = {faktor:exakt}·e"),
    "R2": Wert("z ≤ 1,15·e", {"c": "flueag_kappung", "w_e": "flueag_gewicht_einwohner"}, _cap_r2,
               "z − {w_e:exakt}·e ≤ {c:exakt}·e, also z ≤ {faktor:exakt}·e"),
}, "R1"))
register(Lesart("kappung_iteriert", "--kappung-einmalig", "Umverteilung der Kappung", {
    True: Wert("wiederholt, bis keine Gemeinde die Grenze übersteigt (Standard)"),
    False: Wert("einmalige Umverteilung"),
}, True))
register(Lesart("anlage1", "--anlage1", "Lesart der Anlage 1 AWoV (Integrationsschlüssel, WSA)", {
    "A": Wert("m = P·(1−u)"), "B": Wert("m = P·ū/u (Standard)"), "C": Wert("m = U"),
}, "B"))
register(Lesart("mietpreisliste", "--mietpreisliste", "Liste der Gemeinden mit Mietpreisbremse für § 4 Abs. 3 AWoV", {
    "2015": Wert("Mietpreisbegrenzungsverordnung 2015 (Standard)"),
    "mieterschutzvo_2020": Wert("Mieterschutzverordnung 2020"),
    "mieterschutzvo_2025": Wert("Mieterschutzverordnung 2025"),
}, "2015"))
register(Lesart("minderung", "--minderung", "Beide Minderungen der AWoV zusammen", {
    "additiv": Wert("beide Minderungen auf den Schlüssel nach Abs. 2 (Standard)"),
    "multiplikativ": Wert("zweite Minderung auf das nach der ersten Verbliebene"),
}, "additiv"))
register(Lesart("umverteilung", "--umverteilung", "Grundlage für die Umverteilung der AWoV-Minderungen", {
    "k0": Wert("nach dem ungeminderten Schlüssel (Standard)"),
    "gemindert": Wert("nach dem geminderten Schlüssel"),
}, "k0"))
register(Lesart("rundung", "--rundung", "Rundung von Soll und Aufnahmeverpflichtung auf ganze Personen", {
    "aufrunden": Wert("Soll und Aufnahmeverpflichtung aufgerundet (Standard)"),
    "runden": Wert("kaufmännisch gerundet"),
}, "aufrunden"))
# who takes the excess of a reduction (not a command-line option; models and the sweep set it)
register(Lesart("empfaenger", "", "Empfänger des Überschusses einer Minderung", {
    "nicht_betroffen": Wert("alle von dieser Minderung nicht betroffenen Gemeinden (Standard)"),
    "ohne_jede_minderung": Wert("nur Gemeinden ohne jede Minderung"),
}, "nicht_betroffen"))


class _Erlaubt(Mapping):
    """reading → {value: meaning}, derived from `LESARTEN` (help texts, error messages, explain)."""

    def __getitem__(self, name: str) -> dict[Any, str]:
        return {v: w.bedeutung for v, w in LESARTEN[name].werte.items()}

    def __iter__(self):
        return iter(LESARTEN)

    def __len__(self) -> int:
        return len(LESARTEN)


ERLAUBT: Mapping[str, dict[Any, str]] = _Erlaubt()


class _Option(Mapping):
    def __getitem__(self, name: str) -> str:
        return LESARTEN[name].option

    def __iter__(self):
        return iter(n for n, x in LESARTEN.items() if x.option)

    def __len__(self) -> int:
        return sum(1 for x in LESARTEN.values() if x.option)


OPTION: Mapping[str, str] = _Option()


def wert(name: str, value: Any) -> Wert:
    """The definition of one chosen value; an unknown one is refused (exit 2) naming the allowed ones."""
    lesart = LESARTEN[name]
    if value not in lesart.werte or type(value) is not type(lesart.standard):
        choices = ", ".join(str(v) for v in lesart.werte)
        raise InputError(Problem(lesart.option or name, f"unbekannte Lesart „{value}“; erlaubt: {choices}"))
    return lesart.werte[value]


def hilfe(name: str) -> str:
    return LESARTEN[name].hilfe()


@dataclass(frozen=True)
class Lesarten:
    """The chosen reading of each open question; defaults as documented in README."""

    kappung: str = LESARTEN["kappung"].standard
    kappung_iteriert: bool = LESARTEN["kappung_iteriert"].standard
    anlage1: str = LESARTEN["anlage1"].standard
    mietpreisliste: str = LESARTEN["mietpreisliste"].standard
    minderung: str = LESARTEN["minderung"].standard
    umverteilung: str = LESARTEN["umverteilung"].standard
    rundung: str = LESARTEN["rundung"].standard

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            try:
                wert(f.name, getattr(self, f.name))
            except InputError as exc:
                problems += exc.problems
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
