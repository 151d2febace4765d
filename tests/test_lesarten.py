"""Readings are defined once (`verteilung.law.lesarten.LESARTEN`): allowed values, help text and
the computation they select; their constants are dated parameters. Recipe "Eine neue Lesart"."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from verteilung import params
from verteilung.errors import InputError
from verteilung.law import flueag, lesarten
from verteilung.law.lesarten import Lesarten, Wert

R3_PARAM = {
    "description": "Kappungsfaktor der Test-Lesart R3 (z ≤ 1,20·e)",
    "unit": "factor",
    "paragraph": "§ 3 Abs. 1 S. 4-5 FlüAG (Lesart R3, Test)",
    "values": {"2003-02-28": {"value": 1.2, "unsicher": True,
                              "reference": {"title": "Test-Lesart", "href": "https://example.invalid/r3"}}},
}


@pytest.fixture
def r3(tmp_path, monkeypatch):
    """Recipe "Eine neue Lesart": one entry in the reading's definition, its constant as a dated
    parameter (here in a temporary parameter folder); nothing else changes."""
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "flueag_kappung_r3.yaml").write_text(yaml.safe_dump(R3_PARAM, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(params, "EXTRA", [folder])
    monkeypatch.setitem(lesarten.LESARTEN, "kappung", lesarten.LESARTEN["kappung"])  # restored afterwards
    lesarten.add_value("kappung", "R3", Wert("z ≤ 1,20·e", {"f": "flueag_kappung_r3"}, lambda p: p["f"],
                                             "z ≤ {faktor:exakt}·e"))
    yield
    params._load.cache_clear()


def test_unknown_cap_reading_is_refused_not_treated_as_r2():
    with pytest.raises(InputError) as exc:
        flueag.spec("2024-01-01", "R9")
    assert "unbekannte Lesart „R9“; erlaubt: R1, R2" in str(exc.value)


def test_cap_factors_come_from_dated_parameters():
    c = params.value("flueag_kappung", "2024-01-01")
    w_e = params.value("flueag_gewicht_einwohner", "2024-01-01")
    assert flueag.spec("2024-01-01", "R1").cap.factor == pytest.approx(1 + c)
    assert flueag.spec("2024-01-01", "R2").cap.factor == pytest.approx(w_e + c)


def test_help_and_errors_are_derived_from_the_definition():
    assert lesarten.hilfe("kappung") == "Lesart der Kappung (FlüAG): R1 (z ≤ 1,25·e, Standard) oder R2 (z ≤ 1,15·e)."
    assert dict(lesarten.ERLAUBT["anlage1"]) == {"A": "m = P·(1−u)", "B": "m = P·ū/u (Standard)", "C": "m = U"}
    assert Lesarten() == Lesarten(**{n: x.standard for n, x in lesarten.LESARTEN.items() if n != "empfaenger"})


def test_recipe_eine_neue_lesart(r3, cli, tmp_path):
    assert "R3 (z ≤ 1,20·e)" in lesarten.hilfe("kappung")
    spec = flueag.spec("2024-01-01", "R3")
    assert spec.cap.factor == 1.2 and spec.cap.param.name == "flueag_kappung_r3"
    r = cli("keys", "--system", "flueag", "--kappung", "R3", "--format", "json")
    assert r.code == 0, r.stderr
    rows = r.json()["rows"]
    e = np.array([x["einwohner"] for x in rows]) / sum(x["einwohner"] for x in rows)
    z = np.array([x["schluessel"] for x in rows])
    assert (z <= 1.2 * e + 1e-12).all() and sum(x["gekappt"] for x in rows) > 0
    assert r.json()["summary"]["lesarten"]["kappung"] == "R3"
    # between R2 (1,15) and R1 (1,25): the capped count lies between theirs
    counts = {k: sum(x["gekappt"] for x in cli("keys", "--system", "flueag", "--kappung", k, "--format",
                                                 "json").json()["rows"]) for k in ("R1", "R2")}
    assert counts["R1"] <= sum(x["gekappt"] for x in rows) <= counts["R2"]
    # a model file may name it, explain shows its formula and its parameter
    model = tmp_path / "r3.yaml"
    model.write_text(yaml.safe_dump({
        "id": "r3", "titel": "R3", "beschreibung_de": "x", "description_en": "x", "rechtsgrundlage": "x",
        "vorschlag": "x", "begruendung": "x",
        "systeme": [{"name": "flueag", "schluessel": {"typ": "flueag", "kappung": "R3"},
                     "bestand": ["flueag_bestand"], "anrechnung": True, "zugaenge": "flueag"}]}), encoding="utf-8")
    from verteilung.model import load_model

    assert load_model(model).systeme[0].schluessel.kappung == "R3"
    capped = next(x["ags"] for x in rows if x["gekappt"])
    text = cli("explain", capped, "--system", "flueag", "--kappung", "R3").stdout
    assert "z ≤ 1,2·e" in text and "Lesart R3" in text
