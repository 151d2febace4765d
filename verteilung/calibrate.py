"""The inverse problem: choose key weights that best meet a stated objective under stated limits.

A weighted key is linear in its weights, so with Soll_i = T · Σ_c w_c · share_ci the problem is
an LP (PuLP, HiGHS). Objectives:
- ``max_abstand``: minimise the largest gap |load_i − Soll_i| between a Gemeinde's combined load
  and its Soll;
- ``umverteilung``: minimise the total reassignment Σ_i max(0, load_i − Soll_i), i.e. the persons
  who would have to move for every Gemeinde to meet its Soll;
- ``stadt_land``: minimise the city→rural shift |Σ_kreisfrei Soll_i − Σ_kreisfrei load_i| against
  the given load (the baseline's long-run load, `verteilung.langfrist`); among weightings with the
  same shift the smaller largest gap wins (tie-break weight ``STADT_LAND_TIEBREAK``).
Limits: each weight within bounds; the Soll share of sparsely populated Gemeinden (gering
besiedelt) may rise by at most X % against the status quo; named Gemeinden must stay at or below
Y % quota. Caps and reductions are not linear in the weights and are not calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import yaml

from verteilung.errors import InfeasibleError, InputError, Problem
from verteilung.solve.lp import make_solver, quiet_stdout, solver_name

ZIELE = ("max_abstand", "umverteilung", "stadt_land")
STADT_LAND_TIEBREAK = 1e-3  # persons of largest gap worth one person of city→rural shift


@dataclass
class Calibration:
    weights: dict[str, float]
    objective: float
    binding: list[str]
    model_yaml: str
    solver: str
    info: dict = field(default_factory=dict)  # stichtag, datenbasis, synthetisch, parameters


def calibrate(spalten: list[str], ziel: str = "max_abstand", *, grenzen: dict[str, tuple[float, float]] | None = None,
              laendlich_max_anstieg: float | None = None, hoechstens: dict[str, float] | None = None,
              bestand: str | Path | None = None, gemeinden: str | Path | None = None, jahr: int | None = None,
              stichtag: str | None = None, solver: str = "highs") -> Calibration:
    """Key weights over the Gemeinde columns ``spalten`` that best meet ``ziel`` (``max_abstand``:
    the largest |load − Soll|; ``umverteilung``: persons to move) for today's combined load
    (status quo, no arrivals), within ``grenzen`` per weight, the rural Soll share rising by at
    most ``laendlich_max_anstieg`` %, and named Gemeinden (AGS → %) at or below their quota.
    ``model_yaml`` of the result is a one-system model file for `compare`, `sweep`, `run`.

    >>> import verteilung
    >>> res = verteilung.calibrate(["einwohner", "flaeche"], grenzen={"flaeche": (0, 0.2)})  # doctest: +SKIP
    >>> res.weights  # doctest: +SKIP
    """
    from verteilung.compare import compare, default_bestand
    from verteilung.inputs import prepare

    if ziel == "stadt_land":  # the baseline's long run: real data only, no stock (verteilung.langfrist)
        from verteilung.langfrist import langfrist

        inp = prepare(jahr=jahr, stichtag=stichtag, gemeinden=gemeinden)
        lf = langfrist(["status-quo"], jahr=jahr, stichtag=inp.stichtag, gemeinden=gemeinden, minimum=False)
        load = lf.gemeinden["last_langfristig"].to_numpy(dtype=float)
        rural = (inp.gemeinden["verstaedterung"] == "gering besiedelt").to_numpy()
    else:
        from verteilung.law import systems
        from verteilung.model import base_stock_columns

        inp = prepare(jahr=jahr, stichtag=stichtag, gemeinden=gemeinden, bestand=bestand or default_bestand(),
                      bestand_spalten=base_stock_columns())
        cmp = compare(["status-quo"], bestand, gemeinden, dict.fromkeys(systems.standard_zugaenge(), 0), jahr=jahr,
                      stichtag=inp.stichtag)
        sq = cmp.gemeinden[cmp.gemeinden["modell"] == "status-quo"]
        rural = (sq["verstaedterung"] == "gering besiedelt").to_numpy()
        load = sq["last_nachher"].to_numpy(dtype=float)
        soll = sq["gesamtsoll_nach_zuweisung"].to_numpy()
    basis = float(load[rural].sum() / load.sum()) if ziel == "stadt_land" else float(soll[rural].sum() / soll.sum())
    res = calibrate_weights(inp.gemeinden, load, list(spalten), ziel, grenzen,
                            laendlich_max_anstieg, basis, hoechstens, solver)
    labels = inp.kennzeichnung(nutzt_arbeitslose="arbeitslose" in spalten)
    res.model_yaml = _label_lines(labels) + res.model_yaml
    info = {k: v for k, v in inp.info().items() if k not in ("hinweis", "naeherungen")}
    res.info = {**info, **labels, "synthetisch": inp.synthetisch, "spalten": list(spalten), "ziel": ziel,
                "grenzen": {k: list(v) for k, v in (grenzen or {}).items()},
                "laendlich_max_anstieg": laendlich_max_anstieg, "laendlich_basis": basis,
                "hoechstens": dict(hoechstens or {})}
    return res


def _label_lines(labels: dict) -> str:
    """YAML comment lines that keep the labels with the model file: SYNTHETISCH (weights fitted on
    the synthetic stock) and each NÄHERUNG of the data the weights were fitted on."""
    lines = []
    if "hinweis" in labels:
        lines.append(f"# {labels['hinweis']}: Gewichte auf den Beständen des synthetischen Szenarios kalibriert")
    lines += [f"# {n}" for n in labels.get("naeherungen", [])]
    return "".join(line.replace("\n", " ") + "\n" for line in lines)


def calibrate_weights(gemeinden: pd.DataFrame, load: np.ndarray, columns: list[str], ziel: str = "max_abstand",
              grenzen: dict[str, tuple[float, float]] | None = None, laendlich_max_anstieg: float | None = None,
              laendlich_basis: float | None = None, gemeinden_hoechstens: dict[str, float] | None = None,
              solver: str = "highs", ziel_kreisfrei: float | None = None) -> Calibration:
    """The LP behind `calibrate`; ``ziel_kreisfrei`` (``stadt_land`` only) replaces the cities'
    summed load as the target of their summed Soll (`langfrist` corrects for credited places)."""
    grenzen = grenzen or {}
    problems = [Problem("--spalten", f"Spalte „{c}“ gibt es nicht oder sie ist keine Zahlenspalte") for c in columns
                if c not in gemeinden.columns or not pd.api.types.is_numeric_dtype(gemeinden[c])]
    problems += [Problem("--grenze", f"„{c}“ ist keine der kalibrierten Spalten ({', '.join(columns)})")
                 for c in grenzen if c not in columns]
    if ziel not in ZIELE:
        problems.append(Problem("--ziel", f"unbekanntes Ziel „{ziel}“; möglich: {', '.join(ZIELE)}"))
    if problems:
        raise InputError(problems)
    shares = {c: gemeinden[c].to_numpy(dtype=float) / gemeinden[c].sum() for c in columns}
    total = float(load.sum())
    n = len(load)
    prob = pulp.LpProblem("kalibrierung", pulp.LpMinimize)
    w = {c: prob.add_variable(f"w_{c}", *grenzen.get(c, (0.0, 1.0))) for c in columns}
    soll = [pulp.lpSum(total * shares[c][i] * w[c] for c in columns) for i in range(n)]
    prob += pulp.lpSum(w.values()) == 1, "summe_eins"
    if ziel in ("max_abstand", "stadt_land"):
        z = prob.add_variable("z", 0)
        for i in range(n):
            prob += z >= load[i] - soll[i]
            prob += z >= soll[i] - load[i]
        if ziel == "max_abstand":
            prob += z
        else:
            city = np.flatnonzero((gemeinden["gemeinde_typ"] == "kreisfreie Stadt").to_numpy())
            shift = prob.add_variable("verschiebung", 0)
            target = float(load[city].sum()) if ziel_kreisfrei is None else ziel_kreisfrei
            gap = pulp.lpSum(soll[i] for i in city) - target
            prob += shift >= gap
            prob += shift >= -gap
            prob += shift + STADT_LAND_TIEBREAK * z
    else:
        d = [prob.add_variable(f"d{i}", 0) for i in range(n)]
        prob += pulp.lpSum(d)
        for i in range(n):
            prob += d[i] >= load[i] - soll[i]
    named: dict[str, pulp.LpConstraint] = {}
    if laendlich_max_anstieg is not None:
        rural = (gemeinden["verstaedterung"] == "gering besiedelt").to_numpy()
        limit = (laendlich_basis or 0.0) * (1 + laendlich_max_anstieg / 100)
        c = pulp.lpSum(shares[col][rural].sum() * w[col] for col in columns) <= limit
        prob += c, "laendlich"
        named[f"Soll-Anteil gering besiedelter Gemeinden höchstens +{laendlich_max_anstieg:g} %"] = c
    for ags, pct in (gemeinden_hoechstens or {}).items():
        pos = np.flatnonzero(gemeinden["ags"].to_numpy() == ags)
        if not len(pos):
            raise InputError(Problem("--hoechstens", f"AGS {ags} not in the Gemeinde table", ags=ags))
        i = int(pos[0])
        c = soll[i] * (pct / 100) >= load[i]
        prob += c, f"quote_{ags}"
        named[f"{gemeinden['gemeinde'].iloc[i]} ({ags}) höchstens {pct:g} %"] = c
    with quiet_stdout():
        prob.solve(make_solver(solver))
    if prob.status != pulp.LpStatusOptimal:
        raise InfeasibleError(f"Die Kalibrierung hat unter diesen Grenzen keine Lösung ({pulp.LpStatus[prob.status]})")
    raw = {c: max(0.0, float(w[c].value())) for c in columns}  # solver noise below zero
    weights = {c: round(v / sum(raw.values()), 12) for c, v in raw.items()}
    binding = [label for label, c in named.items() if abs(c.slack or 0.0) <= 1e-7 * max(1.0, total)]
    for c, v in weights.items():
        lo, hi = grenzen.get(c, (0.0, 1.0))
        if c in grenzen and min(abs(v - lo), abs(v - hi)) <= 1e-9:
            binding.append(f"Gewicht {c} an der Grenze {v:g}")
    objective = float(pulp.value(prob.objective))
    text = model_yaml(weights, ziel, objective, binding)
    return Calibration(weights, objective, binding, text, solver_name(solver))


def model_yaml(weights: dict[str, float], ziel: str, objective: float, binding: list[str]) -> str:
    from verteilung.io.deutsch import fmt_gewichte

    doc = {
        "id": "kalibriert", "titel": f"Kalibrierter Schlüssel ({fmt_gewichte(weights)})",
        "beschreibung_de": f"Ein System über den gemeinsamen Bestand; Gewichte aus verteilung calibrate (Ziel {ziel}, "
                           f"Wert {objective:.4f}).",
        "description_en": f"One system over the combined stock; weights from verteilung calibrate (objective {ziel}).",
        "rechtsgrundlage": "keine (Analyse)", "vorschlag": "docs/recht.md Abschnitt 5, Gewichte kalibriert",
        "begruendung": "Bindende Grenzen: " + ("; ".join(binding) if binding else "keine"),
        "systeme": [{"name": "gesamt", "schluessel": {"typ": "gewichtet", "gewichte": weights},
                     "bestand": ["flueag_bestand", "wsa_bestand"], "anrechnung": True, "zugaenge": "alle"}],
    }
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    from verteilung.model import parse_model

    parse_model(yaml.safe_load(text), "calibrate")  # the file is a model like any other (compare, sweep, run)
    return text
