"""Simulation: people conserved month by month, nothing moves without flows, seeds reproduce."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.compare import DEFAULT_MODELS, compare
from verteilung.errors import InputError
from verteilung.simulate import _split, default_szenario, simulate

G = "tests/data/modelle_gemeinden.csv"
B = "tests/data/modelle_bestand.csv"


def szenario(tmp_path: Path, zugaenge: dict[str, int] | None = None, **changes) -> Path:
    data = yaml.safe_load(default_szenario().read_text(encoding="utf-8"))
    for stream, value in (zugaenge or {}).items():  # monthly arrivals per stream id
        data["zugaenge_monat"][stream]["wert"] = value
    for key, value in changes.items():
        data[key]["wert"] = value
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped_run():
    return simulate(6)


def test_people_conserved_month_by_month(shipped_run):
    for model, part in shipped_run.monate.groupby("modell"):
        start = shipped_run.info["startbestand"][model]
        before = start["flueag"] + start["wsa"]
        for _, row in part.sort_values("monat").iterrows():
            after = row["bestand_flueag"] + row["bestand_wsa"]
            assert after == before + row["zugaenge"] - row["abgaenge"], (model, row["monat"])
            before = after


def test_every_month_allocates_exactly_the_arrivals(shipped_run):
    assert (shipped_run.monate["zugaenge"] == 1260 + 493).all()


def test_zero_flows_change_nothing(tmp_path):
    path = szenario(tmp_path, {"flueag": 0, "wsa": 0}, anerkennung_anteil_monat=0.0,
                    ausreisepflicht_anteil_monat=0.0, fortzug_anteil_monat=0.0, wsa_dauer_monate=10**9)
    res = simulate(4, szenario=path, bestand=B, gemeinden=G, stichtag="2024-01-01")
    end = res.gemeinden
    assert (end["flueag_bestand_ende"] == end["flueag_bestand_start"]).all()
    assert (end["wsa_bestand_ende"] == end["wsa_bestand_start"]).all()


def test_recognition_moves_people_between_stocks_in_place(tmp_path):
    path = szenario(tmp_path, {"flueag": 0, "wsa": 0}, anerkennung_anteil_monat=0.5,
                    ausreisepflicht_anteil_monat=0.0, fortzug_anteil_monat=0.0, wsa_dauer_monate=10**9)
    res = simulate(1, szenario=path, bestand=B, gemeinden=G, stichtag="2024-01-01", modelle=["status-quo"])
    end = res.gemeinden
    total_start = end["flueag_bestand_start"] + end["wsa_bestand_start"]
    total_end = end["flueag_bestand_ende"] + end["wsa_bestand_ende"]
    assert (total_start == total_end).all()                       # same Gemeinde, other stock
    assert (end["wsa_bestand_ende"] > end["wsa_bestand_start"]).all()


def test_same_seed_same_result_and_seed_recorded(tmp_path):
    a = simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=7)
    b = simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=7)
    c = simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=8)
    assert a.monate.equals(b.monate) and a.gemeinden.equals(b.gemeinden)
    assert a.info["seed"] == 7
    assert not a.gemeinden.equals(c.gemeinden)


def test_bad_scenario_is_refused(tmp_path):
    with pytest.raises(InputError, match="anerkennung_anteil_monat muss zwischen 0 und 1 liegen"):
        simulate(2, szenario=szenario(tmp_path, anerkennung_anteil_monat=1.5))


def test_simulate_cli_summary_and_files(cli, tmp_path):
    r = cli("simulate", "--monate", "3", "--out", tmp_path / "s")
    assert r.code == 0, r.stderr
    assert "SYNTHETISCH" in r.stdout and "Konflikte" in r.stdout and "Seed 2021" in r.stdout
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == ["SYNTHETISCH_gemeinden_ende.csv", "SYNTHETISCH_monate.csv", "SYNTHETISCH_simulation.json",
                     "SYNTHETISCH_simulation.xlsx", "SYNTHETISCH_uebergang.csv", "SYNTHETISCH_uebergang_verlauf.csv",
                     "verteilung-ausgaben.json"]
    assert "Übergang:" in r.stdout and "größte Monatszuweisung 590 an Bonn" in r.stdout
    # findings in German decimals (they go into the HTML report too)
    assert re.search(r"\(VK\) \d,\d{3} → \d,\d{3}; Lastindex P90 \d+,\d → \d+,\d;", r.stdout)
    table = pd.read_csv(tmp_path / "s" / "SYNTHETISCH_uebergang.csv", dtype={"groesste_zuweisung_ags": str})
    assert table["modell"].tolist() == list(DEFAULT_MODELS)


LAND_TOTALS = ["zugaenge", "anerkennungen", "abgaenge", "ausreisen", "wsa_enden", "fortzuege"]


def test_same_people_under_every_model(shipped_run):
    """Common random numbers per person: each month the Land totals of arrivals, recognitions,
    removals, ends of the WSA obligation and departures, and so the Land's stock, are the same
    under all five models; only where they happen differs."""
    m = shipped_run.monate.copy()
    assert sorted(m["modell"].unique()) == sorted(DEFAULT_MODELS)
    m["bestand"] = m["bestand_flueag"] + m["bestand_wsa"]
    for col in [*LAND_TOTALS, "bestand"]:
        wide = m.pivot(index="monat", columns="modell", values=col)
        assert (wide.nunique(axis=1) == 1).all(), (col, wide)
    assert (m["abgaenge"] == m["ausreisen"] + m["wsa_enden"] + m["fortzuege"]).all()
    assert (m["anerkennungen"] > 0).all() and (m["ausreisen"] > 0).all()


def test_month_one_is_compare_on_the_same_inputs(shipped_run):
    """Arrivals are allocated on the stocks at the start of the month, before the month's exits,
    so month 1 reports exactly what `compare` reports (e.g. the status quo's conflict persons)."""
    cmp = compare(DEFAULT_MODELS).metriken.set_index("modell")
    first = shipped_run.monate[shipped_run.monate["monat"] == 1].set_index("modell")
    cols = [c for c in cmp.columns if c in first.columns and c not in ("titel",)]
    assert {"konflikt_personen", "gini_last_je_einwohner", "quote_p90"} <= set(cols)
    pd.testing.assert_frame_equal(first.loc[cmp.index, cols], cmp[cols], check_dtype=False)


def test_fates_do_not_depend_on_the_models_chosen():
    a = simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=3, modelle=["status-quo"])
    b = simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=3)
    sq = b.monate[b.monate["modell"] == "status-quo"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.monate, sq)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=40), st.data())
