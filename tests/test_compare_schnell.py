"""Issue 25, `verteilung compare` ≤ 1 s: the faster paths give the same bytes as the plain ones.

The CLI runs its commands with pandas' ``str`` columns in Python storage (`io.python_strings`);
the Python API keeps pandas' default (Arrow). Both must write the same files.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.io import parquet_bytes, python_strings


def _arrow_storage() -> bool:
    return pd.Series(["a"]).dtype.storage == "pyarrow"


def test_the_cli_runs_in_python_storage_and_restores_the_callers_setting(cli, monkeypatch, tmp_path):
    from verteilung.errors import InputError, Problem

    seen = []

    def spy(*args, **kwargs):
        seen.append(pd.Series(["a"]).dtype.storage)
        raise InputError(Problem("--bestand", "Probe"))

    import importlib

    monkeypatch.setattr(importlib.import_module("verteilung.compare"), "compare", spy)
    before = pd.get_option("mode.string_storage")
    r = cli("compare", "--out", tmp_path / "v")
    assert r.code == 2 and "Probe" in r.stderr
    assert seen == ["python"] and pd.get_option("mode.string_storage") == before


@pytest.mark.skipif(not _arrow_storage(), reason="pandas without pyarrow: one storage only")
def test_compare_folder_is_byte_identical_in_both_storages(tmp_path):
    """Every file of the default folder (workbook included), from the API in Arrow storage and
    in the CLI's Python storage."""
    from verteilung.compare import compare
    from verteilung.report.vergleich import write_outputs

    write_outputs(compare(), tmp_path / "arrow")
    with python_strings():
        res = compare()
        assert res.gemeinden["ags"].dtype.storage == "python"
        write_outputs(res, tmp_path / "python")
    names = sorted(p.name for p in (tmp_path / "arrow").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "python").iterdir()) and any(n.endswith(".xlsx") for n in names)
    for name in names:
        if name.startswith("."):  # the manifest names the folder it was written to
            continue
        assert (tmp_path / "arrow" / name).read_bytes() == (tmp_path / "python" / name).read_bytes(), name


texts = st.lists(st.one_of(st.none(), st.text(max_size=5)), min_size=1, max_size=6)


@settings(max_examples=30, deadline=None)
@given(texts, st.lists(st.sampled_from(["b", "a", "ö"]), min_size=1, max_size=6), st.booleans())
def test_parquet_is_the_same_in_both_storages(values, cats, ordered):
    """pandas writes the storage into Parquet's metadata; `parquet_bytes` writes Arrow's."""

    def table() -> pd.DataFrame:
        n = min(len(values), len(cats))
        return pd.DataFrame({"ags": values[:n], "zahl": range(n),
                             "nullbar": pd.Series(values[:n], dtype="string"),
                             "klasse": pd.Categorical(cats[:n], categories=["b", "a", "ö"], ordered=ordered)})

    buf = io.BytesIO()
    table().to_parquet(buf, index=False)  # the default storage, as before the CLI changed it
    with python_strings():
        shown = parquet_bytes(table())
    assert shown == buf.getvalue() == parquet_bytes(table())
    assert pd.read_parquet(io.BytesIO(shown))["ags"].tolist() == table()["ags"].tolist()


def test_command_annotations_are_objects_not_strings():
    """typer evaluates string annotations of every command on every start (30 ms of compare)."""
    import inspect

    from verteilung import cli as cli_module

    commands = [c.callback for g in (cli_module.app, cli_module.data_app) for c in g.registered_commands]
    assert len(commands) > 15
    for fn in commands:
        for p in inspect.signature(fn).parameters.values():
            assert not isinstance(p.annotation, str), (fn.__name__, p.name)
