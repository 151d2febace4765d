"""Shipped data: counts and sums against the published figures, years, blanks."""

from __future__ import annotations

import pytest

from verteilung.data import available_years, load_gemeinden
from verteilung.errors import InputError
from verteilung.law import flueag


def test_shipped_2024_matches_destatis_sums(cli):
    r = cli("data", "check", "--format", "json", "--jahr", "2024")
    assert r.code == 0, r.stderr
    d = r.json()
    assert d["einheiten"] == 396 and d["einheit"] == "Gemeinden"
    assert d["einwohner"] == 18_190_422
    assert d["flaeche_km2"] == pytest.approx(34_112.56, abs=0.005)
    assert d["stichtag_bevoelkerung"] == "2023-12-31"


def test_shipped_2016_uses_figures_of_31_12_2015(cli):
    d = cli("data", "check", "--format", "json", "--jahr", "2016").json()
    assert d["einwohner"] == 17_865_516
    assert d["stichtag_bevoelkerung"] == "2015-12-31"


def test_default_year_is_newest():
    assert load_gemeinden().attrs["jahr"] == max(available_years()) == 2024


def test_year_without_data_lists_available_years(cli):
    r = cli("data", "check", "--jahr", "2019")
    assert r.code == 2
    assert "2019" in r.stderr and "2018, 2020" in r.stderr


def test_ags_keep_leading_zero_and_are_unique():
    g = load_gemeinden(jahr=2024)
    assert g["ags"].str.fullmatch(r"05\d{6}").all()
    assert g["ags"].is_unique
    assert set(g["gemeinde_typ"]) == {"kreisfreie Stadt", "kreisangehörige Stadt", "kreisangehörige Gemeinde"}
    assert g["mietpreisbremse_2015"].sum() == 22


def test_blank_population_2017_refuses_key_naming_the_six():
    g = load_gemeinden(jahr=2017)
    assert g["einwohner"].isna().sum() == 6
    with pytest.raises(InputError) as exc:
        flueag.key(g, "2017-01-01")
    msg = str(exc.value)
    for ags in ("05154028", "05554052", "05762004", "05762012", "05962016", "05978036"):
        assert ags in msg


def test_data_list_reports_years(cli):
    r = cli("data", "list", "--format", "json")
    assert r.code == 0
    years = [row["jahr"] for row in r.json()["rows"] if row["datensatz"] == "nrw"]
    assert years == available_years()


def test_console_script_runs_as_installed(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "verteilung", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("verteilung ")


def test_installed_package_works_outside_the_checkout(tmp_path):
    """Run the installed console script away from the repository: shipped data, models, parameters
    and report templates must come with the package (in CI this is the wheel `pip install` built)."""
    import json
    import os
    import shutil
    import subprocess

    exe = shutil.which("verteilung")
    if exe is None:
        pytest.skip("console script not installed (pip install .)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    check = subprocess.run([exe, "data", "check", "--format", "json"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True)
    assert json.loads(check.stdout)["einwohner"] == 18_190_422
    subprocess.run([exe, "report", "--monate", "1", "--modelle", "status-quo,m1-gemeinsamer-bestand", "--out",
                    "b.html"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert (tmp_path / "b.html").stat().st_size > 100_000
