"""FlüAG § 3 Abs. 1: Zuweisungsschlüssel of 90 % population and 10 % area, area uplift capped.

Cap readings (LEGAL.md Q3):
- R1 (default): the whole key may exceed the population-only key by at most 25 %:
  z_i ≤ 1.25 · e_i; binds where f_i > 3.5 · e_i.
- R2: only the area term is capped: z_i − 0.9 · e_i ≤ 0.25 · e_i, i.e. z_i ≤ 1.15 · e_i.
Redistribution "auf alle übrigen Gemeinden entsprechend deren Zuweisungsschlüssel", repeated
until no Gemeinde exceeds its cap (default) or once (``iterate=False``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd

from verteilung import params
from verteilung.law.key import Cap, KeyResult, KeySpec, compute_key_with_steps

KappungLesart = Literal["R1", "R2"]

# The sentence numbers of § 3 Abs. 1 changed with the Zehntes ÄndG on 01.01.2017 (key S. 2 → S. 4,
# cap S. 3 → S. 5, redistribution S. 4 → S. 6): every citation comes from the dated parameter in
# force on the reference date (params/flueag_*.yaml), never from a constant here.
# the cap limit of each reading as a formula over the parameter values in force
CAP_FORMULA = {
    "R1": "z ≤ (1 + {c:exakt})·e = {faktor:exakt}·e",
    "R2": "z − {w_e:exakt}·e ≤ {c:exakt}·e, also z ≤ {faktor:exakt}·e",
}


def spec(stichtag: dt.date | str, kappung: KappungLesart = "R1", iterate: bool = True) -> KeySpec:
    p_e = params.get("flueag_gewicht_einwohner", stichtag)
    p_f = params.get("flueag_gewicht_flaeche", stichtag)
    p_c = params.get("flueag_kappung", stichtag)
    p_u = params.get("flueag_umverteilung", stichtag)
    w_e, w_f, c = p_e.value, p_f.value, p_c.value
    factor = 1.0 + c if kappung == "R1" else w_e + c
    return KeySpec(
        name=f"FlüAG ({kappung})",
        weights={"einwohner": w_e, "flaeche_km2": w_f},
        cap=Cap("einwohner", factor, iterate, p_c.paragraph, CAP_FORMULA.get(kappung, ""),
                (("c", float(c)), ("w_e", float(w_e))), p_c, kappung),
        paragraphs={"weights": p_e.paragraph, "cap": p_c.paragraph,
                    "umverteilung_kappung": f"{p_u.paragraph} (übersteigende Anteile auf alle übrigen Gemeinden)"},
        symbol="z",
        bezeichnung="Zuweisungsschlüssel",
        weight_params={"einwohner": p_e, "flaeche_km2": p_f},
    )


def key(gemeinden: pd.DataFrame, stichtag: dt.date | str, kappung: KappungLesart = "R1",
        iterate: bool = True) -> pd.DataFrame:
    return key_with_steps(gemeinden, stichtag, kappung, iterate).table


def key_with_steps(gemeinden: pd.DataFrame, stichtag: dt.date | str, kappung: KappungLesart = "R1",
                   iterate: bool = True) -> KeyResult:
    """The Zuweisungsschlüssel and the step records of its computation (for `explain`)."""
    result = compute_key_with_steps(gemeinden, spec(stichtag, kappung, iterate))
    result.table.attrs["lesarten"] = {"kappung": kappung, "kappung_iteriert": iterate}
    return result
