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
from typing import TYPE_CHECKING, Any

import pandas as pd

from verteilung.errors import InputError, Problem
from verteilung.law.lesarten import Lesarten
from verteilung.resources import lade_yaml

KeyBuilder = Callable[[pd.DataFrame, dt.date, Lesarten], pd.DataFrame]
if TYPE_CHECKING:
    from verteilung.law.key import KeyResult, KeySpec


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
    land: str = "nrw"                        # the Land whose law defines it (verteilung.land)
    bestand_aliase: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # stock header spellings
    key_steps: Callable[[pd.DataFrame, dt.date, Lesarten], KeyResult] | None = None  # key + step records
    schluessel_spalten: tuple[str, ...] = ()  # the columns `keys` shows (all of the key table when empty)
    spec: Callable[[dt.date, Lesarten], KeySpec] | None = None  # the key as data, for generic engines (sweep)
    schreibweisen: tuple[str, ...] = ()      # further input spellings (case-insensitive), e.g. "fluag"
    modell_typ: str | None = None            # its key type in model files ({typ: flueag}); else {typ: system}
    modell_label: str = ""                   # that key's label with the readings it sets, "FlüAG ({kappung})"
    modell_lesarten: tuple[str, ...] = ()    # readings a model file's key of this type may set
    in_alle: bool = False                    # its stream is part of ALLE (what a merged model receives)
    anerkennung_nach: str | None = None      # simulate: a recognised person moves to this system's stock
    standard_quelle: str = ""                # where standard_zugaenge comes from (Parameter sheet)


def _flueag_key(g: pd.DataFrame, when: dt.date, lesarten: Lesarten) -> pd.DataFrame:
    from verteilung.law import flueag

    return flueag.key(g, when, lesarten.kappung, lesarten.kappung_iteriert)  # type: ignore[arg-type]


def _wsa_key(g: pd.DataFrame, when: dt.date, lesarten: Lesarten) -> pd.DataFrame:
    from verteilung.law import awov

    return awov.key(g, when, lesarten.anlage1, lesarten.mietpreisliste,  # type: ignore[arg-type]
                    lesarten.minderung, lesarten.umverteilung)


def _flueag_steps(g: pd.DataFrame, when: dt.date, lesarten: Lesarten) -> KeyResult:
    from verteilung.law import flueag

    return flueag.key_with_steps(g, when, lesarten.kappung, lesarten.kappung_iteriert)  # type: ignore[arg-type]


def _wsa_steps(g: pd.DataFrame, when: dt.date, lesarten: Lesarten) -> KeyResult:
    from verteilung.law import awov

    return awov.key_with_steps(g, when, lesarten.anlage1, lesarten.mietpreisliste,  # type: ignore[arg-type]
                               lesarten.minderung, lesarten.umverteilung)


_REGISTRY: dict[str, LegalSystem] = {}


def unregister(system_id: str) -> None:
    """Remove a system and its aliases (tests that register a further one clean up with it)."""
    from verteilung import vocab

    for name in [n for n, s in _REGISTRY.items() if s.id == system_id]:
        del _REGISTRY[name]
    vocab.unregister_system(system_id)


def register(system: LegalSystem) -> LegalSystem:
    """Enter a system and its labels: the vocabulary tables (names, short names, input spellings)
    are derived from the registry here, so nothing below the law layer spells a system."""
    from verteilung import vocab

    for name in (system.id, *system.aliases):
        if name in _REGISTRY and _REGISTRY[name] is not system:
            raise ValueError(f"system name {name!r} is registered twice")
    for name in (system.id, *system.aliases):
        _REGISTRY[name] = system
    vocab.register_system(system.id, system.anzeige, system.kurz,
                          (*system.aliases, system.anzeige, system.kurz, *system.schreibweisen),
                          kennungen=system.aliases)
    return system


