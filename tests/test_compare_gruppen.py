"""`compare._group_sums` sums on arrays for a model's few hundred rows (`verteilung.gruppen`): every
bit as pandas' own grouped sum (the order of the groups, the dtypes, the compensated float sums), or
pandas decides. Written for h54's Python route, kept for the merged `gruppen` route (issue 25)."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

compare = importlib.import_module("verteilung.compare")
SUMMEN = ("einwohner", "last_nachher", "zuweisung")

NAMEN = st.sampled_from(["Köln", "köln", "Aachen", "Ärzte", "Zülpich", "", "a b", "Ω", "05111000", "Düren"])
ZAHLEN = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False) | st.sampled_from([0.1, 0.2, 0.3, 1e16, -1e16])


def pandas_sums(rows: pd.DataFrame, col: str) -> pd.DataFrame:
    """The pandas route of `_group_sums` (its fallback)."""
    grp = rows[["modell", col, *SUMMEN]].groupby(["modell", col], sort=True)
    out = grp.sum()
    out.insert(0, "gemeinden", grp.size())
    return out.reset_index()


def same(rows: pd.DataFrame, col: str) -> None:
    got, want = compare._group_sums(rows, col), pandas_sums(rows, col)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.columns.dtype == want.columns.dtype and list(got.dtypes) == list(want.dtypes)
    for c in SUMMEN:
        assert got[c].to_numpy().tobytes() == want[c].to_numpy().tobytes()


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(1, 60), storage=st.sampled_from(["pyarrow", "python"]),
       einwohner_float=st.booleans())
def test_group_sums_equal_pandas_bit_for_bit(data, n, storage, einwohner_float):
    dtype = pd.StringDtype(storage, na_value=np.nan)
    modell = data.draw(st.lists(st.sampled_from(["status-quo", "m1", "eigene-gewichte"]), min_size=n, max_size=n))
    kreis = data.draw(st.lists(NAMEN, min_size=n, max_size=n))
    last = data.draw(st.lists(ZAHLEN, min_size=n, max_size=n))
    einwohner = data.draw(st.lists(st.integers(0, 2_000_000), min_size=n, max_size=n))
    rows = pd.DataFrame({
        "modell": pd.array(modell, dtype=dtype), "kreis": pd.array(kreis, dtype=dtype),
        "einwohner": np.array(einwohner, dtype=float if einwohner_float else np.int64),
        "last_nachher": np.array(last), "zuweisung": np.array(data.draw(
            st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n)), dtype=np.int64)})
    same(rows, "kreis")


@pytest.mark.parametrize("odd", ["missing_group", "missing_model", "inf", "nan", "bool", "sorted"])
def test_group_sums_leave_odd_rows_to_pandas(odd):
    """A missing group or model, a float that is not finite, a column of another type, rows sorted
    by group: pandas sums (and drops what it drops)."""
    rows = pd.DataFrame({"modell": ["a", "a", "b", "b"], "kreis": ["y", "x", "x", "x"],
                         "einwohner": [1, 2, 3, 4], "last_nachher": [0.5, 1.5, 2.5, 3.5], "zuweisung": [1, 0, 2, 3]})
    if odd == "missing_group":
        rows.loc[1, "kreis"] = None
    elif odd == "missing_model":
        rows.loc[2, "modell"] = None
    elif odd == "inf":
        rows.loc[0, "last_nachher"] = np.inf
    elif odd == "nan":
        rows.loc[0, "last_nachher"] = np.nan
    elif odd == "bool":
        rows["zuweisung"] = rows["zuweisung"] > 0
    else:
        rows["kreis"] = ["x", "y", "x", "x"]
    pd.testing.assert_frame_equal(compare._group_sums(rows, "kreis"), pandas_sums(rows, "kreis"), check_exact=True)


def test_group_sums_of_the_shipped_models_equal_pandas():
    """On the shipped data, every model's part and every grouping (the app's and compare's route)."""
    from verteilung.app.engine import Einstellungen, Engine

    res = Engine().periode(Einstellungen(gewichte=(("einwohner", 0.8), ("flaeche", 0.1), ("arbeitslose", 0.1))))
    assert len(res.je_modell) >= 3
    for piece in res.je_modell.values():
        for col in compare.GROUPS.values():
            same(piece.part.rows, col)
    many = pd.concat([p.part.rows for p in res.je_modell.values()], ignore_index=True)
    same(many, "kreis")
