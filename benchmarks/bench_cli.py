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
- `allocate --personen 10000000` (shipped data, synthetic stocks): baseline the same command with
  3,000 persons, so the ratio shows that the exact allocation no longer grows with N.
- bad stock file refused: `verteilung data check --bestand F` on generated files with unknown AGS
  (exit 2): 200 MB / 4 million rows (over the size limit) and 49.5 MB / 1.5 million rows (read until
  the first chunk proves it wrong); baseline: `pandas.read_csv(F, dtype=str)`, the step the
  previous loader took before its first check.

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
    "import verteilung.io.xlsx as x; x.workbook_bytes = old.workbook_bytes; "
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


ALLOCATE = ("from verteilung.cli import main; import sys; sys.exit(main(['allocate', '--system', 'flueag', "
            "'--bestand', 'inputs/nrw/szenario/bestand_synthetisch_2024.csv', '--personen', sys.argv[1], "
            "'--out', sys.argv[2]]))")
BAD = "from verteilung.cli import main; import sys; sys.exit(main(['data', 'check', '--bestand', sys.argv[1]]))"
BAD_BASELINE = "import sys, pandas as pd; pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)"


def bad_file(folder: Path, rows: int = 4_000_000, digits: int = 9) -> Path:
    """A stock file of ``rows`` rows whose AGS are all unknown (50 bytes a row with 9 digits)."""
    path = folder / f"bestand_unbekannt_{rows}.csv"
    n = "1" * digits
    line = "09{:06d}," + ",".join([n] * 4) + "\n"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("ags,flueag_bestand,anrechnung_plaetze,anrechnung_plaetze_eae,wsa_bestand\n")
        fh.writelines(line.format(i % 1_000_000) for i in range(rows))
    return path


def timed_status(code: str, repeat: int, *args: str) -> float:
    """Like `timed`, for a command that is meant to exit non-zero (a refusal)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        ("allocate 10,000,000 persons", timed(ALLOCATE, args.repeat, "10000000", "{tmp}/z.csv"),
         "3,000 persons", timed(ALLOCATE, args.repeat, "3000", "{tmp}/z.csv")),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for label, n, digits in (("200 MB", 4_000_000, 9), ("49.5 MB (under the size limit)", 1_500_000, 5)):
            big = str(bad_file(Path(tmp), n, digits))
            rows.append((f"bad stock file refused, {label}", timed_status(BAD, args.repeat, big),
                         "pandas.read_csv", timed_status(BAD_BASELINE, max(1, args.repeat // 3), big)))
            Path(big).unlink()
    print(f"whole processes, median of {args.repeat} runs each")
    print(f"{'what':36} {'median':>9} {'baseline':>18} {'median':>9} {'ratio':>7}")
    for what, t, base, tb in rows:
        print(f"{what:36} {t:8.3f}s {base:>18} {tb:8.3f}s {tb / t:6.1f}x")


if __name__ == "__main__":
    main()
