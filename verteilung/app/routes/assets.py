"""Assets served from the installed packages (no CDN): the app's script and style, Plotly, an empty world map."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from verteilung.app.state import HERE, problems

FILES = {"app.js": "text/javascript", "app.css": "text/css"}


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/static/plotly.min.js")
    def plotly_js():
        return Response(_plotly_js(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    @r.get("/static/topojson/{name}")
    def topojson(name: str):
        """Plotly's geo layer asks for a world map; an empty one keeps it off the internet."""
        layers = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
        empty = {"type": "Topology", "arcs": [], "transform": {"scale": [1, 1], "translate": [0, 0]},
                 "objects": {k: {"type": "GeometryCollection", "geometries": []} for k in layers}}
        return JSONResponse(empty, headers={"Cache-Control": "max-age=86400"})

    @r.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    @r.get("/static/{name}")
    def static(name: str):
        if name not in FILES:  # a fixed list: no request parameter becomes a path
            return problems(["nicht gefunden"], 404)
        return Response((HERE / "static" / name).read_bytes(), media_type=FILES[name])

    return r


_PLOTLY: list[bytes] = []


def _plotly_js() -> bytes:
    if not _PLOTLY:
        from plotly.offline import get_plotlyjs

        _PLOTLY.append(get_plotlyjs().encode("utf-8"))
    return _PLOTLY[0]
