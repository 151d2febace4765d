"""Shape engine results for the pages: query parameters → settings, tables → JSON, search, map."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from verteilung import vocab
from verteilung.app.engine import Einstellungen
from verteilung.compare import BASELINE, CompareResult
from verteilung.errors import InputError, Problem
from verteilung.io import deutsch
from verteilung.io.deutsch import fmt_exact
from verteilung.law import systems
from verteilung.report.namen import fold

MAX_ZUGAENGE = 100_000
MAX_MONATE = 60
MAX_MODELL_MONATE = 150  # months × models of one simulation request (about 5 s)
DEFAULT_GEWICHTE = {"einwohner": 80.0, "flaeche": 10.0, "arbeitslose": 10.0}
SLIDER_SPALTEN = ("einwohner", "flaeche", "arbeitslose")

# Page columns not in the shared vocabulary (the rest: `verteilung.vocab`).
EXTRA_LABELS = {"titel": "Modell (voller Titel)"}


def spalte(c: str) -> str:
    """German header of a page column: the vocabulary's label."""
    return EXTRA_LABELS.get(c) or vocab.label(c)


def _num(params: Mapping[str, str], name: str, default: float, lo: float, hi: float,
         problems: list[Problem], label: str) -> float:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        v = float(raw.replace(",", "."))
    except ValueError:
        problems.append(Problem(name, f"{label}: keine Zahl („{raw[:40]}“)"))
        return default
    if not math.isfinite(v) or not lo <= v <= hi:
        problems.append(Problem(name, f"{label}: {fmt_exact(v)} liegt nicht zwischen {fmt_exact(lo)} und "
                                f"{fmt_exact(hi)}"))
        return default
    return v


def settings_from_query(params: Mapping[str, str], modelle_alle: list[str], zahlspalten: list[str],
                        auswahl: tuple[str, ...] | None = None) -> tuple[Einstellungen, dict]:
    """The page's URL parameters (the permalink) → settings; German problem lines on bad input.

    Without ``modelle`` the app's default selection applies (``auswahl``; else every model).
    """
    problems: list[Problem] = []
    raw_models = params.get("modelle")
    if raw_models is None:
        names = [m for m in (auswahl or modelle_alle) if m != BASELINE]
    else:
        names = [m.strip() for m in raw_models.split(",") if m.strip()]
    for m in names:
        if m not in modelle_alle:
            problems.append(Problem("modelle", f"unbekanntes Modell „{m[:60]}“; verfügbar: {', '.join(modelle_alle)}"))
    if len(names) > len(modelle_alle):
        problems.append(Problem("modelle", "zu viele Modelle"))
    eigene = params.get("eigene", "1") not in ("0", "", "nein")
    gewichte: dict[str, float] = {}
    if eigene:
        for col in sorted(zahlspalten, key=lambda c: (c not in SLIDER_SPALTEN, SLIDER_SPALTEN.index(c)
                                                     if c in SLIDER_SPALTEN else 0, c)):  # the sliders' order
            default = DEFAULT_GEWICHTE.get(col, 0.0)
            v = _num(params, f"w_{col}", default, 0, 100, problems, f"Gewicht {col}")
            if v > 0:
                gewichte[col] = v
        unknown = [k[2:] for k in params if k.startswith("w_") and k[2:] not in zahlspalten]
        if unknown:
            problems.append(Problem("gewichte", f"unbekannte Spalte „{unknown[0][:40]}“; möglich: "
                                    f"{', '.join(zahlspalten)}"))
        if not gewichte and not problems:
            problems.append(Problem("gewichte", "mindestens ein Gewicht muss größer als 0 sein"))
    kappung = _num(params, "kappung", 0.0, 0, 5, problems, "Kappung")
    if 0 < kappung < 1:
        problems.append(Problem("kappung", "Kappung: Faktor muss mindestens 1 sein (0 = keine Kappung)"))
    alpha_raw = params.get("alpha", "auto")
    alpha = None if alpha_raw in ("auto", "") else _num(params, "alpha", 0.5, 0, 1, problems, "α (M2)")
    anrechnung = _num(params, "anrechnung", 1.0, 0, 3, problems, "Faktor Anrechnung")
    f, w = systems.FLUEAG, systems.WSA
    zf = _num(params, "zf", f.standard_zugaenge, 0, MAX_ZUGAENGE, problems, f"Zugänge {f.kurz}")
    zw = _num(params, "zw", w.standard_zugaenge, 0, MAX_ZUGAENGE, problems, f"Zugänge {w.kurz}")
    if problems:
        raise InputError(problems)
    total = sum(gewichte.values())
    weights = tuple((k, v / total) for k, v in gewichte.items()) if gewichte else ()
    e = Einstellungen(modelle=tuple(names), gewichte=weights, kappung=kappung or None, alpha=alpha,
                      anrechnung=anrechnung, zugaenge_flueag=round(zf), zugaenge_wsa=round(zw),
                      bestand=params.get("bestand") or None)
    echo = {"modelle": names, "eigene": eigene, "gewichte": gewichte, "kappung": kappung, "alpha": alpha,
            "anrechnung": anrechnung, "zf": e.zugaenge_flueag, "zw": e.zugaenge_wsa}
    return e, echo


