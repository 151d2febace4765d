"""`verteilung compare`'s output: writing the results folder and printing the terminal summary.

The part of the command after the comparison is computed: `report.vergleich.write_outputs` (19
machine CSVs, the JSON summary, the officer's workbook, staged into a fresh folder) and
`report.terminal.print_compare` (the rich table and findings). Measured in-process as the CLI runs
them (pandas' ``str`` columns in Python storage, no cyclic garbage collector), the comparison
computed once, then CPU time (``time.process_time``) of each call; median of ``--calls`` calls
per process, median of ``--repeat`` processes.

Baseline in the same run: the revision before this work (``BASIS``, checked out with
``git worktree`` into a temporary folder and imported from there), its processes alternating with
the current tree's, so only the ratio means anything on a loaded machine.

Run: python benchmarks/bench_ausgabe.py [--repeat 5] [--calls 15]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
BASIS = "d9dfa676369e63e67a73a51394d4f5b2050862a6"  # main before the writer work of issue 25


def measure(calls: int) -> dict[str, float]:
    """Median CPU seconds of ``write_outputs`` and ``print_compare`` with whatever ``verteilung`` is
    on the path, after one whole ``compare`` run (imports, caches) and two unmeasured calls."""
    import gc

    from verteilung.cli import main
    from verteilung.compare import compare
    from verteilung.io import python_strings
    from verteilung.report.terminal import print_compare
    from verteilung.report.vergleich import write_outputs

    with tempfile.TemporaryDirectory() as tmp:
        with contextlib.redirect_stdout(io.StringIO()):
            main(["compare", "--out", f"{tmp}/warm"])
        gc.disable()
        writing, printing = [], []
        with python_strings():
            res = compare()
            for i in range(calls + 2):
                t = time.process_time()
                folder = write_outputs(res, Path(tmp) / f"v{i}")
                t1 = time.process_time()
                with contextlib.redirect_stdout(io.StringIO()):  # not a terminal: 160 columns, as in a pipe
                    print_compare(res, folder)
                t2 = time.process_time()
                if i >= 2:
                    writing.append(t1 - t)
                    printing.append(t2 - t1)
        gc.enable()
    return {"write": statistics.median(writing), "print": statistics.median(printing)}


def in_process(tree: Path, calls: int) -> dict[str, float]:
    """`measure` in a fresh process importing ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, __file__, "--intern", str(calls)], cwd=tree, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    import ergebnis  # noqa: F401 - its LAST_VORHER: the load before this run starts its work

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--calls", type=int, default=15)
    ap.add_argument("--intern", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.intern:
        print(json.dumps(measure(args.intern)))
        return

    from bench_compare import baseline_tree
    from ergebnis import save

    from verteilung.io.deutsch import fmt_dec

    new: list[dict[str, float]] = []
    old: list[dict[str, float]] = []
    with baseline_tree(BASIS) as basis:
        for _ in range(args.repeat):  # alternating, so load hits both alike
            new.append(in_process(ROOT, args.calls))
            old.append(in_process(basis, args.calls))

    def med(samples: list[dict[str, float]], key: str) -> float:
        if key == "sum":
            return statistics.median(s["write"] + s["print"] for s in samples)
        return statistics.median(s[key] for s in samples)

    def s(x: float) -> str:
        return f"{fmt_dec(x, 3)} s CPU"

    rows = []
    for key, was in (("write", "Ergebnisordner schreiben (`write_outputs`: 19 CSV, JSON, Arbeitsmappe)"),
                     ("print", "Zusammenfassung im Terminal (`print_compare`)"),
                     ("sum", "beides zusammen")):
        n, b = med(new, key), med(old, key)
        rows.append({"was": f"`verteilung compare`, mitgelieferte Daten: {was}; im Prozess, Median von "
                            f"{args.repeat} Prozessen × {args.calls} Aufrufen",
                     "messung": s(n), "basis": f"{s(b)}: vorherige Fassung ({BASIS[:7]})",
                     "verhaeltnis": f"{fmt_dec(b / n, 2)}× (CPU)",
                     "ziel": f"{fmt_dec(b - n, 3)} s CPU weniger" + (" (Budget 0,060 s: erreicht)" if key == "sum"
                                                                     and b - n >= 0.06 else "")})
    save("ausgabe", f"python benchmarks/bench_ausgabe.py --repeat {args.repeat} --calls {args.calls}", rows)
    print(f"Last {os.getloadavg()[0]:.2f} (1 min), Basis {BASIS[:7]}")
    print(f"{'':10} {'neu s':>8} {'Basis s':>8} {'Faktor':>7}")
    for key in ("write", "print", "sum"):
        n, b = med(new, key), med(old, key)
        print(f"{key:10} {n:8.4f} {b:8.4f} {b / n:6.2f}×")


if __name__ == "__main__":
    main()
