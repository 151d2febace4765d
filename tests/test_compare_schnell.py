"""Issue 25, `verteilung compare` ≤ 1 s: the faster paths give the same bytes as the plain ones.

The CLI runs its commands with pandas' ``str`` columns in Python storage (`io.python_strings`);
the Python API keeps pandas' default (Arrow). Both must write the same files.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

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


_cells = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
                   st.booleans(), st.text(alphabet=st.sampled_from(list('aöß ,;"\'\n\r\t=-1.')), max_size=6))


@st.composite
def _frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    kinds = draw(st.lists(st.sampled_from(["float", "float32", "int", "uint", "bool", "object", "str", "date",
                                           "Int64"]), min_size=1, max_size=6))
    names = draw(st.lists(st.text(alphabet=st.sampled_from(list('ab ,"ö')), min_size=0, max_size=4),
                          min_size=len(kinds), max_size=len(kinds)))
    cols = []
    for kind in kinds:
        if kind in ("float", "float32"):
            xs = draw(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32 if kind == "float32"
                                                   else 64), st.sampled_from([0.1, 1e16, 1e-5, 123456.789, -0.0])),
                               min_size=n, max_size=n))
            cols.append(pd.Series(xs, dtype="float32" if kind == "float32" else "float64"))
        elif kind in ("int", "uint"):
            xs = draw(st.lists(st.integers(0 if kind == "uint" else -(2**63), 2**63 - 1), min_size=n, max_size=n))
            cols.append(pd.Series(xs, dtype="uint64" if kind == "uint" else "int64"))
        elif kind == "bool":
            cols.append(pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool))
        elif kind == "object":
            cols.append(pd.Series(draw(st.lists(_cells, min_size=n, max_size=n)), dtype=object))
        elif kind == "str":
            xs = draw(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list('aö ,"\n\r')), max_size=5)),
                               min_size=n, max_size=n))
            cols.append(pd.Series(xs, dtype="str"))
        elif kind == "Int64":
            cols.append(pd.Series(draw(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=n, max_size=n)),
                                  dtype="Int64"))
        else:
            cols.append(pd.Series(pd.date_range("2024-01-01", periods=n, freq="D")))
    df = pd.concat(cols, axis=1, ignore_index=True) if cols else pd.DataFrame()
    df.columns = names
    return df


@settings(max_examples=150, deadline=None)
@given(_frames(), st.booleans())
def test_csv_writer_gives_pandas_bytes(df, python_storage):
    """`io.to_csv_bytes` writes plain tables itself; its bytes are pandas' ``to_csv``, always."""
    from verteilung.io import to_csv_bytes

    with python_strings() if python_storage else contextlib.nullcontext():
        frame = df.copy()
        assert to_csv_bytes(frame) == frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def test_the_cli_loads_without_numpy_and_compare_runs_on_one_blas_thread():
    """numpy reads OPENBLAS_NUM_THREADS when it loads: the CLI module must not load it, so `main`
    can choose one thread for `compare` (its pool costs ~0,08 s CPU there) and keep the default
    for `sweep`. A fresh process, because this test session has numpy loaded."""
    import os
    import subprocess
    import sys

    code = ("import os, sys\n"
            "import verteilung.cli as c\n"
            "print('numpy' in sys.modules, 'pandas' in sys.modules)\n"
            "c._blas_threads(['sweep']); print(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
            "c._blas_threads(['--debug', 'compare', '--out', 'x']); print(os.environ.get('OPENBLAS_NUM_THREADS'))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split("\n")[:3] == ["False False", "None", "1"]
    kept = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**env, "OPENBLAS_NUM_THREADS": "2"}).stdout
    assert kept.split("\n")[1:3] == ["2", "2"]  # the user's setting wins


def test_console_script_ends_compare_without_teardown_but_complete(tmp_path):
    """`verteilung compare` ends with ``os._exit`` after its atexit handlers: every file whole, the
    terminal output flushed, the exit code kept, also for a refusal (exit 2). A fresh process:
    only the console script ends so."""
    import subprocess
    import sys

    marker = tmp_path / "atexit-lief"
    code = ("import atexit, pathlib, sys\n"
            f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'ja')\n"
            "sys.argv = ['verteilung', *sys.argv[1:]]\n"
            "from verteilung.cli import entry\n"
            "entry()\n")
    r = subprocess.run([sys.executable, "-c", code, "compare", "--out", str(tmp_path / "v")], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith(f"Alle Tabellen (CSV, JSON, XLSX): {tmp_path / 'v'}/")
    assert marker.read_text() == "ja"
    golden = Path(__file__).parent / "golden" / "compare"
    for name in ("SYNTHETISCH_gemeinden.csv", "langfrist_mittel_gemeinden.csv"):
        assert (tmp_path / "v" / name).read_bytes() == (golden / name).read_bytes(), name
    import zipfile

    with zipfile.ZipFile(tmp_path / "v" / "SYNTHETISCH_vergleich.xlsx") as book:
        assert book.testzip() is None and "xl/worksheets/sheet3.xml" in book.namelist()
    refused = subprocess.run([sys.executable, "-c", code, "compare", "--bestand", str(tmp_path / "fehlt.csv"),
                              "--out", str(tmp_path / "w")], capture_output=True, text=True)
    assert refused.returncode == 2 and "Fehler:" in refused.stderr and not (tmp_path / "w").exists()


def test_compare_runs_without_the_cyclic_gc_and_restores_it(cli, monkeypatch, tmp_path):
    import gc
    import importlib

    from verteilung.errors import InputError, Problem

    seen = []

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        raise InputError(Problem("--bestand", "Probe"))

    monkeypatch.setattr(importlib.import_module("verteilung.compare"), "compare", spy)
    assert gc.isenabled()
    assert cli("compare", "--out", tmp_path / "v").code == 2
    assert seen == [False] and gc.isenabled()
    assert cli("keys", "--system", "flueag", "--format", "csv").code == 0 and gc.isenabled()
    # the report's matplotlib figures are reference cycles: with --report the collector stays on
    assert cli("compare", "--out", tmp_path / "r", "--report").code == 2
    assert seen == [False, True] and gc.isenabled()


def test_a_lost_final_flush_is_an_error_not_a_silent_0():
    """The fast exit flushes the terminal itself: output the disk could not take exits non-zero with a
    German message, as the interpreter's teardown would (it exits 120)."""
    import os
    import subprocess
    import sys

    code = ("import sys\nsys.stdout.write('{\"a\": 1}\\n')\n"
            "from verteilung.cli import _exit_now\n_exit_now(0)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-c", code], stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert r.returncode == 74 and r.stderr.startswith("Fehler:")
