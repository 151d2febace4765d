"""Option values outside their meaning are refused with exit 2 and one German line (issue 20),
through the real CLI; nothing is written. The checks live in `verteilung.optionen`, shared with
the web API (tests/test_app_grenzen.py) and run.toml."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verteilung import optionen
from verteilung.errors import InputError

STOCK = "inputs/nrw/szenario/bestand_synthetisch_2024.csv"


def refused(cli, tmp_path, *args: str) -> str:
    out = tmp_path / "ergebnis"
    r = cli(*args, "--out", str(out))
    assert r.code == 2, (args, r.code, r.stdout, r.stderr)
    assert not out.exists()
    lines = r.stderr.splitlines()
    assert lines[0].startswith("Fehler: ") and "interner Fehler" not in r.stderr and "Traceback" not in r.stderr
    assert len(lines) == 1 or (len(lines) == 3 and lines[1].startswith("Aufruf: ")), r.stderr  # usage errors
    return lines[0]


ALLOCATE = ("allocate", "--system", "flueag", "--bestand", STOCK)


@pytest.mark.parametrize("extra,needle", [
    (("--personen", "1.000"),
     "Ungültiger Wert für --personen: „1.000“ ist mehrdeutig (1 oder 1000); bitte ohne Trennzeichen"),
    (("--personen", "1,000"), "„1,000“ ist mehrdeutig"),
    (("--personen", "-5"), "„-5“ ist negativ"),
    (("--personen", "2,5"), "„2,5“ ist keine ganze Zahl"),
    (("--personen", "nan"), "„nan“ ist keine Zahl"),
    (("--personen", "inf"), "„inf“ ist keine Zahl"),
    (("--personen", "20000000"), "20.000.000 ist mehr als die Obergrenze je Zeitraum (10.000.000)"),
    (("--personen", "10", "--jahr", "2024.0"), "Ungültiger Wert für --jahr: „2024.0“ ist keine ganze Zahl"),
    (("--personen", "10", "--jahr", "2019"), "keine Bevölkerungsdaten für das Schlüsseljahr 2019"),
    (("--personen", "10", "--jahr", "2200"),
     "Ungültiger Wert für --jahr: 2.200 ist mehr als das späteste Schlüsseljahr"),
    (("--personen", "10", "--zeitlimit", "-1"), "Ungültiger Wert für --zeitlimit: „-1“ ist negativ"),
    (("--personen", "10", "--zeitlimit", "0"), "Ungültiger Wert für --zeitlimit: muss größer als 0 sein"),
    (("--personen", "10", "--zeitlimit", "nan"), "Ungültiger Wert für --zeitlimit: „nan“ ist keine Zahl"),
    (("--personen", "10", "--zeitlimit", "inf"), "Ungültiger Wert für --zeitlimit: „inf“ ist keine Zahl"),
])
def test_allocate_refuses_meaningless_options(cli, tmp_path, extra, needle):
    assert needle in refused(cli, tmp_path, *ALLOCATE, *extra)


@pytest.mark.parametrize("extra,needle", [
    (("--gewichte", "ags=1"), "Spalte „ags“ ist keine Zahlenspalte und kann nicht gewichtet werden"),
    (("--gewichte", "gemeinde=1"), "Spalte „gemeinde“ ist keine Zahlenspalte"),
    (("--gewichte", "Köln=1"), "Spalte „Köln“ gibt es in der Gemeindetabelle nicht"),
    (("--gewichte", "einwohner=-1"), "--gewichte einwohner: „-1“ ist negativ"),
    (("--gewichte", "einwohner=nan"), "--gewichte einwohner: „nan“ ist keine Zahl"),
    (("--gewichte", "einwohner=inf"), "--gewichte einwohner: „inf“ ist keine Zahl"),
    (("--gewichte", "einwohner=0,flaeche=0"), "--gewichte: alle Werte sind 0"),
    (("--zugaenge", "drittes=5"), "kein gewähltes Modell erhält den Zugangsstrom drittes; Ströme der "
                                  "gewählten Modelle: flueag oder wsa"),
    (("--zugaenge", "drittes=1.000"), "--zugaenge drittes: „1.000“ ist mehrdeutig"),
    (("--zugaenge-flueag", "1.260"), "Ungültiger Wert für --zugaenge-flueag: „1.260“ ist mehrdeutig (1 oder 1260)"),
])
def test_compare_refuses_meaningless_options(cli, tmp_path, extra, needle):
    assert needle in refused(cli, tmp_path, "compare", "--modelle", "status-quo", *extra)


def test_simulate_refuses_a_horizon_above_the_stated_bound(cli, tmp_path):
    r = cli("simulate", "--help")
    assert f"Zahl der Monate (1 bis {optionen.MONATE_MAX})" in r.stdout
    line = refused(cli, tmp_path, "simulate", "--monate", "100000")
    bound = optionen.MONATE_MAX
    assert f"Ungültiger Wert für --monate: 100.000 ist mehr als die Obergrenze an Monaten ({bound})" in line
    assert "in Abschnitten" in line
    assert "„0“" not in refused(cli, tmp_path, "simulate", "--monate", "0")


def test_simulate_refuses_an_unknown_stream(cli, tmp_path):
    line = refused(cli, tmp_path, "simulate", "--monate", "2", "--modelle", "status-quo", "--zugaenge", "drittes=5")
    assert "kein gewähltes Modell erhält den Zugangsstrom drittes" in line


@given(st.integers(min_value=0, max_value=optionen.PERSONEN_MAX))
def test_plain_digits_are_read_as_written(n):
    assert optionen.personen(str(n)) == n
    assert optionen.personen(n) == n


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999), st.sampled_from(".,"))
def test_one_separator_before_three_digits_is_always_refused(head, tail, sep):
    with pytest.raises(InputError, match="mehrdeutig"):
        optionen.personen(f"{head}{sep}{tail:03d}")
