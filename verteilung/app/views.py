"""Shape engine results for the pages: query parameters → settings, tables → JSON, search, map."""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from verteilung import vocab
from verteilung.app.engine import Einstellungen
from verteilung.compare import BASELINE, CompareResult
from verteilung.errors import InputError, Problem
from verteilung.io import deutsch
from verteilung.io.deutsch import fmt_exact
from verteilung.law import systems
from verteilung.report.geo import geojson_bytes, simplify  # noqa: F401  (re-exported: one copy, the report draws them too)
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


# the page's URL parameters for the arrival streams before they were keyed by stream id (saved links)
ALTE_FELDER = {systems.FLUEAG.zugaenge: "zf", systems.WSA.zugaenge: "zw"}


def strom_feld(stream: str) -> str:
    """The URL parameter and form field of an arrival stream (``z_flueag``)."""
    return f"z_{stream}"


def zugaenge_felder() -> list[dict]:
    """The page's inputs for the arrival streams, one per registered stream, from the registry."""
    return [{"feld": strom_feld(s.zugaenge), "strom": s.zugaenge, "alt": ALTE_FELDER.get(s.zugaenge, ""),
             "anzeige": s.anzeige, "wert": s.standard_zugaenge} for s in systems.all_systems()]


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
    zugaenge = {}
    for s in systems.all_systems():  # z_<stream>; the older names zf, zw of saved links still read
        feld = strom_feld(s.zugaenge)
        wert = params.get(feld) or params.get(ALTE_FELDER.get(s.zugaenge, feld))
        zugaenge[s.zugaenge] = round(_num({feld: wert} if wert else {}, feld, s.standard_zugaenge, 0, MAX_ZUGAENGE,
                                          problems, f"Zugänge {s.kurz}"))
    if problems:
        raise InputError(problems)
    total = sum(gewichte.values())
    weights = tuple((k, v / total) for k, v in gewichte.items()) if gewichte else ()
    e = Einstellungen(modelle=tuple(names), gewichte=weights, kappung=kappung or None, alpha=alpha,
                      anrechnung=anrechnung, zugaenge=tuple(zugaenge.items()),
                      bestand=params.get("bestand") or None)
    echo = {"modelle": names, "eigene": eigene, "gewichte": gewichte, "kappung": kappung, "alpha": alpha,
            "anrechnung": anrechnung, "zugaenge": zugaenge}
    return e, echo


def records(df: pd.DataFrame, digits: int = 4) -> list[dict]:
    """JSON-safe rows: NaN → None, numpy scalars → Python, floats rounded."""
    return [{str(k): _wert(v, digits) for k, v in row.items()} for row in df.to_dict(orient="records")]


def texte(df: pd.DataFrame) -> list[list[str]]:
    """Each cell as a person reads it: the vocabulary's precision and German format (`io.deutsch`),
    the same formatter the report, the terminal and the XLSX number formats use."""
    cols = [deutsch.column_for(c, df[c]) for c in df.columns]
    return [[deutsch.fmt_value(v, col) for v, col in zip(row, cols, strict=True)]
            for row in df.itertuples(index=False, name=None)]


def table(df: pd.DataFrame, columns: list[str], titel: Mapping[str, str] | None = None) -> dict:
    """Rows for the page: raw values (downloads, API) and their German text; headers and hover
    explanations from the vocabulary; model ids shown by their titles (no slugs to readers).

    The cells are `records` and `texte` of ``df[columns]``, read column by column (`Series.tolist`)
    instead of row by row through pandas: a third of the time (tests/test_app_last.py holds them
    equal)."""
    spalten = [df[c] for c in columns]
    werte = [s.tolist() for s in spalten]  # the Python values `records` and `texte` see, column by column
    if titel and "modell" in columns:
        i = columns.index("modell")
        werte[i] = [titel.get(m, m) for m in werte[i]]
    kinds = [deutsch.column_for(c, s) for c, s in zip(columns, spalten, strict=True)]
    zeilen, text = [], []
    for row in zip(*werte, strict=True):
        zeilen.append({c: _wert(v) for c, v in zip(columns, row, strict=True)})
        text.append([deutsch.fmt_value(v, k) for v, k in zip(row, kinds, strict=True)])
    return {"spalten": [spalte(c) for c in columns], "schluessel": columns, "zeilen": zeilen,
            "texte": text, "hilfe": [vocab.erklaerung(c) for c in columns]}