def records(df: pd.DataFrame, digits: int = 4) -> list[dict]:
    """JSON-safe rows: NaN → None, numpy scalars → Python, floats rounded."""
    out = []
    for row in df.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float):
                v = None if not math.isfinite(v) else round(v, digits)
            clean[str(k)] = v
        out.append(clean)
    return out


def texte(df: pd.DataFrame) -> list[list[str]]:
    """Each cell as a person reads it: the vocabulary's precision and German format (`io.deutsch`),
    the same formatter the report, the terminal and the XLSX number formats use."""
    cols = [deutsch.column_for(c, df[c]) for c in df.columns]
    return [[deutsch.fmt_value(v, col) for v, col in zip(row, cols, strict=True)]
            for row in df.itertuples(index=False, name=None)]


def table(df: pd.DataFrame, columns: list[str], titel: Mapping[str, str] | None = None) -> dict:
    """Rows for the page: raw values (downloads, API) and their German text; headers and hover
    explanations from the vocabulary; model ids shown by their titles (no slugs to readers)."""
    df = df[columns]
    if titel and "modell" in columns:
        df = df.assign(modell=df["modell"].map(lambda m: titel.get(m, m)))
    return {"spalten": [spalte(c) for c in columns], "schluessel": columns, "zeilen": records(df),
            "texte": texte(df), "hilfe": [vocab.erklaerung(c) for c in columns]}


def vergleich_tabellen(res: CompareResult, karte: str) -> dict[str, pd.DataFrame]:
    """Exactly the tables the comparison page shows (and its downloads contain)."""
    g = res.gemeinden
    m = g[g["modell"] == karte]
    gv = res.gewinner_verlierer
    gv = gv[gv["modell"] == karte] if len(gv) else gv
    kreise = res.aggregate["kreise"]
    return {
        "Karte": m[["modell", "ags", "gemeinde", "kreis", "einwohner", "gesamtsoll_nach_zuweisung",
                    "gesamtquote_nach_zuweisung", "zuweisung",
                    "aenderung_zuweisung", "last_je_1000", "aenderung_je_1000"]],
        "Metriken": res.metriken[["modell", "quote_p10", "quote_median", "quote_p90", "ueber_100",
                                  "gini_last_je_einwohner", "vk_last_je_einwohner", "konflikt_personen",
                                  "konflikt_gemeinden", "zuweisungen"]],
        "Gewinner und Verlierer": gv,
        "Kreise": kreise[kreise["modell"] == karte].sort_values("aenderung_zuweisung", ascending=False),
        "Stadt und Land": res.aggregate["verstaedterung"],
        "Gemeindetypen": res.aggregate["gemeindetypen"],
        "Regierungsbezirke": res.aggregate["regierungsbezirke"],
    }


def vergleich_json(res: CompareResult, karte: str | None, modelle: dict) -> dict:
    ids = res.info["modelle"]
    if karte not in ids:
        karte = next((m for m in ids if m == "eigene-gewichte"), None) or next(
            (m for m in ids if m != BASELINE), BASELINE)
    t = vergleich_tabellen(res, karte)
    m = t["Karte"]
    out = {
        "info": res.info, "karte_modell": karte, "befunde": befunde_de(res.befunde, res.info["modell_titel"]),
        "karte": {"ags": m["ags"].tolist(), "gemeinde": m["gemeinde"].tolist(),
                  "wert": [None if not math.isfinite(v) else round(float(v), 3) for v in m["aenderung_je_1000"]],
                  "gesamtsoll_nach_zuweisung": [round(float(v), 2) for v in m["gesamtsoll_nach_zuweisung"]],
                  "gesamtquote_nach_zuweisung": [None if not math.isfinite(v) else round(float(v), 1)
                                                 for v in m["gesamtquote_nach_zuweisung"]],
                  "aenderung": [int(v) for v in m["aenderung_zuweisung"]]},
        "tabellen": {name: table(df, list(df.columns), res.info["modell_titel"]) for name, df in t.items()
                     if name != "Karte"},
        "modelle": [modelle.get(i, {"id": i, "titel": res.info["modell_titel"].get(i, i)}) for i in ids],
    }
    return out


