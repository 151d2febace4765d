"""German presentation of numbers, dates and tables, and the German Excel CSV.

Everything a person reads goes through here so that one screen never mixes ``1,079`` and ``1.079``:
integers ``1.079``, decimals ``2.169,19``, percent ``94,65 %``, dates ``01.01.2024``, periods
``Mai 2024``, changes ``+17`` / ``−36``. Babel supplies the German (de_DE, CLDR) separators and
month names; it is imported on first use because loading its locale data costs about 40 ms, which
``verteilung --help`` must not pay.

Rounding is commercial rounding (``ROUND_HALF_UP``: halves away from zero) applied to the shortest
decimal form of a float, i.e. to the digits JSON shows: 2169.185 -> ``2.169,19``. That is what an
officer does by hand and what Excel shows; Babel's own default (half-even on the binary value) would
print ``2.169,18`` and Python's ``round`` likewise, so neither is used for display.

Machine formats stay machine formats: JSON and the machine CSV are written elsewhere with ``.``
decimals; :func:`excel_csv_bytes` is the file for German Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import numbers
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from verteilung.vocab import Column, Kind, column, label, labels, system_label

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

LOCALE = "de_DE"
MINUS = "\u2212"
"""The one minus sign of text a person reads (terminal, HTML, sentences, text cells): every negative
number shown as text, a signed change (``−36``) or a plain value (``−0,58``), is written with the
typographic minus. Numbers a program or a spreadsheet reads back as numbers (JSON, the machine CSV,
Parquet, the German Excel CSV's cells, XLSX number cells) keep ASCII ``-``, because Excel does not
read ``−`` as a sign; :func:`parse_number` accepts both."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection: cells Excel would run as formulas
YES, NO = "ja", "nein"


@cache
def _locale() -> Any:
    from babel import Locale

    return Locale.parse(LOCALE)


@cache
def _pattern(places: int, grouping: bool = True) -> Any:
    """Babel's number pattern: the reference that `_apply` reproduces (checked by the tests)."""
    from babel.numbers import parse_pattern

    frac = "." + "0" * places if places else ""
    return parse_pattern(("#,##0" if grouping else "0") + frac)


def to_decimal(value: Any, places: int) -> Decimal | None:
    """``value`` rounded half up to ``places`` decimals; None for missing, NaN or infinite values."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, numbers.Integral):
        d = Decimal(int(value))
    else:
        try:
            f = float(value)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(f):
            return None
        d = Decimal(repr(f))
    if not d.is_finite():
        return None
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(q) if q == 0 else q  # never "-0,00"


_DE_SEPARATORS = str.maketrans(",.", ".,")


def _apply(d: Decimal, places: int, grouping: bool = True) -> str:
    """``d`` (already rounded to ``places``) with the German separators of Babel's de_DE pattern
    ``#,##0.00``: Python's exact Decimal formatting with the two separators swapped, byte for byte
    what the pattern gives (tests/test_deutsch.py, tests/test_app_last.py) and ten times faster;
    the reasons texts of a blocked Gemeinde are formatted by the ten thousand at 11,000 Gemeinden."""
    return _minus(format(d, f"{',' if grouping else ''}.{places}f").translate(_DE_SEPARATORS))


def _apply_babel(d: Decimal, places: int, grouping: bool = True) -> str:
    """The reference `_apply` is held to: Babel's CLDR pattern for de_DE."""
    return _minus(_pattern(places, grouping).apply(d, _locale()))


def _minus(text: str) -> str:
    """Babel's ASCII ``-`` as the typographic minus (`MINUS`); a rounded zero has no sign."""
    if not text.startswith("-"):
        return text
    return text[1:] if not text.strip("-0,.\u00a0 ") else MINUS + text[1:]


def fmt_dec(value: Any, places: int = 2) -> str:
    """A decimal with exactly ``places`` decimals: 2169.185 -> ``2.169,19``; missing -> ``""``."""
    d = to_decimal(value, places)
    return "" if d is None else _apply(d, places)


def fmt_int(value: Any) -> str:
    """Persons and counts: 1079 -> ``1.079`` (floats are rounded half up)."""
    return fmt_dec(value, 0)


def fmt_pct(value: Any, places: int = 2) -> str:
    """A value already in percent units: 94.6512 -> ``94,65 %`` (plain space, as written in GLOSSAR.md)."""
    text = fmt_dec(value, places)
    return f"{text} %" if text else ""


def fmt_fraction(value: Any, places: int = 2) -> str:
    """A fraction 0..1 as percent: 0.125 -> ``12,50 %``."""
    d = to_decimal(value, places + 6)
    return "" if d is None else fmt_pct(d * 100, places)


def fmt_share(value: Any, places: int = 8) -> str:
    """A key share: 0.0123456789 -> ``0,01234568``."""
    return fmt_dec(value, places)


def fmt_signed(value: Any, places: int = 0) -> str:
    """A change with its sign: 17 -> ``+17``, -36 -> ``−36``, 0 -> ``0``."""
    d = to_decimal(value, places)
    if d is None:
        return ""
    text = _apply(abs(d), places)
    return f"+{text}" if d > 0 else f"{MINUS}{text}" if d < 0 else text


def _to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value) if "T" in value or " " in value else dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def fmt_date(value: Any) -> str:
    """A date: 2024-01-01 -> ``01.01.2024``; text that is no ISO date is returned unchanged."""
    d = _to_date(value)
    if d is None:
        return "" if value is None else str(value)
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"  # Babel's dd.MM.yyyy without loading its locale data


