"""Grouped sums of a few hundred rows without pandas' groupby machinery, with pandas' own results.

`verteilung compare` sums each model's Gemeinden per Kreis, Regierungsbezirk, Gemeinde type and
degree of urbanisation, the long run's per group and the money per Kreis: some thirty grouped
sums of ~400 rows each, where pandas' per-call overhead (factorising, building the result index,
reset_index) cost ~0,05 s of a comparison's 0,22 s (issue 25). `group_sums` gives the same table
as ``frame.groupby(keys, sort=True)[columns].sum()`` with the group sizes, bit for bit: groups in
the sorted order of their keys; integer columns summed exactly; float columns with the same
compensated (Kahan) summation in row order that pandas' ``group_sum`` uses, so every written
float keeps its last bit. Inputs it does not cover (a missing key, a non-finite float, another
dtype, rows already sorted by their groups, which pandas 3.1 sums with ``np.add.reduceat``) return
None, as do tables too large for the Python loop to pay (`KAHAN_PYTHON_MAX`);
`group_sum_columns_or_pandas` then takes pandas' own path. tests/test_gruppen.py holds both equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

# float values summed in the Python loop at most; beyond, pandas' compiled loop wins (measured at
# 11.088 Gemeinden: one model's 11.088 rows still faster here, the long run's 55.440 not)
KAHAN_PYTHON_MAX = 20_000


def _codes(values: np.ndarray) -> tuple[list[str], np.ndarray] | None:
    """Sorted distinct keys and each row's position among them; None unless every key is a str
    (a missing key, NaN or None, is pandas' to drop)."""
    listed = values.tolist()
    uniques = list(dict.fromkeys(listed))
    if not all(type(u) is str for u in uniques):
        return None
    uniques.sort()  # code-point order, as pandas sorts str keys
    at = {u: i for i, u in enumerate(uniques)}
    return uniques, np.fromiter(map(at.__getitem__, listed), dtype=np.intp, count=len(listed))


def kahan_group_sum(values: np.ndarray, ids: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the compensated sum of ``values`` in row order: the arithmetic of pandas'
    ``group_sum`` for finite floats (``y = v − c; t = s + y; c = (t − s) − y; s = t``). Python
    floats are IEEE doubles, so this loop gives the same bits as pandas' compiled one."""
    s = [0.0] * n_groups
    c = [0.0] * n_groups
    for v, g in zip(values.tolist(), ids.tolist(), strict=True):
        y = v - c[g]
        t = s[g] + y
        c[g] = t - s[g] - y
        s[g] = t
    return np.array(s, dtype=np.float64)


def group_sums(frame: pd.DataFrame | Mapping[str, object], keys: Sequence[str], columns: Sequence[str],
               size: str | None = None) -> pd.DataFrame | None:
    """``frame.groupby(keys, sort=True)[columns].sum()`` as a flat frame (keys as columns, then
    ``size`` with the group sizes where given, then the sums), or None where pandas must decide.

    ``frame``: a DataFrame or a mapping of column name → 1-d array/Series of equal length."""
    out = group_sum_columns(frame, keys, columns, size)
    return None if out is None else pd.DataFrame(out)


def group_sum_columns(frame: pd.DataFrame | Mapping[str, object], keys: Sequence[str], columns: Sequence[str],
                      size: str | None = None) -> dict[str, object] | None:
    """`group_sums` as its columns (a key column taken from a Series keeps the Series' dtype as a
    pandas array; the rest are numpy arrays), for callers that read them as arrays."""
    cols = {c: frame[c] for c in (*keys, *columns)}
    arrays = {c: np.asarray(v.to_numpy() if isinstance(v, pd.Series | pd.Index) else v) for c, v in cols.items()}
    n = len(next(iter(arrays.values())))
    if n == 0:
        return None
    for c in columns:
        a = arrays[c]
        if a.dtype not in (np.int64, np.float64) or (a.dtype == np.float64 and not np.isfinite(a).all()):
            return None
    if n * sum(arrays[c].dtype == np.float64 for c in columns) > KAHAN_PYTHON_MAX:
        return None  # so many values that pandas' compiled loop is cheaper than its per-call cost
    combined = np.zeros(n, dtype=np.int64)
    combinations = 1
    for k in keys:
        if isinstance(cols[k], pd.Series) and isinstance(cols[k].dtype, pd.CategoricalDtype):
            return None  # pandas sorts categories in their declared order, not by code point
        found = _codes(arrays[k])
        if found is None:
            return None
        uniques, codes = found
        combinations *= len(uniques)
        if combinations >= 2**62:  # the combined code would wrap around in int64
            return None
        combined = combined * len(uniques) + codes
    # groups in the order of their keys; ``first``: the row each group's keys are taken from
    group_codes, first, ids = np.unique(combined, return_index=True, return_inverse=True)
    ids = ids.reshape(-1)
    if np.all(ids[1:] >= ids[:-1]):  # rows already in group order: pandas ≥ 3.1 sums them with
        return None                  # `ufunc.reduceat` instead (other bits); it decides
    m = len(group_codes)
    out: dict[str, object] = {}
    for k in keys:
        src = cols[k]
        picked = arrays[k][first]
        out[k] = pd.array(picked, dtype=src.dtype) if isinstance(src, pd.Series) else picked
    if size is not None:
        out[size] = np.bincount(ids, minlength=m).astype(np.int64)
    for c in columns:
        a = arrays[c]
        if a.dtype == np.int64:
            if max(-int(a.min()), int(a.max())) * n < 2**53:  # every partial sum is an exact double
                out[c] = np.bincount(ids, weights=a, minlength=m).astype(np.int64)
            else:
                total = np.zeros(m, dtype=np.int64)
                np.add.at(total, ids, a)
                out[c] = total
        else:
            out[c] = kahan_group_sum(a, ids, m)
            if not np.isfinite(out[c]).all():  # finite values that overflow: pandas' inf, not the loop's NaN
                return None
    return out


def group_sum_columns_or_pandas(frame: pd.DataFrame | Mapping[str, object], keys: Sequence[str],
                                columns: Sequence[str], size: str | None = None) -> dict[str, object]:
    """`group_sum_columns`, or where it returns None pandas' own ``groupby(keys, sort=True).sum()``
    (with ``size`` the group sizes after the keys), as columns: the one fallback of its callers."""
    out = group_sum_columns(frame, keys, columns, size)
    if out is not None:
        return out
    table = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    grp = table[[*keys, *columns]].groupby(list(keys), sort=True)
    sums = grp.sum()  # one grouped sum of all columns (a third of the time of named aggregations)
    if size is not None:
        sums.insert(0, size, grp.size())
    sums = sums.reset_index()
    return {c: sums[c].array for c in sums.columns}


def je_schluessel(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``pd.Series(wanted).map(pd.Series(values, index=keys))`` for float ``values`` and distinct
    ``keys``: each wanted key's value, NaN where ``keys`` lack it (a change against a basis without
    that group)."""
    n = len(keys)
    if n and len(wanted) % n == 0 and (np.asarray(wanted).reshape(-1, n) == np.asarray(keys)).all():
        return np.tile(values, len(wanted) // n)  # ``wanted`` is ``keys`` repeated (each model's rows)
    at = pd.Index(keys).get_indexer(wanted)
    return np.where(at >= 0, values[at], np.nan) if len(values) else np.full(len(wanted), np.nan)


def summe(values: np.ndarray) -> np.float64:
    """``Series.sum()`` of a float column on its array: NaN counts as 0 (pandas' ``nansum``), the
    same pairwise sum over the same contiguous values, the same bits."""
    return np.where(np.isnan(values), 0.0, values).sum()


def rangfolge(col: Mapping[str, np.ndarray], by: str, basis: str, labels: tuple[str, str],
              names: Sequence[str], top: int = 10) -> list[dict]:
    """Per model but ``basis`` (``col["modell"]``, in order of appearance) the ``top`` rows with the
    smallest ``by`` (labelled ``labels[0]``) and the ``top`` with the largest (``labels[1]``, largest
    first), ties by AGS: the order of ``sort_values([by, "ags"])``'s head and reversed tail, on arrays
    (the winners and losers of a comparison, of its long run and of its money)."""
    modell = np.asarray(col["modell"])
    rows: list[dict] = []
    for m in pd.unique(modell[modell != basis]):
        idx = np.flatnonzero(modell == m)
        ranked = idx[np.lexsort((col["ags"][idx], col[by][idx]))]
        for label, part in zip(labels, (ranked[:top], ranked[-top:][::-1]), strict=True):
            rows += [{"modell": m, "richtung": label, **{c: col[c][i] for c in names}} for i in part]
    return rows
