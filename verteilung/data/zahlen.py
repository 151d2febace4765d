"""The number grammar of every numeric input cell (docs/eingaben.md, README "Input formats").

One function, :func:`parse_zahl`, reads every numeric column of every input file (stock,
Gemeinde, households, constraints). A cell is read as a person reads it or refused; it is never
silently reinterpreted:

- Text cells are read under the file's *Schreibweise*: ``"de"`` for semicolon CSV files (the
  German Excel export: ``.`` only as thousands separator, ``,`` as decimal comma) and ``"offen"``
  for comma CSV files and text cells of XLSX files (no convention: both readings of ``.`` and
  ``,`` are considered). A cell with two different readings is refused naming both.
- Thousands separators (``.``, ``,``, space, no-break space, narrow no-break space) stand
  between groups of exactly three digits; the first group has one to three digits and does not
  start with 0; one kind per number.
- Signs, exponents (``1e30``), ``NaN``/``inf``, letters and more than :data:`MAX_ZIFFERN` digits
  are refused. Counts (``ganz=True``) must be whole: ``4000,0`` is 4000, ``2,5`` is refused.
- Numeric XLSX cells are taken as numbers: 4000 and 4000.0 are 4000, 4000.5 is refused for a
  count; a boolean or a date where a number is expected is refused.
- Every value is checked against an upper bound before it becomes an int64, so no input can
  overflow (values ≥ 2^63 used to wrap to −9.2e18).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Schreibweise = Literal["de", "offen"]

MAX_ZIFFERN = 15
"""At most this many digits per count, and per integer part (float64 holds them exactly; int64 with room)."""

MAX_ZIFFERN_DEZIMAL = 17
"""At most this many significant digits in a decimal: the shortest text of any float64 has at most
17, so every decimal the tool writes (JSON, machine CSV) reads back unchanged."""

PERSONEN_MAX = 10_000_000
"""Upper bound for any count of persons in one input: arrivals per period (``--personen``),
the sum of a household file, ``max_zuweisung``/``min_zuweisung``, a Gemeinde's population."""

HAUSHALT_MAX = 50
"""Persons in one household (the largest families allocated are far smaller)."""

FLAECHE_MAX_KM2 = 100_000.0
"""Area of one Gemeinde in km² (NRW as a whole has 34,112 km²)."""

_SPACES = ("\u00a0", "\u202f", "\u2007")
_SEPARATORS = {".": "Punkt", ",": "Komma", " ": "Leerzeichen"}
_SIGNS = "+-\u2212\u2013"
_CHARS = re.compile(r"^[0-9., ]+$")


class Zahlfehler(ValueError):
    """A cell that is not a number under the grammar; the message is German, without location.

    ``nicht_ganz`` marks a count with a fractional part (e.g. 3,9999999999999996 from a formula), so
    the reader can add the cell and the hint to round it in the spreadsheet."""

    def __init__(self, message: str, *, nicht_ganz: bool = False):
        super().__init__(message)
        self.nicht_ganz = nicht_ganz


def _nicht_ganz(shown: str) -> Zahlfehler:
    return Zahlfehler(f"{shown} ist keine ganze Zahl; gezählt wird in ganzen Personen bzw. Plätzen",
                      nicht_ganz=True)


@dataclass(frozen=True)
class Lesart:
    """One way to read a cell's separators: its value and how it was read."""

    wert: Decimal
    erklaerung: str


def deutsch(wert: Decimal | int | float) -> str:
    """A number in German notation for messages: 4000 → ``4000``, 4.5 → ``4,5``, 4.0 → ``4,0``."""
    if isinstance(wert, int):
        return str(wert)
    d = Decimal(str(wert)) if isinstance(wert, float) else wert
    if d == d.to_integral_value() and d.as_tuple().exponent >= 0:
        return f"{int(d)}"
    text = format(d.normalize(), "f")
    if "." not in text:
        text += ".0"
    return text.replace(".", ",")


def tausender(n: int | float) -> str:
    """An integer with German thousands points (``12.345``) for messages."""
    return f"{int(n):,}".replace(",", ".")


def _grouped(head: str, groups: list[str]) -> bool:
    return 1 <= len(head) <= 3 and head[0] != "0" and all(len(g) == 3 for g in groups)


