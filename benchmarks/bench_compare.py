"""`verteilung compare`, the main job: wall and CPU time, shipped data and 11,088 Gemeinden.

Every row has a baseline measured in the same run: the revision before issue 25's compare work
(``BASIS``, checked out with ``git worktree`` into a temporary folder and imported from there),
so only ratios on a loaded machine mean anything.

Rows:
- whole process ``verteilung compare --out DIR`` (the console script's entry point) on the shipped
  data, median of ``--repeat`` fresh processes, new and baseline alternating (CPU = user + system
  time of the process);
- the same with ``--alles`` (every file, as the baseline writes by default): the speed-up with
  identical outputs;
- the start alone: the same fresh process, ended where the command calls ``verteilung.compare.compare``
  (an import hook replaces it by ``os._exit``): interpreter, imports and command line, before anything
  is computed;
- 11,088 Gemeinden: the shipped NRW table repeated 28 times (AGS made unique, stocks likewise;
  SYNTHETISCH), the five default models compared and the default output folder written, in one
  process (median of 3), for both revisions; with the string storage and garbage collection the
  CLI uses (`verteilung.io.python_strings`, `verteilung.cli.ohne_zyklen_gc`) where the revision
  has them.

Both trees are byte-compiled first (an installed package has its bytecode; this machine sets
PYTHONDONTWRITEBYTECODE, which would otherwise make both revisions compile on every start).

Run: python benchmarks/bench_compare.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
BASIS = "452a52b8e5fada3825deedbed4b9b43f40f5da97"  # main before issue 25's compare work
# the console script `verteilung compare --out DIR` (`cli.entry`, as the README's quick start runs it)
COMPARE = ("import sys; sys.argv = ['verteilung', 'compare', '--out', *sys.argv[1:]]; "
           "from verteilung.cli import entry; entry()")
# the same process, ended when the command starts computing: `verteilung.compare.compare` becomes `os._exit`
START = """import importlib.abc, importlib.util, os, sys
class Halt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "verteilung.compare":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module
        def exec_module(module):
            load(module)
            module.compare = lambda *args, **kwargs: os._exit(0)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Halt())
