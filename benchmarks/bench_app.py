"""Server time of the app for a weight change: p50/p95 over N requests, in-process (TestClient).

Cases (shipped NRW data, SYNTHETIC stocks):
- one model: the page view with one merged model plus the own weights, every request a new
  weight (no cache hit), i.e. what one slider move costs;
- all five: the page view with all four merged models plus the own weights (status quo is always
  computed as the baseline);
- API compare: POST /api/compare with the five shipped models (never cached).
Times are wall-clock per request including JSON encoding, excluding the network and the browser.

Run: python benchmarks/bench_app.py [--n 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from verteilung.app.server import create_app


def measure(fn, n: int) -> tuple[float, float]:
    times = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(n - 1, round(0.95 * (n - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    n = ap.parse_args().n
    t = time.perf_counter()
    client = TestClient(create_app())
    print(f"Start (Daten und Schlüssel vorbereiten): {(time.perf_counter() - t) * 1000:.0f} ms")

    def view(models: str):
        def one(i: int) -> None:
            r = client.get("/api/ansicht/vergleich", params={"modelle": models, "w_einwohner": 50 + i % 40,
                                                             "w_flaeche": 10 + i, "w_arbeitslose": 10})
            assert r.status_code == 200, r.text
        return one

    def api(i: int) -> None:
        r = client.post("/api/compare", json={"zugaenge": {"flueag": 1000 + i}})
        assert r.status_code == 200, r.text

    view("m1-gemeinsamer-bestand")(0)  # warm-up
    for label, fn in (("ein Modell + eigene Gewichte (Seite)", view("m1-gemeinsamer-bestand")),
                      ("alle fünf + eigene Gewichte (Seite)",
                       view("m1-gemeinsamer-bestand,m2-mischschluessel,m3-verrechnung,m4-sperre")),
                      ("API compare, fünf Modelle", api)):
        p50, p95 = measure(fn, n)
        print(f"{label:40s} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms   (n = {n})")


if __name__ == "__main__":
    main()