def _fmt_date_babel(d: dt.date) -> str:
    """The reference `fmt_date` is held to (tests/test_deutsch.py)."""
    from babel.dates import format_date

    return format_date(d, "dd.MM.yyyy", locale=_locale())


def fmt_datetime(value: Any) -> str:
    """A timestamp: 2026-11-29T19:51:50 -> ``29.11.2026 19:51:50`` (shown as stored, no zone conversion)."""
    d = _to_date(value)
    if not isinstance(d, dt.datetime):
        return fmt_date(value)
    return f"{fmt_date(d)} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"  # as stored: no zone conversion


def _fmt_datetime_babel(d: dt.datetime) -> str:
    """The reference `fmt_datetime` is held to (tests/test_deutsch.py)."""
    from babel.dates import format_datetime

    return format_datetime(d, "dd.MM.yyyy HH:mm:ss", locale=_locale())


def fmt_period(value: Any) -> str:
    """A period: ``2024-05`` (options, file names) -> ``Mai 2024`` (text)."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(f"{value}-01") if len(value) == 7 else dt.date.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.date):
        return "" if value is None else str(value)
    from babel.dates import format_date

    return format_date(value, "MMMM yyyy", locale=_locale())


def fmt_number(value: Any, places: int = 2) -> str:
    """Any number in running text (explain, log lines): integers grouped, floats with ``places`` decimals."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, numbers.Integral):
        return fmt_int(value)
    return fmt_dec(value, places)


def fmt_exact(value: Any) -> str:
    """A number with all the digits it has, German separators: 0.035 -> ``0,035``, 1079 -> ``1.079``.

    For values whose precision is their meaning (legal parameters in a text column), where fixed
    decimals would round 0.035 to 0,04.
    """
    if isinstance(value, bool):
        return YES if value else NO
    d = to_decimal(value, 0) if isinstance(value, numbers.Integral) else None
    if d is None:
        if _missing(value) or not isinstance(value, numbers.Real | Decimal):
            return ""
        f = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        if not f.is_finite():
            return ""
        d = f
    from babel.numbers import format_decimal

    return _minus(format_decimal(d, format="#,##0.###", locale=_locale(), decimal_quantization=False))


