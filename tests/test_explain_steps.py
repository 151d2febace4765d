"""Explanations from the step records of the computation (issue 12 item 4, issue 13 item 9)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung import params
from verteilung.explain import explain_steps, render_formula
from verteilung.inputs import Inputs, prepare
from verteilung.io.deutsch import parse_number
from verteilung.law import awov, flueag
from verteilung.law.key import KeySpec, compute_key, compute_key_with_steps
from verteilung.law.lesarten import Lesarten
from verteilung.resources import params_dir

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
SCENARIO = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
UPDATE = os.environ.get("VERTEILUNG_GOLDEN_UPDATE") == "1"
PULHEIM, GELSENKIRCHEN = "05362036", "05513000"


@cache
def inputs(jahr: int = 2024, stichtag: str | None = None, bestand: bool = True) -> Inputs:
    return prepare(jahr=jahr, stichtag=stichtag, bestand=SCENARIO if bestand else None,
                   bestand_spalten=("flueag_bestand", "wsa_bestand") if bestand else ())


def text(*args, **kwargs) -> str:
    return explain_steps(*args, **kwargs).text()


def test_pulheim_with_the_2020_list_names_the_2020_ordinance():
    t = text(inputs(), "awov", PULHEIM, Lesarten(mietpreisliste="mieterschutzvo_2020"))
    assert "Minderung (Mieterschutzverordnung 2020): −10 % des Schlüssels K0" in t
    assert "Mieterschutzverordnung NRW (MietSchVO NRW)" in t  # the list's title as its source
    assert "2015" not in t.split("Minderung (Mieterschutzverordnung 2020)")[1].split("\n")[0]
    assert "Mietpreisbegrenzungsverordnung" not in t
    # with the default reading Pulheim is not on the 2015 list and the text says which list
    default = text(inputs(), "awov", PULHEIM)
    assert "keine Minderung (Mietpreisbegrenzungsverordnung 2015): Gemeinde nicht betroffen" in default
    assert "Mieterschutzverordnung" not in default


@pytest.mark.parametrize("system,ags", [("flueag", GELSENKIRCHEN), ("wsa", PULHEIM)])
def test_step_records_are_golden(system, ags):
    e = explain_steps(inputs(), system, ags)
    got = e.text() + "\n" + json.dumps(e.as_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    path = GOLDEN / f"explain_schritte_{system}.txt"
    if UPDATE:
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("stichtag,paragraph", [("2015-06-01", "§ 3 Abs. 4 FlüAG"),
                                                ("2024-01-01", "§ 3 Abs. 5 S. 3 FlüAG")])
def test_credit_is_cited_as_numbered_on_the_reference_date(stichtag, paragraph):
    e = explain_steps(inputs(int(stichtag[:4]), stichtag), "flueag", GELSENKIRCHEN)
    step = next(s for s in e.schritte if s.id == "anrechnung")
    assert step.paragraph == paragraph
    other = "§ 3 Abs. 5" if "Abs. 4" in paragraph else "§ 3 Abs. 4"
    assert other not in step.paragraph + step.quelle
    assert params.get("flueag_anrechnung_eae", stichtag).paragraph == paragraph


def test_assumed_values_are_marked_where_shown():
    p = params.get("flueag_anrechnung_aufnahmeeinrichtung", "2020-01-01")
    assert p.value == 0.5 and p.uncertain and p.cite().endswith("(Annahme)")
    assert not params.get("flueag_anrechnung_aufnahmeeinrichtung", "2024-01-01").uncertain
    e = explain_steps(inputs(2020, "2020-01-01"), "flueag", GELSENKIRCHEN)
    credit = next(s for s in e.schritte if s.id == "anrechnung")
    assert credit.annahme and "(Annahme)" in e.text().split("Anrechnung A")[1].split("\n")[1]
    assert "A = 0,5 × " in e.text()
    wsa = explain_steps(inputs(), "wsa", PULHEIM)
    key = next(s for s in wsa.schritte if s.id == "schluessel_roh")
    assert key.annahme and "(Annahme)" in key.quelle  # the post-2021 Erlass weights


def test_every_assumption_in_the_yaml_is_flagged():
    for path in params_dir().glob("*.yaml"):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for start, entry in spec["values"].items():
            assert "uncertain" not in entry, path.name  # one spelling: unsicher
            if path.stem.startswith("awov_") and str(start) >= "2021-04-01":
                assert entry.get("unsicher") is True, (path.name, start)  # the Erlass was not found
            if path.stem.startswith("flueag_anrechnung") and str(start) == "2017-01-01":
                assert entry.get("unsicher") is True, (path.name, start)


def test_naeherung_with_its_source_in_the_unemployment_step():
    e = explain_steps(inputs(), "wsa", PULHEIM)
    step = next(s for s in e.schritte if s.id == "arbeitslose")
    assert step.quelle.startswith("NÄHERUNG: Arbeitslose je Gemeinde = INKAR-Arbeitslosenquote des Kreises")
    assert "skaliert auf die registrierten Arbeitslosen des Landes" in step.quelle
    line = e.text().split("Arbeitslose U = ")[1].split("\n")[1]
    assert "NÄHERUNG: Arbeitslose je Gemeinde = INKAR" in line
    assert any(h.startswith("NÄHERUNG") for h in e.hinweise)
    # a key year with BA Gemeinde counts has no approximation to report
    counted = explain_steps(inputs(2016, "2016-12-01", bestand=False), "wsa", PULHEIM)
    assert "NÄHERUNG" not in counted.text()
    assert "BA Arbeitslose nach Gemeinden" in next(s for s in counted.schritte if s.id == "arbeitslose").quelle


def test_synthetic_stock_is_labelled_and_key_only_explanations_have_no_status():
    assert "SYNTHETISCH" in text(inputs(), "flueag", GELSENKIRCHEN)
    key_only = explain_steps(inputs(bestand=False), "flueag", GELSENKIRCHEN)
    assert "SYNTHETISCH" not in key_only.text()
    assert [s.id for s in key_only.schritte][-1] == "schluessel"


def test_records_match_the_tables_the_commands_use():
    from verteilung.status import SystemState, anrechnung, verteilstatistik

    inp = inputs()
    i = int(np.flatnonzero(inp.gemeinden["ags"].to_numpy() == GELSENKIRCHEN)[0])
    k = flueag.key(inp.gemeinden, inp.stichtag)
    e = explain_steps(inp, "flueag", GELSENKIRCHEN)
    by_id = {s.id: s for s in e.schritte}
    assert by_id["schluessel"].wert == k["schluessel"].iloc[i]
    assert by_id["anteil_einwohner"].wert == k["anteil_einwohner"].iloc[i]
    b = inp.bestand
    table = verteilstatistik(SystemState("flueag", inp.gemeinden, k["schluessel"].to_numpy(),
                                         b["flueag_bestand"].to_numpy(dtype=float),
                                         anrechnung(b, inp.stichtag)[0]))
    assert by_id["soll_gerundet"].wert == table["soll_gerundet"].iloc[i]
    assert by_id["soll_stichtag"].wert == table["soll_stichtag"].iloc[i]
    assert by_id["bestand"].wert == table["bestand"].iloc[i]
    assert by_id["erfuellungsquote"].wert == table["erfuellungsquote"].iloc[i]
    assert json.loads(json.dumps(e.as_dict()))["schritte"][0]["id"] == "anteil_einwohner"
    w = awov.key(inp.gemeinden, inp.stichtag, mietpreisliste="mieterschutzvo_2020")
    j = int(np.flatnonzero(inp.gemeinden["ags"].to_numpy() == PULHEIM)[0])
    ew = explain_steps(inp, "wsa", PULHEIM, Lesarten(mietpreisliste="mieterschutzvo_2020"))
    assert {s.id: s for s in ew.schritte}["schluessel"].wert == w["schluessel"].iloc[j]


def test_unknown_ags_is_bad_input():
    from verteilung.errors import InputError

    with pytest.raises(InputError):
        explain_steps(inputs(bestand=False), "flueag", "99999999")


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=99))
def test_key_formula_is_built_from_the_weights_in_force(percent):
    """The formula shows the weights the key was computed with, whatever they are."""
    g = inputs(bestand=False).gemeinden.head(20)
    w = percent / 100
    spec = KeySpec("x", {"einwohner": w, "flaeche_km2": 1 - w})
    result = compute_key_with_steps(g, spec)
    assert result.table.equals(compute_key(g, spec))
    raw = next(s for s in result.schritte if s.id == "schluessel_roh")
    shown = render_formula(raw.formel, dict(raw.zahlen))
    left, right = shown.split(" = ")[1].split(" + ")
    assert float(parse_number(left.removesuffix("·e"))) == pytest.approx(w)
    assert float(parse_number(right.removesuffix("·f"))) == pytest.approx(1 - w)


def test_each_system_cites_its_own_household_rule_in_the_run_log():
    from verteilung.run import _household_rule

    assert _household_rule("flueag") == "§ 3 Abs. 1 S. 2 FlüAG"
    assert _household_rule("wsa") == "§ 5 Abs. 2 AWoV"
    golden = (GOLDEN / "run" / "erlaeuterung.txt").read_text(encoding="utf-8")
    wsa = next(line for line in golden.splitlines() if line.startswith("[WSA] Zuweisung"))
    assert "FlüAG" not in wsa  # persons only: no household rule cited (tests/test_kennzeichnung.py: with households)


def test_cli_explain_names_the_2020_list_for_pulheim(cli):
    """Issue 12 acceptance: the ordinance comes from the chosen reading, not typed by hand."""
    r = cli("explain", "05362036", "--system", "awov", "--mietpreisliste", "mieterschutzvo_2020", "--jahr", "2024")
    assert r.code == 0, r.stderr
    assert "Mieterschutzverordnung 2020" in r.stdout
    assert "Mietpreisbegrenzungsverordnung 2015" not in r.stdout
