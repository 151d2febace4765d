"""`sweep` with 1,000,000 scenarios on two worker processes: wall, CPU and peak memory of all processes.

Workload: a three-weight sweep (einwohner, flaeche, arbeitslose on the simplex; the own-weights
model) on the 396 NRW Gemeinden with the SYNTHETIC stock, ``run_sweep(..., workers=2)`` with the
revision's default batch size: the batches computed, written to the output folder and read back
into the scenario table and the per-Gemeinde quantiles (what ``verteilung sweep --workers 2``
does before it writes its result files).

Each measurement is a fresh process (``python -c``); only ``run_sweep`` is timed. CPU is user +
system time of that process and its worker processes. Memory: every 50 ms the benchmark reads
``/proc`` for the process and all its children and keeps the peak of the summed RSS (pages
shared after ``fork`` count once per process, so this is an upper bound), the peak of the summed
PSS (shared pages split between the processes) and the largest single RSS.

Baseline in the same run: the same call with ``verteilung`` as of ``--baseline-rev`` (default:
main before this work on issue 25), unpacked with ``git archive`` into a temporary folder and put
first on ``PYTHONPATH``; ``--basis-szenarien`` runs it on fewer scenarios and scales time linearly
(said so in the row); ``--ohne-baseline`` skips it.

Run: python benchmarks/bench_sweep.py [--szenarien 1000000] [--repeat 3] [--repeat-basis 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from ergebnis import save  # noqa: E402

BASELINE_REV = "452a52b"  # main before issue 25's sweep work (two sorts per chunk, two files per batch)
GOAL_S, GOAL_MIB = 30.0, 700.0

RUN = r"""
import datetime as dt, importlib, json, resource, sys, tempfile, time
from pathlib import Path
import numpy as np
from verteilung.sweep_runner import run_sweep
sw = importlib.import_module("verteilung.sweep")
count = int(sys.argv[1])
base = sw.prepare_base()
model = sw.sweep_model("gewichtet", dt.date.fromisoformat(base.info["stichtag"]),
                       {"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1})
sc = sw.build_scenarios(model, base, {"einwohner": (0.6, 0.95), "flaeche": (0.0, 0.2)},
                        stichprobe=int(count * 1.25) + 10, seed=1).head(count).copy()
sc["szenario"] = np.arange(len(sc))
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime, s.ru_stime + c.ru_stime
with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
    print("START", flush=True)
    c0, s0 = cpu()
    t0 = time.perf_counter()
    res = run_sweep(base, model, sc, Path(tmp) / "s", workers=2)
    wall = time.perf_counter() - t0
    c1, s1 = cpu()
    batch = res.info["stapelgroesse"]
    files = len(list((Path(tmp) / "s" / "batches").iterdir()))
print(json.dumps({"wall": wall, "cpu": c1 - c0, "sys": s1 - s0, "rows": len(res.szenarien),
                  "batch": batch, "files": files}), flush=True)
"""


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _mib(path: str, field: str) -> float:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Peak:
    """Peak summed RSS, summed PSS and largest RSS of a process tree, sampled from /proc."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.rss = self.pss = self.largest = 0.0
        self.armed = False  # sampled from the start of run_sweep (after the inputs are prepared)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.armed:
                pids = _tree(self.pid)
                rss = [_mib(f"/proc/{p}/status", "VmRSS:") for p in pids]
                pss = [_mib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids]
                self.rss, self.pss = max(self.rss, sum(rss)), max(self.pss, sum(pss))
                self.largest = max(self.largest, max(rss, default=0.0))
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def one(count: int, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-c", RUN, str(count)], cwd=src or ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = Peak(proc.pid)
    assert proc.stdout is not None
    result = None
    for line in proc.stdout:
        if line.startswith("START"):
            peak.armed = True
        elif line.startswith("{"):
            result = json.loads(line)
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    peak.stop()
    if proc.returncode or result is None:
        raise SystemExit(f"sweep failed ({'baseline' if src else 'current'}): {err[-2000:]}")
    return {**result, "rss": peak.rss, "pss": peak.pss, "largest": peak.largest}


def median_of(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def baseline_tree(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "archive", rev, "verteilung", "inputs", "models"], cwd=ROOT, check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--szenarien", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-basis", type=int, default=1)
    ap.add_argument("--basis-szenarien", type=int, default=None, help="baseline on fewer scenarios, scaled")
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--ohne-baseline", action="store_true")
    args = ap.parse_args()
    from verteilung.io.deutsch import fmt_dec, fmt_int

    print(f"{args.szenarien:,} scenarios, --workers 2, load {os.getloadavg()[0]:.2f} (1 min)", flush=True)
    runs = []
    before = None
    with tempfile.TemporaryDirectory(prefix="bench-sweep-basis-") as tmp:
        src = None if args.ohne_baseline else baseline_tree(args.baseline_rev, Path(tmp))
        base_count = args.basis_szenarien or args.szenarien
        base_runs = []
        for i in range(max(args.repeat, args.repeat_basis if src else 0)):  # interleaved: same load for both
            if i < args.repeat:
                runs.append(one(args.szenarien, None))
                print(f"  jetzt  {runs[-1]}", flush=True)
            if src is not None and i < args.repeat_basis:
                base_runs.append(one(base_count, src))
                print(f"  vorher {base_runs[-1]}", flush=True)
        if base_runs:
            before = median_of(base_runs)
    now = median_of(runs)
    scale = args.szenarien / (args.basis_szenarien or args.szenarien)

    def described(m: dict, factor: float = 1.0) -> str:
        per = m["cpu"] * factor / args.szenarien * 1e6
        return (f"{fmt_dec(m['wall'] * factor, 1)} s Wand, {fmt_dec(m['cpu'] * factor, 1)} s CPU "
                f"({fmt_dec(per, 1)} µs je Szenario, davon {fmt_dec(m['sys'] * factor, 1)} s Systemzeit), "
                f"Stapel {fmt_int(m['batch'])}, {fmt_int(m['files'])} Stapeldateien; Speicher höchstens "
                f"{fmt_int(m['rss'])} MiB RSS aller Prozesse zusammen ({fmt_int(m['pss'])} MiB PSS), "
                f"größter Prozess {fmt_int(m['largest'])} MiB")

    n_runs = f"Median von {args.repeat}" if args.repeat > 1 else "1 Lauf"
    basis = "nicht gemessen"
    ratio = "–"
    if before is not None:
        scaled = "" if scale == 1 else (f"; gemessen mit {fmt_int(args.basis_szenarien)} Szenarien, Zeiten linear "
                                        f"auf {fmt_int(args.szenarien)} hochgerechnet, Speicher nicht")
        runs_b = f"Median von {args.repeat_basis}" if args.repeat_basis > 1 else "1 Lauf"
        basis = f"{described(before, scale)} (Stand {args.baseline_rev}, {runs_b}{scaled})"
        ratio = (f"Wand {fmt_dec(before['wall'] * scale / now['wall'], 1)}×, CPU "
                 f"{fmt_dec(before['cpu'] * scale / now['cpu'], 1)}×, Speicher (RSS-Summe) "
                 f"{fmt_dec(before['rss'] / now['rss'], 1)}×")
    rows = [{
        "was": f"`sweep`, {fmt_int(args.szenarien)} Szenarien (drei Gewichte, 396 Gemeinden, SYNTHETISCHER "
               f"Bestand), `--workers 2`, Rechnen, Stapeldateien und Zusammenführen ({n_runs})",
        "messung": described(now),
        "basis": basis,
        "verhaeltnis": ratio,
        "ziel": f"≤ {fmt_int(GOAL_S)} s Wand: " + ("erreicht" if now["wall"] <= GOAL_S else "**verfehlt**")
                + f" (die CPU-Zeit allein erlaubt auf zwei freien Kernen {fmt_dec(now['cpu'] / 2, 1)} s)"
                + f"; ≤ {fmt_int(GOAL_MIB)} MiB: RSS-Summe "
                + ("erreicht" if now["rss"] <= GOAL_MIB else "**verfehlt**")
                + ", PSS-Summe " + ("erreicht" if now["pss"] <= GOAL_MIB else "**verfehlt**")
                + " (RSS zählt die nach fork geteilten Seiten in jedem Prozess, PSS teilt sie auf)",
    }]
    for r in rows:
        print(json.dumps(r, ensure_ascii=False, indent=1))
    save("sweep", "python benchmarks/bench_sweep.py " + " ".join(sys.argv[1:]), rows)


if __name__ == "__main__":
    main()