def fmt_gewichte(gewichte: Any) -> str:
    """Weights of a key in words and German percent: ``80 % Einwohner, 10 % Fläche, 10 % Arbeitslose``.

    Weights are normalised to 100 % and shown with at most one decimal (``35,7 %``), labels from the
    vocabulary, so a model title never shows ``arbeitslose=0.357143``.
    """
    from verteilung.vocab import label

    items = [(str(k), float(v)) for k, v in dict(gewichte).items()]
    total = sum(v for _, v in items) or 1.0
    parts = []
    for k, v in items:
        pct = fmt_dec(100 * v / total, 1)
        parts.append(f"{pct[:-2] if pct.endswith(',0') else pct} % {_weight_label(k, label)}")
    return ", ".join(parts)


def _weight_label(column: str, label: Any) -> str:
    text = label(column)
    return "Fläche" if column in ("flaeche", "flaeche_km2") else ("Arbeitslose" if column == "arbeitslose" else text)


def parse_number(text: str) -> Decimal:
    """German text back to a number (``2.169,19`` -> 2169.19), via Babel; ``−`` and ``%`` are accepted."""
    from babel.numbers import parse_decimal

    cleaned = text.replace(MINUS, "-").replace("%", "").replace("\u00a0", " ").strip()
    return parse_decimal(cleaned, locale=_locale())


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, int | str | Decimal):
        return False
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, list | tuple | dict) else False
    except (TypeError, ValueError):
        return False


def fmt_value(value: Any, col: Column) -> str:
    """One cell as text for its column kind."""
    if _missing(value):
        return ""
    kind, places = col.kind, col.places
    if kind is Kind.TEXT:  # numbers in a text column (a parameter's value) keep all digits, German style
        return fmt_exact(value) if isinstance(value, numbers.Number) else str(value)
    if kind is Kind.FLAG:
        return YES if bool(value) else NO
    if kind is Kind.DATE:
        return fmt_date(value)
    if kind is Kind.DATETIME:
        return fmt_datetime(value)
    if isinstance(value, str):  # text where a number was expected: show it as it is, never guess
        return value
    if kind is Kind.NUMBER:
        d = to_decimal(value, 0)
        return "" if d is None else _apply(d, 0, grouping=False)
    if kind is Kind.FRACTION:
        d = to_decimal(value, places + 6)
        value = None if d is None else d * 100
    text = fmt_signed(value, places) if col.signed else fmt_dec(value, places)
    return f"{text} %" if text and kind in (Kind.PERCENT, Kind.FRACTION) else text


def column_for(name: str, series: pd.Series | None = None) -> Column:
    """The vocabulary's column, or one guessed from the dtype for a name the vocabulary lacks."""
    col = column(name)
    if col is not None:
        return col
    if series is not None:
        import pandas as pd

        if pd.api.types.is_bool_dtype(series):
            return Column(name, Kind.FLAG)
        if pd.api.types.is_integer_dtype(series):
            return Column(name, Kind.INTEGER)
        if pd.api.types.is_float_dtype(series):
            return Column(name, Kind.DECIMAL)
    return Column(name, Kind.TEXT)


def _value_labels(name: str, value: Any) -> Any:
    """Identifiers inside cells that a person should read in German too (system names, metric names)."""
    if isinstance(value, str):
        if name == "system":
            return system_label(value, short=True)
        if name == "kennzahl":
            return label(value)
    return value


def present(df: pd.DataFrame) -> pd.DataFrame:
    """The table as a person reads it: German labels as headers, every cell German-formatted text.

    For terminal and HTML. Rename today's ambiguous columns first (``vocab.RENAMES``); two columns
    with one label are refused rather than shown ambiguously.
    """
    import pandas as pd

    heads = labels(df.columns)
    out = {}
    for name, head in zip(df.columns, heads, strict=True):
        col = column_for(str(name), df[name])
        out[head] = _text_column(str(name), df[name].tolist(), col)
    return pd.DataFrame(out, index=range(len(df)), dtype=object)


def _text_column(name: str, values: list, col: Column) -> list[str]:
    """Format a column, each distinct value once (counts and zeros repeat a lot in real tables)."""
    memo: dict[Any, str] = {}
    out = []
    for v in values:
        key = (type(v), v)  # 1, 1.0 and True are equal as keys but shown differently
        try:
            text = memo[key]
        except KeyError:
            text = memo[key] = fmt_value(_value_labels(name, v), col)
        except TypeError:  # unhashable cell
            text = fmt_value(v, col)
        out.append(text)
    return out


