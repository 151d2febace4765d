"""What the tool writes in machine formats it reads back unchanged (issue 22).

Every machine output (machine CSV, JSON, Parquet, XLSX) of `keys`, `status` and `allocate` is read
back: by the Gemeinde input reader where one matches (`keys` → `--gemeinden`), by the input number
grammar cell by cell (machine CSV), by pandas and openpyxl otherwise, and gives the same numbers:
exactly for CSV, JSON and Parquet; to XLSX's 16 significant digits (XlsxWriter writes ``%.16G``).
The shipped inputs pass `data check`.
"""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from verteilung import api
from verteilung.data import load_gemeinden
from verteilung.resources import shipped
from verteilung.vocab import label

SCENARIO = shipped("inputs", "nrw", "szenario", "bestand_synthetisch_2024.csv")


def _commands(system: str) -> dict[str, tuple[list[str], pd.DataFrame]]:
    stock = ["--bestand", str(SCENARIO)]
    return {
        "keys": (["keys", "--system", system, "--jahr", "2024"], api.keys(system, jahr=2024).table),
        "status": (["status", "--system", system, *stock], api.status(system, SCENARIO).table),
        "allocate": (["allocate", "--system", system, *stock, "--personen", "300"],
                     api.allocate(system, SCENARIO, personen=300).table),
    }


def _numeric(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]


def _same(got: list, want: list, rel: float = 0.0) -> bool:
    for g, w in zip(got, want, strict=True):
        if w is None or (isinstance(w, float) and math.isnan(w)):
            if not (g is None or (isinstance(g, float) and math.isnan(g))):
                return False
        elif (g != w) if rel == 0 else not math.isclose(float(g), float(w), rel_tol=rel):
            return False
    return True


@pytest.mark.parametrize("system", ["flueag", "wsa"])
def test_machine_outputs_read_back_with_the_same_numbers(cli, tmp_path, system):
    for name, (args, table) in _commands(system).items():
        numbers = _numeric(table)
        assert numbers, name
        # machine CSV: the shortest text of each float, read back exactly
        r = cli(*args, "--format", "csv")
        assert r.code == 0, r.stderr
        back = pd.read_csv(io.StringIO(r.stdout), dtype={"ags": str})
        for col in numbers:
            assert _same(back[col].tolist(), table[col].tolist()), (name, "csv", col)
        # JSON
        r = cli(*args, "--format", "json")
        data = json.loads(r.stdout)["rows"]
        for col in numbers:
            assert _same([row[col] for row in data], table[col].tolist()), (name, "json", col)
        # Parquet
        assert cli(*args, "--out", tmp_path / f"{name}.parquet").code == 0
        pq = pd.read_parquet(tmp_path / f"{name}.parquet")
        for col in numbers:
            assert _same(pq[col].tolist(), table[col].tolist()), (name, "parquet", col)
        # XLSX: German headers (the vocabulary's labels), the marker line above them
        assert cli(*args, "--out", tmp_path / f"{name}.xlsx").code == 0
        ws = load_workbook(tmp_path / f"{name}.xlsx").worksheets[0]
        values = list(ws.iter_rows(values_only=True))
        head_at = 1 if str(values[0][0]).startswith(("SYNTHETISCH", "NÄHERUNG")) else 0
        head = list(values[head_at])
        for col in numbers:
            j = head.index(label(col))
            assert _same([row[j] for row in values[head_at + 1:]], table[col].tolist(), rel=1e-15), \
                (name, "xlsx", col)


@pytest.mark.parametrize("suffix", ["csv_maschinell", "csv", "xlsx"])
def test_keys_output_is_a_gemeinde_file_again(cli, tmp_path, suffix):
    """The Gemeinde reader (the input number grammar) takes the tool's own `keys` output: population,
    area and the approximated unemployment (17-digit decimals) come back, the key is the same."""
    table = api.keys("wsa", jahr=2024).table
    out = tmp_path / f"k.{suffix.split('_')[0]}"
    extra = ["--format", "csv"] if suffix == "csv_maschinell" else []
    r = cli("keys", "--system", "wsa", "--jahr", "2024", "--out", out, *extra)
    assert r.code == 0, r.stderr
    g = load_gemeinden(out)
    rel = 1e-15 if suffix == "xlsx" else 0.0
    for col in ("einwohner", "flaeche_km2", "arbeitslose"):
        assert _same(g[col].tolist(), table[col].tolist(), rel), (suffix, col)
    again = api.keys("wsa", gemeinden=out, jahr=2024).table
    assert _same(again["schluessel"].tolist(), table["schluessel"].tolist(), 1e-12), suffix


def test_shipped_gemeinde_attributes_with_their_population_are_accepted(cli, tmp_path):
    """inputs/nrw/gemeinden.csv with the population of its key year is a valid Gemeinde file:
    a coordinate like 8.362 (longitude) is 8,362, not an ambiguous 8362."""
    g = pd.read_csv(shipped("inputs", "nrw", "gemeinden.csv"), dtype=str, keep_default_na=False)
    pop = pd.read_csv(shipped("inputs", "nrw", "bevoelkerung.csv"), dtype=str, keep_default_na=False)
    pop = pop[pop["stichtag"] == "2023-12-31"][["ags", "einwohner", "flaeche_km2"]]
    path = tmp_path / "gemeinden.csv"
    g.merge(pop, on="ags").to_csv(path, index=False)
    assert "8.362" in path.read_text(encoding="utf-8")
    r = cli("data", "check", "--gemeinden", path, "--jahr", "2024")
    assert r.code == 0, r.stderr
    back = load_gemeinden(path)
    assert back.loc[back["lon"] == 8.362].shape[0] >= 1
    assert back["lon"].between(5.8, 9.5).all() and back["lat"].between(50.3, 52.6).all()


@pytest.mark.parametrize("args", [[], ["--bestand", str(SCENARIO)], ["--jahr", "2014"]])
def test_shipped_inputs_pass_data_check(cli, args):
    r = cli("data", "check", *args)
    assert r.code == 0, r.stderr


def test_a_reading_above_a_decimal_columns_bound_is_impossible_but_counts_stay_strict():
    from verteilung.data.zahlen import Zahlfehler, parse_zahl

    assert parse_zahl("8.362", ganz=False, max_wert=180.0) == 8.362      # longitude, not 8362°
    assert parse_zahl("0.03470051436959516", ganz=False) == 0.03470051436959516  # 16 significant digits
    with pytest.raises(Zahlfehler, match="mehrdeutig"):
        parse_zahl("8.362", ganz=False)                                    # no bound: both readings possible
    with pytest.raises(Zahlfehler, match="mehrdeutig"):
        parse_zahl("278.000", ganz=True, max_wert=23_000)                  # a count: 278 or 278000?
    with pytest.raises(Zahlfehler, match="18 Ziffern"):
        parse_zahl("1.23456789012345678", ganz=False)
