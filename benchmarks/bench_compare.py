"""`verteilung compare`, the main job: wall and CPU time, shipped data and 11,000 Gemeinden.

Rows, each against a baseline measured in the same run:
- whole process ``verteilung compare --out DIR`` on the shipped data (median of ``--repeat`` fresh
  processes; CPU = user + system time of the process): against the same command with the
  workbook written cell by cell through XlsxWriter's API (`io.xlsx.write_sheet_cellwise`, the
  writer before issue 25, patched in);
- 11,088 Gemeinden: the shipped NRW table repeated 28 times (AGS made unique, stocks likewise;
  SYNTHETIC), the five default models compared and the output folder written, in one process
  (median of 3): the same with the cell-by-cell writer.

Run: python benchmarks/bench_compare.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
COMPARE = "from verteilung.cli import main; import sys; sys.exit(main(['compare', '--out', sys.argv[1]]))"
CELLWISE = ("import verteilung.io.xlsx as x; x.write_sheet = x.write_sheet_cellwise; "
            "from verteilung.cli import main; import sys; sys.exit(main(['compare', '--out', sys.argv[1]]))")


def process(code: str, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` fresh processes."""
    walls, cpus = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code, f"{tmp}/v"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def large(times: int = 28, repeat: int = 3) -> tuple[tuple[float, float], tuple[float, float], int]:
    """compare_models + write_outputs on the NRW table repeated ``times`` times."""
    import pandas as pd

    import verteilung.io.xlsx as xlsx
    from verteilung.compare import DEFAULT_MODELS, compare_models, default_bestand
    from verteilung.inputs import prepare
    from verteilung.law import systems
    from verteilung.model import Context, load_model, stock_columns_of
    from verteilung.report.vergleich import write_outputs

    defs = [load_model(m) for m in DEFAULT_MODELS]
    columns = stock_columns_of(defs)
    inp = prepare(bestand=default_bestand(), bestand_spalten=columns)

    def repeat_frame(df: pd.DataFrame) -> pd.DataFrame:
        parts = []
        for k in range(times):
            part = df.copy()
            part["ags"] = [f"{k:02d}{a[2:]}" for a in part["ags"]]
            parts.append(part)
        out = pd.concat(parts, ignore_index=True)
        out.attrs = dict(df.attrs)
        return out

    g, b = repeat_frame(inp.gemeinden), repeat_frame(inp.bestand)
    streams = {"flueag": systems.FLUEAG.standard_zugaenge * times, "wsa": systems.WSA.standard_zugaenge * times}
    info = {"modelle": [d.id for d in defs], "stichtag": inp.stichtag.isoformat(), "datenbasis": inp.datenbasis,
            "bestand_datei": "SYNTHETISCH (28 × NRW)", "synthetisch": True, "angenommen_null": [],
            "naeherungen": [], "zugaenge": streams,
            "alpha_m2": 0.5, "anrechnung_faktoren": {}}

    def run(writer) -> tuple[float, float]:
        walls, cpus = [], []
        for _ in range(repeat):
            xlsx.write_sheet, saved = writer, xlsx.write_sheet
            try:
                t, c = time.perf_counter(), time.process_time()
                ctx = Context(g, b, inp.stichtag, streams, weitere_bestand=columns)
                res = compare_models(defs, ctx, info)
                with tempfile.TemporaryDirectory() as tmp:
                    write_outputs(res, Path(tmp) / "v")
                walls.append(time.perf_counter() - t)
                cpus.append(time.process_time() - c)
            finally:
                xlsx.write_sheet = saved
        return statistics.median(walls), statistics.median(cpus)

    return run(xlsx.write_sheet), run(xlsx.write_sheet_cellwise), len(g)


def main() -> None:
    from ergebnis import save

    from verteilung.io.deutsch import fmt_dec, fmt_int

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    new, old = process(COMPARE, args.repeat), process(CELLWISE, args.repeat)
    big_new, big_old, n = large()

    def s(x: float) -> str:
        return f"{fmt_dec(x, 2)} s"

    def met(ok: bool) -> str:
        return "erreicht" if ok else "**verfehlt**"

    save("compare", f"python benchmarks/bench_compare.py --repeat {args.repeat}", [
        {"was": "`verteilung compare`, mitgelieferte Daten (ganzer Prozess, Median von "
                f"{args.repeat})", "messung": f"{s(new[0])} Wand, {s(new[1])} CPU",
         "basis": f"{s(old[0])} Wand, {s(old[1])} CPU: Arbeitsmappe Zelle für Zelle (vorheriger Schreiber)",
         "verhaeltnis": f"{fmt_dec(old[1] / new[1], 2)}× (CPU)",
         "ziel": f"≤ 1,0 s Wand: {met(new[0] <= 1.0)}; ≤ 0,8 s CPU: {met(new[1] <= 0.8)}"},
        {"was": f"`compare` mit {fmt_int(n)} Gemeinden (28 × NRW, Rechnung und Ausgabeordner, Median von 3)",
         "messung": f"{s(big_new[0])} Wand, {s(big_new[1])} CPU",
         "basis": f"{s(big_old[0])} Wand, {s(big_old[1])} CPU: Arbeitsmappe Zelle für Zelle",
         "verhaeltnis": f"{fmt_dec(big_old[1] / big_new[1], 2)}× (CPU)",
         "ziel": f"≤ 3 s: {met(big_new[0] <= 3.0)} (Wand), {met(big_new[1] <= 3.0)} (CPU)"},
    ])
    print(f"Last {load:.2f} (1 min), 2 Kerne; Median von {args.repeat} Prozessen / 3 Läufen")
    print(f"{'was':48} {'Wand s':>7} {'CPU s':>7} {'Basis Wand':>10} {'Basis CPU':>9} {'Faktor CPU':>10}")
    for label, (w, c), (bw, bc) in (("compare, mitgelieferte Daten (ganzer Prozess)", new, old),
                                    (f"compare, {n:,} Gemeinden (Rechnung + Ausgabe)", big_new, big_old)):
        print(f"{label:48} {w:7.3f} {c:7.3f} {bw:10.3f} {bc:9.3f} {bc / c:9.2f}×")


if __name__ == "__main__":
    main()