FLUEAG = register(LegalSystem(
    id="flueag", anzeige="FlüAG", kurz="FlüAG", schluessel_name="Zuweisungsschlüssel",
    bestand=("flueag_bestand",), anrechnung=True, zugaenge="flueag",
    standard_zugaenge=round(15_122 / 12), standard_quelle="Monatsmittel 2021 (15.122 / 12), AfD KA 397",
    key=_flueag_key, schreibweisen=("fluag",),
    modell_typ="flueag", modell_label="FlüAG ({kappung})", modell_lesarten=("kappung",), in_alle=True,
    anerkennung_nach="wsa",  # recognition ends the asylum procedure: the person moves to the WSA stock
    # sentence numbers of the key, cap and redistribution follow the version in force: params/flueag_*.yaml
    paragraphen={"schluessel": "§ 3 Abs. 1 FlüAG",
                 "status": "§ 3 Abs. 1, 3 FlüAG; Verteilstatistik der Bezirksregierung Arnsberg (https://bra.nrw.de/-681)",
                 "haushalt": "§ 3 Abs. 1 S. 2 FlüAG"},
    lesarten=("kappung", "kappung_iteriert"), arbeitslose=False, key_steps=_flueag_steps,
    schluessel_spalten=("ags", "gemeinde", "einwohner", "flaeche_km2", "anteil_einwohner", "anteil_flaeche",
                        "schluessel_roh", "kappungsgrenze", "gekappt", "schluessel"),
    bestand_aliase={"flueag_bestand": ("Bestand FlüAG", "FlüAG-Bestand", "Bestand nach FlüAG")},
))
WSA = register(LegalSystem(
    id="wsa", anzeige="Wohnsitzauflage (WSA)", kurz="WSA", schluessel_name="Integrationsschlüssel",
    bestand=("wsa_bestand",), anrechnung=False, zugaenge="wsa",
    standard_zugaenge=round(5_916 / 12), standard_quelle="Monatsmittel 2021 (5.916 / 12), AfD KA 397",
    key=_wsa_key, schreibweisen=("wohnsitzauflage",),
    modell_typ="awov", modell_label="AWoV (Anlage 1: {anlage1})", modell_lesarten=("anlage1",), in_alle=True,
    paragraphen={"schluessel": "§ 4 Abs. 2 AWoV", "status": "§ 4, § 5 Abs. 1 AWoV",
                 "haushalt": "§ 5 Abs. 2 AWoV"},
    lesarten=("anlage1", "mietpreisliste", "minderung", "umverteilung"),
    aliases=("awov",), key_steps=_wsa_steps,
    schluessel_spalten=("ags", "gemeinde", "einwohner", "flaeche_km2", "arbeitslose", "anteil_einwohner",
                        "anteil_flaeche", "anteil_arbeitslose", "schluessel_roh",
                        "minderung_mietpreisbremse", "minderung_eu_sgb2", "schluessel"),
    bestand_aliase={"wsa_bestand": ("Bestand WSA", "WSA-Bestand", "Bestand Wohnsitzauflage", "Bestand AWoV",
                                    "awov_bestand")},
))


def get(name: str, land: str | None = None) -> LegalSystem:
    """The system for an identifier or alias; an unknown name is bad input (exit 2).

    With ``land``, a system of another Land's law is refused naming the option that selects it.
    """
    from verteilung.vocab import SYSTEM_ALIASES

    _register_laender()
    if land is not None:
        from verteilung import land as laender

        land = laender.get(land).id  # an unknown Land is refused first (exit 2)
    key = name.strip().lower()
    found = _REGISTRY.get(SYSTEM_ALIASES.get(key, key))
    if found is not None and land is not None and found.land != land:
        raise InputError(Problem("--system", f"das System „{name}“ gehört zum Land {found.land}, nicht zu "
                                 f"{land}: bitte --land {found.land} angeben (Systeme von {land}: "
                                 f"{', '.join(ids(land))})"))
    if found is None:
        known = ", ".join(f"{s.id} ({s.kurz})" for s in all_systems(land or "nrw"))
        raise InputError(Problem("--system", f"unbekanntes System „{name}“; bekannt: {known}; "
                                 "Groß- und Kleinschreibung egal, awov steht für wsa"))
    return found


def ids(land: str = "nrw") -> list[str]:
    """Registered system identifiers of one Land (default NRW), without aliases, in registration order."""
    _register_laender()
    return list(dict.fromkeys(s.id for s in _REGISTRY.values() if s.land == land))


