"""The report's long-run section: per model a Plotly map of the long-run change, the Kreis ranking
and the money per Kreis, each with a caption in words and a table; it follows the generated
sentences ("Das Wichtigste", `verteilung.zusammenfassung`), so the story comes before the details.

Plotly comes from the installed package and is embedded in the page (as the app serves it from
the package): the report stays one file that opens without a network. The data are the
comparison's long run (`CompareResult.langfrist`, real structural data, no stock) and money
(`CompareResult.mittel`); nothing is computed here that the analysis does not already hold.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

from verteilung.io.deutsch import fmt_dec, fmt_signed
from verteilung.report.namen import fold

if TYPE_CHECKING:
    from verteilung.compare import CompareResult

# ColorBrewer PuOr as in the app (colour-blind safe): purple = less load, orange = more
PUOR = [[0, "#542788"], [0.2, "#8073ac"], [0.4, "#d8daeb"], [0.5, "#f7f7f7"], [0.6, "#fee0b6"],
        [0.8, "#e08214"], [1, "#b35806"]]
SKALA_QUANTIL = 0.98
# Plotly's geo layer asks for a world map; empty ones keep it off the network (the app serves the same)
EMPTY_TOPOLOGY = {"type": "Topology", "arcs": [], "transform": {"scale": [1, 1], "translate": [0, 0]},
                  "objects": {k: {"type": "GeometryCollection", "geometries": []}
                              for k in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")}}


def _script_json(obj: object) -> Markup:
    """JSON safe inside a ``<script type="application/json">`` element."""
    return Markup(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/"))


def plotly_js() -> Markup:
    """plotly.js from the installed package, for inlining (no CDN, no network)."""
    from plotly.offline import get_plotlyjs

    return Markup(get_plotlyjs().replace("</script", "<\\/script"))


def _persons(v: float) -> str:
    return fmt_signed(round(float(v)))


def langfrist_abschnitt(cmp: CompareResult, titel: dict[str, str]) -> dict | None:
    """The section's context for `bericht.html.j2`; None without a long run (e.g. other Länder)."""
    from verteilung.report.geo import geojson_bytes
    from verteilung.report.html import _table

    lf = cmp.langfrist
    if lf is None:
        return None
    basis = lf.info["basis"]
    models = [m for m in lf.info["modelle"] if m != basis]
    if not models:
        return None
    g = lf.gemeinden
    changes = g.loc[g["modell"].isin(models), "aenderung_langfristig_je_1000"].abs()
    # one scale for every model; the few extremes beyond the 98th percentile take the strongest colour,
    # so the many small changes stay visible (hover and tables give every exact value)
    grenze = max(float(changes.quantile(SKALA_QUANTIL)) if len(changes) else 0.0, 1e-9)
    kreise = lf.aggregate["kreise"]
    geld = cmp.mittel.kreise if cmp.mittel is not None else None
    basis_titel = titel.get(basis, basis)
    kurz = {m: titel.get(m, m).split(":")[0] for m in models}
    out, daten = [], []
    for i, m in enumerate(models):
        part = g[g["modell"] == m].sort_values("ags")
        werte = part["aenderung_langfristig_je_1000"].astype(float)
        text = [f"{n}: {fmt_signed(v, 1)} je 1.000 EW, {_persons(p)} Personen"
                for n, v, p in zip(part["gemeinde"], werte, part["aenderung_langfristig"], strict=True)]
        top, low = part.loc[werte.idxmax()], part.loc[werte.idxmin()]
        kr = kreise[kreise["modell"] == m].sort_values(["aenderung_langfristig_je_1000", "kreis"],
                                                       ascending=[False, True])
        entry = {"id": f"lf{i}", "titel": titel.get(m, m), "kurz": kurz[m],
                 "karte_alt": f"Karte der 396 Gemeinden: {kurz[m]} langfristig gegenüber {basis_titel}, Änderung "
                              "je 1.000 Einwohner (Tabelle unter den Karten)",
                 "karte_text": f"Am meisten mehr: {top['gemeinde']} ({fmt_signed(float(werte.max()), 1)} je "
                               f"1.000 EW); am meisten weniger: {low['gemeinde']} "
                               f"({fmt_signed(float(werte.min()), 1)}).",
                 "kreise_text": _rank_text(kr, "aenderung_langfristig_je_1000", 1, "je 1.000 EW")}
        d = {"id": entry["id"], "ags": part["ags"].tolist(), "wert": [round(v, 3) for v in werte], "text": text,
             "kreis": kr["kreis"].tolist(),
             "kreis_wert": [round(float(v), 3) for v in kr["aenderung_langfristig_je_1000"]],
             "kreis_text": [f"{k}: {fmt_signed(float(v), 1)} je 1.000 EW, {_persons(p)} Personen" for k, v, p in
                            zip(kr["kreis"], kr["aenderung_langfristig_je_1000"], kr["aenderung_langfristig"],
                                strict=True)]}
        table = kr[["modell", "kreis", "einwohner", "last_langfristig_je_1000", "aenderung_langfristig",
                    "aenderung_langfristig_je_1000"]]
        if geld is not None and m in set(geld["modell"]):
            mk = geld[geld["modell"] == m].sort_values(["aenderung_mittel_eur", "kreis"], ascending=[False, True])
            d |= {"geld_kreis": mk["kreis"].tolist(),
                  "geld_wert": [round(float(v)) for v in mk["aenderung_mittel_eur"]],
                  "geld_text": [f"{k}: {fmt_signed(round(float(v)))} € im Jahr" for k, v in
                                zip(mk["kreis"], mk["aenderung_mittel_eur"], strict=True)]}
            entry["geld_text"] = _rank_text(mk, "aenderung_mittel_eur", 0, "€ im Jahr")
            table = table.merge(mk[["kreis", "mittel_eur", "aenderung_mittel_eur"]], on="kreis", how="left")
        entry["tabelle"] = _table(table.drop(columns="modell"), [c for c in table.columns if c != "modell"])
        out.append(entry)
        daten.append(d)
    return {"basis_titel": basis_titel, "modelle": out, "grenze": grenze, "grenze_text": fmt_dec(grenze, 1),
            "naeherungen": list(lf.info.get("naeherungen") or []), "gemeinden": _gemeinden(g, models, kurz),
            "daten": _script_json({"modelle": daten, "grenze": grenze, "skala": PUOR}),
            "geojson": Markup(geojson_bytes().decode("utf-8").replace("</", "<\\/")),
            "topojson": _script_json({"world_110m": EMPTY_TOPOLOGY, "world_50m": EMPTY_TOPOLOGY}),
            "plotly": plotly_js(), "mit_geld": geld is not None}