def befunde_de(befunde: list[str], titel: Mapping[str, str]) -> list[str]:
    """The findings with each model's title instead of its id (readers see no slugs)."""
    out = []
    for b in befunde:
        mid, sep, rest = b.partition(": ")
        out.append(f"{titel[mid]} – {rest}" if sep and mid in titel else b)
    return out


def verlauf(df: pd.DataFrame | None, ags: str, titel: Mapping[str, str]) -> list[dict]:
    """One Gemeinde's simulated load per 1,000 inhabitants month by month (0 = start), per model."""
    if df is None:
        return []
    part = df[df["ags"] == ags]
    return [{"modell": m, "titel": titel.get(m, m), "monat": [int(x) for x in p["monat"]],
             "wert": [round(float(v), 3) for v in p["last_je_1000"]]}
            for m, p in part.groupby("modell", sort=False)]


# ------------------------------------------------------------------ search

def suche(gemeinden: pd.DataFrame, q: str, limit: int = 10) -> list[dict]:
    q = q.strip()[:60]
    if not q:
        return []
    if q.isdigit():
        hits = gemeinden[gemeinden["ags"].str.startswith(q)]
        return [{"ags": a, "gemeinde": n, "kreis": k} for a, n, k in
                zip(hits["ags"], hits["gemeinde"], hits["kreis"], strict=True)][:limit]
    f = fold(q)
    if not f:
        return []
    scored = []
    for a, n, k in zip(gemeinden["ags"], gemeinden["gemeinde"], gemeinden["kreis"], strict=True):
        name = fold(n)
        if name.startswith(f):
            rank = 0
        elif any(w.startswith(f) for w in name.split()):
            rank = 1
        elif f in name:
            rank = 2
        else:
            continue
        scored.append((rank, len(name), n, a, k))
    scored.sort()
    return [{"ags": a, "gemeinde": n, "kreis": k} for _, _, n, a, k in scored[:limit]]


# ------------------------------------------------------------------ geometry

def _geodaten():
    """The app shows NRW (the default Land package) only; its Gemeinde polygons."""
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


# ------------------------------------------------------------------ models in words

def schluessel_text(key) -> str:
    """A model's key in words with its weights in German percent."""
    from verteilung import params
    from verteilung.model import AwovKey, FlueagKey

    typ = key.typ
    if typ == "gewichtet":
        return deutsch.fmt_gewichte(key.gewichte)
    when = "2024-01-01"
    if isinstance(key, FlueagKey):
        w = {"einwohner": params.value("flueag_gewicht_einwohner", when),
             "flaeche": params.value("flueag_gewicht_flaeche", when)}
        return f"FlüAG-Schlüssel: {deutsch.fmt_gewichte(w)}"
    if isinstance(key, AwovKey):
        w = {c: params.value(f"awov_gewicht_{c}", when) for c in ("einwohner", "flaeche", "arbeitslose")}
        return f"WSA-Schlüssel: {deutsch.fmt_gewichte(w)}, mit Minderungen"
    return "Mischung aus FlüAG- und WSA-Schlüssel im Verhältnis der Bestände"


def modell_info(d) -> dict:
    """What the pages say about a model: title, short name, key in words, text, legal basis."""
    kurz = d.titel.split(":")[0]
    return {"id": d.id, "titel": d.titel, "kurz": kurz, "beschreibung": d.beschreibung_de,
            "rechtsgrundlage": d.rechtsgrundlage, "vorschlag": d.vorschlag, "begruendung": d.begruendung,
            "gewichte": "; ".join(dict.fromkeys(schluessel_text(s.schluessel) for s in d.systeme))}


# ------------------------------------------------------------------ the long run

def langfrist_saetze(res: CompareResult, modell: str) -> list[str]:
    """The generated summary (`verteilung.zusammenfassung`) for one model: its sections in order,
    then the shared assumptions; nothing written per model by hand."""
    z = res.zusammenfassung
    if z is None:
        return []
    out = [s for name, sec in z.abschnitte.items() if name != "Annahmen" for s in sec.get(modell, [])]
    return out + z.abschnitte.get("Annahmen", {}).get("", [])
