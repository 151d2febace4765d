"""Does ``--zeitlimit`` bound the whole constrained allocation, and does the result say what is proven?

Instances: Germany's 10,754 Gemeinden with population and area (31.12.2023), the FlüAG key, SYNTHETIC
seeded stocks and households and binding capacities as in benchmarks/bench_allocate.py
(`instance`), with 12,500 and 50,000 persons (about 4,500 and 18,000 households). Each row: the
wall time of one `allocate(..., zeitlimit=Z)` (one run: minutes of solver time otherwise), its
ratio to Z, and what the result states (path, proven bound, gap).

Baseline in the same run: the same call with `verteilung/solve/lp.py` as of ``--baseline-rev``
(default: the revision before the integer models ran in a child process that is stopped at the limit),
loaded from git and patched in for `lp.solve`.

Run: python benchmarks/bench_zeitlimit.py [--zeitlimit 10] [--personen 12500 50000] [--ohne-baseline]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_allocate import instance
from ergebnis import save

from verteilung.allocate import allocate
from verteilung.io.deutsch import fmt_dec, fmt_int
from verteilung.law import flueag
from verteilung.resources import shipped
from verteilung.solve import lp

ROOT = Path(__file__).resolve().parent.parent
BASELINE_REV = "452a52b"  # before the integer models ran in a child process


def old_solve(rev: str):
    text = subprocess.run(["git", "show", f"{rev}:verteilung/solve/lp.py"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(text)
    spec = importlib.util.spec_from_file_location("lp_vorher", fh.name)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["lp_vorher"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    os.unlink(fh.name)

    def solve(*args, **kwargs):
        res = mod.solve(*args, **kwargs)
        if not hasattr(res, "bewiesen"):  # what allocate reads now; the earlier result lacks it
            res.bewiesen = res.max_min_bewiesen and res.fehlbetrag_luecke == 0.0
        return res

    return solve


def germany():
    de = pd.read_csv(shipped("inputs", "de", "gemeinden_2023.csv"), dtype={"ags": str})
    de = de[(de["einwohner"] > 0) & (de["flaeche_km2"] > 0)].reset_index(drop=True)
    de["flaeche_km2"] = de["flaeche_km2"].astype(float)
    de["einwohner"] = de["einwohner"].astype(float)
    return de, flueag.key(de, "2024-01-01")["schluessel"].to_numpy()


def one(st, hh, cons, limit: float) -> tuple[float, str]:
    t = time.perf_counter()
    try:
        a = allocate(st, haushalte=hh, beschraenkungen=cons, zeitlimit=limit)
        said = a.summary["pfad"]
    except Exception as exc:  # the previous code could stop with an error at the limit
        said = f"Fehler: {exc}"
    return time.perf_counter() - t, said


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zeitlimit", type=float, default=10.0)
    ap.add_argument("--personen", type=int, nargs="+", default=[12_500, 50_000])
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--ohne-baseline", action="store_true")
    args = ap.parse_args()
    de, key = germany()
    new_solve = lp.solve
    before = None if args.ohne_baseline else old_solve(args.baseline_rev)
    print(f"DE {len(de):,} Gemeinden, --zeitlimit {args.zeitlimit:g} s, Last {os.getloadavg()[0]:.2f} (1 min)")
    rows = []
    for persons in args.personen:
        st, hh, cons = instance(de, key, seed=42, persons=persons)
        got = {}
        for label, solve in (("jetzt", new_solve), ("vorher", before)):
            if solve is None:
                continue
            lp.solve = solve
            try:
                got[label] = one(st, hh, cons, args.zeitlimit)
            finally:
                lp.solve = new_solve
            wall, said = got[label]
            ratio = wall / args.zeitlimit
            print(f"{len(hh):>7,} Haushalte  {label:8} {wall:6.1f} s = {ratio:4.2f} × Zeitlimit | {said}")
        wall, said = got["jetzt"]
        base = got.get("vorher")
        rows.append({
            "was": f"DE, {fmt_int(len(de))} Gemeinden, {fmt_int(len(hh))} Haushalte, Kapazitäten binden, "
                   f"`--zeitlimit {fmt_dec(args.zeitlimit, 0)}` (1 Lauf)",
            "messung": f"{fmt_dec(wall, 1)} s = {fmt_dec(wall / args.zeitlimit, 2)} × Zeitlimit; Ergebnis: {said}",
            "basis": "nicht gemessen" if base is None else
                     f"{fmt_dec(base[0], 1)} s = {fmt_dec(base[0] / args.zeitlimit, 2)} × Zeitlimit "
                     f"(Stand {args.baseline_rev}): {base[1]}",
            "verhaeltnis": "—" if base is None else f"{fmt_dec(base[0] / wall, 2)}×",
            "ziel": "Zeitlimit ± 10 % gehalten: " + ("erreicht" if wall <= 1.1 * args.zeitlimit else "**verfehlt**")
                    + "; optimal bewiesen: " + ("nein; das Ergebnis sagt, welche Stufe "
                                                "nicht bewiesen ist" if "nicht bewiesen" in said else "ja"),
        })
    save("zeitlimit", "python benchmarks/bench_zeitlimit.py " + " ".join(sys.argv[1:]), rows)

if __name__ == "__main__":
    main()