def lesarten(text: str, schreibweise: Schreibweise) -> list[Lesart]:
    """Every reading of a digits-and-separators string allowed under ``schreibweise``.

    ``text`` holds only digits, ``.``, ``,`` and single spaces. A separator is read as thousands
    separator (groups of three) or, once and last, as the decimal separator (never a space). In
    ``"de"`` the point is only a thousands separator.
    """
    seps = [c for c in text if not c.isdigit()]
    if not seps:
        return [Lesart(Decimal(text), "")] if text else []
    kinds = list(dict.fromkeys(seps))
    out: list[Lesart] = []
    # all separators are thousands separators of one kind
    if len(kinds) == 1:
        parts = text.split(kinds[0])
        if _grouped(parts[0], parts[1:]):
            out.append(Lesart(Decimal("".join(parts)), f"Tausender{_SEPARATORS[kinds[0]].lower()}"
                              if kinds[0] != " " else "Leerzeichen als Tausendertrennzeichen"))
    # the last separator is the decimal separator, any others are thousands separators of one kind
    dec = seps[-1]
    if dec != " " and seps.count(dec) == 1 and not (schreibweise == "de" and dec == "."):
        head, frac = text.rsplit(dec, 1)
        others = [c for c in head if not c.isdigit()]
        ok = bool(head) and bool(frac) and frac.isdigit()
        if ok and others:
            tk = others[0]
            parts = head.split(tk)
            ok = all(c == tk for c in others) and tk != dec and _grouped(parts[0], parts[1:])
            head = "".join(parts)
        if ok and head.isdigit():
            out.append(Lesart(Decimal(f"{head}.{frac}"), f"Dezimal{_SEPARATORS[dec].lower()}"))
    return out


def parse_text(cell: str, *, ganz: bool, schreibweise: Schreibweise, max_wert: float | None = None) -> Decimal:
    """Read one text cell to an exact Decimal, or raise :class:`Zahlfehler`.

    In a decimal column (coordinates, area, unemployment) a reading above ``max_wert`` is impossible
    (a longitude of 8362°), so the other is taken: "8.362" there is 8,362. Counts stay strict: a
    stock "278.000" is refused, the bound of a count is plausibility, not impossibility.
    """
    text = cell.strip()
    for sp in _SPACES:
        text = text.replace(sp, " ")
    text = text.strip()
    if not text:
        raise Zahlfehler("ist leer")
    shown = f"„{cell.strip()}“"
    if text[0] in _SIGNS:
        if text[0] == "+":
            raise Zahlfehler(f"{shown}: Vorzeichen sind nicht erlaubt; bitte die Zahl ohne + schreiben")
        raise Zahlfehler(f"{shown} ist negativ; hier sind nur Zahlen ab 0 erlaubt")
    low = text.lower()
    if low in ("nan", "inf", "infinity", "∞", "na", "n/a", "#nv", "#n/a", "none", "null"):
        raise Zahlfehler(f"{shown} ist keine Zahl")
    if re.fullmatch(r"[0-9.,]+e[+-]?[0-9]+", low):
        raise Zahlfehler(f"{shown} ist in Exponentenschreibweise; bitte ausgeschrieben ohne Exponent "
                         "angeben")
    if not _CHARS.match(text) or "  " in text:
        raise Zahlfehler(f"{shown} ist keine Zahl")
    digits = sum(c.isdigit() for c in text)
    if digits > MAX_ZIFFERN and ganz:
        # a count written with a long fraction (3,9999999999999996): not whole, whatever its length
        for dec in ("," if schreibweise == "de" else ",."):
            head, sep, frac = text.rpartition(dec)
            if sep and frac.isdigit() and frac.strip("0") and sum(c.isdigit() for c in head) <= MAX_ZIFFERN \
                    and not any(c in frac for c in ".,"):
                raise _nicht_ganz(shown)
    most = MAX_ZIFFERN if ganz else MAX_ZIFFERN_DEZIMAL
    if not ganz:  # a decimal's precision is its significant digits: 0.0347… has 16, not 18
        digits = len("".join(c for c in text if c.isdigit()).lstrip("0"))
    if digits > most:
        raise Zahlfehler(f"{shown} hat {digits} Ziffern; erlaubt sind höchstens {most}")
    readings = lesarten(text, schreibweise)
    if not ganz and max_wert is not None and math.isfinite(max_wert) and len({r.wert for r in readings}) > 1:
        possible = [r for r in readings if r.wert <= Decimal(repr(float(max_wert)))]
        readings = possible or readings
    if not readings:
        hint = ("Tausendertrennzeichen stehen zwischen Dreiergruppen"
                + ("; in ;-getrennten Dateien ist der Punkt nur Tausendertrennzeichen, das Komma "
                   "das Dezimalzeichen" if schreibweise == "de" else ""))
        raise Zahlfehler(f"{shown} ist keine gültige Zahl ({hint})")
    values = {r.wert for r in readings}
    if len(values) > 1:
        first, second = readings[0], readings[1]
        raise Zahlfehler(f"{shown} ist mehrdeutig: {deutsch(first.wert)} ({first.erklaerung}) oder "
                         f"{deutsch(second.wert)} ({second.erklaerung}); bitte ohne Trennzeichen "
                         "schreiben")
    value = readings[0].wert
    if ganz and value != value.to_integral_value():
        raise _nicht_ganz(shown)
    return value