def all_systems(land: str = "nrw") -> list[LegalSystem]:
    return [get(i) for i in ids(land)]


def stock_owner(spalte: str) -> LegalSystem | None:
    """The registered system (of any Land) that counts the stock column ``spalte``."""
    _register_laender()
    return next((s for s in _REGISTRY.values() if spalte in s.bestand), None)


ALLE = "alle"  # the arrivals stream of a merged system: the streams of `alle_stroeme` together


def names(land: str = "nrw") -> list[str]:
    """Every accepted name of one Land's systems: identifiers and input aliases (``flueag``, ``wsa``, ``awov``)."""
    _register_laender()
    return [n for n, s in _REGISTRY.items() if s.land == land]


def streams(land: str = "nrw") -> list[str]:
    """The arrivals streams a model's system may name without an own count: the registered ones and ALLE."""
    return [*dict.fromkeys(s.zugaenge for s in all_systems(land)), ALLE]


def standard_zugaenge(land: str = "nrw") -> dict[str, int]:
    """Default arrivals per month per registered stream (README, LEGAL.md § 4.1)."""
    return {s.zugaenge: s.standard_zugaenge for s in all_systems(land)}


def stock_columns(land: str = "nrw") -> tuple[str, ...]:
    """The stock columns of one Land's registered systems, in registration order."""
    return tuple(dict.fromkeys(c for s in all_systems(land) for c in s.bestand))


def strom_system(stream: str, land: str = "nrw") -> LegalSystem | None:
    """The registered system whose arrivals stream this is; None for a model's own stream."""
    return next((s for s in all_systems(land) if s.zugaenge == stream), None)


def alle_stroeme(land: str = "nrw") -> tuple[str, ...]:
    """The streams ALLE adds up (what a merged model receives): those of systems marked ``in_alle``."""
    return tuple(dict.fromkeys(s.zugaenge for s in all_systems(land) if s.in_alle))


def modell_typen(land: str | None = None) -> dict[str, LegalSystem]:
    """Model-file key types (``typ: flueag``) → the registered system whose statutory key they name."""
    _register_laender()
    return {s.modell_typ: s for s in _REGISTRY.values() if s.modell_typ and (land is None or s.land == land)}


def anerkennungspaar(land: str = "nrw") -> tuple[LegalSystem, LegalSystem] | None:
    """The asylum-procedure system and the one a recognised person moves to (``anerkennung_nach``):
    the flows of `simulate` and the two keys the mixed key M2 blends; None if the Land has none."""
    for s in all_systems(land):
        if s.anerkennung_nach:
            return s, get(s.anerkennung_nach)
    return None


def zugaenge_mapping(zugaenge: Mapping[str, int] | None, veraltet: Mapping[str, Any]) -> dict[str, int]:
    """Arrivals per stream from the mapping and the documented old keywords ``zugaenge_<stream>``
    (``zugaenge_flueag=…`` of the Python API before the mapping; None: not given); the mapping
    wins. Another keyword is refused as Python refuses one (TypeError); whether a stream exists
    is the caller's check (`optionen.pruefe_stroeme`)."""
    out: dict[str, int] = {}
    for name, value in veraltet.items():
        if not name.startswith("zugaenge_") or name == "zugaenge_":
            raise TypeError(f"unexpected keyword argument {name!r}")
        if value is not None:
            out[name.removeprefix("zugaenge_")] = value
    return {**out, **(zugaenge or {})}


# ---------------------------------------------------------------- systems a Land package defines

def weighted_key(name: str, bezeichnung: str, gewichte: Mapping[str, str], paragraph: str,
                 symbol: str = "v") -> tuple[KeyBuilder, Callable[[pd.DataFrame, dt.date, Lesarten], KeyResult],
                                             Callable[[dt.date, Lesarten], KeySpec]]:
    """A key over Gemeinde columns whose weights are dated parameters (column → parameter name):
    the builder, the builder with step records, and the specification."""
    from verteilung import params
    from verteilung.law.key import KeySpec, compute_key_with_steps

    def spec(when: dt.date, lesarten: Lesarten | None = None) -> KeySpec:
        values = {col: params.get(p, when) for col, p in gewichte.items()}
        return KeySpec(name=name, weights={c: float(v.value) for c, v in values.items()},
                       paragraphs={"weights": paragraph}, symbol=symbol, bezeichnung=bezeichnung,
                       weight_params=values)

    def steps(g: pd.DataFrame, when: dt.date, lesarten: Lesarten) -> KeyResult:
        result = compute_key_with_steps(g, spec(when))
        result.table.attrs["lesarten"] = {}
        return result

    def key(g: pd.DataFrame, when: dt.date, lesarten: Lesarten) -> pd.DataFrame:
        return steps(g, when, lesarten).table

    return key, steps, spec


