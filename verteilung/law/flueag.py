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
from verteilung.law.key import Cap, KeySpec, compute_key

KappungLesart = Literal["R1", "R2"]

PARAGRAPH_KEY = "§ 3 Abs. 1 S. 1 FlüAG"
PARAGRAPH_CAP = "§ 3 Abs. 1 S. 4-5 FlüAG"


def spec(stichtag: dt.date | str, kappung: KappungLesart = "R1", iterate: bool = True) -> KeySpec:
    w_e = params.value("flueag_gewicht_einwohner", stichtag)
    w_f = params.value("flueag_gewicht_flaeche", stichtag)
    c = params.value("flueag_kappung", stichtag)
    factor = 1.0 + c if kappung == "R1" else w_e + c
    return KeySpec(
        name=f"FlüAG ({kappung})",
        weights={"einwohner": w_e, "flaeche_km2": w_f},
        cap=Cap("einwohner", factor, iterate, PARAGRAPH_CAP),
        paragraphs={"weights": PARAGRAPH_KEY, "cap": PARAGRAPH_CAP},
    )


def key(gemeinden: pd.DataFrame, stichtag: dt.date | str, kappung: KappungLesart = "R1",
        iterate: bool = True) -> pd.DataFrame:
    out = compute_key(gemeinden, spec(stichtag, kappung, iterate))
    out.attrs["lesarten"] = {"kappung": kappung, "kappung_iteriert": iterate}
    return out
