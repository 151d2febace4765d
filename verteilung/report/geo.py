"""Gemeinde boundaries for Plotly maps (the app's pages and the report): simplified GeoJSON.

Light on purpose (no matplotlib, no pandas): the app imports it at start-up.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache


def _geodaten():
    """The default Land package's Gemeinde polygons (maps are drawn for NRW)."""
    from verteilung import land

    path = land.get().geodaten_datei()
    assert path is not None
    return path


@lru_cache(maxsize=1)
def geojson_bytes() -> bytes:
    """The shipped Gemeinde boundaries, simplified (Douglas-Peucker, 0.001° ≈ 70-110 m) to keep pages light."""
    data = json.loads(_geodaten().read_text(encoding="utf-8"))

    def ring(coords: list) -> list:
        pts = simplify([(round(x, 4), round(y, 4)) for x, y in coords], 0.001)
        return [[round(x, 4), round(y, 4)] for x, y in pts]

    feats = []
    for f in data["features"]:
        geom = f["geometry"]
        if geom["type"] == "Polygon":
            coords = [ring(r) for r in geom["coordinates"]]
        else:
            coords = [[ring(r) for r in poly] for poly in geom["coordinates"]]
        feats.append({"type": "Feature", "properties": {"ags": f["properties"]["ags"]},
                      "geometry": {"type": geom["type"], "coordinates": coords}})
    return json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":")).encode()


def simplify(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Douglas-Peucker on one closed ring; keeps at least four points so the ring stays a polygon."""
    if len(points) < 5:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        best, idx = -1.0, -1
        for i in range(a + 1, b):
            x, y = points[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / norm if norm else math.hypot(x - x1, y - y1)
            if d > best:
                best, idx = d, i
        if idx > 0 and best > tol:
            keep[idx] = True
            stack += [(a, idx), (idx, b)]
    out = [p for p, k in zip(points, keep, strict=True) if k]
    return out if len(out) >= 4 else points
