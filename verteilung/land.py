"""A Land is a package of data: ``inputs/<land>/land.yaml`` names everything else.

The description file names the unit table (Gemeinden or Kreise), the population file, the
geodata, the folder of dated parameters, the systems the Land's law defines (registered ones by
id, or data-defined ones with a weighted key over dated parameters), its shipped models, its
default stock scenario, the display texts (what a unit is called) and the sources. Every command
chooses a Land once (``--land``, default ``nrw``); `verteilung.inputs.prepare` carries it in the
prepared `Inputs`, and no module reads ``inputs/nrw`` by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from verteilung.errors import InputError, Problem
from verteilung.resources import glob_gemerkt, lade_yaml, params_dir, shipped

STANDARD = "nrw"
DESCRIPTION = "land.yaml"


@dataclass(frozen=True)
class Einheit:
    """What the Land distributes to, as people read it ("Gemeinde"/"Gemeinden", "Kreis"/"Kreise")."""

    singular: str = "Gemeinde"
    plural: str = "Gemeinden"
    schluessel: str = "AGS"          # the identifier's name in messages and headers
    stadt_typ: str = "kreisfreie Stadt"  # the unit type counted apart in summaries (gemeinde_typ value)
    stadt_kurz: str = "kreisfrei"        # its short column head, and the rest's
    rest_kurz: str = "kreisangehörig"


@dataclass(frozen=True)
class Land:
    """One Land's data package (see the module docstring)."""

    id: str
    name: str
    ordner: Path
    einheit: Einheit = field(default_factory=Einheit)
    gemeinden: str = "gemeinden.csv"
    bevoelkerung: str = "bevoelkerung.csv"
    geodaten: str | None = None
    parameter: str | None = None     # folder of dated parameters; None: the package's params/
    systeme: tuple[str, ...] = ()    # system ids of this Land, in display order
    systemdefinitionen: tuple[dict[str, Any], ...] = ()  # data-defined systems (law.systems reads them)
    modelle: str | None = None       # folder of shipped models; None: the top-level models/
    standard_modelle: tuple[str, ...] = ()
    szenario: str | None = None      # default (synthetic) stock file, relative to the folder
    arbeitslose: bool = False        # unemployment figures shipped (a key may read them)
    quellen: str = "README.md"
    hinweis: str = ""                # shown with results, e.g. what the app covers

    def datei(self, *parts: str) -> Path:
        """A file of this Land's package (``inputs/<land>/...``)."""
        return self.ordner.joinpath(*parts)

    def anzeige_pfad(self, *parts: str) -> str:
        """The package path as documents name it: ``inputs/<land>/...``."""
        return "/".join(("inputs", self.id, *parts))

    def parameter_ordner(self) -> Path:
        return self.datei(self.parameter) if self.parameter else params_dir()

    def modell_ordner(self) -> Path:
        return self.datei(self.modelle) if self.modelle else shipped("models")

    def szenario_datei(self) -> Path | None:
        return self.datei(self.szenario) if self.szenario else None

    def geodaten_datei(self) -> Path | None:
        return self.datei(self.geodaten) if self.geodaten else None


@cache
def _inputs_root() -> Path:
    """Where the shipped ``inputs/`` folder is (found once: an installation does not move while it runs)."""
    return shipped("inputs")


def ids() -> list[str]:
    """The shipped Länder: folders of ``inputs/`` with a description file, the default first."""
    found = sorted(p.parent.name for p in glob_gemerkt(_inputs_root(), f"*/{DESCRIPTION}"))
    return sorted(found, key=lambda x: x != STANDARD)


def get(land: str | Land | None = None) -> Land:
    """The Land for an id (default ``nrw``); an unknown id is bad input (exit 2)."""
    if isinstance(land, Land):
        return land
    key = (land or STANDARD).strip().lower()
    if key not in ids():
        raise InputError(Problem("--land", f"unbekanntes Land „{land}“; vorhanden: {', '.join(ids())}"))
    return _load(key)


@cache
def _load(land_id: str) -> Land:
    folder = _inputs_root() / land_id
    path = folder / DESCRIPTION
    try:
        data = lade_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(Problem(str(path), f"Landesbeschreibung nicht lesbar: {exc}")) from exc
    return from_mapping(land_id, folder, data, str(path))


KNOWN = {"name", "einheit", "gemeinden", "bevoelkerung", "geodaten", "parameter", "systeme", "modelle",
         "standard_modelle", "szenario", "arbeitslose", "quellen", "hinweis"}


def from_mapping(land_id: str, folder: Path, data: dict[str, Any], source: str = DESCRIPTION) -> Land:
    """A `Land` from its description (``land.yaml``); unknown keys are refused naming the file."""
    unknown = sorted(set(data) - KNOWN)
    if unknown:
        raise InputError(Problem(source, f"unbekannte Angabe(n) {', '.join(unknown)}; "
                                 f"bekannt: {', '.join(sorted(KNOWN))}"))
    if "name" not in data:
        raise InputError(Problem(source, "die Angabe name (Name des Landes) fehlt"))
    systeme = data.get("systeme") or []
    ids_ = tuple(s if isinstance(s, str) else s["id"] for s in systeme)
    definitions = tuple(s for s in systeme if isinstance(s, dict))
    return Land(
        id=land_id, name=str(data["name"]), ordner=folder, einheit=Einheit(**(data.get("einheit") or {})),
        gemeinden=data.get("gemeinden", "gemeinden.csv"), bevoelkerung=data.get("bevoelkerung", "bevoelkerung.csv"),
        geodaten=data.get("geodaten"), parameter=data.get("parameter"), systeme=ids_,
        systemdefinitionen=definitions, modelle=data.get("modelle"),
        standard_modelle=tuple(data.get("standard_modelle") or ()), szenario=data.get("szenario"),
        arbeitslose=bool(data.get("arbeitslose", False)), quellen=data.get("quellen", "README.md"),
        hinweis=str(data.get("hinweis", "")),
    )


def of_system(system_id: str) -> Land | None:
    """The Land whose law defines a system, or None (a model's own system)."""
    for land_id in ids():
        land = get(land_id)
        if system_id in land.systeme:
            return land
    return None
