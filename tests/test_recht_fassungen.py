"""The law as of the Stichtag: citations by version, the key year by date, the 2024 amendment (issue 22)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung import params
from verteilung.errors import InputError
from verteilung.explain import explain_steps, fmt_soll
from verteilung.inputs import prepare
from verteilung.io.deutsch import parse_number
from verteilung.resources import shipped

GELSENKIRCHEN = "05513000"
SCENARIO = shipped("inputs", "nrw", "szenario", "bestand_synthetisch_2024.csv")

# Stichtag -> (key, cap, redistribution sentence of § 3 Abs. 1 FlüAG, version cited, § 24 counting years)
# LEGAL.md § 9.2: the Zehntes ÄndG inserted two sentences on 01.01.2017; § 9.1: 3 → 5 years from the
# amendment of 10.12.2024 (in force the day after promulgation: this project's assumption).
IN_FORCE = {
    "2014-06-01": ("S. 2", "S. 3", "S. 4", "GV. NRW. S. 93", 3),
    "2016-06-01": ("S. 2", "S. 3", "S. 4", "GV. NRW. S. 93", 3),
    "2018-06-01": ("S. 4", "S. 5", "S. 6", "GV. NRW. 2016 S. 1156", 3),
    "2022-06-01": ("S. 4", "S. 5", "S. 6", "GV. NRW. 2016 S. 1156", 3),
    "2024-06-01": ("S. 4", "S. 5", "S. 6", "GV. NRW. 2016 S. 1156", 3),
    "2026-06-01": ("S. 4", "S. 5", "S. 6", "GV. NRW. 2024 S. 1183", 5),
}


@pytest.mark.parametrize("stichtag", sorted(IN_FORCE))
def test_explain_cites_the_sentences_in_force(stichtag):
    key, cap, umverteilung, fassung, jahre = IN_FORCE[stichtag]
    e = explain_steps(prepare(stichtag=stichtag, bestand=SCENARIO, bestand_spalten=("flueag_bestand",)),
                      "flueag", GELSENKIRCHEN)
    by_id = {s.id: s for s in e.schritte}
    assert by_id["anteil_einwohner"].paragraph == f"§ 3 Abs. 1 {key} FlüAG"
    assert by_id["schluessel_roh"].paragraph == f"§ 3 Abs. 1 {key} FlüAG"
    assert fassung in by_id["schluessel_roh"].quelle
    assert by_id["kappungsgrenze"].paragraph == f"§ 3 Abs. 1 {cap} FlüAG"
    assert fassung in by_id["kappungsgrenze"].quelle
    assert by_id["schluessel_nach_kappung"].paragraph.startswith(
        f"§ 3 Abs. 1 {umverteilung} FlüAG")
    assert f"höchstens {jahre} Jahre" in next(t for t, _ in e.zeilen() if t.startswith("Bestand B"))
    text = e.text()
    for leak in ("LEGAL.md", "lexmea", "S. 4-5"):
        assert leak not in text, leak


def test_after_the_2024_amendment_the_stock_rule_names_applicants_and_is_marked_assumed():
    e = explain_steps(prepare(stichtag="2025-03-01", bestand=SCENARIO, bestand_spalten=("flueag_bestand",)),
                      "flueag", GELSENKIRCHEN)
    bestand = next(s for s in e.schritte if s.id == "bestand")
    assert "Antrag" in bestand.formel and bestand.annahme
    assert "GV. NRW. 2024 S. 1183" in bestand.quelle and "(Annahme)" in bestand.quelle
    before = explain_steps(prepare(stichtag="2024-12-20", bestand=SCENARIO, bestand_spalten=("flueag_bestand",)),
                           "flueag", GELSENKIRCHEN)
    assert "Antrag" not in next(s for s in before.schritte if s.id == "bestand").formel


def test_naeherung_of_unemployment_only_where_the_key_uses_it():
    inp = prepare(jahr=2024, bestand=SCENARIO, bestand_spalten=("flueag_bestand", "wsa_bestand"))
    assert any("Arbeitslose" in n for n in inp.naeherungen)  # the shipped 2024 figures are approximated
    flueag = explain_steps(inp, "flueag", GELSENKIRCHEN)
    wsa = explain_steps(inp, "wsa", GELSENKIRCHEN)
    assert not any("Arbeitslose" in h for h in flueag.hinweise)
    assert any(h.startswith("NÄHERUNG") and "Arbeitslose" in h for h in wsa.hinweise)


def test_amendment_parameters_by_date():
    assert params.value("flueag_zaehldauer_24", "2024-12-20") == 3
    assert params.value("flueag_zaehldauer_24", "2024-12-21") == 5
    assert params.value("flueag_personenkreis_24", "2025-01-01") == "erteilt_oder_beantragt"
    # lump sums as data (LEGAL.md § 9.3), for the money computation
    assert [params.value("flueag_pauschale_kreisangehoerig", d) for d in ("2017-06-01", "2021-06-01", "2024-06-01")] \
        == [866, 875, 1013]
    assert [params.value("flueag_pauschale_kreisfrei", d) for d in ("2017-06-01", "2021-06-01", "2026-06-01")] \
        == [866, 1125, 1303]
    p = params.get("flueag_pauschale_kreisfrei", "2024-01-01")
    assert "GV. NRW. 2024 S. 1183" in p.title and p.paragraph == "§ 4 Abs. 1 FlüAG"


def test_every_parameter_cites_an_official_address():
    """Outputs cite the law and official addresses, never research aids (LEGAL.md § 9.2)."""
    for name in params.names():
        spec = params._load(name)
        for start, entry in spec["values"].items():
            href = entry.get("reference", {}).get("href", "")
            assert "lexmea" not in href, (name, start)
            assert "LEGAL.md" not in str(entry.get("note", "")), (name, start)


# ---------------------------------------------------------------- key year by Stichtag (§ 3 Abs. 2 FlüAG)

def test_key_year_follows_the_stichtag():
    inp = prepare(stichtag="2016-06-01")
    assert inp.jahr == 2016 and "Stand 31.12.2015" in inp.datenbasis
    assert not inp.naeherungen
    assert prepare(stichtag="2016-06-01", jahr=2024).jahr == 2024  # --jahr wins
    assert prepare().jahr == prepare(jahr=2024).jahr == 2024       # no date: the newest


def test_missing_key_year_takes_the_nearest_earlier_one_and_says_so(cli):
    inp = prepare(stichtag="2019-03-01")  # figures of 31.12.2018 are not shipped
    assert inp.jahr == 2018 and "Stand 31.12.2017" in inp.datenbasis
    note = next(n for n in inp.naeherungen if "Schlüsseljahr" in n)
    assert note.startswith("NÄHERUNG: Schlüsseljahr 2018 statt 2019") and "§ 3 Abs. 2 FlüAG" in note
    r = cli("keys", "--system", "flueag", "--stichtag", "2019-03-01", "--format", "csv")
    assert r.code == 0
    rows = r.stdout.splitlines()
    assert rows[0].endswith(",hinweis") and all(line.endswith(",NÄHERUNG") for line in rows[1:])
    later = prepare(stichtag="2026-06-01")
    assert later.jahr == 2024 and any("Schlüsseljahr 2024 statt 2026" in n for n in later.naeherungen)


def test_an_incomplete_key_year_gives_way_to_the_nearest_complete_one(cli):
    """Six Gemeinden lack a population on 31.12.2016: a Stichtag in 2017 uses 2016, labelled;
    an explicit --jahr 2017 is refused naming them, as before."""
    inp = prepare(stichtag="2017-06-01")
    assert inp.jahr == 2016 and inp.gemeinden["einwohner"].notna().all()
    assert any(n.startswith("NÄHERUNG: Schlüsseljahr 2016 statt 2017") and "unvollständig (6 Gemeinden" in n
               for n in inp.naeherungen)
    assert cli("keys", "--system", "flueag", "--jahr", "2017").code == 2


def test_a_date_before_the_first_key_year_is_refused():
    with pytest.raises(InputError, match="2013"):
        prepare(stichtag="2013-06-01")


# ---------------------------------------------------------------- enough digits to see the rounding

def test_soll_shows_the_digits_that_decide_the_rounding():
    assert fmt_soll(1900.0004) == "1.900,0004"    # "1.900,00 gerundet → 1.901" would look wrong
    assert fmt_soll(2169.191108917969) == "2.169,19"
    assert fmt_soll(1900.0) == "1.900,00"
    assert fmt_soll(1900.4999) == "1.900,4999"   # rounds down under "runden"
    assert fmt_soll(1900.5) == "1.900,50"


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False))
def test_the_shown_soll_rounds_like_the_exact_one(x):
    """Whoever rounds the shown number by hand gets the published integer, under both readings."""
    from verteilung.status import ROUNDING_SLACK

    shown = parse_number(fmt_soll(x))
    exact = Decimal(repr(x))
    if abs(exact - exact.to_integral_value()) > Decimal(ROUNDING_SLACK) * 10:
        assert shown.to_integral_value(ROUND_CEILING) == exact.to_integral_value(ROUND_CEILING)
    if abs(exact % 1 - Decimal("0.5")) > Decimal(ROUNDING_SLACK) * 10:
        assert shown.to_integral_value(ROUND_HALF_UP) == exact.to_integral_value(ROUND_HALF_UP)
