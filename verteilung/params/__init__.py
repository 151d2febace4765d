"""Dated legal parameters: one YAML file per quantity, values keyed by the date they took effect.

Each value may name its own ``paragraph`` (a rule renumbered by an amendment is cited as it was
numbered on the date asked for) and carries ``unsicher: true`` where its start date or content is
this project's assumption; `ParamValue.cite` then marks it "(Annahme)".

Asking for a date before the first value is an error: the law had no such rule then, and a
guess would silently compute something no statute prescribed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from verteilung.errors import InputError, Problem
from verteilung.resources import lade_yaml, params_dir

ANNAHME = " (Annahme)"


@dataclass(frozen=True)
class ParamValue:
    name: str
    value: Any
    start: dt.date
    paragraph: str
    title: str
    href: str
    uncertain: bool = False
    note: str = ""

    def cite(self) -> str:
        """'§ 3 Abs. 5 S. 1 FlüAG: <title>, gültig ab 01.01.2017 (Annahme)' (German date: people read it).

        "(Annahme)" marks a value whose start date or content is this project's assumption
        (``unsicher: true`` in its YAML).
        """
        from verteilung.io.deutsch import fmt_date

        return f"{self.paragraph}: {self.title}, gültig ab {fmt_date(self.start)}{self.annahme}"

    @property
    def annahme(self) -> str:
        """The marker shown next to an assumed value: " (Annahme)" or ""."""
        return ANNAHME if self.uncertain else ""


EXTRA: list = []  # further parameter folders (a registered system's own, e.g. in a recipe test), every Land


def _folders() -> list:
    """Where dated parameters live: the package's (NRW's), each Land package's own folder, `EXTRA`."""
    from verteilung import land

    out = [params_dir()]
    for land_id in land.ids():
        folder = land.get(land_id).parameter_ordner()
        if folder not in out:
            out.append(folder)
    return [*out, *EXTRA]


@cache
def _load(name: str) -> dict:
    for folder in _folders():
        path = folder / f"{name}.yaml"
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                return lade_yaml(fh)
    raise KeyError(f"unknown parameter {name!r}")


def names(land: str | None = None) -> list[str]:
    """The parameters of one Land's package (default NRW, whose folder is the package's params/)."""
    from verteilung import land as laender

    folders = [laender.get(land).parameter_ordner(), *EXTRA]
    return sorted({p.stem for folder in folders for p in folder.glob("*.yaml")})


def _as_date(when: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(when) if isinstance(when, str) else when


def get(name: str, when: dt.date | str) -> ParamValue:
    """The value in force on ``when``."""
    when = _as_date(when)
    spec = _load(name)
    entries = sorted((_as_date(k) if not isinstance(k, dt.date) else k, v)
                     for k, v in spec["values"].items())
    current = None
    for start, entry in entries:
        if start <= when:
            current = (start, entry)
    if current is None:
        raise InputError(Problem(
            f"Parameter {name}", f"am {when.strftime('%d.%m.%Y')} galt noch kein Wert: der erste gilt ab "
            f"{entries[0][0].strftime('%d.%m.%Y')} ({spec['paragraph']})"))
    start, entry = current
    ref = entry.get("reference", {})
    # The paragraph is dated like the value (renumbering, e.g. the credit rule § 3 Abs. 4 → Abs. 5
    # FlüAG); the file's paragraph is the default for values that do not name their own.
    return ParamValue(name=name, value=entry["value"], start=start,
                      paragraph=entry.get("paragraph", spec["paragraph"]),
                      title=ref.get("title", ""), href=ref.get("href", ""),
                      uncertain=bool(entry.get("unsicher", entry.get("uncertain", False))),
                      note=entry.get("note", ""))


def value(name: str, when: dt.date | str) -> Any:
    return get(name, when).value


def in_force(when: dt.date | str, land: str | None = None) -> list[dict]:
    """Every parameter in force on ``when`` with its legal reference: the list each result's
    metadata carries (``parameter``) and the run manifest records. Only the parameters of the
    Land in use are listed (``land``, default NRW).

    Each entry: ``name``, ``wert``, ``gueltig_ab``, ``paragraph``, ``quelle`` (title), ``href``
    and ``annahme`` (the value's start date or content is this project's assumption). A parameter
    with no value yet on ``when`` is left out.

    >>> [p["name"] for p in in_force("2024-01-01")][:2]
    ['awov_gewicht_arbeitslose', 'awov_gewicht_einwohner']
    """
    when = _as_date(when)
    out = []
    for name in names(land):
        try:
            pv = get(name, when)
        except InputError:
            continue
        out.append({"name": name, "wert": pv.value, "gueltig_ab": pv.start.isoformat(),
                    "paragraph": pv.paragraph, "quelle": pv.title, "href": pv.href,
                    "annahme": pv.uncertain})
    return out
