"""German presentation: golden texts, properties of the number format, and the German Excel CSV."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from verteilung import vocab
from verteilung.io import deutsch as de
from verteilung.report.output import records, to_csv_bytes

# --- golden texts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (1079, "1.079"), (0, "0"), (999, "999"), (18190422, "18.190.422"), (-1234567, "\u22121.234.567"),
    (np.int64(265885), "265.885"), (2169.5, "2.170"), (2169.49, "2.169"), (None, ""), (float("nan"), ""),
])
def test_fmt_int(value, text):
    assert de.fmt_int(value) == text


@pytest.mark.parametrize(("value", "places", "text"), [
    (2169.185, 2, "2.169,19"),  # half up on the digits shown in JSON (binary value is ...18499...)
    (2169.184999, 2, "2.169,18"), (4805.65, 2, "4.805,65"), (0.005, 2, "0,01"), (-0.005, 2, "\u22120,01"),
    (-0.001, 2, "0,00"), (1e12, 2, "1.000.000.000.000,00"), (np.float64(74.0), 2, "74,00"),
    (Decimal("2.5"), 0, "3"), (float("inf"), 2, ""), (pd.NA, 2, ""), ("x", 2, ""),
])
def test_fmt_dec(value, places, text):
    assert de.fmt_dec(value, places) == text


def test_golden_texts():
    assert de.fmt_pct(94.6512) == "94,65 %"
    assert de.fmt_pct(150.15) == "150,15 %"
    assert de.fmt_pct(None) == ""
    assert de.fmt_fraction(0.125) == "12,50 %"
    assert de.fmt_share(0.0123456789) == "0,01234568"
    assert de.fmt_share(1) == "1,00000000"
    assert de.fmt_signed(17) == "+17"
    assert de.fmt_signed(-36) == "−36"
    assert de.fmt_signed(0) == "0"
    assert de.fmt_signed(-1234.5, 2) == "−1.234,50"
    assert de.fmt_date("2024-01-01") == "01.01.2024"
    assert de.fmt_date(dt.date(2014, 12, 31)) == "31.12.2014"
    assert de.fmt_date("kein Datum") == "kein Datum"
    assert de.fmt_datetime("2026-11-29T19:51:50+01:00") == "29.11.2026 19:51:50"
    assert de.fmt_period("2024-05") == "Mai 2024"
    assert de.fmt_period("2024-03") == "März 2024"
    assert de.fmt_period(dt.date(2016, 1, 1)) == "Januar 2016"
    assert de.fmt_number(265885) == "265.885"
    assert de.fmt_number(2169.19) == "2.169,19"
    assert de.fmt_number(True) == "ja"
    # an explain line as issue 13 quotes it, now German throughout
    line = (f"{de.fmt_number(265885)} / {de.fmt_number(18190422)}; "
            f"Soll = {de.fmt_dec(2169.19)} → {de.fmt_int(2170)}")
    assert line == "265.885 / 18.190.422; Soll = 2.169,19 → 2.170"


def test_fmt_exact_keeps_every_digit():
    assert de.fmt_exact(0.035) == "0,035"
    assert de.fmt_exact(1079) == "1.079"
    assert de.fmt_exact(1234.5678901) == "1.234,5678901"
    assert de.fmt_exact(-0.5) == "\u22120,5"
    assert de.fmt_exact(Decimal("2.50")) == "2,5"
    assert de.fmt_exact(True) == "ja"
    assert de.fmt_exact(float("nan")) == ""


def test_text_columns_with_numbers():
    """A parameter table mixes numbers, flags and text in one column: each shown as it is, German style."""
    p = de.present(pd.DataFrame({"parameter": ["a", "b", "c", "d"], "wert": [True, 1, 0.035, "R1"]}))
    assert list(p["Wert"]) == ["ja", "1", "0,035", "R1"]


def test_babel_supplies_the_symbols():
    """Away from ties our result equals Babel's own de_DE formatting."""
    from babel.numbers import format_decimal

    for v in (0.0, 1.25, 1079.0, 123456.789, -98765.4321):
        assert de.fmt_dec(v, 2) == format_decimal(Decimal(repr(v)).quantize(Decimal("0.01")),
                                                  format="#,##0.00", locale="de_DE").replace("-", de.MINUS)


# --- properties -----------------------------------------------------------------------------------

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(finite, st.integers(min_value=0, max_value=8))
def test_formatting_parses_back_to_the_rounded_value(x, places):
    expected = Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert de.parse_number(de.fmt_dec(x, places)) == expected


@given(finite, st.integers(min_value=0, max_value=8), st.booleans())
def test_fast_separators_equal_babels_de_pattern(x, places, grouping):
    # fmt_* swap the separators of Python's Decimal formatting (issue 25: the Babel pattern was the
    # cost of compare's blocking reasons); Babel's CLDR pattern for de_DE stays the reference
    d = de.to_decimal(x, places)
    assert de._apply(d, places, grouping) == de._apply_babel(d, places, grouping)


@given(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31),
                    timezones=st.one_of(st.none(), st.just(dt.UTC), st.just(dt.timezone(dt.timedelta(hours=2))))))
