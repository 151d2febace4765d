"""Exact legal rounding: the Soll that is rounded up and the obligation come from rationals
(shares of integers), not from floats with a 1e-9 slack."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.law.key import ExactKey, KeySpec, compute_key
from verteilung.status import SystemState, verteilstatistik


def _state(einwohner: list[int], bestand: list[int]) -> SystemState:
    g = pd.DataFrame({"ags": [f"0900{i:04d}" for i in range(len(einwohner))],
                      "gemeinde": [f"G{i}" for i in range(len(einwohner))],
                      "einwohner": np.array(einwohner, dtype=float)})
    k = compute_key(g, KeySpec("Einwohner", {"einwohner": 1.0}))
    assert isinstance(k.attrs["exakt"], ExactKey)
    return SystemState("test", g, k["schluessel"].to_numpy(), np.array(bestand, dtype=float),
                       np.zeros(len(einwohner)), info={"schluessel_exakt": k.attrs["exakt"]})


def test_a_soll_just_above_a_whole_person_is_rounded_up():
    # Soll of the first = 280000000001 / 10^12 × 100 = 28.0000000001: the law rounds it up to 29;
    # a float with a 1e-9 slack called it 28
    state = _state([280_000_000_001, 719_999_999_999], [100, 0])
    table = verteilstatistik(state, "aufrunden")
    assert list(table["soll_gerundet"]) == [29, 72]
    assert list(table["aufnahmeverpflichtung"]) == [0, 72]
    state.info.pop("schluessel_exakt")  # the float fallback (a blended key has no exact form)
    assert list(verteilstatistik(state, "aufrunden")["soll_gerundet"]) == [28, 72]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 2_000_000), min_size=2, max_size=12),
       st.lists(st.integers(0, 5_000), min_size=12, max_size=12), st.sampled_from(["aufrunden", "runden"]))
def test_rounded_soll_and_obligation_equal_the_rational_rule(einwohner, bestand, rundung):
    bestand = bestand[:len(einwohner)]
    table = verteilstatistik(_state(einwohner, bestand), rundung)
    total, t = sum(einwohner), sum(bestand)
    for i, e in enumerate(einwohner):
        soll = Fraction(e * t, total)
        duty = max(Fraction(0), soll - bestand[i])
        whole = math.ceil if rundung == "aufrunden" else (lambda x: math.floor(x + Fraction(1, 2)))
        assert table["soll_gerundet"].iloc[i] == whole(soll)
        assert table["aufnahmeverpflichtung"].iloc[i] == whole(duty)


_decimals = st.decimals(min_value="0.001", max_value="5000", places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2_000_000), _decimals, _decimals, st.integers(0, 900), _decimals),
                min_size=2, max_size=10),
       st.sampled_from(["0.7", "0.9", "0.25"]), st.sampled_from(["aufrunden", "runden"]))
def test_decimal_components_stocks_and_credits_follow_the_rational_rule(rows, w, rundung):
    # the key, Soll and obligation are computed in integers over common denominators (issue 25);
    # this is the rule written out in Fractions: the decimals as written, weights as written
    einwohner = [r[0] for r in rows]
    flaeche, anrechnung = [float(r[1]) for r in rows], [float(r[2]) for r in rows]
    bestand, verrechnung = [r[3] for r in rows], [float(r[4]) for r in rows]
    g = pd.DataFrame({"ags": [f"0900{i:04d}" for i in range(len(rows))],
                      "gemeinde": [f"G{i}" for i in range(len(rows))],
                      "einwohner": np.array(einwohner, dtype=float), "flaeche": np.array(flaeche)})
    spec = KeySpec("gemischt", {"einwohner": float(w), "flaeche": 1 - float(w)})
    k = compute_key(g, spec)
    state = SystemState("test", g, k["schluessel"].to_numpy(), np.array(bestand, dtype=float), np.array(anrechnung),
                        verrechnung=np.array(verrechnung), info={"schluessel_exakt": k.attrs["exakt"]})
    table = verteilstatistik(state, rundung)

    def dec(x: float) -> Fraction:
        return Fraction(repr(x))

    we, wf = Fraction(w), dec(1 - float(w))  # the weights as the spec holds them
    key = [we * Fraction(e, sum(einwohner)) + wf * dec(f) / sum(map(dec, flaeche), Fraction(0))
           for e, f in zip(einwohner, flaeche, strict=True)]
    assert k.attrs["exakt"]() == key
    total = sum(bestand) + sum((dec(round(a, 9)) for a in anrechnung), Fraction(0))
    whole = math.ceil if rundung == "aufrunden" else (lambda x: math.floor(x + Fraction(1, 2)))
    for i in range(len(rows)):
        soll = key[i] * total
        duty = max(Fraction(0), soll - bestand[i] - dec(round(anrechnung[i], 9)) - dec(round(verrechnung[i], 9)))
        assert table["soll_gerundet"].iloc[i] == whole(soll)
        assert table["aufnahmeverpflichtung"].iloc[i] == whole(duty)
