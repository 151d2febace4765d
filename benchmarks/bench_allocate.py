"""Benchmark the allocation core; prints medians of repeated runs and the ratio to a naive baseline.

Instances (stocks and households are SYNTHETIC, seeded, not official data):
- NRW: the 396 Gemeinden, FlüAG key 2024, stock = key × 100,000 × U(0.7, 1.3); 3,000 persons, or
  about 1,100 households (sizes drawn from 1..6) with the same number of persons.
- DE: all 10,959 German Gemeinden (population/area key, 31.12.2023), same construction.
Paths: reference (greedy heap), constrained (capacities that bind: PuLP + HiGHS), and the naive
baseline measured in the same run: one PuLP + CBC integer model per allocation (maximise the
lowest fulfilment over one integer variable per Gemeinde).

Issue 16 rows, each against a baseline measured in the same run:
- allocation vs N (NRW; 3,000 / 1,000,000 / 10,000,000 persons): the exact O(n log n) path
  (`greedy.person_counts` inside `allocate`) against the heap reference (`greedy.assign_units`,
  one heap operation per person). The heap for 10^7 persons takes minutes; unless --heap-10m is
  given its time is extrapolated linearly from the 10^6 run and the row says so.
- households (NRW, ~1,100): `allocate` and its heap (`greedy.assign_households`) against the
  reference heap `greedy.assign_units`.
- constrained (binding capacities) at three scales: NRW ~1,100 households, DE ~1,070 households,
  NRW 200,000 households: the default route (exact decomposition, else reduced integer models)
  against the integer models forced (`allocate(..., milp=True)`); the forced models are not run
  for 200,000 households (one integer variable per Gemeinde and size class, far beyond the limit).

Issue 25 rows (``--issue25``, saved to benchmarks/ergebnisse/allocate.json for the README table):
households in-core, the whole `allocate` against the plain heapq loop on Python floats
(`greedy.household_heap`), interleaved run by run in this process so the machine's load hits both
alike (checked first to place every household alike, else no row), and against `allocate` of the
revision before (``--baseline-rev``, unpacked with ``git archive`` and timed in a process of its own
right after).

Run: python benchmarks/bench_allocate.py [--repeat 5] [--skip-de] [--skip-naive] [--heap-10m]
     python benchmarks/bench_allocate.py --issue25 [--repeat 300]
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
from verteilung.solve import greedy
from verteilung.solve.lp import quiet_stdout
from verteilung.status import SystemState


def instance(g: pd.DataFrame, key: np.ndarray, seed: int, persons: int = 3000):
    rng = np.random.default_rng(seed)
    bestand = np.round(key * 100_000 * rng.uniform(0.7, 1.3, len(g)))
    state = SystemState("flueag", g, key, bestand, np.zeros(len(g)))
    sizes = []
    if persons <= 10_000:   # the original draw (keeps the seeded small instances unchanged)
        while sum(sizes) < persons:
            sizes.append(int(rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6])))
    else:
        draw = rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6], size=persons // 2)
        sizes = draw[: int(np.searchsorted(np.cumsum(draw), persons)) + 1].tolist()
    sizes[-1] -= sum(sizes) - persons
    if sizes[-1] == 0:
        sizes.pop()
    hh = pd.DataFrame({"haushalt_id": [f"h{i}" for i in range(len(sizes))], "personen": sizes,
                       "ags_fest": [""] * len(sizes)})
    free = allocate(state, haushalte=hh)
    # capacity binds: every Gemeinde that received 2+ persons may take only half of that (for large
    # instances, where every Gemeinde receives, only every third Gemeinde: else nothing would fit)
    capped = free.zuweisung >= 2
    if persons > 10_000:
        capped &= np.arange(len(g)) % 3 == 0
    cap = np.where(capped, free.zuweisung // 2, np.nan).astype(float)
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


def timed(fn: Callable[[], object], repeat: int) -> float:
    return median_time(fn, repeat)[0]


def fmt_s(v: float) -> str:
    return f"{v * 1e3:.2f} ms" if v < 1 else f"{v:.2f} s"


def issue16_rows(g: pd.DataFrame, key: np.ndarray, de: tuple | None, repeat: int, heap_10m: bool) -> list[dict]:
    rows = []
    state, hh, cons = instance(g, key, seed=42)
    rank = np.argsort(np.argsort(g["ags"].to_numpy(), kind="stable"), kind="stable")
    heap_1m = None
    for n in (3_000, 1_000_000, 10_000_000):
        fast = timed(lambda n=n: allocate(state, personen=n), repeat)
        soll = state.schluessel * (state.total + n)
        elig = soll > 0
        note = ""
        if n == 10_000_000 and not heap_10m:
            heap = heap_1m * 10
            note = " (Heap linear aus 10^6 hochgerechnet)"
        else:
            reps = repeat if n <= 3_000 else 1
            heap = timed(lambda n=n, soll=soll, elig=elig: greedy.assign_units(
                state.last, soll, elig, np.ones(n, dtype=np.int64), rank), reps)
            note = "" if reps == repeat else " (Heap: 1 Lauf)"
            if n == 1_000_000:
                heap_1m = heap
        rows.append({"zeile": f"NRW, {n:,} Personen: allocate (exakt, O(n log n)) vs. Heap-Referenz{note}",
                     "median": fmt_s(fast), "basis": fmt_s(heap), "faktor": f"{heap / fast:,.0f}×"})
    sizes = hh["personen"].to_numpy()[greedy.household_order(hh["personen"].to_numpy())]
    soll = state.schluessel * (state.total + sizes.sum())
    elig = soll > 0
    ref = timed(lambda: greedy.assign_units(state.last, soll, elig, sizes, rank), repeat)
    new_heap = timed(lambda: greedy.assign_households(state.last, soll, elig, sizes, rank), repeat)
    full = timed(lambda: allocate(state, haushalte=hh), repeat)
    rows.append({"zeile": f"NRW, {len(hh):,} Haushalte: Heap auf Python-Zahlen vs. Referenz-Heap",
                 "median": fmt_s(new_heap), "basis": fmt_s(ref), "faktor": f"{ref / new_heap:.1f}×"})
    rows.append({"zeile": f"NRW, {len(hh):,} Haushalte: allocate gesamt vs. Referenz-Heap allein",
                 "median": fmt_s(full), "basis": fmt_s(ref), "faktor": f"{ref / full:.1f}×"})

    def constrained(label: str, st: SystemState, h: pd.DataFrame, c: pd.DataFrame, reps: int, forced: bool) -> None:
        t_new = timed(lambda: allocate(st, haushalte=h, beschraenkungen=c), reps)
        how = allocate(st, haushalte=h, beschraenkungen=c).summary["pfad"]
        if forced:
            t_old = timed(lambda: allocate(st, haushalte=h, beschraenkungen=c, milp=True), reps)
            base, factor = fmt_s(t_old), f"{t_old / t_new:.1f}×"
        else:
            base, factor = "nicht gemessen", "—"
        rows.append({"zeile": f"{label}: beschränkt, Standardweg vs. ganzzahlige Modelle erzwungen "
                     f"({reps} Lauf/Läufe) — {how}", "median": fmt_s(t_new), "basis": base, "faktor": factor})

    constrained(f"NRW, {len(hh):,} Haushalte", state, hh, cons, 3, True)
    if de is not None:
        s2, hh2, c2 = de
        constrained(f"DE {len(s2.gemeinden):,}, {len(hh2):,} Haushalte", s2, hh2, c2, 1, True)
    s3, hh3, c3 = instance(g, key, seed=7, persons=550_000)
    constrained(f"NRW, {len(hh3):,} Haushalte", s3, hh3, c3, 1, False)
    return rows


BASELINE_REV = "452a52b"  # before households by size class (issue 25)
PREVIOUS = """
import sys, time, statistics
sys.path[:0] = [{tree!r}, {tree!r} + "/benchmarks"]
from bench_allocate import instance
from verteilung.allocate import allocate
from verteilung.data import load_gemeinden
from verteilung.law import flueag
g = load_gemeinden(jahr=2024)
key = flueag.key(g, "2024-01-01")["schluessel"].to_numpy()
state, hh, _ = instance(g, key, seed=42, persons={persons})
times = []
for _ in range({repeat}):
    t = time.perf_counter(); allocate(state, haushalte=hh); times.append(time.perf_counter() - t)