def _rank_text(df: pd.DataFrame, col: str, digits: int, unit: str) -> str:
    """The first and last three Kreise of a ranking in words (the chart's caption)."""
    def show(part: pd.DataFrame) -> str:
        return ", ".join(f"{r.kreis} ({fmt_signed(round(float(getattr(r, col)), digits), digits)})"
                         for r in part.itertuples())

    return f"Oben: {show(df.head(3))}; unten: {show(df.tail(3)[::-1])} ({unit})."


def _gemeinden(g: pd.DataFrame, models: list[str], kurz: dict[str, str]) -> dict:
    """All Gemeinden with their long-run change under each model: the maps as a table."""
    wide = g[g["modell"].isin(models)].pivot(index="ags", columns="modell", values="aenderung_langfristig_je_1000")
    first = g.drop_duplicates("ags").set_index("ags").sort_values("gemeinde", key=lambda s: s.map(fold))
    head = ["Gemeinde", "Kreis", "AGS", *[f"{kurz[m]}: Änderung je 1.000 EW langfristig" for m in models]]
    rows = []
    for ags, r in first.iterrows():
        cells = [{"text": str(r["gemeinde"]), "sort": str(r["gemeinde"])},
                 {"text": str(r["kreis"]), "sort": str(r["kreis"])}, {"text": str(ags), "sort": str(ags)}]
        for m in models:
            v = float(wide.at[ags, m])
            cells.append({"text": fmt_signed(v, 1), "sort": round(v, 4)})
        rows.append(cells)
    return {"head": head, "hilfe": [], "rows": rows}

