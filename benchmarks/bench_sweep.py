"""Benchmark sweeps: scenarios per second by engine, a naive PuLP baseline, the memory-bandwidth bound.

Workload: a three-weight sweep (einwohner, flaeche, arbeitslose on the simplex) of the own-weights
model on the 396 NRW Gemeinden with the SYNTHETIC stock scenario. Engines: one process,
--workers 2, Dask LocalCluster with 2 workers. Naive baseline: per scenario, the key with numpy
and the continuous allocation as a PuLP/HiGHS LP (maximise the lowest fulfilment), measured on a
subset and extrapolated (said so in the output). Physical limit: the time to read the S × 396
float64 quota matrix once at the measured memory bandwidth. Previous implementation: the same
runs with the metric code before issue 16 (sorting water levels, np.quantile, a separate Gini
sort, searchsorted histogram, whole batches at once), measured in the same run as the ratio
baseline (`faktor_vs_vorher`).

At 1,000,000 scenarios only the goal's engine (--workers 2) is run; add --million-baseline for
the previous implementation there too (its ratio row), --million-all for the single process
and Dask. Rows are printed as they finish.

Run: python benchmarks/bench_sweep.py [--repeat 3] [--skip-million] [--million-all]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pulp

from verteilung.solve.lp import quiet_stdout
from verteilung.sweep_runner import run_sweep

# the module, not the API function `verteilung.sweep` of the same name
sw = importlib.import_module("verteilung.sweep")

WEIGHTS = {"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1}
RANGES = {"einwohner": (0.6, 0.95), "flaeche": (0.0, 0.2)}


def scenarios(base: sw.Base, model: sw.SweepModel, count: int) -> pd.DataFrame:
    # sample more than needed, keep the first `count` on the simplex
    sc = sw.build_scenarios(model, base, RANGES, stichprobe=int(count * 1.25) + 10, seed=1)
    sc = sc.head(count).copy()
    sc["szenario"] = np.arange(len(sc))
    return sc


def _add_reference(self: sw.GemeindeStats, batch: sw.BatchResult, baseline_load: np.ndarray) -> None:
    """GemeindeStats.add before issue 16: searchsorted and one bincount per Gemeinde."""
    idx = np.searchsorted(sw.QUOTA_BINS, batch.quote, side="right")
    for i in range(batch.quote.shape[1]):
        self.hist[i] += np.bincount(idx[:, i], minlength=self.hist.shape[1])
    self.over_100 += (batch.quote > 100 + 1e-9).sum(axis=0)
    self.relieved += (batch.load < baseline_load - 1e-9).sum(axis=0)
    self.count += batch.quote.shape[0]


@contextlib.contextmanager
def previous_implementation():
    """Swap in the pre-issue-16 row work (workers fork from this process and inherit it)."""
    saved = sw._metrics, sw.chunk_rows, sw.GemeindeStats.add
    sw._metrics, sw.chunk_rows, sw.GemeindeStats.add = (sw.metrics_reference, lambda n: 10**9,
                                                         _add_reference)
    try:
        yield
    finally:
        sw._metrics, sw.chunk_rows, sw.GemeindeStats.add = saved


def timed_sweep(base, model, sc, repeat: int, **engine) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        out = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
        t0 = time.perf_counter()
        run_sweep(base, model, sc, out, batch=5000, **engine)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(out)
    med = statistics.median(times)
    return med, len(sc) / med


def naive_rate(base: sw.Base, model: sw.SweepModel, sc: pd.DataFrame, subset: int = 40) -> float:
    """Scenarios per second of a loop that solves one PuLP LP per scenario."""
    t0 = time.perf_counter()
    for _, row in sc.head(subset).iterrows():
        w = np.array([[row[c] for c in model.a.weights]])
        key = sw.vector_key(model.a, base, w, np.array([np.nan]), None)[0]
        last = base.flueag_bestand + base.wsa_bestand + base.plaetze
        n = float(row["zugaenge"])
        soll = key * (last.sum() + n)
        prob = pulp.LpProblem("naiv", pulp.LpMaximize)
        t = prob.add_variable("t")
        x = [prob.add_variable(f"x{i}", 0) for i in range(len(soll))]
        prob += t
        prob += pulp.lpSum(x) == n
        for i in range(len(soll)):
            prob += last[i] + x[i] >= t * soll[i]
        with quiet_stdout():
            prob.solve(pulp.HiGHS(msg=False))
    return subset / (time.perf_counter() - t0)


def bandwidth_gbs() -> float:
    a = np.ones(64 * 1024 * 1024 // 8 * 4)  # 256 MiB
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        a.sum()
        times.append(time.perf_counter() - t0)
    return a.nbytes / statistics.median(times) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-million", action="store_true")
    ap.add_argument("--million-all", action="store_true")
    ap.add_argument("--million-baseline", action="store_true")
    args = ap.parse_args()
    base = sw.prepare_base()
    model = sw.sweep_model("gewichtet", dt.date.fromisoformat(base.info["stichtag"]), WEIGHTS)
    rows = []
    sizes = [(10_000, args.repeat)] + ([] if args.skip_million else [(1_000_000, 1)])
    bw = bandwidth_gbs()
    for count, reps in sizes:
        sc = scenarios(base, model, count)
        before = {}
        with previous_implementation():
            for label, engine in (("1 Prozess", {}), ("--workers 2", {"workers": 2})):
                if count > 100_000 and (label == "1 Prozess" or not args.million_baseline):
                    continue  # the slow baseline at 1,000,000 only on request (those runs are long)
                med, rate = timed_sweep(base, model, sc, reps, **engine)
                before[label] = med
                rows.append({"szenarien": count, "engine": f"vorher: {label}", "median_s": med,
                             "szenarien_je_s": rate, "wiederholungen": reps})
                print(f"  {count:>9,} vorher {label}: median {med:,.2f} s", flush=True)
        for label, engine in (("1 Prozess", {}), ("--workers 2", {"workers": 2}),
                              ("Dask LocalCluster (2)", {"workers": 2, "dask": True})):
            if count > 100_000 and not args.million_all and label != "--workers 2":
                continue
            med, rate = timed_sweep(base, model, sc, reps, **engine)
            print(f"  {count:>9,} {label}: median {med:,.2f} s", flush=True)
            rows.append({"szenarien": count, "engine": label, "median_s": med, "szenarien_je_s": rate,
                         "wiederholungen": reps, "faktor_vs_vorher": before[label] / med if label in before
                         else np.nan})
        bound = bw * 1e9 / (len(base.einwohner) * 8)
        rows.append({"szenarien": count, "engine": f"Grenze: S×396 float64 einmal lesen bei {bw:.1f} GB/s",
                     "median_s": count / bound, "szenarien_je_s": bound, "wiederholungen": 0})
    naive = naive_rate(base, model, scenarios(base, model, 40))
    rows.append({"szenarien": 40, "engine": "naiv: ein PuLP/HiGHS-LP je Szenario (40 gemessen, hochgerechnet)",
                 "median_s": 10_000 / naive, "szenarien_je_s": naive, "wiederholungen": 1})
    df = pd.DataFrame(rows)
    single = df[(df["engine"] == "1 Prozess") & (df["szenarien"] == 10_000)]["szenarien_je_s"].iloc[0]
    df["faktor_vs_naiv"] = df["szenarien_je_s"] / naive
    df["faktor_vs_1_prozess_10k"] = df["szenarien_je_s"] / single
    pd.set_option("display.width", 220)
    print("Three-weight sweep on 396 NRW Gemeinden (SYNTHETIC stocks); naive row: extrapolated to 10,000; "
          "'vorher' rows: the previous metric code measured in this run; median_s: median of the repeats.")
    print(f"inner chunk: {sw.chunk_rows(len(base.einwohner))} scenario rows "
          f"({sw.CACHE_BYTES / 2**20:.0f} MiB last-level cache per core); load average {_load()}")
    print(df.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: this process {peak:,.0f} MiB, largest child {peak_children:,.0f} MiB "
          "(batches of 5,000 scenarios)")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unbekannt"


if __name__ == "__main__":
    main()
