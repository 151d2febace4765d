"""Option values, checked in one place for the CLI, the web API and run.toml.

A value that means nothing for its option is refused (exit 2, one German line), never accepted
with a guessed meaning nor crashed on. Refused: signs where only counts make sense, ``nan``,
``inf``, fractions for counts (``2024.0``, ``2,5``), and a single separator before exactly three
digits (``1.000``: one in English, a thousand in German), which has two readings. Counts are
plain digits (``1000``); decimals take one point or comma (``2.5`` or ``2,5``).

The typer options use :func:`cli_ganzzahl`, :func:`cli_dezimal` and friends as ``parser=``; the
web API's request models call the same functions in pydantic validators (:func:`pydantic_check`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from verteilung.data.zahlen import PERSONEN_MAX, tausender
from verteilung.errors import InputError, Problem

MONATE_MAX = 240
"""Longest simulation (20 years): about half a minute of computing for the default models on one
core; longer horizons are computed in parts (``--bestand`` of the last month's stocks)."""

ZEITLIMIT_MAX_S = 3600.0
"""Longest solver time limit (one hour); the allocations of one month solve in seconds."""

JAHR_MIN, JAHR_MAX = 1990, 2100
"""Plausible key years; the shipped data cover fewer (``verteilung data list``), checked on loading."""

_DIGITS = re.compile(r"^[0-9]+$")
_GROUPED = re.compile(r"^[0-9]{1,3}([.,][0-9]{3})+$")
_DECIMAL = re.compile(r"^[0-9]+([.,][0-9]+)?$|^[.,][0-9]+$")
_NOT_A_NUMBER = {"nan", "inf", "+inf", "-inf", "infinity", "-infinity", "+infinity", "∞", "none", "null"}


def _refuse(option: str, reason: str) -> InputError:
    return InputError(Problem(option, reason))


def _shown(value: object) -> str:
    return str(value).strip()[:40]


def ganzzahl(value: object, option: str, *, minimum: int = 0, maximum: int | None = None,
             grund: str = "", hinweis: str = "") -> int:
    """A whole number ≥ ``minimum`` (and ≤ ``maximum``, ``grund`` says why) from an option's text
    or a JSON/TOML value; refuses everything else with the reason."""
    shown = _shown(value)
    if isinstance(value, bool):
        raise _refuse(option, f"„{shown}“ ist ein Ja/Nein-Wert, keine Zahl")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _refuse(option, f"„{shown}“ ist keine ganze Zahl")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        low = text.lower()
        if low in _NOT_A_NUMBER:
            raise _refuse(option, f"„{shown}“ ist keine Zahl")
        if text[:1] in ("-", "\u2212") and _DECIMAL.match(text[1:].strip()):
            raise _refuse(option, f"„{shown}“ ist negativ; erlaubt sind Zahlen ab {minimum}")
        if text[:1] == "+":
            raise _refuse(option, f"„{shown}“: bitte ohne Vorzeichen schreiben")
        if _GROUPED.match(text):
            plain = re.sub(r"[.,]", "", text)
            if text.count(".") + text.count(",") == 1:  # 1.000: one (decimal point) or a thousand?
                raise _refuse(option, f"„{shown}“ ist mehrdeutig ({text.replace(',', '.').split('.')[0]} oder "
                              f"{plain}); bitte ohne Trennzeichen schreiben, z. B. {plain}")
            raise _refuse(option, f"„{shown}“: bitte ohne Tausendertrennzeichen schreiben, z. B. {plain}")
        if _DECIMAL.match(text) and not _DIGITS.match(text):
            raise _refuse(option, f"„{shown}“ ist keine ganze Zahl; bitte ohne Nachkommastellen schreiben")
        if not _DIGITS.match(text) or len(text) > 15:
            raise _refuse(option, f"„{shown}“ ist keine ganze Zahl")
        value = int(text)
    if not isinstance(value, int):
        raise _refuse(option, f"„{shown}“ ist keine ganze Zahl")
    if value < minimum:
        raise _refuse(option, f"„{shown}“ ist negativ; erlaubt sind Zahlen ab {minimum}" if value < 0
                      else f"{tausender(value)} ist zu klein; erlaubt sind Zahlen ab {tausender(minimum)}")
    if maximum is not None and value > maximum:
        raise _refuse(option, f"{tausender(value)} ist mehr als {grund or 'die Obergrenze'} "
                      f"({tausender(maximum)}){hinweis}")
    return value


def dezimal(value: object, option: str, *, minimum: float = 0.0, maximum: float | None = None,
            positiv: bool = False, grund: str = "") -> float:
    """A finite decimal ≥ ``minimum`` (> 0 with ``positiv``; ≤ ``maximum``): ``2.5`` or ``2,5``."""
    from verteilung.io.deutsch import fmt_exact

    shown = _shown(value)
    if isinstance(value, bool):
        raise _refuse(option, f"„{shown}“ ist ein Ja/Nein-Wert, keine Zahl")
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _NOT_A_NUMBER:
            raise _refuse(option, f"„{shown}“ ist keine Zahl")
        if text[:1] in ("-", "\u2212") and _DECIMAL.match(text[1:].strip()):
            raise _refuse(option, f"„{shown}“ ist negativ; erlaubt sind Zahlen ab {fmt_exact(minimum)}")
        if _GROUPED.match(text) and text.count(".") + text.count(",") == 1 and not text.startswith("0"):
            raise _refuse(option, f"„{shown}“ ist mehrdeutig ({fmt_exact(float(text.replace(',', '.')))} oder "
                          f"{re.sub(r'[.,]', '', text)}); bitte ohne Tausendertrennzeichen und mit "
                          "höchstens zwei oder mindestens vier Nachkommastellen schreiben, z. B. "
                          f"{re.sub(r'[.,]', '', text)}")
        if not _DECIMAL.match(text) or len(text) > 20:
            raise _refuse(option, f"„{shown}“ ist keine Zahl (erlaubt z. B. 2,5 oder 2.5)")
        value = float(text.replace(",", "."))
    if isinstance(value, int):
        value = float(value)
    if not isinstance(value, float):
        raise _refuse(option, f"„{shown}“ ist keine Zahl")
    if not math.isfinite(value):
        raise _refuse(option, f"„{shown}“ ist keine endliche Zahl")
    if value < minimum:
        raise _refuse(option, f"„{shown}“ ist negativ; erlaubt sind Zahlen ab {fmt_exact(minimum)}" if value < 0
                      else f"„{shown}“ ist kleiner als {fmt_exact(minimum)}")
    if positiv and value == 0:
        raise _refuse(option, "muss größer als 0 sein")
    if maximum is not None and value > maximum:
        raise _refuse(option, f"„{shown}“ ist mehr als {grund or 'die Obergrenze'} ({fmt_exact(maximum)})")
    return value


def personen(value: object, option: str = "--personen") -> int:
    """A count of persons for one period: 0 … :data:`PERSONEN_MAX`."""
    return ganzzahl(value, option, maximum=PERSONEN_MAX, grund="die Obergrenze je Zeitraum")


def jahr(value: object, option: str = "--jahr") -> int:
    """A key year (four digits); whether data exist for it is checked when the data are loaded."""
    return ganzzahl(value, option, minimum=JAHR_MIN, maximum=JAHR_MAX, grund="das späteste Schlüsseljahr")


def monate(value: object, option: str = "--monate", minimum: int = 1) -> int:
    """A simulation horizon: ``minimum`` … :data:`MONATE_MAX` months."""
    return ganzzahl(value, option, minimum=minimum, maximum=MONATE_MAX, grund="die Obergrenze an Monaten",
                    hinweis="; längere Zeiträume in Abschnitten rechnen (Bestände des letzten Monats als "
                    "--bestand des nächsten Abschnitts)")


def zeitlimit(value: object, option: str = "--zeitlimit") -> float:
    """The solver's time limit in seconds: > 0 and at most :data:`ZEITLIMIT_MAX_S`."""
    return dezimal(value, option, positiv=True, maximum=ZEITLIMIT_MAX_S, grund="die Obergrenze in Sekunden")


def gewichte(text: str, option: str = "--gewichte", *, nicht_alle_null: bool = True,
             summe_eins: bool = False) -> dict[str, float]:
    """``einwohner=0.8,flaeche=0.2`` → {"einwohner": 0.8, "flaeche": 0.2}: names given once, values
    finite and ≥ 0, not all 0 (unless ``nicht_alle_null`` is off, for spreads and reductions;
    summing to 1 with ``summe_eins``). Which names are columns of
    the Gemeinde table is checked with the table (`law.key.KeySpec.validate`)."""
    out = paare((p for p in str(text).split(",") if p.strip()), option, dezimal, "NAME=ZAHL", "")
    if not out:
        raise _refuse(option, "erwartet NAME=ZAHL[,NAME=ZAHL…]")
    if nicht_alle_null and not any(out.values()):
        raise _refuse(option, "alle Werte sind 0; mindestens einer muss größer als 0 sein")
    if summe_eins and abs(sum(out.values()) - 1) > 1e-9:
        from verteilung.io.deutsch import fmt_exact

        raise _refuse(option, f"die Gewichte ergeben zusammen {fmt_exact(sum(out.values()))}, nicht 1")
    return out


def stroeme(specs: Iterable[str] | None, option: str = "--zugaenge") -> dict[str, int] | None:
    """``["drittes=120"]`` → {"drittes": 120}; each count as :func:`personen`."""
    if not specs:
        return None
    return paare(specs, option, personen, "NAME=N", "der Strom ")


def paare(parts: Iterable[str], option: str, parse: Callable[[object, str], Any], form: str,
          was: str) -> dict[str, Any]:
    """``NAME=WERT`` pairs (weights, streams, Land totals): each name once, each value through
    ``parse`` (named ``OPTION NAME`` in its refusal); ``form`` and ``was`` word the refusals."""
    out: dict[str, Any] = {}
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise _refuse(option, f"erwartet {form}, erhalten „{part.strip()[:40]}“")
        if name in out:
            raise _refuse(option, f"{was}{name} ist doppelt angegeben")
        out[name] = parse(value, f"{option} {name}")
    return out


def summen(specs: Iterable[str] | None, option: str = "--summe",
           spalte: Callable[[str], str] = str) -> dict[str, int] | None:
    """``["flueag=120000"]`` → {"flueag_bestand": 120000}: Land totals of persons per stock column,
    each a whole number ≥ 0 (:func:`ganzzahl`); ``spalte`` maps a system's id to its column, and a
    column named twice (also once by id and once by name) is refused."""
    if not specs:
        return None
    out: dict[str, int] = {}
    for name, value in paare(specs, option, ganzzahl, "SPALTE=N", "die Spalte ").items():
        column = spalte(name)
        if column in out:
            raise _refuse(option, f"die Spalte {column} ist doppelt angegeben")
        out[column] = value
    return out


def pruefe_stroeme(streams: dict[str, Any] | None, bekannt: Iterable[str], option: str = "--zugaenge") -> None:
    """Refuse arrival streams that no chosen model receives (they would be silently ignored)."""
    known = sorted(set(bekannt) - {"alle"})  # "alle" is a system's share of flueag + wsa, not a stream
    unknown = [n for n in (streams or {}) if n not in known]
    if unknown:
        raise _refuse(option, f"kein gewähltes Modell erhält den Zugangsstrom {', '.join(unknown)}; "
                      f"Ströme der gewählten Modelle: {' oder '.join(known) or 'keine'}")


def cli(check: Callable[..., Any], option: str, **kwargs: Any) -> Callable[[str], Any]:
    """A typer ``parser=`` for ``option`` that runs ``check``; a refusal is a German usage error
    ("Fehler: Ungültiger Wert für --personen: „1.000“ ist mehrdeutig …", exit 2)."""

    def parse(text: str) -> Any:
        try:  # typer's own copy of click where it has one (as cli_deutsch), else click
            from typer._click.exceptions import BadParameter
        except ImportError:  # pragma: no cover - depends on the installed typer
            from click.exceptions import BadParameter  # type: ignore[assignment]

        try:
            return check(text, option, **kwargs)
        except InputError as exc:  # told like typer's own usage errors: reason, usage line, help hint
            raise BadParameter(exc.problems[0].reason) from None

    parse.__name__ = f"parse_{option.strip('-').replace('-', '_')}"
    return parse


def pydantic_check(check: Callable[..., Any], feld: str, **kwargs: Any) -> Callable[[Any], Any]:
    """The same check for a web API field (pydantic ``BeforeValidator``): a refusal becomes the
    field's German validation message."""

    def validate(value: Any) -> Any:
        try:
            return check(value, feld, **kwargs)
        except InputError as exc:
            raise ValueError(exc.problems[0].reason) from None

    return validate
