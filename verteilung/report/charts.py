"""Charts as PNG bytes (matplotlib, Agg backend, no display needed); Gemeinde maps as inline SVG
with each Gemeinde's name and value as hover text."""

from __future__ import annotations

import io
import json
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.ticker import FuncFormatter, ScalarFormatter

from verteilung.io.deutsch import fmt_dec, fmt_exact, fmt_signed
from verteilung.resources import shipped
from verteilung.vocab import label

ATTRIBUTION = "© GeoBasis-DE / BKG 2025 (Daten verändert), dl-de/by-2-0"
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})


def _de_tick(value: float, _pos: int | None = None) -> str:
    """A tick label in German format (``1.000``, ``0,25``), whatever the process locale."""
    return fmt_exact(round(float(value), 8))


def german_ticks(fig) -> None:
    """German number format on every numeric axis of ``fig`` (category axes keep their labels)."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter):
                axis.set_major_formatter(FuncFormatter(_de_tick))


def png(fig) -> bytes:
    german_ticks(fig)
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


SVG_WIDTH = 560  # the SVG map's drawing width in user units (it scales with the page)


@lru_cache(maxsize=1)
def _svg_paths() -> tuple[tuple[tuple[str, str], ...], int]:
    """Per Gemeinde one SVG path (all its parts), simplified to about 1.5 drawing units, largest
    Gemeinden first so enclaves lie on top; and the drawing height."""
    ags, rings = _polygons()
    allc = np.concatenate(rings)
    x0, y1 = float(allc[:, 0].min()), float(allc[:, 1].max())
    k = np.cos(np.radians(51.5))
    scale = SVG_WIDTH / ((float(allc[:, 0].max()) - x0) * k)
    height = int(np.ceil((y1 - float(allc[:, 1].min())) * scale))
    parts: dict[str, list[str]] = {}
    order: list[str] = []
    for a, r in zip(ags, rings, strict=True):
        pts = np.c_[(r[:, 0] - x0) * k * scale, (y1 - r[:, 1]) * scale]
        kept = [pts[0]]
        for q in pts[1:-1]:
            if abs(q[0] - kept[-1][0]) + abs(q[1] - kept[-1][1]) >= 1.5:
                kept.append(q)
        ints = np.round(np.asarray(kept)).astype(int)
        if len(ints) < 3:
            ints = np.round(pts[:: max(1, len(pts) // 4)]).astype(int)
        d = np.diff(ints, axis=0)
        path = f"M{ints[0, 0]},{ints[0, 1]}l" + " ".join(f"{x},{y}" for x, y in d) + "z"
        if a not in parts:
            parts[a] = []
            order.append(a)
        parts[a].append(path)
    return tuple((a, "".join(parts[a])) for a in order), height


def de_number(v: float, digits: int = 2, sign: bool = False) -> str:
    """A number for map hover texts and legends, German format (`verteilung.io.deutsch`)."""
    return fmt_signed(v, digits) if sign else fmt_dec(v, digits)


def gemeinde_svg(values: pd.Series, names: pd.Series, label: str, diverging: bool = False) -> str:
    """Choropleth of NRW at Gemeinde level as inline SVG markup: each Gemeinde a path whose
    ``<title>`` (the browser's hover text) names it with its value. ``values`` and ``names``
    are indexed by AGS; names are escaped here."""
    from html import escape

    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    paths, height = _svg_paths()
    v = values.astype(float)
    if diverging:
        lim = float(np.nanmax(np.abs(v.to_numpy()))) or 1.0
        norm: Normalize = Normalize(vmin=-lim, vmax=lim)
        cmap = colormaps["RdBu_r"]
    else:
        norm = Normalize(vmin=float(np.nanpercentile(v, 2)), vmax=float(np.nanpercentile(v, 98)))
        cmap = colormaps["YlOrRd"]
    legend_h = 34
    out = [f'<svg class="karte" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_WIDTH} {height + legend_h}" '
           f'role="img" aria-label="{escape(label)}">',
           '<g stroke="#555555" stroke-width="0.3" stroke-linejoin="round">']
    for a, d in paths:
        x = v.get(a, np.nan)
        fill = "#dddddd" if not np.isfinite(x) else to_hex(cmap(float(np.clip(norm(x), 0, 1))))
        name = escape(str(names.get(a, a)))
        text = "keine Angabe" if not np.isfinite(x) else de_number(float(x), sign=diverging)
        out.append(f'<path data-ags="{a}" fill="{fill}" d="{d}"><title>{name}: {text} ({escape(label)})</title></path>')
    out.append("</g>")
    y = height + 6
    steps = "".join(f'<rect x="{20 + 20 * i}" y="{y}" width="20" height="10" fill="{to_hex(cmap(t))}"/>'
                    for i, t in enumerate(np.linspace(0, 1, 11)))
    lo, hi = de_number(norm.vmin, sign=diverging), de_number(norm.vmax, sign=diverging)
    out.append(f'<g>{steps}</g>'
               f'<g font-size="10" fill="#333333"><text x="20" y="{y + 23}">{lo}</text>'
               f'<text x="240" y="{y + 23}" text-anchor="end">{hi}</text>'
               f'<text x="252" y="{y + 9}">{escape(label)}</text></g></svg>')
    return "".join(out)


def quota_boxplot(gemeinden: pd.DataFrame, order: list[str]) -> bytes:
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    data = [gemeinden.loc[gemeinden["modell"] == m, "gesamtquote_nach_zuweisung"].dropna().to_numpy() for m in order]
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
    ax.set_yticks(range(len(part)), [label(p) for p in part["parameter"]])
    ax.set_title(f"{label(metric)}: Parameter am unteren (blau) und oberen (rot) Ende")
    return png(fig)


def transition_paths(verlauf: pd.DataFrame, figures: pd.DataFrame, verfolgt: str = "05513000") -> bytes:
    """Month by month, each model's assignments to the tracked Gemeinde (Gelsenkirchen) and to
    the Gemeinde receiving most under that model (`simulate.uebergang_tables`)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), sharey=False)
    top = figures.set_index("modell")["meiste_zuweisungen_ags"]
    for m, part in verlauf.groupby("modell", sort=False):
        mine = part[part["ags"] == verfolgt]
        if len(mine):
            left.plot(mine["monat"], mine["zuweisung"], lw=1.6, label=m)
        best = part[part["ags"] == top.get(m)]
        if len(best):
            right.plot(best["monat"], best["zuweisung"], lw=1.6, label=f"{m}: {best['gemeinde'].iloc[0]}")
    name = verlauf.loc[verlauf["ags"] == verfolgt, "gemeinde"]
    left.set_title(f"{name.iloc[0] if len(name) else verfolgt}: Zuweisungen je Monat")
    right.set_title("Gemeinde mit den meisten Zuweisungen je Modell")
    for ax in (left, right):
        ax.set_xlabel("Monat")
        ax.set_ylabel("Personen")
        ax.legend(frameon=False, fontsize=7)
    return png(fig)
