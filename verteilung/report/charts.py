"""Charts and Gemeinde maps as PNG bytes (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

import io
import json
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize, TwoSlopeNorm

from verteilung.resources import shipped

ATTRIBUTION = "© GeoBasis-DE / BKG 2025 (Daten verändert), dl-de/by-2-0"
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


@lru_cache(maxsize=1)
def _polygons() -> tuple[list[str], list[np.ndarray]]:
    """Exterior rings per Gemeinde, largest first so enclaves are drawn on top of their host."""
    data = json.loads(shipped("inputs", "nrw", "gemeinden.geojson").read_text(encoding="utf-8"))
    ags, rings = [], []
    for feat in data["features"]:
        geom = feat["geometry"]
        parts = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for poly in parts:
            ring = np.asarray(poly[0], dtype=float)
            ags.append(feat["properties"]["ags"])
            rings.append(ring)
    area = [abs(np.dot(r[:, 0], np.roll(r[:, 1], 1)) - np.dot(r[:, 1], np.roll(r[:, 0], 1))) for r in rings]
    order = np.argsort(area)[::-1]
    return [ags[i] for i in order], [rings[i] for i in order]


def gemeinde_map(values: pd.Series, title: str, label: str, diverging: bool = False) -> bytes:
    """Choropleth of NRW at Gemeinde level; ``values`` indexed by AGS."""
    ags, rings = _polygons()
    v = values.reindex(ags).to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    if diverging:
        lim = float(np.nanmax(np.abs(v))) or 1.0
        norm: Normalize = TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim)
        cmap = "RdBu_r"
    else:
        norm = Normalize(vmin=float(np.nanpercentile(v, 2)), vmax=float(np.nanpercentile(v, 98)))
        cmap = "YlOrRd"
    coll = PolyCollection(rings, array=v, cmap=cmap, norm=norm, edgecolors="#555555", linewidths=0.15)
    ax.add_collection(coll)
    ax.autoscale_view()
    ax.set_aspect(1 / np.cos(np.radians(51.5)))
    ax.axis("off")
    ax.set_title(title)
    cb = fig.colorbar(coll, ax=ax, shrink=0.7)
    cb.set_label(label)
    fig.text(0.01, 0.01, ATTRIBUTION, fontsize=7, color="#444444")
    return png(fig)


def quota_boxplot(gemeinden: pd.DataFrame, order: list[str]) -> bytes:
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    data = [gemeinden.loc[gemeinden["modell"] == m, "quote"].dropna().to_numpy() for m in order]
    ax.boxplot(data, tick_labels=order, showfliers=False)
    ax.axhline(100, color="#999999", lw=0.8, ls="--")
    ax.set_ylabel("Quote (gezählt / Soll), %")
    ax.set_title("Verteilung der Quoten je Modell (ohne Ausreißer)")
    plt.setp(ax.get_xticklabels(), rotation=15, ha="right")
    return png(fig)


def type_bars(typ: pd.DataFrame, order: list[str]) -> bytes:
    kinds = ["kreisfreie Stadt", "kreisangehörige Stadt", "kreisangehörige Gemeinde"]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    width = 0.8 / len(kinds)
    x = np.arange(len(order))
    for j, k in enumerate(kinds):
        vals = [float(typ[(typ["modell"] == m) & (typ["gemeinde_typ"] == k)]["zuweisung"].sum()) for m in order]
        ax.bar(x + j * width - 0.4 + width / 2, vals, width, label=k)
    ax.set_xticks(x, order, rotation=15, ha="right")
    ax.set_ylabel("Zuweisungen in der Periode")
    ax.set_title("Kreisfreie Städte und kreisangehörige Gemeinden")
    ax.legend(frameon=False)
    return png(fig)


def trajectories(monate: pd.DataFrame, column: str, title: str, ylabel: str) -> bytes:
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    for m, part in monate.groupby("modell", sort=False):
        ax.plot(part["monat"], part[column], label=m, lw=1.6)
    ax.set_xlabel("Monat")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return png(fig)


def fan_chart(gemeinden: pd.DataFrame) -> bytes:
    """Per Gemeinde the 5-95 % band and median of its quota across sweep scenarios, sorted by median."""
    d = gemeinden.sort_values(["quote_p50", "ags"]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    x = np.arange(len(d))
    ax.fill_between(x, d["quote_p05"], d["quote_p95"], color="#9ecae1", label="5–95 % der Szenarien")
    ax.plot(x, d["quote_p50"], color="#08519c", lw=1.2, label="Median")
    ax.axhline(100, color="#999999", lw=0.8, ls="--")
    ax.set_xlabel("Gemeinden, nach Median sortiert")
    ax.set_ylabel("Quote, %")
    ax.set_title("Streuung der Quote je Gemeinde über alle Szenarien")
    ax.legend(frameon=False)
    return png(fig)


def side_changes(gemeinden: pd.DataFrame, top: int = 15) -> bytes:
    """Gemeinden relieved in about half the scenarios: their side depends most on the weights."""
    d = gemeinden.assign(w=gemeinden["anteil_entlastet"] * (1 - gemeinden["anteil_entlastet"]))
    d = d.sort_values(["w", "ags"], ascending=[False, True]).head(top)[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.4 + 0.3 * len(d)))
    ax.barh(d["gemeinde"], d["anteil_entlastet"] * 100, color="#e6550d")
    ax.axvline(50, color="#999999", lw=0.8, ls="--")
    ax.set_xlabel("entlastet gegenüber Status quo, % der Szenarien")
    ax.set_title("Gemeinden, die am häufigsten die Seite wechseln")
    return png(fig)


def tornado_png(table: pd.DataFrame, metric: str) -> bytes:
    """Tornado chart of one metric from a one-at-a-time table (`verteilung.sensitivity.oat`)."""
    part = table[table["kennzahl"] == metric].sort_values("spanne")
    fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.45 * len(part)))
    base = part["basis"].iloc[0] if len(part) else 0
    for y, r in enumerate(part.itertuples()):
        ax.barh(y, r.bei_min - base, left=base, color="#4c78a8")
        ax.barh(y, r.bei_max - base, left=base, color="#e45756")
    ax.axvline(base, color="#333333", lw=0.8)
    ax.set_yticks(range(len(part)), part["parameter"])
    ax.set_title(f"{metric}: Parameter am unteren (blau) und oberen (rot) Ende")
    return png(fig)