def weighted_system(land: str, entry: Mapping[str, Any]) -> LegalSystem:
    """A system whose key is a weighted sum of Gemeinde columns with dated weights, from its entry
    (the ``systeme`` items of a Land's ``land.yaml``, or a registry entry in code or a test):
    ``id``, ``anzeige``, ``kurz``, ``schluessel`` (column → parameter), ``bestand``, ``zugaenge``,
    ``standard_zugaenge``, ``paragraphen``, ``bestand_aliase``, ``anrechnung``, ``aliase``."""
    return from_land(land, entry)


def from_land(land_id: str, entry: Mapping[str, Any]) -> LegalSystem:
    """A system a Land package's description defines as data (``systeme`` in ``land.yaml``)."""
    key, steps, spec = weighted_key(entry["anzeige"], entry.get("schluessel_name", "Verteilungsschlüssel"),
                                    entry["schluessel"], entry.get("paragraphen", {}).get("schluessel", ""),
                                    entry.get("symbol", "v"))
    return LegalSystem(spec=spec,
        id=entry["id"], anzeige=entry["anzeige"], kurz=entry.get("kurz", entry["anzeige"]),
        schluessel_name=entry.get("schluessel_name", "Verteilungsschlüssel"),
        bestand=tuple(entry["bestand"]), anrechnung=bool(entry.get("anrechnung", False)),
        zugaenge=entry.get("zugaenge", entry["id"]), standard_zugaenge=int(entry.get("standard_zugaenge", 0)),
        key=key, key_steps=steps, paragraphen=dict(entry.get("paragraphen", {})),
        aliases=tuple(entry.get("aliase", ())), arbeitslose=False, land=land_id,
        standard_quelle=entry.get("standard_quelle", ""),
        in_alle=bool(entry.get("in_alle", False)), anerkennung_nach=entry.get("anerkennung_nach"),
        bestand_aliase={c: tuple(v) for c, v in (entry.get("bestand_aliase") or {}).items()},
        schluessel_spalten=("ags", "gemeinde", "einwohner", "flaeche_km2",
                            *(f"anteil_{c}" for c in entry["schluessel"]), "schluessel"),
    )


_LAENDER_DONE: set[str] = set()


def _register_laender() -> None:
    """Register the systems every shipped Land package defines as data, once per Land."""
    from verteilung import land

    for land_id in land.ids():
        if land_id not in _LAENDER_DONE:
            register_land(land_id)


def register_land(land_id: str) -> None:
    """Register one Land package's data-defined systems with their labels (vocabulary tables
    derived from the registry: names, short names, accepted spellings, parameter names)."""
    from verteilung import land, vocab

    _LAENDER_DONE.add(land_id)
    paket = land.get(land_id)
    if paket.parameter:  # the shown names of the Land's own parameters (``anzeige`` in their YAML)
        for path in sorted(paket.parameter_ordner().glob("*.yaml")):
            shown = (lade_yaml(path.read_text(encoding="utf-8")) or {}).get("anzeige")
            if shown:
                vocab.PARAMETERS.setdefault(path.stem, shown)
    for entry in paket.systemdefinitionen:
        register(from_land(land_id, entry))


def system_from_model(name: str, anzeige: str, key: KeyBuilder, bestand: tuple[str, ...],
                      zugaenge: str, anrechnung: bool = False, standard_zugaenge: int = 0) -> LegalSystem:
    """A further system defined by a model file; not registered globally (it lives with its model)."""
    _register_laender()
    if name in _REGISTRY:
        raise InputError(Problem("Modell", f"der Systemname „{name}“ ist schon vergeben"))
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