def test_merged_arrivals_split_into_exactly_the_streams(counts, data):
    z = np.array(counts, dtype=np.int64)
    whole = int(z.sum())
    part = data.draw(st.integers(0, whole))
    first = _split(z, part, whole)
    assert first.sum() == part
    assert ((first >= 0) & (first <= z)).all()
    if whole:
        assert (np.abs(first - z * part / whole) <= 1).all()


# ---------------------------------------------------------------- phase-in (issue 14)

M1 = Path(__file__).parents[1] / "models" / "m1-gemeinsamer-bestand.yaml"


def model_file(tmp_path: Path, name: str, **extra) -> Path:
    data = yaml.safe_load(M1.read_text(encoding="utf-8"))
    data.update(id=name, **extra)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_phase_in_of_zero_months_is_todays_result_byte_for_byte(tmp_path):
    """T = 0 (and no uebergang at all) reproduce M1's simulation exactly, in every table."""
    zero = model_file(tmp_path, "m1-null", uebergang={"monate": 0})
    runs = [simulate(3, bestand=B, gemeinden=G, stichtag="2024-01-01", seed=5, modelle=[m])
            for m in ("m1-gemeinsamer-bestand", str(zero))]
    for a, b in zip(runs[0].monate.groupby("modell"), runs[1].monate.groupby("modell"), strict=True):
        left, right = a[1].drop(columns=["modell", "titel"]), b[1].drop(columns=["modell", "titel"])
        assert left.to_csv(index=False) == right.to_csv(index=False)
    ga = runs[0].gemeinden.drop(columns="modell").to_csv(index=False)
    gb = runs[1].gemeinden.drop(columns="modell").to_csv(index=False)
    assert ga == gb
    ua, ub = (r.uebergang.drop(columns="modell").to_csv(index=False) for r in runs)
    assert ua == ub


