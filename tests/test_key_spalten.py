"""The key's column checks read the table without filtering it: the same columns and refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from verteilung.data import load_gemeinden
from verteilung.errors import InputError
from verteilung.law import flueag
from verteilung.law.key import NICHT_GEWICHTBAR, number_columns


def test_number_columns_are_the_numeric_non_flag_columns():
    g = load_gemeinden(jahr=2024).copy()
    g["flag"] = g["einwohner"] > 0
    g["lat"] = 51.0
    g["nullable"] = pd.array([1] * len(g), dtype="Int64")
    want = {str(c) for c in g.columns if pd.api.types.is_numeric_dtype(g[c])
            and not pd.api.types.is_bool_dtype(g[c]) and str(c) not in NICHT_GEWICHTBAR}
    got = number_columns(g)
    assert got == want
    assert {"einwohner", "flaeche_km2", "nullable"} <= got and not {"ags", "gemeinde", "flag", "lat"} & got


def test_a_blank_figure_is_refused_by_name():
    g = load_gemeinden(jahr=2024).copy()
    g["flaeche_km2"] = g["flaeche_km2"].astype(float)
    g.loc[3, "flaeche_km2"] = np.nan
    with pytest.raises(InputError) as err:
        flueag.key(g, "2024-01-01")
    text = err.value.render()
    assert f"flaeche_km2 ist leer für {g.loc[3, 'gemeinde']}" in text and g.loc[3, "ags"] in text
    assert len(flueag.key(load_gemeinden(jahr=2024), "2024-01-01")) == len(g)  # complete: no refusal