print(statistics.median(times))
"""


def previous_allocate(rev: str, persons: int, repeat: int) -> float:
    """Median of `allocate` for the same instance with the code of ``rev`` (its own process)."""
    import subprocess
    import sys
    import tarfile
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "src.tar"
        subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), rev], cwd=root, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(Path(tmp) / "src", filter="data")
        code = PREVIOUS.format(tree=str(Path(tmp) / "src"), persons=persons, repeat=repeat)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def same_result(a, heap: greedy.GreedyResult, hh: pd.DataFrame, g: pd.DataFrame) -> None:
    """The two timed calls decide alike: every household in the same Gemeinde, the same counts."""
    order = greedy.household_order(hh["personen"].to_numpy())
    target = np.empty(len(hh), dtype=np.int64)
    target[order] = heap.unit_target
    if not (np.array_equal(a.households["ags"].to_numpy(), g["ags"].to_numpy()[target])
            and np.array_equal(a.zuweisung, heap.zuweisung)):
        raise SystemExit("allocate und die heapq-Schleife entscheiden verschieden: Messung ungültig")


def households_row(g: pd.DataFrame, key: np.ndarray, persons: int, repeat: int, rev: str) -> dict[str, str]:
    from verteilung.io.deutsch import fmt_dec, fmt_int

    state, hh, _ = instance(g, key, seed=42, persons=persons)
    rank = np.argsort(np.argsort(g["ags"].to_numpy(), kind="stable"), kind="stable")
    sizes = hh["personen"].to_numpy()[greedy.household_order(hh["personen"].to_numpy())]
    soll = state.schluessel * (state.total + sizes.sum())
    elig = soll > 0
    runs = {"allocate": lambda: allocate(state, haushalte=hh),
            "heapq": lambda: greedy.household_heap(state.last, soll, elig, sizes, rank)}
    same_result(allocate(state, haushalte=hh), greedy.household_heap(state.last, soll, elig, sizes, rank), hh, g)
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeat):           # interleaved: the machine's load hits both alike
        for k, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    now, heap = (statistics.median(times[k]) for k in runs)
    fastest = {k: min(v) for k, v in times.items()}
    before = previous_allocate(rev, persons, repeat)
    return {
        "was": f"NRW, {fmt_int(len(hh))} Haushalte im Speicher: ganzes `allocate` (Median von {repeat})",
        "messung": f"{fmt_dec(now * 1e3, 2)} ms (schnellster Lauf {fmt_dec(fastest['allocate'] * 1e3, 2)} ms)",
        "basis": f"{fmt_dec(heap * 1e3, 2)} ms (schnellster {fmt_dec(fastest['heapq'] * 1e3, 2)} ms): die einfache "
                 f"heapq-Schleife auf Python-Zahlen allein (abwechselnd gemessen); {fmt_dec(before * 1e3, 2)} ms: "
                 f"`allocate` im Stand {rev} (eigener Prozess, direkt danach)",
        "verhaeltnis": f"{fmt_dec(now / heap, 2)} × heapq-Schleife; {fmt_dec(before / now, 2)}× schneller als {rev}",
        "ziel": "nicht langsamer als die heapq-Schleife: "
                + ("erreicht" if now <= heap else f"**verfehlt** (Median {fmt_dec(now / heap, 1)}-fach, schnellster "
                   f"Lauf {fmt_dec(fastest['allocate'] / fastest['heapq'], 1)}-fach)"),
    }


def issue25_rows(g: pd.DataFrame, key: np.ndarray, repeat: int, rev: str) -> list[dict[str, str]]:
    """NRW with 1.088 and about 10.000 households (3.000 and 27.500 persons)."""
    return [households_row(g, key, persons, repeat, rev) for persons in (3000, 27_500)]


def main() -> None:
    import ergebnis  # noqa: F401 - its LAST_VORHER: the load before this run starts its work

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--slow-repeat", type=int, default=3)
    ap.add_argument("--naive-limit", type=float, default=NAIVE_LIMIT_S)
    ap.add_argument("--skip-de", action="store_true")
    ap.add_argument("--skip-naive", action="store_true", help="only the issue-16 rows")
    ap.add_argument("--heap-10m", action="store_true", help="run the heap for 10^7 persons (minutes)")
    ap.add_argument("--issue25", action="store_true", help="only the issue-25 rows, saved for the README")
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    args = ap.parse_args()
    g = load_gemeinden(jahr=2024)
    key = flueag.key(g, "2024-01-01")["schluessel"].to_numpy()
    if args.issue25:
        import sys

        from ergebnis import save

        rows = issue25_rows(g, key, args.repeat, args.baseline_rev)
        for r in rows:
            print(" | ".join(r.values()))
        save("allocate", "python benchmarks/bench_allocate.py " + " ".join(sys.argv[1:]), rows)
        return
    de_inst = None
    if not args.skip_de:
        de = pd.read_csv(shipped("inputs", "de", "gemeinden_2023.csv"), dtype={"ags": str})
        de = de[(de["einwohner"] > 0) & (de["flaeche_km2"] > 0)].reset_index(drop=True)
        de["flaeche_km2"] = de["flaeche_km2"].astype(float)
        de["einwohner"] = de["einwohner"].astype(float)
        de_key = flueag.key(de, "2024-01-01")["schluessel"].to_numpy()
        de_inst = instance(de, de_key, seed=42)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 200)
    print("Synthetic seeded stocks and households; medians of repeated runs "
          f"({args.repeat} unless the row says otherwise).")
    print(pd.DataFrame(issue16_rows(g, key, de_inst, args.repeat, args.heap_10m)).to_string(index=False))
    if args.skip_naive:
        return
    rows = run("NRW 396", g, key, args.repeat, args.slow_repeat, args.naive_limit)
    if not args.skip_de:
        # the naive DE model only hits its time limit, so one run of it gives the lower bound
        rows += run(f"DE {len(de)}", de, de_key, args.repeat, args.slow_repeat, args.naive_limit, naive_repeat=1)
    df = pd.DataFrame(rows)
    print()
    print(df.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
