"""The generic weighted distribution key that FlüAG, AWoV and every merged model share.

key = Σ weight_c · share_c, then an optional cap relative to one component with the excess
redistributed, then optional percentage reductions for flagged Gemeinden with the amounts
redistributed. Each step's intermediate values are kept so `explain` can show them:
`compute_key_with_steps` returns the table together with its step records (`Schritt`), each with
its formula built from the weights and rates actually used, the paragraph and the source (the
parameter value in force, the list or ordinance, the reading). The records hold numbers, never
formatted text: a formula is a template whose ``{name:kind}`` fields are filled from ``zahlen``
by the presentation layer (`verteilung.explain`), in German format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd

from verteilung.data.gemeinden import require_complete
from verteilung.errors import InputError, Problem

WEIGHT_TOLERANCE = 1e-9


# Field kinds of a formula template ("{name:kind}"), formatted by verteilung.explain:
# int (persons), dec1/dec2 (fixed decimals), exakt (a parameter with all its digits),
# anteil (key share, 8 decimals), anteil_vz (signed share), prozent (a fraction shown as percent).
KINDS = ("int", "dec1", "dec2", "exakt", "anteil", "anteil_vz", "prozent")


@dataclass(frozen=True)
class Schritt:
    """One step of a computation: a quantity, how it was computed, its value, its legal basis.

    ``wert`` and the entries of ``zahlen`` are scalars or arrays with one value per Gemeinde
    (rows in the table's order). ``formel`` is a template over ``zahlen``; ``art`` says how
    ``wert`` is shown (a field kind, ``flag`` for yes/no, ``minderung`` for a cut that applies
    only where ``zahlen["betroffen"]``). ``quelle`` names the parameter value in force, the list
    or ordinance, the data source or the reading used; ``annahme`` is true where a parameter
    value used here is this project's assumption.
    """

    id: str
    groesse: str
    formel: str
    wert: Any
    paragraph: str = ""
    quelle: str = ""
    zahlen: Mapping[str, Any] = field(default_factory=dict)
    art: str = "anteil"
    annahme: bool = False

    def bei(self, i: int) -> Schritt:
        """This step for the Gemeinde in row ``i`` (per-Gemeinde values reduced to scalars)."""
        def pick(v: Any) -> Any:
            return v[i] if isinstance(v, np.ndarray | pd.Series | list) and not isinstance(v, str) else v

        wert = pick(self.wert)
        zahlen = {k: pick(v) for k, v in self.zahlen.items()}
        return Schritt(self.id, self.groesse, self.formel, wert, self.paragraph, self.quelle,
                       zahlen, self.art, self.annahme)


@dataclass(frozen=True)
class KeyResult:
    """A key table and the step records that produced it."""

    table: pd.DataFrame
    schritte: tuple[Schritt, ...]


@dataclass(frozen=True)
class Component:
    """How a key component is named in an explanation: symbol, quantity, number kind of its values."""

    symbol: str
    groesse: str
    kind: str = "dec2"
    einheit: str = ""


COMPONENTS: dict[str, Component] = {
    "einwohner": Component("e", "Einwohneranteil", "int"),
    "flaeche_km2": Component("f", "Flächenanteil", "dec2", " km²"),
    "flaeche": Component("f", "Flächenanteil", "dec2", " km²"),
    "awov_messziffer": Component("a", "Arbeitslosenanteil nach Anlage 1 (Messziffer)", "dec2"),
}


def component(col: str) -> Component:
    return COMPONENTS.get(col, Component(col, f"Anteil {col}", "dec2"))


def _cite(p: Any) -> str:
    return p.cite() if p is not None and hasattr(p, "cite") else ""


def _uncertain(*ps: Any) -> bool:
    return any(bool(getattr(p, "uncertain", False)) for p in ps if p is not None)


@dataclass(frozen=True)
class Cap:
    """key_i ≤ factor · share_i(component); excess goes to the uncapped Gemeinden."""

    component: str
    factor: float
    iterate: bool = True
    paragraph: str = ""
    # for the step records: the limit as a formula template over ``zahlen`` (the reading's form),
    # the parameter value in force and the reading's name
    formel: str = ""
    zahlen: tuple[tuple[str, float], ...] = ()
    param: Any = None
    lesart: str = ""


@dataclass(frozen=True)
class Reduction:
    """key_i loses ``rate`` of the base key where column ``flag`` is true."""

    flag: str
    rate: float
    paragraph: str = ""
    label: str = ""
    param: Any = None      # the rate's parameter value in force (step records)
    quelle: str = ""       # where the flagged Gemeinden come from (list, ordinance, user column)


@dataclass(frozen=True)
class KeySpec:
    name: str
    weights: Mapping[str, float]
    cap: Cap | None = None
    reductions: tuple[Reduction, ...] = ()
    # Q13 readings: both cuts on the (2)-key ("additiv") or the second on what the first left;
    # the redistribution base (unreduced key K0 or the reduced key); who counts as "übrige".
    kombination: Literal["additiv", "multiplikativ"] = "additiv"
    umverteilung_basis: Literal["k0", "gemindert"] = "k0"
    empfaenger: Literal["nicht_betroffen", "ohne_jede_minderung"] = "nicht_betroffen"
    paragraphs: Mapping[str, str] = field(default_factory=dict)
    symbol: str = "z"                                           # the key's symbol in formulas
    bezeichnung: str = ""                                       # shown name, e.g. "Zuweisungsschlüssel"
    weight_params: Mapping[str, Any] = field(default_factory=dict)  # column → ParamValue in force

    def validate(self, columns: list[str] | None = None, source: str = "key",
                 numeric: set[str] | None = None) -> None:
        """Weights finite, ≥ 0, summing to 1; every named column in the table and, for weights and
        the cap, a number column (``numeric``): a weight on ``ags`` or a name is refused."""
        problems = []
        for col, w in self.weights.items():
            if not math.isfinite(w) or w < 0:
                problems.append(Problem(source, f"Gewicht von „{col}“ ist {'negativ' if w < 0 else 'keine Zahl'}"))
        total = sum(self.weights.values())
        if not problems and abs(total - 1.0) > WEIGHT_TOLERANCE:
            problems.append(Problem(source, f"Gewichte des Schlüssels „{self.name}“ ergeben zusammen {total:g}, "
                                    "nicht 1".replace(".", ",")))
        if columns is not None:
            needed = list(self.weights) + [r.flag for r in self.reductions]
            if self.cap:
                needed.append(self.cap.component)
            usable = sorted(numeric) if numeric is not None else columns
            problems += [Problem(source, f"Spalte „{c}“ gibt es in der Gemeindetabelle nicht "
                                 f"(Zahlenspalten: {', '.join(usable)})") for c in needed if c not in columns]
            if numeric is not None:
                counted = list(self.weights) + ([self.cap.component] if self.cap else [])
                problems += [Problem(source, f"Spalte „{c}“ ist keine Zahlenspalte und kann nicht gewichtet "
                                     f"werden (Zahlenspalten: {', '.join(usable)})")
                             for c in counted if c in columns and c not in numeric]
        if problems:
            raise InputError(problems)


NICHT_GEWICHTBAR = frozenset({"lat", "lon"})
"""Number columns that are no measure of capacity: a map position cannot carry a key's weight."""


def number_columns(gemeinden: pd.DataFrame) -> set[str]:
    """The columns a key can weight: numbers, not flags (``ags`` is text, ``mietpreisbremse_2015`` a flag).
    Read from the dtypes: a column taken as a Series copies the table's attrs (a seventh of the time)."""
    return {str(c) for c, t in gemeinden.dtypes.items() if pd.api.types.is_numeric_dtype(t)
            and not pd.api.types.is_bool_dtype(t) and str(c) not in NICHT_GEWICHTBAR}


KEIN_EMPFAENGER = ("die Gemeinden, die den Überhang einer Minderung aufnehmen, haben alle den Anteil 0; "
                   "niemand kann ihn aufnehmen")


def shares(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    if total <= 0:
        raise InputError(Problem("Gemeindetabelle", "ein Merkmal des Schlüssels ergibt in der Summe 0"))
    return values / total


def apply_cap(raw: np.ndarray, cap_values: np.ndarray, iterate: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cut keys above their cap, give the excess to the others in proportion to their key.

    Works on one key (n,) or a batch of keys (S, n), Gemeinden on the last axis, so the sweep
    uses the same rule. Returns the capped key and the mask of capped Gemeinden. Iterating stops
    when no Gemeinde exceeds its cap; a single pass (``iterate=False``) leaves any second-round
    overshoot.
    """
    key = np.array(raw, dtype=float)
    cap_values = np.broadcast_to(cap_values, key.shape)
    capped = np.zeros(key.shape, dtype=bool)
    while True:
        over = ~capped & (key > cap_values * (1 + 1e-12))
        if not over.any():
            break
        capped |= over
        if capped.all(axis=-1).any():
            raise InputError(Problem("Kappung", "jede Gemeinde ist gekappt; die Kappung ist nicht erfüllbar"))
        free_sum = np.where(capped, 0.0, key).sum(axis=-1, keepdims=True)
        capped_sum = np.where(capped, cap_values, 0.0).sum(axis=-1, keepdims=True)
        key = np.where(capped, cap_values, key * ((1.0 - capped_sum) / free_sum))
        if not iterate:
            break
    return key, capped


def apply_reductions(k0: np.ndarray, flags: list[np.ndarray], rates: list[float],
                     kombination: str, basis: str, empfaenger: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """Cut flagged Gemeinden, redistribute each cut's pool to its recipients (one key or a batch)."""
    cuts: list[np.ndarray] = []
    remaining = np.array(k0, dtype=float)
    for flag, rate in zip(flags, rates, strict=True):
        base = k0 if kombination == "additiv" else remaining
        cut = np.where(flag, rate * base, 0.0)
        cuts.append(cut)
        remaining = remaining - cut
    key = remaining.copy()
    any_flag = np.zeros(k0.shape[-1], dtype=bool)
    for flag in flags:
        any_flag |= flag
    dist_base = k0 if basis == "k0" else remaining
    for flag, cut in zip(flags, cuts, strict=True):
        recipients = ~flag if empfaenger == "nicht_betroffen" else ~any_flag
        pool = cut.sum(axis=-1, keepdims=True)
        if not np.any(pool):
            continue
        if not recipients.any():
            raise InputError(Problem("Schlüssel", "jede Gemeinde ist gemindert; niemand kann den Überhang aufnehmen"))
        w = np.where(recipients, dist_base, 0.0)
        total = w.sum(axis=-1, keepdims=True)
        if np.any((pool != 0) & (total <= 0)):
            raise InputError(Problem("Schlüssel", KEIN_EMPFAENGER))
        key = key + np.divide(pool * w, total, out=np.zeros_like(w), where=total > 0)
    return key, cuts


def decimal_ratio(value: float) -> tuple[int, int]:
    """`decimal_fraction` as a reduced pair (numerator, denominator > 0): integers without a
    detour, other decimals through `decimal.Decimal` (C), ten times faster than parsing a Fraction."""
    f = float(value)
    if f.is_integer():
        return int(f), 1
    if not math.isfinite(f):
        return Fraction(repr(f)).as_integer_ratio()  # refused as before (ValueError)
    return Decimal(repr(f)).as_integer_ratio()


def decimal_fraction(value: float) -> Fraction:
    """A number read from a file or a parameter as the decimal it was written as (0.1 is 1/10,
    not the binary double next to it); integers stay integers."""
    return Fraction(*decimal_ratio(value))


class ExactKey:
    """The key in exact rational arithmetic, computed on demand (`status.verteilstatistik` rounds
    the Soll and the obligation with it): shares of integers and decimals are rationals, so the
    cap and the reductions are decided without a float tolerance."""

    def __init__(self, gemeinden: pd.DataFrame, spec: KeySpec):
        self.gemeinden = gemeinden
        self.spec = spec
        self._value: list[Fraction] | None = None

    def __call__(self) -> list[Fraction]:
        if self._value is None:
            self._value = exact_key(self.gemeinden, self.spec)
        return self._value

    def __deepcopy__(self, memo: dict) -> ExactKey:  # pandas copies attrs; the inputs are not changed
        return self


def _scaled_shares(values: np.ndarray) -> tuple[list[int], int]:
    """The shares x_i / Σx of decimals as integers over one denominator: (numerators, denominator)."""
    ratios = [decimal_ratio(v) for v in values]
    scale = math.lcm(*(d for _, d in ratios)) if ratios else 1
    nums = [n * (scale // d) for n, d in ratios]
    total = sum(nums)
    if total <= 0:
        raise InputError(Problem("Gemeindetabelle", "ein Merkmal des Schlüssels ergibt in der Summe 0"))
    return nums, total


def exact_key(gemeinden: pd.DataFrame, spec: KeySpec) -> list[Fraction]:
    """`compute_key_with_steps`'s key, step for step, in exact rationals.

    Every stage (weighted sum, cap, reductions) is computed as integer numerators over one common
    denominator, with one `Fraction` per Gemeinde only at the end, instead of a normalised
    Fraction per product and sum: the values are the same rationals (tests/test_exakte_rundung.py
    holds them equal to the Fraction rule written out), and the exact key was most of `compare`'s
    computation at 11,000 Gemeinden (issue 25)."""
    n = len(gemeinden)
    scaled = {col: _scaled_shares(gemeinden[col].to_numpy(dtype=float)) for col in spec.weights}
    weights = {col: decimal_ratio(w) for col, w in spec.weights.items()}
    den = math.lcm(*(weights[col][1] * scaled[col][1] for col in spec.weights)) if spec.weights else 1
    factor = {col: weights[col][0] * (den // (weights[col][1] * scaled[col][1])) for col in spec.weights}
    nums = [0] * n
    for col in spec.weights:
        f, xs = factor[col], scaled[col][0]
        nums = [a + f * x for a, x in zip(nums, xs, strict=True)]
    if spec.cap is not None:
        if spec.cap.component in spec.weights:
            shares = scaled[spec.cap.component]
        else:
            shares = _scaled_shares(gemeinden[spec.cap.component].to_numpy(dtype=float))
        nums, den = _exact_cap(nums, den, shares, spec.cap)
    if spec.reductions:
        nums, den = _exact_reductions(gemeinden, spec, nums, den)
    return [Fraction(a, den) for a in nums]


def _reduced(nums: list[int], den: int) -> tuple[list[int], int]:
    """The same rationals over the smallest common denominator (keeps the integers short)."""
    g = math.gcd(den, *nums)
    return ([a // g for a in nums], den // g) if g > 1 else (nums, den)


def _exact_cap(nums: list[int], den: int, shares: tuple[list[int], int], cap: Cap) -> tuple[list[int], int]:
    """The cap key_i ≤ factor · e_i, the excess spread over the uncapped Gemeinden in proportion
    to their key, in integers: key_i = nums_i / den, limit_i = lim_i / lim_den."""
    n = len(nums)
    fn, fd = decimal_ratio(cap.factor)
    xs, total = shares
    lim, lim_den = _reduced([fn * x for x in xs], fd * total)
    capped = [False] * n
    while True:
        # key_i > limit_i  ⇔  nums_i · lim_den > lim_i · den (both denominators > 0)
        over = [not c and a * lim_den > b * den for a, b, c in zip(nums, lim, capped, strict=True)]
        if not any(over):
            break
        capped = [c or o for c, o in zip(capped, over, strict=True)]
        if all(capped):
            raise InputError(Problem("Kappung", "jede Gemeinde ist gekappt; die Kappung ist nicht erfüllbar"))
        free = sum(a for a, c in zip(nums, capped, strict=True) if not c)  # over den
        fixed = sum(b for b, c in zip(lim, capped, strict=True) if c)  # over lim_den
        # uncapped: key_i · (1 − fixed) / free = nums_i · (lim_den − fixed) / (lim_den · free)
        # capped: lim_i / lim_den = lim_i · free / (lim_den · free)
        rest = lim_den - fixed
        nums, den = _reduced([b * free if c else a * rest for a, b, c in zip(nums, lim, capped, strict=True)],
                             lim_den * free)
        if not cap.iterate:
            break
    return nums, den


def _exact_reductions(gemeinden: pd.DataFrame, spec: KeySpec, nums: list[int], den: int) -> tuple[list[int], int]:
    """The percentage reductions and the redistribution of each cut, in integers over a common
    denominator: every rate's denominator is taken into ``e`` up front, so each cut is a whole
    numerator over ``e``; each redistribution adds pool · w_i / (e · Σw) over the common denominator."""
    n = len(nums)
    flags = [gemeinden[r.flag].to_numpy(dtype=bool).tolist() for r in spec.reductions]
    rates = [decimal_ratio(r.rate) for r in spec.reductions]
    e = den * math.prod(rd for _, rd in rates)
    k0 = [a * (e // den) for a in nums]  # over e
    remaining = list(k0)
    cuts = []
    for flag, (rn, rd) in zip(flags, rates, strict=True):
        base = k0 if spec.kombination == "additiv" else remaining
        cut = [b * rn // rd if f else 0 for b, f in zip(base, flag, strict=True)]  # exact: rd divides b
        cuts.append(cut)
        remaining = [a - c for a, c in zip(remaining, cut, strict=True)]
    key, key_den = remaining, e
    any_flag = [any(f[i] for f in flags) for i in range(n)]
    dist = k0 if spec.umverteilung_basis == "k0" else remaining
    for flag, cut in zip(flags, cuts, strict=True):
        pool = sum(cut)
        if not pool:
            continue
        takes = [not f for f in flag] if spec.empfaenger == "nicht_betroffen" else [not a for a in any_flag]
        w = [d if t else 0 for d, t in zip(dist, takes, strict=True)]
        total = sum(w)
        if total == 0:  # as the rule in Fractions would divide by zero: nobody can receive the cut
            raise InputError(Problem("Schlüssel", KEIN_EMPFAENGER))
        # key_i + pool/e · (w_i/e) / (total/e) = key_i + pool · w_i / (e · total), over their lcm
        common = math.lcm(key_den, e * total)
        a, m = common // key_den, pool * (common // (e * total))
        key, key_den = _reduced([k * a + m * x for k, x in zip(key, w, strict=True)], common)
    return key, key_den


def compute_key(gemeinden: pd.DataFrame, spec: KeySpec) -> pd.DataFrame:
    """Key per Gemeinde with every intermediate step, rows in the table's order."""
    return compute_key_with_steps(gemeinden, spec).table


def compute_key_with_steps(gemeinden: pd.DataFrame, spec: KeySpec) -> KeyResult:
    """`compute_key` and the step records of the computation, in the law's order."""
    spec.validate(list(gemeinden.columns), source=f"Schlüssel {spec.name}", numeric=number_columns(gemeinden))
    require_complete(gemeinden, tuple(spec.weights))
    out = pd.DataFrame({"ags": gemeinden["ags"].to_numpy(), "gemeinde": gemeinden["gemeinde"].to_numpy()})
    raw = np.zeros(len(gemeinden))
    share_of: dict[str, np.ndarray] = {}
    steps: list[Schritt] = []
    weights_para = spec.paragraphs.get("weights", "")
    for col, w in spec.weights.items():
        values = gemeinden[col].to_numpy(dtype=float)
        s = shares(values)
        share_of[col] = s
        out[f"anteil_{col}"] = s
        raw = raw + w * s
        c = component(col)
        p = spec.weight_params.get(col)
        steps.append(Schritt(
            f"anteil_{col}", f"{c.groesse} {c.symbol}",
            f"{c.symbol} = {{x:{c.kind}}} / {{summe:{c.kind}}}{c.einheit}", s,
            getattr(p, "paragraph", "") or weights_para, "",
            {"x": values, "summe": float(values.sum())}))
    out["schluessel_roh"] = raw
    terms = " + ".join(f"{{w_{col}:exakt}}·{component(col).symbol}" for col in spec.weights)
    wps = [spec.weight_params.get(col) for col in spec.weights]
    steps.append(Schritt(
        "schluessel_roh", f"{spec.bezeichnung or spec.name} {spec.symbol}", f"{spec.symbol} = {terms}", raw,
        weights_para, "; ".join(dict.fromkeys(_cite(p) for p in wps if p is not None)),
        {f"w_{col}": float(w) for col, w in spec.weights.items()}, annahme=_uncertain(*wps)))
    key = raw
    if spec.cap is not None:
        cap = spec.cap
        if cap.component not in share_of:
            share_of[cap.component] = shares(gemeinden[cap.component].to_numpy(dtype=float))
        limit = cap.factor * share_of[cap.component]
        out["kappungsgrenze"] = limit
        key, capped = apply_cap(raw, limit, cap.iterate)
        out["gekappt"] = capped
        out["schluessel_nach_kappung"] = key
        csym = component(cap.component).symbol
        quelle = "; ".join(q for q in (f"Lesart {cap.lesart}" if cap.lesart else "", _cite(cap.param)) if q)
        steps += [
            Schritt("kappungsgrenze", "Kappungsgrenze",
                    cap.formel or f"{spec.symbol} ≤ {{faktor:exakt}}·{csym}", limit, cap.paragraph, quelle,
                    {"faktor": float(cap.factor), **dict(cap.zahlen)}, annahme=_uncertain(cap.param)),
            Schritt("gekappt", "Schlüssel gekappt", "", capped, cap.paragraph, "", art="flag"),
            Schritt("schluessel_nach_kappung", f"{spec.symbol} nach Kappung und Umverteilung",
                    "übersteigende Anteile auf alle übrigen Gemeinden nach deren Schlüssel verteilt"
                    + ("" if cap.iterate else " (einmalige Umverteilung)") + ": {delta:anteil_vz}",
                    key, spec.paragraphs.get("umverteilung_kappung", cap.paragraph), "",
                    {"delta": key - raw}),
        ]
    if spec.reductions:
        flags = [gemeinden[r.flag].to_numpy(dtype=bool) for r in spec.reductions]
        base = key
        key, cuts = apply_reductions(key, flags, [r.rate for r in spec.reductions],
                                     spec.kombination, spec.umverteilung_basis, spec.empfaenger)
        for r, cut, flag in zip(spec.reductions, cuts, flags, strict=True):
            out[f"minderung_{r.flag}"] = cut
            steps.append(Schritt(
                f"minderung_{r.flag}", f"Minderung ({r.label or r.flag})",
                f"−{{rate:prozent}} des Schlüssels {spec.symbol} = {{minderung:anteil}}", -cut, r.paragraph,
                "; ".join(dict.fromkeys(q for q in (r.quelle, _cite(r.param)) if q)),
                {"rate": float(r.rate), "minderung": cut, "betroffen": flag, "liste": r.label or r.flag},
                art="minderung", annahme=_uncertain(r.param)))
        steps.append(Schritt(
            "schluessel_nach_minderung", f"{spec.symbol} nach Minderungen und Umverteilung",
            "geminderte Anteile auf die übrigen Gemeinden verteilt: {delta:anteil_vz}", key,
            spec.paragraphs.get("umverteilung_minderung", ""),
            f"Lesarten: Minderung {spec.kombination}, Umverteilung nach {spec.umverteilung_basis}, "
            f"Empfänger: {_empfaenger_text(spec.empfaenger)}", {"delta": key - base}))
    out["schluessel"] = key
    out.attrs["spec"] = spec
    out.attrs["exakt"] = ExactKey(gemeinden, spec)
    steps.append(Schritt("schluessel", f"{spec.bezeichnung or spec.name} (Ergebnis)", "", key,
                         spec.paragraphs.get("weights", "")))
    return KeyResult(out, tuple(steps))


def _empfaenger_text(value: str) -> str:
    """Who takes a reduction's excess, in words (the reading's value is an identifier)."""
    from verteilung.law.lesarten import ERLAUBT

    return ERLAUBT["empfaenger"].get(value, value)