""" + COMPARE


@contextlib.contextmanager
def baseline_tree(rev: str = BASIS) -> Iterator[Path]:
    """The baseline revision (``rev``) as a temporary git worktree (removed afterwards)."""
    tmp = Path(tempfile.mkdtemp(prefix="verteilung-basis-"))
    tree = tmp / "basis"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), rev], cwd=ROOT, check=True)
    try:
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def compiled(tree: Path) -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "verteilung")], check=True,
                   stdout=subprocess.DEVNULL)


def env_for(tree: Path) -> dict[str, str]:
    """Import ``verteilung`` from ``tree`` (before the editable install's path)."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def one_process(tree: Path, args: list[str], code: str = COMPARE) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh ``compare`` process importing ``tree`` (``code``: `COMPARE`
    or `START`)."""
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, f"{tmp}/v", *args], cwd=tree, env=env_for(tree), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if code is START and Path(tmp, "v").exists():  # the hook missed: the whole command ran
            raise RuntimeError(f"{tree}: compare was not stopped before it computed")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def processes(runs: list[tuple[Path, list[str], str]], repeat: int) -> list[tuple[float, float]]:
    """Median wall and CPU per entry of ``runs`` (tree, arguments, code), the entries alternating so
    load hits all alike."""
    samples: list[list[tuple[float, float]]] = [[] for _ in runs]
    for _ in range(repeat):
        for k, (tree, args, code) in enumerate(runs):
            samples[k].append(one_process(tree, args, code))
    return [(statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for s in samples]


def large(times: int = 28, repeat: int = 3) -> dict[str, float]:
    """compare_models + write_outputs (the default folder) on the NRW table repeated ``times`` times,
    with whatever ``verteilung`` is on the path; median wall and CPU seconds."""
    import pandas as pd

    from verteilung.compare import DEFAULT_MODELS, compare_models, default_bestand
    from verteilung.inputs import prepare
    from verteilung.law import systems
    from verteilung.model import Context, load_model, stock_columns_of
    from verteilung.report.vergleich import write_outputs

    defs = [load_model(m) for m in DEFAULT_MODELS]
    columns = stock_columns_of(defs)
    inp = prepare(bestand=default_bestand(), bestand_spalten=columns)

    def repeat_frame(df: pd.DataFrame) -> pd.DataFrame:
        parts = []
        for k in range(times):
            part = df.copy()
            part["ags"] = [f"{k:02d}{a[2:]}" for a in part["ags"]]
            parts.append(part)
        out = pd.concat(parts, ignore_index=True)
        out.attrs = dict(df.attrs)
        return out

    g, b = repeat_frame(inp.gemeinden), repeat_frame(inp.bestand)
    streams = {"flueag": systems.FLUEAG.standard_zugaenge * times, "wsa": systems.WSA.standard_zugaenge * times}
    info = {"modelle": [d.id for d in defs], "stichtag": inp.stichtag.isoformat(), "datenbasis": inp.datenbasis,
            "bestand_datei": "SYNTHETISCH (28 × NRW)", "synthetisch": True, "angenommen_null": [],
            "naeherungen": [], "zugaenge": streams,
            "alpha_m2": 0.5, "anrechnung_faktoren": {}}
    try:  # the string storage and garbage collection `verteilung compare` runs with (the CLI's, issue 25)
        from verteilung.cli import ohne_zyklen_gc
        from verteilung.io import python_strings
    except ImportError:  # the baseline revision: pandas' and Python's defaults
        python_strings = contextlib.nullcontext

        def ohne_zyklen_gc(argv: list[str]) -> contextlib.nullcontext:
            return contextlib.nullcontext()
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        with python_strings(), ohne_zyklen_gc(["compare"]):
            ctx = Context(g, b, inp.stichtag, streams, weitere_bestand=columns)
            res = compare_models(defs, ctx, info)
            with tempfile.TemporaryDirectory() as tmp:
                write_outputs(res, Path(tmp) / "v")
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "gemeinden": len(g)}


def large_in(tree: Path) -> dict[str, float]:
    """`large` in a fresh process importing ``tree``."""
    out = subprocess.run([sys.executable, __file__, "--intern-gross"], cwd=tree, env=env_for(tree), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    import ergebnis  # noqa: F401 - its LAST_VORHER: the load before this run starts its work

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--intern-gross", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.intern_gross:
        print(json.dumps(large()))
        return

    from ergebnis import save

    from verteilung.io.deutsch import fmt_dec, fmt_int

    load = os.getloadavg()[0]
    with baseline_tree() as basis:
        compiled(ROOT)
        compiled(basis)
        new, new_all, old, start_new, start_old = processes(
            [(ROOT, [], COMPARE), (ROOT, ["--alles"], COMPARE), (basis, [], COMPARE), (ROOT, [], START),
             (basis, [], START)], args.repeat)
        big_new, big_old = large_in(ROOT), large_in(basis)
    n = int(big_new["gemeinden"])

    def s(x: float) -> str:
        return f"{fmt_dec(x, 2)} s"

    def met(ok: bool) -> str:
        return "erreicht" if ok else "**verfehlt**"

    base = f"{s(old[0])} Wand, {s(old[1])} CPU: vorherige Fassung ({BASIS[:7]}, alle Dateien)"
    save("compare", f"python benchmarks/bench_compare.py --repeat {args.repeat}", [
        {"was": "`verteilung compare`, mitgelieferte Daten (ganzer Prozess, Median von "
                f"{args.repeat}; Vergleichsmappe, alle CSV, ohne die zwei Langfrist-Mappen)",
         "messung": f"{s(new[0])} Wand, {s(new[1])} CPU", "basis": base,
         "verhaeltnis": f"{fmt_dec(old[1] / new[1], 2)}× (CPU)",
         "ziel": f"≤ 1,0 s Wand: {met(new[0] <= 1.0)}; ≤ 0,8 s CPU: {met(new[1] <= 0.8)}"},
        {"was": "`verteilung compare --alles` (dieselben Dateien wie die Basis)",
         "messung": f"{s(new_all[0])} Wand, {s(new_all[1])} CPU", "basis": base,
         "verhaeltnis": f"{fmt_dec(old[1] / new_all[1], 2)}× (CPU)",
         "ziel": f"≤ 1,0 s Wand: {met(new_all[0] <= 1.0)}; ≤ 0,8 s CPU: {met(new_all[1] <= 0.8)}"},
        {"was": "Start von `verteilung compare` bis zur Rechnung (Interpreter, Importe, Befehlszeile; derselbe "
                f"Prozess, beendet, wo compare zu rechnen beginnt; Median von {args.repeat})",
         "messung": f"{s(start_new[0])} Wand, {s(start_new[1])} CPU",
         "basis": f"{s(start_old[0])} Wand, {s(start_old[1])} CPU: vorherige Fassung ({BASIS[:7]})",
         "verhaeltnis": f"{fmt_dec(start_old[1] / start_new[1], 2)}× (CPU)",
         "ziel": f"Teil der ≤ 0,8 s CPU: {fmt_dec(100 * start_new[1] / new[1], 0)} % des ganzen Prozesses"},
        {"was": f"`compare` mit {fmt_int(n)} Gemeinden (28 × NRW, Rechnung und Ausgabeordner, Median von 3)",
         "messung": f"{s(big_new['wall'])} Wand, {s(big_new['cpu'])} CPU",
         "basis": f"{s(big_old['wall'])} Wand, {s(big_old['cpu'])} CPU: vorherige Fassung ({BASIS[:7]})",
         "verhaeltnis": f"{fmt_dec(big_old['cpu'] / big_new['cpu'], 2)}× (CPU)",
         "ziel": f"≤ 3 s: {met(big_new['wall'] <= 3.0)} (Wand), {met(big_new['cpu'] <= 3.0)} (CPU)"},
    ])
    print(f"Last {load:.2f} (1 min), 2 Kerne; Median von {args.repeat} Prozessen / 3 Läufen; Basis {BASIS[:7]}")
    print(f"{'was':48} {'Wand s':>7} {'CPU s':>7} {'Basis Wand':>10} {'Basis CPU':>9} {'Faktor CPU':>10}")
    for label, (w, c), (bw, bc) in (("compare, mitgelieferte Daten (Standard)", new, old),
                                    ("compare --alles, mitgelieferte Daten", new_all, old),
                                    ("Start bis zur Rechnung (Importe, Befehlszeile)", start_new, start_old),
                                    (f"compare, {n:,} Gemeinden (Rechnung + Ausgabe)",
                                     (big_new["wall"], big_new["cpu"]), (big_old["wall"], big_old["cpu"]))):
        print(f"{label:48} {w:7.3f} {c:7.3f} {bw:10.3f} {bc:9.3f} {bc / c:9.2f}×")


if __name__ == "__main__":
    main()