def test_dates_and_timestamps_equal_babels_de_patterns(when):
    # written without Babel (issue 25: its locale data cost compare ~40 ms); Babel stays the reference
    assert de.fmt_date(when.date()) == de._fmt_date_babel(when.date())
    assert de.fmt_datetime(when) == de._fmt_datetime_babel(when)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_thousands_separator_every_three_digits(n):
    text = de.fmt_int(n)
    assert re.fullmatch(r"\u2212?\d{1,3}(\.\d{3})*", text)
    assert text.replace(".", "").replace(de.MINUS, "-") == str(n)
    assert de.parse_number(de.fmt_signed(n)) == n


@given(finite)
def test_percent_and_decimals(x):
    text = de.fmt_pct(x)
    assert text.endswith(" %")
    whole, _, frac = text[:-2].partition(",")
    assert len(frac) == 2 and re.fullmatch(r"\u2212?\d{1,3}(\.\d{3})*", whole)


# --- tables for terminal and HTML -----------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "ags": ["05111000", "05970040", "05334002"],
        "gemeinde": ["Düsseldorf, Stadt", "=HYPERLINK(\"x\")", "Aachen; \"Stadt\""],
        "system": ["flueag", "awov", "wsa"],
        "einwohner": np.array([631217, 4210, 260454], dtype=np.int64),
        "soll_stichtag": [2169.185, 50.0, 4805.65],
        "erfuellungsquote": [94.6512, 150.15, float("nan")],
        "schluessel": [0.0123456789, 1.5e-9, 0.3],
        "aenderung_zuweisung": np.array([17, -36, 0], dtype=np.int64),
        "aenderung_je_1000": [-0.5, 1.25, -1234.5],
        "ohne_meldung": [True, False, True],
        "neu_unbekannt": [1.5, 2.0, -3.25],
    })


def test_present_german_headers_and_cells():
    p = de.present(_frame())
    assert list(p.columns[:6]) == ["AGS", "Gemeinde", "System", "Einwohner", "Soll (Stichtag)",
                                   "Erfüllungsquote (%)"]
    row = p.iloc[0].to_dict()
    assert row["AGS"] == "05111000"
    assert row["Einwohner"] == "631.217"
    assert row["Soll (Stichtag)"] == "2.169,19"
    assert row["Erfüllungsquote (%)"] == "94,65 %"
    assert row["Schlüssel"] == "0,01234568"
    assert row["Änderung Zuweisung"] == "+17"
    assert row["Änderung je 1.000 Einwohner"] == "−0,5"  # per 1.000: one decimal (vocab precision)
    assert row["ohne Meldung"] == "ja"
    assert row["neu_unbekannt"] == "1,50"  # unknown column: label as is, decimals from the dtype
    assert list(p["System"]) == ["FlüAG", "WSA", "WSA"]
    assert p.iloc[2]["Erfüllungsquote (%)"] == ""
    assert p.iloc[1]["Änderung Zuweisung"] == "−36"


def test_rich_table_prints_german_numbers_only():
    console = Console(record=True, width=250)
    console.print(de.rich_table(_frame(), "Verteilstatistik FlüAG"))
    text = console.export_text()
    assert "631.217" in text and "2.169,19" in text and "94,65 %" in text
    assert "631,217" not in text and "2,169.19" not in text


@pytest.mark.parametrize("width", [90, 120, 160])
def test_rich_table_never_breaks_a_number(width):
    """Narrow terminals fold headers and text; every number stays on one line."""
    frame = pd.DataFrame({"ags": ["05111000", "05958032"], "gemeinde": ["Düsseldorf, Stadt",
                                                                     "Meschede, Kreis- und Hochschulstadt"],
                          "soll_stichtag": [5134.726, 330.33], "aufnahmeverpflichtung": [1624, 0],
                          "erfuellungsquote": [108.22, 63.88], "schluessel": [0.0321322, 0.0018]})
    console = Console(record=True, width=width)
    dropped: list[str] = []
    console.print(de.rich_table(frame, width=width, dropped=dropped))
    text = console.export_text()
    for number, head in (("5.134,73", "Soll"), ("1.624", "Aufnahmeverpflichtung"), ("108,22 %", "Erfüllungsquote (%)"),
                         ("0,03213220", "Schlüssel")):
        assert number in text or head in dropped, (width, number)  # whole, or its column left out and said
    assert "Schlüssel" in dropped if width == 90 else not dropped
    assert max(len(line) for line in text.splitlines()) <= width


def test_html_cells_sort_by_value():
    cells = de.html_cells(_frame())
    assert cells["head"][3] == "Einwohner"
    first = cells["rows"][0]
    assert first[3] == {"text": "631.217", "sort": 631217}
    assert first[4] == {"text": "2.169,19", "sort": 2169.185}
    assert cells["rows"][2][5]["text"] == ""


# --- German Excel CSV -----------------------------------------------------------------------------


