"""Invariants of the generic key, FlüAG and AWoV on random Gemeinde tables (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.law import awov, flueag
from verteilung.law.key import KeySpec, Reduction, compute_key

DAY = "2024-01-01"


@st.composite
def tables(draw, min_size=3, max_size=25):
    n = draw(st.integers(min_size, max_size))
    pop = draw(st.lists(st.integers(500, 700_000), min_size=n, max_size=n))
    area = draw(st.lists(st.integers(5, 600), min_size=n, max_size=n))
    alo = draw(st.lists(st.integers(1, 50), min_size=n, max_size=n))
    miete = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    eu = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    miete[0] = eu[0] = False  # a cut needs somebody to take it (all-flagged is refused, tested below)
    return pd.DataFrame({
        "ags": [f"05{i:06d}" for i in range(n)],
        "gemeinde": [f"G{i}" for i in range(n)],
        "einwohner": np.array(pop, dtype=float),
        "flaeche_km2": np.array(area, dtype=float),
        "arbeitslose": np.array(pop, dtype=float) * np.array(alo) / 1000.0,
        "mieterschutzvo_2025": miete,
        "eu_sgb2": eu,
    })


@settings(max_examples=80, deadline=None)
@given(tables(), st.sampled_from(["R1", "R2"]), st.booleans())
def test_flueag_sums_to_one_and_respects_cap(g, kappung, iterate):
    k = flueag.key(g, DAY, kappung, iterate)
    assert abs(k["schluessel"].sum() - 1) < 1e-12
    assert (k["schluessel"] >= 0).all()
    if iterate:
        assert (k["schluessel"] <= k["kappungsgrenze"] * (1 + 1e-9)).all()
    capped = k["gekappt"]
    assert np.allclose(k.loc[capped, "schluessel"], k.loc[capped, "kappungsgrenze"])


@settings(max_examples=60, deadline=None)
@given(tables())
def test_cap_binds_first_exactly_where_f_exceeds_3_5_e(g):
    k = flueag.key(g, DAY, "R1", iterate=False)
    e, f = k["anteil_einwohner"], k["anteil_flaeche_km2"]
    first_round = f > 3.5 * e * (1 + 1e-12)
    assert (k["gekappt"] == first_round).all()


@settings(max_examples=60, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(g, rnd):
    order = list(range(len(g)))
    rnd.shuffle(order)
    shuffled = g.iloc[order].reset_index(drop=True)
    for fn in (lambda t: flueag.key(t, DAY), lambda t: awov.key(t, DAY, mietpreisliste="mieterschutzvo_2025")):
        a = fn(g).set_index("ags")["schluessel"]
        b = fn(shuffled).set_index("ags")["schluessel"].reindex(a.index)
        assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-15)


@settings(max_examples=80, deadline=None)
@given(tables(), st.data())
def test_more_population_never_lowers_own_key(g, data):
    i = data.draw(st.integers(0, len(g) - 1))
    extra = data.draw(st.integers(1, 300_000))
    before = flueag.key(g, DAY)["schluessel"].iloc[i]
    g2 = g.copy()
    g2.loc[i, "einwohner"] += extra
    after = flueag.key(g2, DAY)["schluessel"].iloc[i]
    assert after >= before - 1e-15


@settings(max_examples=60, deadline=None)
@given(tables(), st.sampled_from(["A", "B", "C"]), st.sampled_from(["additiv", "multiplikativ"]),
       st.sampled_from(["k0", "gemindert"]))
def test_awov_sums_to_one_and_cuts_are_ten_percent(g, variante, kombination, basis):
    k = awov.key(g, DAY, variante, "mieterschutzvo_2025", kombination, basis)
    assert abs(k["schluessel"].sum() - 1) < 1e-12
    assert (k["schluessel"] > 0).all()
    m = g["mieterschutzvo_2025"].to_numpy()
    e = g["eu_sgb2"].to_numpy()
    k0 = k["schluessel_roh"].to_numpy()
    assert np.allclose(k["minderung_awov_mietpreisbremse"], np.where(m, 0.1 * k0, 0))
    if kombination == "additiv":
        assert np.allclose(k["minderung_eu_sgb2"], np.where(e, 0.1 * k0, 0))
    else:
        assert np.allclose(k["minderung_eu_sgb2"], np.where(e, 0.1 * k0 * np.where(m, 0.9, 1.0), 0))


def exact_flueag(pop: list[int], area: list[int]) -> list[Fraction]:
    """Independent exact computation of § 3 Abs. 1 FlüAG (R1, iterated)."""
    P, F = sum(pop), sum(area)
    e = [Fraction(p, P) for p in pop]
    f = [Fraction(a, F) for a in area]
    z = [Fraction(9, 10) * ei + Fraction(1, 10) * fi for ei, fi in zip(e, f, strict=True)]
    cap = [Fraction(5, 4) * ei for ei in e]
    capped = [False] * len(z)
    while True:
        over = [not c and zi > ci for zi, ci, c in zip(z, cap, capped, strict=True)]
        if not any(over):
            return z
        capped = [c or o for c, o in zip(capped, over, strict=True)]
        free_sum = sum(zi for zi, c in zip(z, capped, strict=True) if not c)
        capped_sum = sum(ci for ci, c in zip(cap, capped, strict=True) if c)
        z = [ci if c else zi * (1 - capped_sum) / free_sum for zi, ci, c in zip(z, cap, capped, strict=True)]


@settings(max_examples=40, deadline=None)
@given(tables(max_size=10))
def test_float_key_matches_exact_fractions(g):
    k = flueag.key(g, DAY)
    exact = exact_flueag([int(p) for p in g["einwohner"]], [int(a) for a in g["flaeche_km2"]])
    assert np.allclose(k["schluessel"].to_numpy(), [float(x) for x in exact], rtol=1e-12, atol=0)


def test_generic_key_reductions_go_to_the_others_in_proportion():
    g = pd.DataFrame({"ags": ["05000001", "05000002", "05000003"], "gemeinde": list("ABC"),
                      "einwohner": [50.0, 30.0, 20.0], "flag": [True, False, False]})
    spec = KeySpec("test", {"einwohner": 1.0}, reductions=(Reduction("flag", 0.1),))
    k = compute_key(g, spec)["schluessel"].to_numpy()
    # A loses 0.05; B and C share it 30:20
    assert np.allclose(k, [0.45, 0.30 + 0.03, 0.20 + 0.02])


def test_reduction_with_nobody_left_is_refused():
    import pytest

    from verteilung.errors import InputError

    g = pd.DataFrame({"ags": ["05000001", "05000002"], "gemeinde": list("AB"), "einwohner": [1.0, 2.0],
                      "flag": [True, True]})
    with pytest.raises(InputError, match="niemand kann den Überhang aufnehmen"):
        compute_key(g, KeySpec("x", {"einwohner": 1.0}, reductions=(Reduction("flag", 0.1),)))


def test_weights_must_sum_to_one_and_columns_must_exist():
    import pytest

    from verteilung.errors import InputError

    g = pd.DataFrame({"ags": ["05000001"], "gemeinde": ["A"], "einwohner": [1.0]})
    with pytest.raises(InputError, match=r"ergeben zusammen 0,9"):
        compute_key(g, KeySpec("x", {"einwohner": 0.9}))
    with pytest.raises(InputError, match="„steuerkraft“ gibt es in der Gemeindetabelle nicht"):
        compute_key(g, KeySpec("x", {"einwohner": 0.5, "steuerkraft": 0.5}))