TERMINAL_FEST = ("ags", "ags_fest", "haushalt_id", "modell", "periode")
"""Columns whose cells never fold on a terminal (an AGS or a model name cut in two is misread)."""
TERMINAL_BEHALTEN = ("ags", "gemeinde", "modell", "system", "periode")
"""Columns a narrow terminal keeps while it drops others (they say what a row is)."""
TERMINAL_ZUERST_WEG = ("kreis", "regierungsbezirk", "gemeinde_typ", "kreis_ags", "anrechnung", "verrechnung",
                       "schluessel_roh", "anteil_einwohner", "anteil_flaeche", "anteil_arbeitslose",
                       "flaeche_km2", "schluessel")
"""Columns a narrow terminal leaves out first (context, not the result), in this order; then the
rightmost of the others (a table's columns stand in order of importance)."""


def columns_to_drop(floors: list[int], width: int, keep: set[int], first: list[int] = ()) -> list[int]:
    """The columns (indexes) to leave out so that columns of at least ``floors`` characters, with
    rich's borders (3 per column and 1), fit ``width``: ``first`` in its order, then the rightmost
    not in ``keep``."""
    dropped: list[int] = []
    order = [*first, *(i for i in reversed(range(len(floors))) if i not in first)]
    for i in order:
        if sum(f for j, f in enumerate(floors) if j not in dropped) + 3 * (len(floors) - len(dropped)) + 1 <= width:
            break
        if i not in keep:
            dropped.append(i)
    return sorted(dropped)


def rich_table(df: pd.DataFrame, title: str = "", max_rows: int | None = None, width: int | None = None,
               dropped: list[str] | None = None) -> Table:
    """A rich table with German headers and numbers, numeric columns right-aligned.

    Numeric columns are as wide as their widest value and their header's longest word
    (``Aufnahmeverpflichtung``, ``5.134,73``), so headers break between words; where the terminal
    ``width`` is too small for that, the widest are narrowed first and text columns wrap. A number,
    an AGS or a model name is never broken: where even that does not fit, the rightmost columns
    (after AGS, Gemeinde, Modell) are left out and their headers appended to ``dropped``.
    """
    from rich.table import Table

    shown = df if max_rows is None else df.head(max_rows)
    table = Table(title=title or None, title_justify="left")
    cols = [column_for(str(c), df[c]) for c in df.columns]
    fest = [str(c) in TERMINAL_FEST for c in df.columns]
    text = present(shown)
    need, floor = [], []
    for head, col, whole in zip(text.columns, cols, fest, strict=True):
        words = max((len(w) for w in head.split()), default=1)
        if col.numeric or whole:  # a number (an AGS, a model name) never folds: at least its widest value
            values = max((len(v) for v in text[head]), default=1)
        else:  # text wraps between words, never inside one (up to 20 characters)
            values = min(20, max((len(w) for v in text[head] for w in v.split()), default=1))
        floor.append(max(values, min(words, 20)))
        need.append(max(words, values))
    if width is not None:
        names = [str(c) for c in df.columns]
        keep = {i for i, c in enumerate(names) if c in TERMINAL_BEHALTEN}
        first = [names.index(c) for c in TERMINAL_ZUERST_WEG if c in names]
        out = columns_to_drop(floor, width, keep, first)
        if out:
            if dropped is not None:
                dropped.extend(text.columns[i] for i in out)
            rest = [i for i in range(len(floor)) if i not in out]
            text = text.iloc[:, rest]
            cols, fest = [cols[i] for i in rest], [fest[i] for i in rest]
            need, floor = [need[i] for i in rest], [floor[i] for i in rest]
    fixed = True
    if width is not None:  # narrow the widest (header words first) until the table fits; 3 per column for borders
        while sum(need) + 3 * len(need) + 1 > width:
            room = [n - f for n, f in zip(need, floor, strict=True)]
            if max(room, default=0) <= 0:
                fixed = False  # too narrow even for the key columns: rich folds every column evenly
                break
            widest = max(range(len(need)), key=lambda i: (room[i] > 0, need[i]))
            need[widest] -= 1
    for head, col, whole, least in zip(text.columns, cols, fest, need, strict=True):
        # numeric columns get their width fixed, so a narrow terminal narrows the text columns first
        table.add_column(head, justify="right" if col.numeric else "left", overflow="fold",
                         width=least if (col.numeric or whole) and fixed else None, no_wrap=whole and fixed)
    for row in text.itertuples(index=False):
        table.add_row(*row)
    return table