def _wert(v: Any, digits: int = 4) -> Any:
    """One JSON-safe cell (numpy scalar → Python, NaN → None, float rounded): of `records`' rows
    and of `table`'s column-wise rows alike."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return None if not math.isfinite(v) else round(v, digits)
    return v


GELD_SPALTEN = ["modell", "monat", "monat_beginn", "mittel_eur", "mittel_eur_kumuliert", "aenderung_mittel_eur",
                "aenderung_mittel_eur_kumuliert", "mittel_kennzeichen"]


def geld_kurven(land: pd.DataFrame, modell: str, basis: str, titel: Mapping[str, str]) -> dict:
    """The money chart of the simulation page: the Land's € per month and since the start for
    ``modell`` and the Vergleichsbasis (`verteilung.mittel.land_monate`), with its table."""
    def serie(m: str) -> dict:
        part = land[land["modell"] == m]
        return {"modell": m, "titel": titel.get(m, m), "monat": part["monat"].tolist(),
                "eur": [round(float(v)) for v in part["mittel_eur"]],
                "kumuliert": [round(float(v)) for v in part["mittel_eur_kumuliert"]],
                "aenderung_kumuliert": [round(float(v)) for v in part["aenderung_mittel_eur_kumuliert"]]}

    shown = land[land["modell"].isin([modell, basis])]
    naeherung = land.loc[land["modell"] == modell, "mittel_kennzeichen"].eq("NÄHERUNG").tolist()
    return {"modell": serie(modell), "basis": serie(basis), "naeherung": naeherung,
            "naeherung_ab": next((i + 1 for i, n in enumerate(naeherung) if n), None),
            "tabelle": table(shown, GELD_SPALTEN, titel)}


METRIK_SPALTEN = ["modell", "quote_p10", "quote_median", "quote_p90", "ueber_100", "gini_last_je_einwohner",
                  "vk_last_je_einwohner", "konflikt_personen", "konflikt_gemeinden", "zuweisungen"]


def vergleich_tabellen(res: CompareResult, karte: str) -> dict[str, pd.DataFrame]:
    """Exactly the tables the comparison page shows (and its downloads contain)."""
    m = _des_modells(res.gemeinden, karte)
    return {
        "Karte": m[["modell", "ags", "gemeinde", "kreis", "einwohner", "gesamtsoll_nach_zuweisung",
                    "gesamtquote_nach_zuweisung", "zuweisung",
                    "aenderung_zuweisung", "last_je_1000", "aenderung_je_1000"]],
        "Metriken": res.metriken[METRIK_SPALTEN],
        **_karte_tabellen(res, karte),
        "Stadt und Land": res.aggregate["verstaedterung"],
        "Gemeindetypen": res.aggregate["gemeindetypen"],
        "Regierungsbezirke": res.aggregate["regierungsbezirke"],
    }


def _des_modells(df: pd.DataFrame, modell: str) -> pd.DataFrame:
    return df[df["modell"].to_numpy() == modell] if len(df) else df


def _karte_tabellen(res: CompareResult, karte: str) -> dict[str, pd.DataFrame]:
    """The tables of the map's model only: its winners and losers, its Kreise by change."""
    return {"Gewinner und Verlierer": _des_modells(res.gewinner_verlierer, karte),
            "Kreise": _des_modells(res.aggregate["kreise"], karte).sort_values("aenderung_zuweisung",
                                                                              ascending=False)}


MODELL_TABELLEN = {"Metriken": None, "Stadt und Land": "verstaedterung", "Gemeindetypen": "gemeindetypen",
                   "Regierungsbezirke": "regierungsbezirke"}
"""The comparison page's tables with rows of every model (the metrics, the aggregates by group);
the others show the map's model only."""


def _kept(res: CompareResult, modell: str, key: tuple, build: Any) -> Any:
    """What the page rendered from one model's piece (`CompareResult.je_modell`), kept on the piece:
    a slider move renders only the models it recomputed. Without pieces: rendered afresh."""
    piece = res.je_modell.get(modell)
    if piece is None:
        return build()
    hit = piece.seite.get(key)
    if hit is None:
        hit = piece.seite[key] = build()
    return hit


def _modell_tabelle(res: CompareResult, name: str, df: pd.DataFrame, columns: list[str]) -> dict:
    """`table` of a table with rows of every model, its rows rendered model by model (`_kept`)."""
    titel = res.info["modell_titel"]
    art = tuple(str(t) for t in df.dtypes)  # a cell's text may depend on its column's dtype
    zeilen: list[dict] = []
    texte_: list[list[str]] = []
    modell = df["modell"].to_numpy()
    for m in pd.unique(modell):
        def build(m: str = m) -> tuple[list[dict], list[list[str]]]:
            t = table(df[modell == m], columns, titel)
            return t["zeilen"], t["texte"]

        z, tx = _kept(res, m, (name, titel.get(m, m), art), build)
        zeilen += z
        texte_ += tx
    return {"spalten": [spalte(c) for c in columns], "schluessel": columns, "zeilen": zeilen, "texte": texte_,
            "hilfe": [vocab.erklaerung(c) for c in columns]}


