"""The generated German summary says what the result objects hold: every number checked against them."""

from __future__ import annotations

import re

import pytest

import verteilung
from verteilung.io.deutsch import fmt_dec, fmt_int, fmt_signed
from verteilung.zusammenfassung import zusammenfassung


@pytest.fixture(scope="module")
def cmp():
    return verteilung.compare(["status-quo", "m1-gemeinsamer-bestand", "m4-sperre"])


def test_kreis_shifts_are_the_five_largest_of_the_long_run(cmp):
    z = cmp.zusammenfassung
    k = cmp.langfrist.aggregate["kreise"]
    m1 = k[k["modell"] == "m1-gemeinsamer-bestand"]
    top = m1.reindex(m1["aenderung_langfristig"].abs().sort_values(ascending=False).index).head(5)
    line = z.abschnitte["Verschiebungen nach Kreis"]["m1-gemeinsamer-bestand"][0]
    named = re.findall(r"(?:: |; )([^;:]+?) [+−-][\d.]+ Personen", line)
    assert named == list(top["kreis"])
    for r in top.itertuples():
        assert f"{r.kreis} {fmt_signed(r.aenderung_langfristig, 0)} Personen" in line
    none = ["Langfristig ändert sich die Last keines Kreises."]
    assert z.abschnitte["Verschiebungen nach Kreis"]["m4-sperre"] == none


def test_city_rural_and_money_sentences_carry_the_result_numbers(cmp):
    z = cmp.zusammenfassung
    row = cmp.langfrist.modelle.set_index("modell").loc["m1-gemeinsamer-bestand"]
    city = z.abschnitte["Stadt und Land"]["m1-gemeinsamer-bestand"]
    more = row["verschiebung_zu_staedten"]
    assert f"{fmt_int(abs(round(more)))} Personen {'mehr' if more > 0 else 'weniger'}" in city[0]
    assert fmt_dec(row["last_kreisfrei_je_1000"], 1) in city[0]  # per 1.000: one decimal everywhere
    typ = cmp.aggregate["gemeindetypen"].set_index(["modell", "gemeinde_typ"])
    assert (f"{fmt_int(int(typ.loc[('m1-gemeinsamer-bestand', 'kreisfreie Stadt'), 'zuweisung']))} statt "
            f"{fmt_int(int(typ.loc[('status-quo', 'kreisfreie Stadt'), 'zuweisung']))} Zuweisungen") in city[1]
    assert "SYNTHETISCH" in city[1] and "SYNTHETISCH" not in city[0]
    money = cmp.mittel.modelle.set_index("modell").loc["m1-gemeinsamer-bestand"]
    geld = " ".join(z.abschnitte["Geld"]["m1-gemeinsamer-bestand"])
    assert fmt_int(round(money["pauschale_flueag_land_eur"])) in geld
    assert fmt_int(abs(round(money["aenderung_pauschale_flueag_land_eur"]))) in geld


def test_assumptions_name_readings_approximation_and_synthetic(cmp):
    text = " ".join(cmp.zusammenfassung.abschnitte["Annahmen"][""])
    assert "Kappung R1" in text and "Anlage 1 AWoV B" in text
    assert "NÄHERUNG" in text and "SYNTHETISCH" in text and "146.000" in text


def test_transition_from_a_simulation(cmp):
    sim = verteilung.simulate(3, ["status-quo", "m1-gemeinsamer-bestand"], seed=3)
    z = zusammenfassung(cmp, cmp.mittel, sim)
    f = sim.kennzahlen["m1-gemeinsamer-bestand"]
    line = z.abschnitte["Übergang"]["m1-gemeinsamer-bestand"][0]
    if f.monate_bis_toleranz is None:
        assert f"am Ende {fmt_int(f.im_toleranzband_ende)} von {fmt_int(f.gemeinden_bewertet)}" in line
    else:
        assert f"Nach {fmt_int(f.monate_bis_toleranz)} Monaten" in line
    assert "SYNTHETISCH" in line


def test_any_baseline_reaches_the_summary_and_compare_writes_it(cli, tmp_path):
    r = cli("compare", "--modelle", "status-quo,m2-mischschluessel", "--basis", "m2-mischschluessel",
            "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    text = (tmp_path / "v" / "SYNTHETISCH_zusammenfassung.txt").read_text(encoding="utf-8")
    assert text.startswith("Zusammenfassung (Vergleichsbasis: m2-mischschluessel)")
    assert "status-quo: " in text and "m2-mischschluessel: " not in text
    assert "Zusammenfassung in Sätzen" in r.stdout


def test_report_shows_the_summary_against_the_chosen_baseline():
    b = verteilung.report(monate=0, modelle=["status-quo", "m1-gemeinsamer-bestand"], basis="m1-gemeinsamer-bestand")
    html = b.html
    story_first = html.index('<h2 id="wichtigste">Das Wichtigste</h2>') < html.index("<h2>Karten dieser Periode</h2>")
    assert story_first
    assert "Vergleichsbasis: M1: ein gemeinsamer Bestand mit FlüAG-Schlüssel" in html  # by title, not id
    line = b.vergleich.zusammenfassung.abschnitte["Stadt und Land"]["status-quo"][0]
    assert line in b.html.replace("&#43;", "+")
    assert "gegenüber M1" in b.html  # the maps measure against the chosen baseline