def html_cells(df: pd.DataFrame) -> dict:
    """Head and cells for ``templates/tabelle.html.j2``: German text to show, the raw value to sort by."""
    text = present(df)
    rows = []
    for raw, shown in zip(df.itertuples(index=False), text.itertuples(index=False), strict=True):
        cells = []
        for v, s in zip(raw, shown, strict=True):
            sortable = None if _missing(v) or isinstance(v, bool) else v
            if isinstance(sortable, numbers.Real | Decimal):
                sortable = float(sortable) if not isinstance(sortable, numbers.Integral) else int(sortable)
            else:
                sortable = str(s)
            cells.append({"text": s, "sort": sortable})
        rows.append(cells)
    return {"head": list(text.columns), "rows": rows}


# --- German Excel CSV ------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """OWASP CSV-injection rule: text Excel would read as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_number(value: Any) -> str:
    """Full precision, decimal comma, no grouping, no exponent: what German Excel reads as the same number."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",") if value.is_finite() else ""
    f = float(value)
    if not math.isfinite(f):
        return ""
    import numpy as np

    return np.format_float_positional(f, unique=True, trim="-").replace(".", ",")


def _csv_cell(value: Any, col: Column) -> str:
    if _missing(value):
        return ""
    if isinstance(value, bool) or (col.kind is Kind.FLAG and isinstance(value, numbers.Number)):
        return YES if bool(value) else NO
    if isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool):
        return _csv_number(value)
    if col.kind is Kind.DATE and _to_date(value) is not None:
        return fmt_date(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def excel_csv_bytes(df: pd.DataFrame, note: str | None = None) -> bytes:
    """A CSV that German Excel opens by double-click as proper columns and numbers.

    ``;`` separator, decimal comma, numbers at full precision without thousands separators (so they
    read back exactly: ``pd.read_csv(f, sep=";", decimal=",")``), UTF-8 with BOM (Excel's cue for
    UTF-8), CRLF line ends, German headers from the vocabulary, booleans ``ja``/``nein``, text cells
    neutralised against formula injection (numbers, including negative ones, stay numbers). An optional
    ``note`` (e.g. the SYNTHETISCH marker) becomes a first line above the header.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if note:
        # one cell, unquoted: the label reads the same in a text editor and in Excel
        writer.writerow([neutralise(note.replace(";", ",").replace('"', "'"))])
    writer.writerow([neutralise(h) for h in labels(df.columns)])
    writer.writerows(zip(*(_csv_column(df[c], column_for(str(c), df[c])) for c in df.columns), strict=True))
    return buf.getvalue().encode("utf-8-sig")


def _csv_column(series: pd.Series, col: Column) -> list[str]:
    """One column's cells; whole-column paths for the plain dtypes (a 2,000-row table is 45,000 cells)."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(series) and not series.hasnans:
        return [YES if v else NO for v in series.tolist()]
    if pd.api.types.is_integer_dtype(series) and not series.hasnans and col.kind is not Kind.FLAG:
        return [str(v) for v in series.tolist()]
    if pd.api.types.is_float_dtype(series) and col.kind is not Kind.FLAG:
        fmt = np.format_float_positional
        return ["" if not math.isfinite(v) else fmt(v, unique=True, trim="-").replace(".", ",")
                for v in series.astype(float).tolist()]
    return [_csv_cell(v, col) for v in series.tolist()]
