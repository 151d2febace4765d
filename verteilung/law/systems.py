"""The registry of legal distribution systems: every layer asks it instead of branching on names.

A system (DESIGN.md "the one idea") is a key builder, the stock columns it counts, whether places
in state facilities are credited, the arrivals stream it receives, its names and its paragraphs.
FlüAG and Wohnsitzauflage are registered here; a model file can add a further system over any
numeric Gemeinde column (`system_from_model`), which then runs through the same code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from verteilung.errors import InputError, Problem
from verteilung.law.lesarten import Lesarten

KeyBuilder = Callable[[pd.DataFrame, dt.date, Lesarten], pd.DataFrame]


@dataclass(frozen=True)
class LegalSystem:
    """One distribution system as data."""

    id: str                                  # identifier in options, files, JSON ("flueag", "wsa")
    anzeige: str                             # shown name (GLOSSAR.md)
    kurz: str                                # short shown name (sheet names, column heads)
    schluessel_name: str                     # "Zuweisungsschlüssel", "Integrationsschlüssel"
    bestand: tuple[str, ...]                 # stock columns counted
    anrechnung: bool                         # places in state facilities credited (FlüAG § 3 Abs. 5)
    zugaenge: str                            # arrivals stream
    standard_zugaenge: int                   # default arrivals per month (README, LEGAL.md § 4.1)
    key: KeyBuilder
    paragraphen: Mapping[str, str] = field(default_factory=dict)  # schluessel, status, haushalt
    lesarten: tuple[str, ...] = ()           # readings that change this system's key
    aliases: tuple[str, ...] = ()            # accepted on input only
    arbeitslose: bool = True                 # key may read the unemployment column (its NÄHERUNG label shows)


def _flueag_key(g: pd.DataFrame, when: dt.date, lesarten: Lesarten) -> pd.DataFrame:
    from verteilung.law import flueag

    return flueag.key(g, when, lesarten.kappung, lesarten.kappung_iteriert)  # type: ignore[arg-type]


def _wsa_key(g: pd.DataFrame, when: dt.date, lesarten: Lesarten) -> pd.DataFrame:
    from verteilung.law import awov

    return awov.key(g, when, lesarten.anlage1, lesarten.mietpreisliste,  # type: ignore[arg-type]
                    lesarten.minderung, lesarten.umverteilung)


_REGISTRY: dict[str, LegalSystem] = {}


def register(system: LegalSystem) -> LegalSystem:
    for name in (system.id, *system.aliases):
        if name in _REGISTRY and _REGISTRY[name] is not system:
            raise ValueError(f"system name {name!r} is registered twice")
    for name in (system.id, *system.aliases):
        _REGISTRY[name] = system
    return system


FLUEAG = register(LegalSystem(
    id="flueag", anzeige="FlüAG", kurz="FlüAG", schluessel_name="Zuweisungsschlüssel",
    bestand=("flueag_bestand",), anrechnung=True, zugaenge="flueag",
    standard_zugaenge=round(15_122 / 12), key=_flueag_key,
    # sentence numbers of the key, cap and redistribution follow the version in force: params/flueag_*.yaml
    paragraphen={"schluessel": "§ 3 Abs. 1 FlüAG",
                 "status": "§ 3 Abs. 1, 3 FlüAG; Verteilstatistik der Bezirksregierung Arnsberg (https://bra.nrw.de/-681)",
                 "haushalt": "§ 3 Abs. 1 S. 2 FlüAG"},
    lesarten=("kappung", "kappung_iteriert"), arbeitslose=False,
))
WSA = register(LegalSystem(
    id="wsa", anzeige="Wohnsitzauflage (WSA)", kurz="WSA", schluessel_name="Integrationsschlüssel",
    bestand=("wsa_bestand",), anrechnung=False, zugaenge="wsa",
    standard_zugaenge=round(5_916 / 12), key=_wsa_key,
    paragraphen={"schluessel": "§ 4 Abs. 2 AWoV", "status": "§ 4, § 5 Abs. 1 AWoV",
                 "haushalt": "§ 5 Abs. 2 AWoV"},
    lesarten=("anlage1", "mietpreisliste", "minderung", "umverteilung"),
    aliases=("awov",),
))


def get(name: str) -> LegalSystem:
    """The system for an identifier or alias; an unknown name is bad input (exit 2)."""
    from verteilung.vocab import SYSTEM_ALIASES

    key = name.strip().lower()
    try:
        return _REGISTRY[SYSTEM_ALIASES.get(key, key)]
    except KeyError:
        known = ", ".join(f"{s.id} ({s.kurz})" for s in all_systems())
        raise InputError(Problem("--system", f"unbekanntes System „{name}“; bekannt: {known}; "
                                 "Groß- und Kleinschreibung egal, awov steht für wsa")) from None


def ids() -> list[str]:
    """Registered system identifiers, without aliases, in registration order."""
    return list(dict.fromkeys(s.id for s in _REGISTRY.values()))


def all_systems() -> list[LegalSystem]:
    return [get(i) for i in ids()]


ALLE = "alle"  # the arrivals stream of a system that receives every registered stream


def names() -> list[str]:
    """Every accepted name: identifiers and input aliases (``flueag``, ``wsa``, ``awov``)."""
    return list(_REGISTRY)


def streams() -> list[str]:
    """The arrivals streams a model's system may name without an own count: the registered ones and ALLE."""
    return [*dict.fromkeys(s.zugaenge for s in all_systems()), ALLE]


def standard_zugaenge() -> dict[str, int]:
    """Default arrivals per month per registered stream (README, LEGAL.md § 4.1)."""
    return {s.zugaenge: s.standard_zugaenge for s in all_systems()}


def system_from_model(name: str, anzeige: str, key: KeyBuilder, bestand: tuple[str, ...],
                      zugaenge: str, anrechnung: bool = False, standard_zugaenge: int = 0) -> LegalSystem:
    """A further system defined by a model file; not registered globally (it lives with its model)."""
    if name in _REGISTRY:
        raise InputError(Problem("Modell", f"der Systemname {name!r} ist schon vergeben"))
    return LegalSystem(id=name, anzeige=anzeige, kurz=anzeige, schluessel_name=f"Schlüssel ({anzeige})",
                       bestand=bestand, anrechnung=anrechnung, zugaenge=zugaenge,
                       standard_zugaenge=standard_zugaenge, key=key)


def nutzt_arbeitslose(name: str) -> bool:
    """Whether a system's key may use the unemployment figures, so their NÄHERUNG label belongs to
    its results; a system a model defines counts as using them (its key is the model's choice)."""
    try:
        return get(name).arbeitslose
    except InputError:  # not registered: a model's own system
        return True