def _karte(res: CompareResult, karte: str) -> dict:
    """The map and the map model's own tables (winners and losers, Kreise) as the page shows them."""
    t = _karte_tabellen(res, karte)
    g = res.gemeinden
    sel = g["modell"].to_numpy() == karte

    def m(c: str) -> list:  # the map model's column, without slicing the whole comparison
        return g[c].to_numpy()[sel].tolist()

    return {
        "karte": {"ags": m("ags"), "gemeinde": m("gemeinde"),
                  "wert": [None if not math.isfinite(v) else round(float(v), 3) for v in m("aenderung_je_1000")],
                  "gesamtsoll_nach_zuweisung": [round(float(v), 2) for v in m("gesamtsoll_nach_zuweisung")],
                  "gesamtquote_nach_zuweisung": [None if not math.isfinite(v) else round(float(v), 1)
                                                 for v in m("gesamtquote_nach_zuweisung")],
                  "aenderung": [int(v) for v in m("aenderung_zuweisung")]},
        **{name: table(t[name], list(t[name].columns), res.info["modell_titel"])
           for name in ("Gewinner und Verlierer", "Kreise")},
    }


def vergleich_json(res: CompareResult, karte: str | None, modelle: dict) -> dict:
    """The comparison page's data: the tables of `vergleich_tabellen` as `table` renders them.

    Rendered model by model and kept with each model's piece (`_kept`), so a slider move renders
    the moved model only; the same bytes as rendering the whole tables (tests/test_app_last.py)."""
    ids = res.info["modelle"]
    if karte not in ids:
        karte = next((m for m in ids if m == "eigene-gewichte"), None) or next(
            (m for m in ids if m != BASELINE), BASELINE)
    titel = res.info["modell_titel"]
    gv, kreise = res.gewinner_verlierer, res.aggregate["kreise"]
    art = (tuple(str(t) for t in res.gemeinden.dtypes), tuple(str(t) for t in gv.dtypes),
           tuple(str(t) for t in kreise.dtypes))
    k = _kept(res, karte, ("Karte", titel.get(karte, karte), art), lambda: _karte(res, karte))
    tabellen = {}
    for name, gruppe in MODELL_TABELLEN.items():
        df = res.metriken if gruppe is None else res.aggregate[gruppe]
        columns = METRIK_SPALTEN if gruppe is None else list(df.columns)
        tabellen[name] = _modell_tabelle(res, name, df, columns)
    tabellen = {"Metriken": tabellen["Metriken"], "Gewinner und Verlierer": k["Gewinner und Verlierer"],
                "Kreise": k["Kreise"], **{n: tabellen[n] for n in ("Stadt und Land", "Gemeindetypen",
                                                                  "Regierungsbezirke")}}
    return {
        "info": res.info, "karte_modell": karte, "befunde": befunde_de(res.befunde, titel),
        "karte": k["karte"], "tabellen": tabellen,
        "modelle": [modelle.get(i, {"id": i, "titel": titel.get(i, i)}) for i in ids],
    }


def vergleich_bytes(res: CompareResult, karte: str | None, modelle: dict, echo: dict) -> bytes:
    """The comparison page's response body (`vergleich_json` with the page's settings echoed)."""
    out = vergleich_json(res, karte, modelle)
    out["einstellungen"] = echo
    return json_bytes(jsonable(out))


GZIP_AB_BYTES = 1024
GZIP_STUFE = 5
"""The app's responses from 1 KiB on are gzipped at level 5 (`server.create_app`'s GZipMiddleware)."""


def gzip_bytes(body: bytes) -> bytes:
    """``body`` gzipped as the app's GZipMiddleware compresses a response: done where a page is
    computed (a worker process), so the server process passes kept bytes on without compressing
    them again for every request."""
    z = zlib.compressobj(GZIP_STUFE, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return z.compress(body) + z.flush()


def json_bytes(content: Any) -> bytes:
    """JSON exactly as Starlette's JSONResponse renders it (so cached bytes equal a fresh response)."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


def jsonable(obj: Any) -> Any:
    """Frames, numpy scalars and non-finite floats as plain JSON values (NaN, ∞ → null)."""
    kind = type(obj)
    if kind is str or kind is int or kind is bool or obj is None:  # most of 100.000 cells: no isinstance chain
        return obj
    if kind is float:
        return obj if math.isfinite(obj) else None
    if isinstance(obj, pd.DataFrame):
        return records(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    return str(obj)


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


# ------------------------------------------------------------------ models in words

def schluessel_text(key) -> str:
    """A model's key in words with its weights in German percent."""
    from verteilung import params
    from verteilung.law import systems
    from verteilung.model import GesetzKey

    typ = key.typ
    if typ == "gewichtet":
        return deutsch.fmt_gewichte(key.gewichte)
    when = "2024-01-01"
    if isinstance(key, GesetzKey) and key.system is systems.FLUEAG:
        w = {"einwohner": params.value("flueag_gewicht_einwohner", when),
             "flaeche": params.value("flueag_gewicht_flaeche", when)}
        return f"FlüAG-Schlüssel: {deutsch.fmt_gewichte(w)}"
    if isinstance(key, GesetzKey) and key.system is systems.WSA:
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
