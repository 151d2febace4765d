"""The synthetic stock scenario matches the published spread of quotas and is what its script writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import verteilung
from scripts import make_szenario as ms
from verteilung.compare import default_bestand

# the published quotas beside the repository (../shared/data); absent in a bare checkout
PUBLISHED = Path(__file__).resolve().parents[2] / "shared" / "data" / "nrw_veroeffentlichte_quoten.csv"


@pytest.fixture(scope="module")
def quoten() -> pd.DataFrame:
    table, info = verteilung.status("flueag", default_bestand(), jahr=2024)
    assert "SYNTHETISCH" in str(info.get("hinweis"))  # the scenario stays labelled
    g = verteilung.prepare(jahr=2024).gemeinden.set_index("ags")
    return table.assign(kreis=table["ags"].map(g["kreis"]))


def test_across_the_land_about_110_of_396_below_90_percent(quoten):
    # target (A): 110 of 396 on 1 Jul 2016 (Landtag Drs. 16/12727), the Erfüllungsquote as status shows it
    assert abs(int((quoten["erfuellungsquote"] < 90).sum()) - 110) <= 5


def test_within_a_kreis_the_spread_of_rhein_kreis_neuss(quoten):
    published = pd.read_csv(PUBLISHED, dtype={"ags": str}) if PUBLISHED.exists() else None
    target = float(np.std(np.log(np.array(ms.NEUSS_QUOTEN) / 100), ddof=1))
    if published is not None:  # the script's copy of the published quotas is the file's
        neuss = published[published["ags"].str.startswith("05162")]
        assert tuple(neuss["erfuellungsquote_prozent"].astype(int)) == ms.NEUSS_QUOTEN
    assert target == pytest.approx(0.320, abs=5e-4)
    logs = quoten.assign(l=np.log(quoten["erfuellungsquote"] / 100)).groupby("kreis")["l"].agg(["std", "count"])
    median_sd = float(logs.loc[logs["count"] >= 5, "std"].median())
    assert median_sd == pytest.approx(target, abs=0.02)
    # and a Kreis ranges as widely as Neuss did (53 % to 145 %): the median Kreis' max/min ratio
    spread = quoten.groupby("kreis")["erfuellungsquote"].agg(lambda q: q.max() / q.min())
    assert 1.5 <= float(spread.median()) <= 6


def test_the_shipped_file_is_what_the_seeded_script_writes():
    df, facts = ms.build()
    shipped = default_bestand().read_bytes()
    assert df.to_csv(index=False, lineterminator="\n").encode() == shipped
    assert facts["below"] == 111 and abs(facts["within_sd"] - ms.neuss_sigma()) < 0.01