# pandas 3 parses floats round-trip by default and deprecates the option; pandas 2 needs it
EXACT = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def _read_excel_csv(data: bytes, dtype: dict | None = None, **kw) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig",
                       dtype={"AGS": str, **(dtype or {})}, true_values=["ja"], false_values=["nein"], **EXACT, **kw)


def test_excel_csv_shape():
    data = de.excel_csv_bytes(_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    head, first = text.split("\r\n")[:2]
    assert head.split(";")[:5] == ["AGS", "Gemeinde", "System", "Einwohner", "Soll (Stichtag)"]
    assert first.startswith("05111000;Düsseldorf, Stadt;flueag;631217;2169,185;94,6512;0,0123456789;17;-0,5;ja")
    assert "1,5e" not in text and "0,0000000015" in text  # no exponent Excel would misread


def test_excel_csv_reads_back_as_the_json_numbers():
    df = _frame()
    back = _read_excel_csv(de.excel_csv_bytes(df)).rename(columns={vocab.label(c): c for c in df.columns})
    rows = json.loads(json.dumps(records(df)))
    machine = pd.read_csv(io.BytesIO(to_csv_bytes(df)), dtype={"ags": str}, **EXACT)
    numeric = ["einwohner", "soll_stichtag", "erfuellungsquote", "schluessel", "aenderung_zuweisung",
               "aenderung_je_1000",
               "neu_unbekannt"]
    for col in numeric:
        for got, want, mach in zip(back[col], (r[col] for r in rows), machine[col], strict=True):
            if want is None:
                assert math.isnan(got) and math.isnan(mach)
            else:
                assert got == want == mach, col
    assert list(back["ags"]) == list(df["ags"])
    assert list(back["ohne_meldung"]) == list(df["ohne_meldung"])
    assert back["gemeinde"][2] == "Aachen; \"Stadt\""


def test_excel_csv_neutralises_formulas_but_not_negative_numbers():
    df = pd.DataFrame({"gemeinde": ["=SUM(A1:A9)", "+49 211", "-Dorf", "@cmd", "\tTab", "\rCR", "Essen", "−36"],
                       "zuweisung": [-36, 5, -1, 0, 2, 3, 4, 1],
                       "soll_stichtag": [-1.5, 2.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]})
    data = de.excel_csv_bytes(df)
    back = _read_excel_csv(data)
    assert list(back["Gemeinde"]) == ["'=SUM(A1:A9)", "'+49 211", "'-Dorf", "'@cmd", "'\tTab", "'\rCR", "Essen", "−36"]
    assert list(back["Zuweisung"]) == [-36, 5, -1, 0, 2, 3, 4, 1]
    assert back["Soll (Stichtag)"][0] == -1.5
    assert pd.api.types.is_integer_dtype(back["Zuweisung"])
    assert b";-36;-1,5" in data


def test_excel_csv_decimal_and_date_cells():
    df = pd.DataFrame({"stichtag": ["2024-01-01"], "wert": [Decimal("2169.185")], "gueltig_ab": [dt.date(2017, 1, 1)]})
    assert de.excel_csv_bytes(df).decode("utf-8-sig").split("\r\n")[1] == "01.01.2024;2169,185;01.01.2017"


def test_excel_csv_note_line():
    data = de.excel_csv_bytes(_frame().head(1), note="SYNTHETISCH: Bestände aus scripts/make_szenario.py")
    assert data.decode("utf-8-sig").startswith("SYNTHETISCH: Bestände")
    assert _read_excel_csv(data, skiprows=1)["Einwohner"][0] == 631217


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(finite, st.integers(min_value=-(10**12), max_value=10**12),
                          st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)),
                min_size=1, max_size=20))
def test_excel_csv_round_trip_property(rows):
    df = pd.DataFrame(rows, columns=["soll_stichtag", "zuweisung", "gemeinde"])
    back = _read_excel_csv(de.excel_csv_bytes(df), keep_default_na=False, dtype={"Gemeinde": str})
    assert list(back["Soll (Stichtag)"]) == list(df["soll_stichtag"])
    assert list(back["Zuweisung"]) == list(df["zuweisung"])
    assert list(back["Gemeinde"]) == [de.neutralise(t) for t in df["gemeinde"]]


def test_one_minus_sign_for_people_ascii_for_machines():
    """Text a person reads writes every negative number with the typographic minus (io.deutsch.MINUS),
    signed or not, and XLSX number formats show the same; what is read back as a number keeps '-'."""
    import pandas as pd

    from verteilung.vocab import column

    assert de.fmt_dec(-0.58, 2) == "\u22120,58" and de.fmt_signed(-0.58, 2) == "\u22120,58"
    assert de.fmt_pct(-2.5) == "\u22122,50 %" and de.fmt_dec(-0.001, 2) == "0,00"  # a rounded zero has no sign
    assert de.parse_number("\u22122.169,19") == de.parse_number("-2.169,19")
    assert column("flaeche_km2").xlsx_format.endswith(';"\u2212"#,##0.00')
    csv = de.excel_csv_bytes(pd.DataFrame({"flaeche_km2": [-0.58]})).decode("utf-8-sig")
    assert "-0,58" in csv and "\u2212" not in csv  # German Excel reads only '-' as a sign
