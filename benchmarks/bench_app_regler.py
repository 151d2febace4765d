"""CPU time of one slider move in the app: what a worker process spends on the comparison page.

Under a committee's load (`bench_app_last.py`, 50 clients) the two worker processes are busy all
the time, so the CPU a slider move costs decides how long the aides queue. This measures it
directly, without the load benchmark's noise: the engine of the current tree and of
``--baseline-rev`` (unpacked with ``git archive``), each in a process of its own, alternating
``--runden`` times, compute the comparison page (`Engine.vergleich_seite`: the comparison without
the long run, its JSON and gzip) for the same ``--n`` random own-weight slider positions after the
start-up precomputation (`AppState.vorrechnen`); every position is new (no cache hit). Reported:
the median CPU seconds (user + system, `time.process_time`) per slider move of each process and
their ratio. Nothing is saved (the README's table comes from `bench_app_last.py`).

Run: python benchmarks/bench_app_regler.py [--n 60] [--runden 3] [--baseline-rev d9dfa67]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_app_last import baseline_tree, de

ROOT = Path(__file__).resolve().parent.parent
BASELINE_REV = "d9dfa67"  # main before the households and app work of session 7 (issue 25)

MESSUNG = """
import random, statistics, time, warnings
warnings.simplefilter("ignore")
from verteilung.app.engine import Engine
from verteilung.app.state import AppState
from verteilung.app import views
eng = Engine()
st = AppState(eng, 0, vorrechnen=True)
rnd = random.Random(1)
settings = {{"w_einwohner": 80, "w_flaeche": 10, "w_arbeitslose": 10}}
times = []
for _ in range({n}):
    settings[rnd.choice(sorted(settings))] = rnd.randint(0, 100)
    if not any(settings.values()):
        settings["w_einwohner"] = 1
    e, echo = views.settings_from_query({{k: str(v) for k, v in settings.items()}}, list(eng.modelle),
                                        list(eng.zahlspalten), eng.auswahl)
    t = time.process_time()
    eng.vergleich_seite(e, None, echo, st.modelle_info)
    times.append(time.process_time() - t)
print(statistics.median(times[5:]))
"""


def cpu_per_move(src: Path | None, n: int) -> float:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", MESSUNG.format(n=n)], cwd=src or ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="Reglerstellungen je Prozess")
    ap.add_argument("--runden", type=int, default=3, help="abwechselnde Läufe jetzt/Basis")
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    args = ap.parse_args()
    load = os.getloadavg()[0]  # before this benchmark's own processes
    now: list[float] = []
    base: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        src = baseline_tree(args.baseline_rev, Path(tmp))
        for _ in range(args.runden):  # alternating: the machine's load hits both alike
            now.append(cpu_per_move(None, args.n))
            base.append(cpu_per_move(src, args.n))
    a, b = statistics.median(now), statistics.median(base)
    print(f"CPU je Reglerbewegung (Vergleichsseite, Median von {args.n - 5} Stellungen, {args.runden} Läufe "
          f"abwechselnd, Last vorher {de(load, 2)}):")
    print(f"  jetzt:            {de(a * 1000, 1)} ms  (Läufe: {', '.join(de(x * 1000, 1) for x in now)})")
    print(f"  Stand {args.baseline_rev}:  {de(b * 1000, 1)} ms  (Läufe: {', '.join(de(x * 1000, 1) for x in base)})")
    print(f"  Verhältnis:       {de(a / b, 2)} (jetzt / Basis)")


if __name__ == "__main__":
    main()
