"""FlüAG § 3 Abs. 1: Zuweisungsschlüssel of 90 % population and 10 % area, area uplift capped.

Cap readings (LEGAL.md Q3), defined with their formulas in `verteilung.law.lesarten`:
- R1 (default): the whole key may exceed the population-only key by at most 25 %:
  z_i ≤ 1.25 · e_i; binds where f_i > 3.5 · e_i.
- R2: only the area term is capped: z_i − 0.9 · e_i ≤ 0.25 · e_i, i.e. z_i ≤ 1.15 · e_i.
Redistribution "auf alle übrigen Gemeinden entsprechend deren Zuweisungsschlüssel", repeated
until no Gemeinde exceeds its cap (default) or once (``iterate=False``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from verteilung import params
from verteilung.law import lesarten
from verteilung.law.key import Cap, KeyResult, KeySpec, compute_key_with_steps

KappungLesart = str  # an allowed value of the reading "kappung" (verteilung.law.lesarten)

# The sentence numbers of § 3 Abs. 1 changed with the Zehntes ÄndG on 01.01.2017 (key S. 2 → S. 4,
# cap S. 3 → S. 5, redistribution S. 4 → S. 6): every citation comes from the dated parameter in
# force on the reference date (params/flueag_*.yaml), never from a constant here. The cap's
# readings (their formulas and factors) are defined in verteilung.law.lesarten.


def spec(stichtag: dt.date | str, kappung: KappungLesart = "R1", iterate: bool = True) -> KeySpec:
    """The key's specification; the cap factor is the chosen reading's own computation over the
    dated parameters it names (`lesarten.LESARTEN["kappung"]`), so an unknown reading is refused
    instead of falling back to another one."""
    p_e = params.get("flueag_gewicht_einwohner", stichtag)
    p_f = params.get("flueag_gewicht_flaeche", stichtag)
    p_u = params.get("flueag_umverteilung", stichtag)
    reading = lesarten.wert("kappung", kappung)
    used = {sym: params.get(name, stichtag) for sym, name in reading.parameter.items()}
    zahlen = {sym: float(pv.value) for sym, pv in used.items()}
    assert reading.rechnung is not None, "a cap reading computes its factor"
    factor = reading.rechnung(zahlen)
    p_c = used.get("c") or next(iter(used.values()))  # the cap's own parameter, cited with the limit
    return KeySpec(
        name=f"FlüAG ({kappung})",
        weights={"einwohner": p_e.value, "flaeche_km2": p_f.value},
        cap=Cap("einwohner", factor, iterate, p_c.paragraph, reading.formel, tuple(zahlen.items()), p_c, kappung),
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
