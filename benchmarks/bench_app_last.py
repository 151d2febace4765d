"""The app under a committee's load: N clients move sliders and open Gemeinde pages for T seconds.

A real `verteilung app` server is started on loopback (127.0.0.1, a free port) and driven by
``--clients`` asyncio clients (httpx) for ``--dauer`` seconds, at most ``--max-anfragen`` requests
in all. Each client repeats, after a think time of 0.2-1.0 s (seeded):
- 60 %: moves one own-weight slider (Einwohner, Fläche, Arbeitslose) to a random position 0-100
  and asks for the comparison page's data, as the page does on release
  (``/api/ansicht/vergleich``);
- 40 %: opens a random Gemeinde's page with its current settings (``/api/ansicht/gemeinde``, then
  ``/api/ansicht/gemeinde-simulation``, as the page does).
Reported: requests, errors (any status other than 200, or no answer), p50/p99/max latency overall
and per route, requests per second (after one warm-up request of each kind, not counted), the
server's peak memory (resident set of the server and its child processes, sampled every 0.5 s) and
its CPU time. ``--clients 20,50`` runs one row per client count (the committee hearing: 50 aides).

Baseline in the same run: the same load against the app as of ``--baseline-rev`` (default: main
before the response cache, the period pages without the long run and the start-up precomputation),
unpacked with ``git archive`` into a temporary folder and put first on the server's ``PYTHONPATH``,
with the same number of worker processes. ``--ohne-baseline`` skips it.

Run: python benchmarks/bench_app_last.py [--clients 20,50] [--dauer 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ergebnis import save

ROOT = Path(__file__).resolve().parent.parent
BASELINE_REV = "452a52b"  # main before this change: model parts cached, long run on every page request
SLIDERS = ("w_einwohner", "w_flaeche", "w_arbeitslose")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_and_cpu(pid: int) -> tuple[int, float]:
    """Resident bytes and CPU seconds of ``pid`` and its descendants (from /proc)."""
    todo, rss, cpu, tick = [pid], 0, 0.0, os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) * 1024
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return rss, cpu


def start_server(port: int, workers: int, src: Path | None) -> subprocess.Popen:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    args = [sys.executable, "-m", "verteilung", "app", "--port", str(port)]
    if workers:
        args += ["--prozesse", str(workers)]
    # its own process group: the baseline revision's workers outlive a terminated server (it has no
    # watchdog), and left running they would load the machine for the benchmarks after this one
    return subprocess.Popen(args, cwd=src or ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"Server beendet: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(base + "/api/modelle", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("Server nicht bereit")


async def client(i: int, base: str, until: float, budget: list[int], ags: list[str], out: list) -> None:
    rnd = random.Random(i)
    settings = {"w_einwohner": 80, "w_flaeche": 10, "w_arbeitslose": 10}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until and budget[0] > 0:
            await asyncio.sleep(rnd.uniform(0.2, 1.0))
            if rnd.random() < 0.6:
                settings[rnd.choice(SLIDERS)] = rnd.randint(0, 100)
                if not any(settings.values()):
                    settings["w_einwohner"] = 1
                calls = [("/api/ansicht/vergleich", dict(settings))]
            else:
                a = rnd.choice(ags)
                calls = [("/api/ansicht/gemeinde", {**settings, "ags": a}),
                         ("/api/ansicht/gemeinde-simulation", {**settings, "ags": a})]
            for path, params in calls:
                if time.monotonic() >= until or budget[0] <= 0:
                    return
                budget[0] -= 1
                t = time.perf_counter()
                try:
                    r = await http.get(path, params=params)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                out.append((path, time.perf_counter() - t, ok))


async def drive(base: str, clients: int, seconds: float, max_requests: int, ags: list[str]) -> list:
    out: list = []
    until = time.monotonic() + seconds
    budget = [max_requests]
    await asyncio.gather(*(client(i, base, until, budget, ags, out) for i in range(clients)))
    return out


def run_load(label: str, workers: int, src: Path | None, args: argparse.Namespace, clients: int) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, workers, src)
    try:
        wait_ready(base, proc)
        ags = [g["ags"] for g in httpx.get(base + "/api/gemeinden", params={"q": "0"}, timeout=30).json()
               .get("treffer", [])] or ["05111000", "05112000", "05113000", "05314000", "05315000"]
        for path in ("/api/ansicht/vergleich", "/api/ansicht/gemeinde", "/api/ansicht/gemeinde-simulation"):
            httpx.get(base + path, params={"ags": ags[0]}, timeout=120)  # warm-up: the first visitor's wait
        _, cpu0 = tree_rss_and_cpu(proc.pid)
        peak = [0]

        async def sample() -> None:
            while True:
                peak[0] = max(peak[0], tree_rss_and_cpu(proc.pid)[0])
                await asyncio.sleep(0.5)

        async def main() -> list:
            sampler = asyncio.create_task(sample())
            try:
                return await drive(base, clients, args.dauer, args.max_anfragen, ags)
            finally:
                sampler.cancel()

        t0 = time.perf_counter()
        out = asyncio.run(main())
        wall = time.perf_counter() - t0
        _, cpu1 = tree_rss_and_cpu(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the server's worker processes too
    lat = sorted(t for _, t, _ in out)
    paths = {path: sorted(t for p, t, _ in out if p == path) for path in dict.fromkeys(p for p, *_ in out)}
    return {"was": label, "clients": clients, "anfragen": len(out), "fehler": sum(not ok for *_, ok in out),
            "je_pfad": {p: (len(ts), statistics.median(ts), p99(ts), ts[-1]) for p, ts in paths.items()},
            "p50": statistics.median(lat), "p99": p99(lat), "max": lat[-1], "je_s": len(out) / wall,
            "speicher_mib": peak[0] / 2**20, "cpu_s": cpu1 - cpu0}


def p99(ts: list[float]) -> float:
    return statistics.quantiles(ts, n=100)[98] if len(ts) >= 2 else ts[0]


def baseline_tree(rev: str, tmp: Path) -> Path:
    archive = tmp / "src.tar"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), rev], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp / "src", filter="data")
    return tmp / "src"


def de(x: float, places: int = 0) -> str:
    return f"{x:,.{places}f}".replace(",", "X").replace(".", ",").replace("X", ".")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", default="20,50", help="Clients je Zeile, durch Komma getrennt (20,50)")
    ap.add_argument("--dauer", type=float, default=60.0)
    ap.add_argument("--max-anfragen", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2, help="Rechenprozesse des Servers (--prozesse)")
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--ohne-baseline", action="store_true")
    args = ap.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    load = os.getloadavg()
    pairs = []
    with tempfile.TemporaryDirectory() as tmp:
        src = None if args.ohne_baseline else baseline_tree(args.baseline_rev, Path(tmp))
        for n in counts:  # now and baseline alternate, so that both see the same machine load
            now = run_load(f"jetzt, {n} Clients", args.workers, None, args, n)
            base = None if src is None else run_load(f"Stand {args.baseline_rev}, {n} Clients", args.workers, src,
                                                     args, n)
            pairs.append((now, base))
    print(f"{de(args.dauer)} s je Zeile, {args.workers} Rechenprozesse, Last vorher {de(load[0], 2)} (1 min)")
    print(f"{'was':30} {'Anfragen':>8} {'Fehler':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'je s':>6} "
          f"{'MiB':>6} {'CPU s':>6}")
    for r in [r for pair in pairs for r in pair if r is not None]:
        print(f"{r['was']:30} {r['anfragen']:8d} {r['fehler']:6d} {de(r['p50'] * 1000):>8} "
              f"{de(r['p99'] * 1000):>8} {de(r['max'] * 1000):>8} {de(r['je_s'], 1):>6} "
              f"{de(r['speicher_mib']):>6} {de(r['cpu_s'], 1):>6}")
        for path, (n, p50, q99, mx) in r["je_pfad"].items():
            print(f"    {path:40} {n:6d} Anfragen, p50 {de(p50 * 1000)} ms, p99 {de(q99 * 1000)} ms, "
                  f"max {de(mx * 1000)} ms")

    def text(r: dict) -> str:
        routes = "; ".join(f"{p.rsplit('/', 1)[-1]} p50 {de(p50 * 1000)} ms, p99 {de(q99 * 1000)} ms"
                           for p, (_, p50, q99, _) in r["je_pfad"].items())
        return (f"{de(r['anfragen'])} Anfragen, {de(r['fehler'])} Fehler, p50 {de(r['p50'] * 1000)} ms, "
                f"p99 {de(r['p99'] * 1000)} ms, {de(r['je_s'], 1)} Anfragen/s, höchstens "
                f"{de(r['speicher_mib'])} MiB ({routes})")

    rows = []
    for now, base in pairs:
        goal = (f"0 Fehler: {'erreicht' if now['fehler'] == 0 else '**verfehlt**'}; p50 ≤ 200 ms: "
                f"{'erreicht' if now['p50'] <= 0.2 else '**verfehlt**'}; p99 ≤ 1 s: "
                f"{'erreicht' if now['p99'] <= 1.0 else '**verfehlt**'}; Speicher begrenzt (LRU)")
        rows.append({
            "was": f"`verteilung app`, {now['clients']} Clients ziehen Regler und öffnen Gemeindeseiten, "
                   f"{de(args.dauer)} s (127.0.0.1, {args.workers} Rechenprozesse)",
            "messung": text(now), "basis": "nicht gemessen" if base is None else f"{text(base)} ({base['was']})",
            "verhaeltnis": "—" if base is None else f"p50 {de(base['p50'] / now['p50'], 1)}×, p99 "
                                                    f"{de(base['p99'] / now['p99'], 1)}×, Durchsatz "
                                                    f"{de(now['je_s'] / base['je_s'], 1)}×",
            "ziel": goal})
    save("app_last", "python benchmarks/bench_app_last.py " + " ".join(sys.argv[1:]), rows)


if __name__ == "__main__":
    main()
