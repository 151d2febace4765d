"""The generic weighted distribution key that FlüAG, AWoV and every merged model share.

key = Σ weight_c · share_c, then an optional cap relative to one component with the excess
redistributed, then optional percentage reductions for flagged Gemeinden with the amounts
redistributed. Each step's intermediate values are kept so `explain` can show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from verteilung.data.gemeinden import require_complete
from verteilung.errors import InputError, Problem

WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Cap:
    """key_i ≤ factor · share_i(component); excess goes to the uncapped Gemeinden."""

    component: str
    factor: float
    iterate: bool = True
    paragraph: str = ""


@dataclass(frozen=True)
class Reduction:
    """key_i loses ``rate`` of the base key where column ``flag`` is true."""

    flag: str
    rate: float
    paragraph: str = ""
    label: str = ""


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

    def validate(self, columns: list[str] | None = None, source: str = "key") -> None:
        problems = []
        total = sum(self.weights.values())
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            problems.append(Problem(source, f"weights of key {self.name!r} sum to {total:g}, not 1"))
        for col, w in self.weights.items():
            if w < 0:
                problems.append(Problem(source, f"weight of {col!r} is negative ({w:g})"))
        if columns is not None:
            needed = list(self.weights) + [r.flag for r in self.reductions]
            if self.cap:
                needed.append(self.cap.component)
            problems += [Problem(source, f"column {c!r} does not exist in the Gemeinde table "
                                 f"(available: {', '.join(columns)})") for c in needed if c not in columns]
        if problems:
            raise InputError(problems)


def shares(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    if total <= 0:
        raise InputError(Problem("Gemeinde table", "a key component sums to zero"))
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
            raise InputError(Problem("key", "every Gemeinde is capped; the cap cannot be met"))
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
            raise InputError(Problem("key", "every Gemeinde is reduced; nobody can take the excess"))
        w = np.where(recipients, dist_base, 0.0)
        key = key + pool * w / w.sum(axis=-1, keepdims=True)
    return key, cuts


def compute_key(gemeinden: pd.DataFrame, spec: KeySpec) -> pd.DataFrame:
    """Key per Gemeinde with every intermediate step, rows in the table's order."""
    spec.validate(list(gemeinden.columns), source=f"key {spec.name}")
    require_complete(gemeinden, tuple(spec.weights))
    out = pd.DataFrame({"ags": gemeinden["ags"].to_numpy(), "gemeinde": gemeinden["gemeinde"].to_numpy()})
    raw = np.zeros(len(gemeinden))
    share_of: dict[str, np.ndarray] = {}
    for col, w in spec.weights.items():
        s = shares(gemeinden[col].to_numpy(dtype=float))
        share_of[col] = s
        out[f"anteil_{col}"] = s
        raw = raw + w * s
    out["schluessel_roh"] = raw
    key = raw
    if spec.cap is not None:
        if spec.cap.component not in share_of:
            share_of[spec.cap.component] = shares(gemeinden[spec.cap.component].to_numpy(dtype=float))
        limit = spec.cap.factor * share_of[spec.cap.component]
        out["kappungsgrenze"] = limit
        key, capped = apply_cap(raw, limit, spec.cap.iterate)
        out["gekappt"] = capped
        out["schluessel_nach_kappung"] = key
    if spec.reductions:
        flags = [gemeinden[r.flag].to_numpy(dtype=bool) for r in spec.reductions]
        key, cuts = apply_reductions(key, flags, [r.rate for r in spec.reductions],
                                     spec.kombination, spec.umverteilung_basis, spec.empfaenger)
        for r, cut in zip(spec.reductions, cuts, strict=True):
            out[f"minderung_{r.flag}"] = cut
    out["schluessel"] = key
    out.attrs["spec"] = spec
    return out
