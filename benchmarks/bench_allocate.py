"""Benchmark the allocation core; prints medians of repeated runs and the ratio to a naive baseline.

Instances (stocks and households are SYNTHETIC, seeded, not official data):
- NRW: the 396 Gemeinden, FlüAG key 2024, stock = key × 100,000 × U(0.7, 1.3); 3,000 persons, or
  about 1,100 households (sizes drawn from 1..6) with the same number of persons.
- DE: all 10,959 German Gemeinden (population/area key, 31.12.2023), same construction.
Paths: reference (greedy heap), constrained (capacities that bind: PuLP + HiGHS), and the naive
baseline measured in the same run: one PuLP + CBC integer model per allocation (maximise the
lowest fulfilment over one integer variable per Gemeinde).

Run: python benchmarks/bench_allocate.py [--repeat 5] [--skip-de]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pulp

from verteilung.allocate import allocate
from verteilung.data import load_gemeinden
from verteilung.law import flueag
from verteilung.resources import shipped
from verteilung.solve.lp import quiet_stdout
from verteilung.status import SystemState


def instance(g: pd.DataFrame, key: np.ndarray, seed: int, persons: int = 3000):
    rng = np.random.default_rng(seed)
    bestand = np.round(key * 100_000 * rng.uniform(0.7, 1.3, len(g)))
    state = SystemState("flueag", g, key, bestand, np.zeros(len(g)))
    sizes = []
    while sum(sizes) < persons:
        sizes.append(int(rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6])))
    sizes[-1] -= sum(sizes) - persons
    if sizes[-1] == 0:
        sizes.pop()
    hh = pd.DataFrame({"haushalt_id": [f"h{i}" for i in range(len(sizes))], "personen": sizes,
                       "ags_fest": [""] * len(sizes)})
    free = allocate(state, haushalte=hh)
    # capacity binds: every Gemeinde that received 2+ persons may take only half of that
    cap = np.where(free.zuweisung >= 2, free.zuweisung // 2, np.nan).astype(float)
    cons = pd.DataFrame({"ags": g["ags"], "max_zuweisung": cap, "min_zuweisung": 0.0, "gesperrt": False})
    return state, hh, cons


NAIVE_LIMIT_S = 120.0


def naive(state: SystemState, persons: int, limit: float = NAIVE_LIMIT_S) -> bool:
    """True if CBC proved the optimum; False if it hit NAIVE_LIMIT_S (the time is then a lower bound)."""
    soll = state.schluessel * (state.total + persons)
    prob = pulp.LpProblem("naiv", pulp.LpMaximize)
    x = [prob.add_variable(f"x{i}", 0, cat=pulp.LpInteger) for i in range(len(soll))]
    t = prob.add_variable("t")
    prob += t
    prob += pulp.lpSum(x) == persons
    for i in range(len(soll)):
        prob += state.bestand[i] + x[i] >= t * soll[i]
    with quiet_stdout():
        prob.solve(pulp.PULP_CBC_CMD(msg=False, threads=1, timeLimit=limit))
    return prob.sol_status == pulp.LpSolutionOptimal


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, bool]:
    """Median wall time, and whether every run finished (False: a time limit was hit)."""
    times, complete = [], True
    for _ in range(repeat):
        t0 = time.perf_counter()
        if fn() is False:
            complete = False
        times.append(time.perf_counter() - t0)
    return statistics.median(times), complete


def run(label: str, g: pd.DataFrame, key: np.ndarray, repeat: int, slow_repeat: int, limit: float,
        naive_repeat: int | None = None) -> list[dict]:
    state, hh, cons = instance(g, key, seed=42)
    rows = []
    naive_repeat = naive_repeat or slow_repeat
    base, finished = median_time(lambda: naive(state, 3000, limit), naive_repeat)
    rows.append({"instanz": label, "pfad": "naiv: PuLP+CBC, ein Modell je Zuweisung (Personen)"
                 + ("" if finished else f" [Zeitlimit {limit:.0f} s: Untergrenze]"),
                 "median_s": base, "wiederholungen": naive_repeat, "verfahren": "CBC"})
    cases = [
        ("Referenz, 3.000 Personen", lambda: allocate(state, personen=3000), repeat),
        (f"Referenz, {len(hh)} Haushalte", lambda: allocate(state, haushalte=hh), repeat),
        ("Solver (HiGHS) erzwungen, 3.000 Personen", lambda: allocate(state, personen=3000, pfad="solver"),
         slow_repeat),
        (f"Beschränkt (HiGHS), {len(hh)} Haushalte", lambda: allocate(state, haushalte=hh, beschraenkungen=cons),
         slow_repeat),
    ]
    for name, fn, reps in cases:
        t, _ = median_time(fn, reps)
        used = fn().summary["pfad"]
        rows.append({"instanz": label, "pfad": name, "median_s": t, "wiederholungen": reps,
                     "verfahren": "Referenz" if used.startswith("Referenz") else used.split(" via")[0]})
    for r in rows:
        r["faktor_vs_naiv"] = f"{'≥ ' if not finished else ''}{base / r['median_s']:.1f}"
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--slow-repeat", type=int, default=3)
    ap.add_argument("--naive-limit", type=float, default=NAIVE_LIMIT_S)
    ap.add_argument("--skip-de", action="store_true")
    args = ap.parse_args()
    g = load_gemeinden(jahr=2024)
    rows = run("NRW 396", g, flueag.key(g, "2024-01-01")["schluessel"].to_numpy(), args.repeat, args.slow_repeat,
               args.naive_limit)
    if not args.skip_de:
        de = pd.read_csv(shipped("inputs", "de", "gemeinden_2023.csv"), dtype={"ags": str})
        de = de[(de["einwohner"] > 0) & (de["flaeche_km2"] > 0)].reset_index(drop=True)
        de["flaeche_km2"] = de["flaeche_km2"].astype(float)
        de["einwohner"] = de["einwohner"].astype(float)
        key = flueag.key(de, "2024-01-01")["schluessel"].to_numpy()
        # the naive DE model only hits its time limit, so one run of it gives the lower bound
        rows += run(f"DE {len(de)}", de, key, args.repeat, args.slow_repeat, args.naive_limit, naive_repeat=1)
    df = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print("Synthetic seeded stocks and households; median wall time per allocation.")
    print(df.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