def parse_zahl(cell: object, *, ganz: bool, schreibweise: Schreibweise = "offen",
               max_wert: float | None = None, max_grund: str = "", positiv: bool = False
               ) -> int | float:
    """Read one cell (text, or a native XLSX value) as a count (``ganz``) or a decimal.

    Returns an ``int`` for counts (already range-checked, safe for int64) and a ``float`` for
    decimals. ``max_wert`` is the plausibility bound (``max_grund`` says what it is, for the
    message); ``positiv`` refuses 0.
    """
    if isinstance(cell, str) and cell.isascii() and cell.isdigit() and len(cell) <= MAX_ZIFFERN:
        n = int(cell)  # the common case: plain digits (same result as the full grammar, faster)
        if (positiv and n == 0) or (max_wert is not None and math.isfinite(max_wert) and n > max_wert):
            return parse_zahl(f" {cell}", ganz=ganz, schreibweise=schreibweise, max_wert=max_wert,
                              max_grund=max_grund, positiv=positiv)
        return n if ganz else float(n)
    if cell is None:
        raise Zahlfehler("ist leer")
    if isinstance(cell, bool):
        raise Zahlfehler(f"„{'WAHR' if cell else 'FALSCH'}“ ist ein Wahrheitswert, keine Zahl")
    if isinstance(cell, dt.date | dt.datetime | dt.time):
        raise Zahlfehler(f"„{cell}“ ist ein Datum, keine Zahl (hat die Tabellenkalkulation die "
                         "Eingabe als Datum gelesen? Zelle als Zahl formatieren)")
    if isinstance(cell, int):
        value: Decimal = Decimal(cell)
        shown = str(cell)
    elif isinstance(cell, float):
        if not math.isfinite(cell):
            raise Zahlfehler(f"„{cell}“ ist keine endliche Zahl")
        value = Decimal(repr(cell))
        shown = deutsch(cell)
        if ganz and not cell.is_integer():
            raise _nicht_ganz(f"„{shown}“")
    elif isinstance(cell, str):
        value = parse_text(cell, ganz=ganz, schreibweise=schreibweise, max_wert=max_wert)
        shown = cell.strip()
    else:
        raise Zahlfehler(f"„{cell}“ ist keine Zahl")
    if value < 0:
        raise Zahlfehler(f"„{shown}“ ist negativ; hier sind nur Zahlen ab 0 erlaubt")
    if positiv and value == 0:
        raise Zahlfehler("muss größer als 0 sein")
    if value.adjusted() + 1 > MAX_ZIFFERN:
        raise Zahlfehler(f"„{shown}“ ist zu groß (mehr als {MAX_ZIFFERN} Stellen)")
    if max_wert is not None and math.isfinite(max_wert) and value > Decimal(repr(float(max_wert))):
        bound = tausender(max_wert) if float(max_wert).is_integer() else deutsch(float(max_wert))
        raise Zahlfehler(f"„{shown}“ ist größer als {max_grund or 'die Obergrenze'} ({bound}); "
                         "unplausibel")
    return int(value) if ganz else float(value)


def pruefe_personen(n: object, quelle: str) -> int:
    """Range check of a count of persons given as an option or config value (``--personen``):
    `verteilung.optionen.personen`, the one check the CLI, the web API and run.toml share."""
    from verteilung.optionen import personen

    return personen(n, quelle)


def config_datum(value: object) -> dt.date | None:
    """A date in a config file (TOML date or the text JJJJ-MM-TT), as pydantic ``before`` validator.

    TOML date-times are refused rather than cut to their date: a Stichtag is a day.
    """
    if isinstance(value, dt.datetime):
        raise ValueError("erwartet ein Datum JJJJ-MM-TT, z. B. 2024-01-01")
    if isinstance(value, dt.date) or value is None:
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("erwartet ein Datum JJJJ-MM-TT, z. B. 2024-01-01")