def test_phase_in_month_by_month_uses_the_blended_key(tmp_path):
    """Month t of a 3-month phase-in allocates with (1 − t/3) · status quo's effective key +
    t/3 · M1's key; from month 3 on M1's key exactly."""
    from verteilung.compare import default_bestand
    from verteilung.inputs import prepare
    from verteilung.model import Context, evaluate, load_model, system_states
    from verteilung.uebergang import effektiver_schluessel

    path = model_file(tmp_path, "m1-drei", uebergang={"monate": 3, "verlauf": "linear"})
    d, m1, sq = load_model(path), load_model("m1-gemeinsamer-bestand"), load_model("status-quo")
    inp = prepare(bestand=default_bestand(), bestand_spalten=("flueag_bestand", "wsa_bestand"))
    ctx = Context(inp.gemeinden, inp.bestand, inp.stichtag, {"flueag": 1260, "wsa": 493})
    new = system_states(m1, ctx)[0]["gesamt"]
    old = effektiver_schluessel(list(system_states(sq, ctx)[0].values()), new)
    for t, w in ((1, 1 / 3), (2, 2 / 3)):
        r = evaluate(d, ctx, monat=t)["gesamt"]
        assert r.state.schluessel == pytest.approx((1 - w) * old + w * new.schluessel, abs=1e-15)
        assert r.ziel_schluessel.tobytes() == new.schluessel.tobytes()
        assert r.zuweisung.sum() == 1753
        assert "Übergang Monat" in r.key_label
    for t in (3, 4):
        got = evaluate(d, ctx, monat=t)["gesamt"]
        assert got.zuweisung.tobytes() == evaluate(m1, ctx)["gesamt"].zuweisung.tobytes()
    # the simulation uses month t's key in month t: its first month is evaluate(…, monat=1)
    res = simulate(1, modelle=[str(path)])
    z1 = evaluate(d, ctx, monat=1)["gesamt"].zuweisung
    assert res.kennzahlen["m1-drei"].groesste_zuweisung == int(z1.max())


def test_transition_figures_for_every_model(shipped_run):
    f = shipped_run.kennzahlen
    assert list(f) == list(DEFAULT_MODELS)
    m1 = f["m1-gemeinsamer-bestand"]
    assert (m1.groesste_zuweisung, m1.groesste_zuweisung_ags, m1.groesste_zuweisung_monat) == (590, "05314000", 1)
    assert m1.groesste_zuweisung_anteil == pytest.approx(590 / 1753)
    assert m1.verfolgt.ags == "05513000" and len(m1.verfolgt.zuweisung) == 6
    # cumulative conflicts equal the simulation's running total
    last = shipped_run.monate[shipped_run.monate["monat"] == 6].set_index("modell")["konflikt_personen_kumuliert"]
    for model, figures in f.items():
        assert figures.konflikte_kumuliert == last[model]
    t = shipped_run.uebergang.set_index("modell")
    assert t.loc["status-quo", "groesste_zuweisung"] == 345
    paths = shipped_run.uebergang_verlauf
    assert set(paths[paths["modell"] == "status-quo"]["ags"]) == {"05513000", "05314000"}


@pytest.mark.parametrize(("uebergang", "needle"), [
    ({"monate": 2, "verlauf": [0.5, 0.9]}, "das letzte Gewicht muss 1 sein"),
    ({"monate": -1}, "monate muss eine ganze Zahl"),
    ({"monate": 3, "art": "linear"}, "unbekannte Angabe art"),
    ({"monate": 3, "von": "m1-x"}, "ist das Modell selbst"),
])
def test_bad_phase_in_in_a_model_file_is_refused(cli, tmp_path, uebergang, needle):
    path = model_file(tmp_path, "m1-x", uebergang=uebergang)
    r = cli("compare", "--modelle", path, "--out", tmp_path / "v")
    assert r.code == 2 and needle in r.stderr, r.stderr
