"""Benchmark German presentation: Babel's first-use cost and the cost per table cell.

Tables (SYNTHETIC values, seeded): a Verteilstatistik-shaped table of 396 rows and the compare
Gemeinden table of 5 models x 396 rows, 23 columns. Prints medians of repeated runs for
``deutsch.present`` (terminal/HTML text), ``deutsch.excel_csv_bytes`` and, for comparison, the
machine CSV (``DataFrame.to_csv``).

Run: python benchmarks/bench_deutsch.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd


def frame(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "modell": "status-quo", "ags": [f"05{i:06d}" for i in range(rows)],
        "gemeinde": [f"Gemeinde {i}" for i in range(rows)], "kreis": "Kreis", "regierungsbezirk": "Köln",
        "gemeinde_typ": "kreisangehörig", "verstaedterung": "mittel",
        "einwohner": rng.integers(2_000, 1_100_000, rows), "soll_nach_zuweisung": rng.uniform(10, 9_000, rows),
        "gezaehlt": rng.uniform(10, 9_000, rows), "erfuellungsquote_nachher": rng.uniform(50, 200, rows),
        "zuweisung": rng.integers(0, 400, rows), "erfuellungsquote_nachher_flueag": rng.uniform(50, 200, rows),
        "zuweisung_flueag": rng.integers(0, 200, rows), "erfuellungsquote_nachher_wsa": rng.uniform(50, 200, rows),
        "zuweisung_wsa": rng.integers(0, 200, rows), "last_nachher": rng.uniform(10, 9_000, rows),
        "last_je_1000": rng.uniform(2, 30, rows), "last_index": rng.uniform(20, 300, rows),
        "schluessel": rng.uniform(0, 0.03, rows), "anrechnung": rng.uniform(0, 900, rows),
        "aenderung_je_1000": rng.normal(0, 2, rows), "aenderung_zuweisung": rng.integers(-50, 50, rows),
    })


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def first_use_ms() -> float:
    """Import plus first formatted number in a fresh interpreter, minus the bare import of the module."""
    code = ("import time; t=time.perf_counter(); from verteilung.io import deutsch as de; t1=time.perf_counter();"
            " de.fmt_dec(2169.185); print((time.perf_counter()-t1)*1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from verteilung.io import deutsch as de

    print(f"first German number in a fresh process (Babel import + de_DE data): {first_use_ms():.0f} ms")
    for rows in (396, 5 * 396):
        df = frame(rows)
        cells = df.size
        t_present = median_seconds(lambda df=df: de.present(df), args.repeat)
        t_excel = median_seconds(lambda df=df: de.excel_csv_bytes(df), args.repeat)
        t_machine = median_seconds(lambda df=df: df.to_csv(index=False), args.repeat)
        print(f"{rows:5d} rows x {df.shape[1]} columns ({cells:,} cells): present {t_present * 1000:7.1f} ms "
              f"({t_present / cells * 1e6:.1f} µs/cell), Excel CSV {t_excel * 1000:6.1f} ms, "
              f"machine CSV {t_machine * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
