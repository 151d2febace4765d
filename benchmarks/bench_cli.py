"""Whole-process timings of the CLI: `verteilung --help` and the main job `verteilung compare`.

Each row is the median wall time of N runs of a fresh Python process (subprocess +
time.perf_counter, output to a temporary folder), so imports and start-up count as a user sees
them. Baselines measured in the same run:
- `--help`, eager imports: the same `--help`, but the process first imports what
  `import verteilung` used to import (verteilung.api, verteilung.compare, verteilung.data, which
  pull in pandas and the model code), as the package did before imports were made lazy.
- `compare`, openpyxl writer: the same `compare` on the same data, with the workbook written by
  the previous openpyxl writer (benchmarks/openpyxl_writer_baseline.py, the old
  verteilung/report/xlsx.py verbatim) patched in place of the XlsxWriter one.

Run: python benchmarks/bench_cli.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HELP = "from verteilung.cli import main; import sys; sys.exit(main(['--help']))"
HELP_EAGER = ("import verteilung.api, verteilung.compare, verteilung.data; "
              "from verteilung.cli import main; import sys; sys.exit(main(['--help']))")
COMPARE = "from verteilung.cli import main; import sys; sys.exit(main(['compare', '--out', sys.argv[1]]))"
COMPARE_OPENPYXL = (
    "import sys; sys.path.insert(0, 'benchmarks'); import openpyxl_writer_baseline as old; "
    "import verteilung.report.xlsx as x; x.workbook_bytes = old.workbook_bytes; "
    "from verteilung.cli import main; sys.exit(main(['compare', '--out', sys.argv[1]]))"
)


def timed(code: str, repeat: int, *args: str) -> float:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code, *(a.replace("{tmp}", tmp) for a in args)],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows = [
        ("verteilung --help", timed(HELP, args.repeat), "eager imports", timed(HELP_EAGER, args.repeat)),
        ("verteilung compare (shipped data)", timed(COMPARE, args.repeat, "{tmp}/v"),
         "openpyxl writer", timed(COMPARE_OPENPYXL, args.repeat, "{tmp}/v")),
    ]
    print(f"whole processes, median of {args.repeat} runs each")
    print(f"{'what':36} {'median':>9} {'baseline':>18} {'median':>9} {'ratio':>7}")
    for what, t, base, tb in rows:
        print(f"{what:36} {t:8.3f}s {base:>18} {tb:8.3f}s {tb / t:6.1f}x")


if __name__ == "__main__":
    main()
