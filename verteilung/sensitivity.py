"""Which parameter drives which metric: one-at-a-time swings (tornado) and Sobol indices (SALib).

Both evaluate through the vectorised sweep core, so a whole Sobol design is one batch. Numbers
only: the tornado charts are drawn by `verteilung.report.charts.tornado_png`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.errors import InputError, Problem
from verteilung.law.lesarten import Lesarten
from verteilung.sweep import Base, SweepModel, complete_scenarios, evaluate_batch

DEFAULT_METRICS = ("soll_anteil_laendlich", "gini_last_je_einwohner", "quote_p90", "zuweisung_anteil_kreisfrei")


def _check_box(model: SweepModel, ranges: dict[str, tuple[float, float]]) -> None:
    named = [w for w in model.a.weights if w in ranges]
    if named and sum(ranges[w][1] for w in named) > 1 + 1e-12:
        raise InputError(Problem("--parameter", "the ranges of the named weights may sum to more than 1; "
                                 "a variance-based analysis needs every point of the box on the simplex: "
                                 f"reduce the upper bounds of {', '.join(named)}"))


def oat(base: Base, model: SweepModel, ranges: dict[str, tuple[float, float]],
        metrics: tuple[str, ...] = DEFAULT_METRICS) -> pd.DataFrame:
    """Each parameter at its low and high end, the others at the midpoint of their ranges."""
    _check_box(model, ranges)
    mid = {k: (lo + hi) / 2 for k, (lo, hi) in ranges.items()}
    rows = [mid]
    for k, (lo, hi) in ranges.items():
        rows += [{**mid, k: lo}, {**mid, k: hi}]
    res = evaluate_batch(base, model, complete_scenarios(model, base, pd.DataFrame(rows))).scenarios
    out = []
    for j, k in enumerate(ranges):
        low, high = res.iloc[1 + 2 * j], res.iloc[2 + 2 * j]
        for m in metrics:
            out.append({"parameter": k, "kennzahl": m, "basis": res.iloc[0][m], "bei_min": low[m], "bei_max": high[m],
                        "spanne": abs(high[m] - low[m])})
    return pd.DataFrame(out)


def sobol(base: Base, model: SweepModel, ranges: dict[str, tuple[float, float]], n: int = 512, seed: int = 0,
          metrics: tuple[str, ...] = DEFAULT_METRICS) -> pd.DataFrame:
    """First-order and total Sobol indices per parameter and metric (Saltelli design, SALib)."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    _check_box(model, ranges)
    names = list(ranges)
    if len(names) < 2:
        raise InputError(Problem("--parameter", "Sobol indices need at least two parameters"))
    problem = {"num_vars": len(names), "names": names, "bounds": [list(ranges[k]) for k in names]}
    x = sample.sample(problem, n, calc_second_order=False, seed=seed)
    sc = complete_scenarios(model, base, pd.DataFrame(x, columns=names))
    if len(sc) != len(x):
        raise InputError(Problem("--parameter", "some sampled points left the simplex; narrow the ranges"))
    res = evaluate_batch(base, model, sc).scenarios
    rows = []
    for m in metrics:
        y = res[m].to_numpy(dtype=float)
        if np.allclose(y, y[0]):
            si = {"S1": np.zeros(len(names)), "ST": np.zeros(len(names)), "S1_conf": np.zeros(len(names)),
                  "ST_conf": np.zeros(len(names))}
        else:
            si = analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        for j, k in enumerate(names):
            rows.append({"parameter": k, "kennzahl": m, "S1": float(si["S1"][j]), "ST": float(si["ST"][j]),
                         "S1_konf": float(si["S1_conf"][j]), "ST_konf": float(si["ST_conf"][j])})
    return pd.DataFrame(rows)


def drivers(sob: pd.DataFrame) -> dict[str, str]:
    """The parameter with the largest total index, per metric."""
    return {m: part.sort_values(["ST", "parameter"], ascending=[False, True]).iloc[0]["parameter"]
            for m, part in sob.groupby("kennzahl", sort=False)}


@dataclass
class SensitivityResult:
    """One-at-a-time swings, Sobol indices, the driving parameter per metric, and the metadata."""

    tornado: pd.DataFrame        # parameter, kennzahl, basis, bei_min, bei_max, spanne
    sobol: pd.DataFrame          # parameter, kennzahl, S1, ST, S1_konf, ST_konf
    treiber: dict[str, str]      # metric → parameter with the largest total index
    info: dict = field(default_factory=dict)


def sensitivitaet(modell: str | Path, parameter: dict[str, tuple[float, float]], *, sobol_n: int = 1024,
                  seed: int = 0, gewichte: dict[str, float] | None = None, lesarten: Lesarten | None = None,
                  bestand: str | Path | None = None, gemeinden: str | Path | None = None,
                  jahr: int | None = None, stichtag: str | None = None,
                  metrics: tuple[str, ...] = DEFAULT_METRICS) -> SensitivityResult:
    """Which of the ``parameter`` ranges drives which metric of a one-system model (``modell`` as
    in `verteilung.sweep`): tornado swings and Sobol indices from a Saltelli design of
    ``sobol_n`` · (k + 2) scenarios.

    >>> import verteilung
    >>> res = verteilung.sensitivitaet("m1", {"kappung": (1.05, 1.6), "zugaenge": (100, 5000)},
    ...                                sobol_n=64)  # doctest: +SKIP
    >>> res.treiber["soll_anteil_laendlich"]  # doctest: +SKIP
    'kappung'
    """
    from verteilung.sweep import prepare_base, sweep_model

    base = prepare_base(gemeinden, bestand, jahr, stichtag, lesarten=lesarten)
    model = sweep_model(modell, dt.date.fromisoformat(base.info["stichtag"]), gewichte, lesarten=lesarten)
    swings = oat(base, model, parameter, metrics)
    sob = sobol(base, model, parameter, sobol_n, seed, metrics)
    info = {**base.info, "modell": model.name, "titel": model.titel, "seed": seed, "sobol_n": sobol_n,
            "szenarien": sobol_n * (len(parameter) + 2), "parameter": {k: list(v) for k, v in parameter.items()}}
    return SensitivityResult(swings, sob, drivers(sob), info)
