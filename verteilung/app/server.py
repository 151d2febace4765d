"""The FastAPI application: JSON API under /api/, German pages, local assets, safe defaults."""

from __future__ import annotations

import json
import math
import secrets
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
import numpy as np
import pandas as pd
from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from verteilung import optionen, params
from verteilung._version import __version__
from verteilung.app import views
from verteilung.app.config import AppConfig
from verteilung.app.engine import Einstellungen, Engine, csv_bytes, problem_lines
from verteilung.compare import BASELINE
from verteilung.errors import InputError, Problem, VerteilungError
from verteilung.io import deutsch
from verteilung.io.xlsx import workbook_bytes
from verteilung.law import systems

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = AppConfig().grenzen.body_bytes  # default; below Starlette's 1 MiB spooling threshold
TOKEN_COOKIE = "verteilung_token"
BESTAND_COOKIE = "verteilung_bestand"
# Plotly draws the map with d3 in SVG (no WebGL trace, so no eval) but sets inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
PROFIL_MONATE = 12
SWEEP_FIELDS = {"parameter", "raster", "stichprobe", "szenarien", "bereiche"}
PAGES = {"vergleich": "Modelle vergleichen", "gemeinde": "Meine Gemeinde", "simulation": "Simulation",
         "daten": "Daten", "api": "API"}


class Busy(Exception):
    pass


class TooSlow(Exception):
    pass


SYSTEM_NAMES = tuple(systems.names())
SystemName = Literal[SYSTEM_NAMES]  # type: ignore[valid-type]  # the registry's ids and input aliases


def german_validation(exc: RequestValidationError) -> list[str]:
    """FastAPI's validation errors as German lines (field: reason)."""
    lines = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query")]
        feld = ".".join(loc) or "Anfrage"
        kind = e.get("type", "")
        ctx = e.get("ctx") or {}
        if kind == "extra_forbidden":
            if loc and loc[-1] in SWEEP_FIELDS:
                lines.append(f"{feld}: Die Anwendung rechnet eine Einstellung je Anfrage; viele Szenarien "
                             "berechnet `verteilung sweep` auf der Kommandozeile")
            else:
                lines.append(f"{feld}: unbekanntes Feld")
        elif kind == "missing":
            lines.append(f"{feld}: fehlt")
        elif kind in ("less_than_equal", "less_than"):
            lines.append(f"{feld}: höchstens {_zahl(ctx.get('le', ctx.get('lt')))} erlaubt")
        elif kind in ("greater_than_equal", "greater_than"):
            lines.append(f"{feld}: mindestens {_zahl(ctx.get('ge', ctx.get('gt')))} erforderlich")
        elif kind in ("too_long",):
            lines.append(f"{feld}: zu viele Einträge (höchstens {_zahl(ctx.get('max_length'))})")
        elif kind.startswith(("int_", "float_")):
            lines.append(f"{feld}: keine gültige Zahl")
        elif kind == "literal_error":
            expected = str(ctx.get("expected", "")).replace(" or ", " oder ").replace("'", "")
            lines.append(f"{feld}: erlaubt sind {expected}")
        elif kind == "json_invalid":
            where = f" (Fehler an Stelle {loc[-1]})" if loc and str(loc[-1]).isdigit() else ""
            lines.append(f"Anfrage: der Inhalt ist kein gültiges JSON{where}; erwartet wird ein JSON-Objekt, "
                         'z. B. {"system": "flueag", "personen": 1000}')
        elif kind == "value_error":  # the shared option checks (verteilung.optionen) say why
            lines.append(f"{feld}: {str(e.get('msg', '')).removeprefix('Value error, ')}")
        elif kind.startswith(("list_", "dict_", "model_")):
            lines.append(f"{feld}: falsche Form (ein einzelner Wert bzw. ein Objekt erwartet)")
        else:
            lines.append(f"{feld}: ungültiger Wert")
    return lines or ["Anfrage ungültig"]


HTTP_DE = {404: "nicht gefunden", 405: "Methode nicht erlaubt", 413: "Anfrage zu groß",
           415: "Format der Anfrage nicht unterstützt"}
"""German reasons for the HTTP errors the framework raises itself (unknown address, wrong method)."""


def _personen(feld: str) -> Any:
    """A count of persons in a request, checked as ``--personen`` (``"1.000"`` is refused)."""
    return BeforeValidator(optionen.pydantic_check(optionen.personen, feld))


def problems(lines: list[str], status: int = 422) -> JSONResponse:
    return JSONResponse({"probleme": lines}, status_code=status)


def jsonable(obj: Any) -> Any:
    if isinstance(obj, pd.DataFrame):
        return views.records(obj)
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


class VergleichAnfrage(BaseModel):
    """One comparison, as `verteilung compare` (one setting per request)."""

    model_config = ConfigDict(extra="forbid")
    modelle: list[str] | None = Field(default=None, max_length=50,
                                      description="Modell-IDs (siehe /api/modelle); leer: die Auswahl der Anwendung")
    gewichte: dict[str, float] | None = Field(default=None, max_length=10,
                                              description="eigener Schlüssel, Summe 1, z. B. einwohner=0.8")
    kappung: float | None = Field(default=None, ge=1, le=5, description="eigener Schlüssel ≤ Faktor × EW-Anteil")
    alpha: float | None = Field(default=None, ge=0, le=1, description="α von M2; leer: automatisch")
    anrechnung: float = Field(default=1.0, ge=0, le=3, description="Faktor auf die gesetzliche Anrechnung")
    zugaenge_flueag: Annotated[int, _personen("zugaenge_flueag")] = Field(
        default=systems.FLUEAG.standard_zugaenge, ge=0, le=views.MAX_ZUGAENGE)
    zugaenge_wsa: Annotated[int, _personen("zugaenge_wsa")] = Field(
        default=systems.WSA.standard_zugaenge, ge=0, le=views.MAX_ZUGAENGE)
    bestand: str | None = Field(default=None, max_length=64, description="Kennung einer hochgeladenen Tabelle")


class SimulationAnfrage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    monate: Annotated[int, BeforeValidator(optionen.pydantic_check(optionen.monate, "monate"))] = Field(
        default=24, ge=1, le=views.MAX_MONATE)
    modelle: list[str] | None = Field(default=None, max_length=50)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    bestand: str | None = Field(default=None, max_length=64)


class ZuteilungAnfrage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: SystemName
    personen: Annotated[int, _personen("personen")] = Field(ge=0, le=views.MAX_ZUGAENGE)
    bestand: str | None = Field(default=None, max_length=64)


System = Annotated[SystemName, Query(description=" oder ".join(SYSTEM_NAMES))]


def _token_problem(request: Request, token: str) -> str | None:
    """Why a request is refused (None: let it through). Every place that carries a token (header,
    ``?token=``, cookie) must carry the right one: a wrong one anywhere is refused even when another
    place holds the right one, so a guess cannot ride along with a stolen cookie."""
    given: list[tuple[str, str]] = []
    header = request.headers.get("authorization")
    if header is not None:
        given.append(("Kopfzeile Authorization", header[7:] if header.lower().startswith("bearer ") else ""))
    given += [("Adresse (?token=)", v) for v in request.query_params.getlist("token")]
    if TOKEN_COOKIE in request.cookies:
        given.append(("Cookie", request.cookies[TOKEN_COOKIE]))
    if not given:
        return ("Zugang nur mit Zugangsschlüssel: Kopfzeile 'Authorization: Bearer …' oder einmal ?token=… "
                "in der Adresse")
    wrong = [where for where, value in given
             if not (value and secrets.compare_digest(value.encode(), token.encode()))]
    if wrong:
        return f"falscher Zugangsschlüssel ({', '.join(wrong)})"
    return None


def create_app(token: str | None = None, engine: Engine | None = None, warm: bool = False,
               config: AppConfig | None = None) -> FastAPI:
    """The application; ``token`` set means every request must carry it.

    ``config`` (`verteilung app --config`) names the data basis, the models and the limits;
    ``warm`` prepares the map geometry in the background at start, so the first visitor does not
    wait for it.
    """
    eng = engine or Engine(config or AppConfig())
    limits = eng.config.grenzen
    max_body = limits.body_bytes
    data_args = {"jahr": eng.jahr, "stichtag": eng.stichtag.isoformat()}  # type: ignore[attr-defined]
    app = FastAPI(title="verteilung", version=__version__, docs_url=None, redoc_url=None,
                  description="Verteilung Geflüchteter auf die Gemeinden NRW: JSON-API (spiegelt die Python-API).")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["zahl"] = _zahl
    env.filters["datum"] = deutsch.fmt_date
    compute_slots = threading.BoundedSemaphore(2)
    workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verteilung-rechnen")
    sim_cache: OrderedDict[tuple, Any] = OrderedDict()
    sim_lock = threading.Lock()
    inflight: dict[tuple, threading.Lock] = {}
    modelle_info = {m: {"id": m, "titel": d.titel, "beschreibung": d.beschreibung_de,
                        "rechtsgrundlage": d.rechtsgrundlage, "vorschlag": d.vorschlag,
                        "begruendung": d.begruendung} for m, d in eng.modelle.items()}
    titel = {m: d.titel for m, d in eng.modelle.items()}
    modelle_info["eigene-gewichte"] = {
        "id": "eigene-gewichte", "titel": "Eigene Gewichte",
        "beschreibung": "Ein gemeinsames System über beide Bestände mit den oben gewählten Gewichten.",
        "rechtsgrundlage": "keine (Analyse eines Vorschlags)", "vorschlag": "", "begruendung": ""}

    # ------------------------------------------------------------ middleware and errors

    @app.middleware("http")
    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            resp: Response = problems([f"Anfrage zu groß (höchstens {deutsch.fmt_int(max_body // 1024)} KiB)"], 413)
        elif request.method == "POST" and length is None:
            resp = problems(["Anfrage ohne Längenangabe (Content-Length) wird nicht angenommen"], 411)
        elif token is not None and (why := _token_problem(request, token)) is not None:
            resp = problems([why], 401)
            if TOKEN_COOKIE in request.cookies:
                resp.delete_cookie(TOKEN_COOKIE)  # a stale cookie would refuse the next try too
        elif token is not None and "token" in request.query_params:  # right everywhere: remember it
            rest = {k: v for k, v in request.query_params.items() if k != "token"}
            resp = RedirectResponse(request.url.path + ("?" + urlencode(rest) if rest else ""), 303)
            resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        else:
            resp = await call_next(request)
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        return resp

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        reason = HTTP_DE.get(exc.status_code, f"HTTP-Fehler {exc.status_code}")
        if exc.status_code == 404:
            reason = f"{reason}: {request.url.path[:200]} (Übersicht der Adressen: /api)"
        return problems([reason], exc.status_code)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError):
        return problems(problem_lines(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        return problems(german_validation(exc))

    @app.exception_handler(VerteilungError)
    async def other_error(request: Request, exc: VerteilungError):
        return problems([line for line in str(exc).splitlines() if line], 409)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy):
        return problems(["Die Anwendung rechnet gerade andere Anfragen; bitte gleich noch einmal versuchen"], 503)

    @app.exception_handler(TooSlow)
    async def too_slow(request: Request, exc: TooSlow):
        return problems([f"Die Berechnung dauert länger als {deutsch.fmt_number(limits.rechenzeit_s, 0)} s "
                         "(Grenze dieser Anwendung): bitte weniger Monate oder Modelle wählen; große Läufe mit "
                         "`verteilung compare` oder `verteilung simulate` auf der Kommandozeile"], 503)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        return problems([f"interner Fehler ({exc.__class__.__name__}); Details im Protokoll des Servers"], 500)

    def compute(fn, *args, **kwargs):
        """``fn`` on one of two compute slots; the answer waits at most ``rechenzeit_s`` for it.

        A computation over the limit finishes in the background (Python cannot stop a thread) and
        keeps its slot meanwhile, so slow requests cannot pile up more than two computations.
        """
        if not compute_slots.acquire(timeout=limits.rechenzeit_s):
            raise Busy()

        def run():
            try:
                return fn(*args, **kwargs)
            finally:
                compute_slots.release()

        try:
            future = workers.submit(run)
        except BaseException:
            compute_slots.release()
            raise
        try:
            return future.result(timeout=limits.rechenzeit_s)
        except FutureTimeout:
            raise TooSlow() from None

    cmp_cache: OrderedDict[Einstellungen, Any] = OrderedDict()

    def vergleich(e: Einstellungen):
        """The comparison for these settings; the last 32 are kept (permalinks, back and forth)."""
        with sim_lock:
            if e in cmp_cache:
                cmp_cache.move_to_end(e)
                return cmp_cache[e]
        res = compute(eng.vergleich, e)
        with sim_lock:
            cmp_cache[e] = res
            while len(cmp_cache) > 32:
                cmp_cache.popitem(last=False)
        return res

    def check_models(names: list[str]) -> None:
        bad = [m for m in names if m not in eng.modelle]
        if bad:
            raise InputError([Problem("modelle", f"unbekanntes Modell {m[:60]!r}; verfügbar: "
                                      f"{', '.join(eng.modelle)}") for m in bad])

    def stock_path(key: str | None):
        """A context giving the path of the stock table for functions that read files."""
        if key is None:
            from contextlib import nullcontext

            return nullcontext(eng.bestand_pfad)
        eng.stock(key)
        up = eng.uploads[key]
        return eng.temporary(up.data, Path(up.name).suffix.lower())

    def simulation(monate: int, modelle: tuple[str, ...], seed: int | None, bestand: str | None):
        check_models(list(modelle))
        n_models = len(set(modelle) | {BASELINE})
        if monate > views.MAX_MONATE or monate * n_models > limits.modellmonate:
            raise InputError(Problem("monate", f"zu großer Rechenauftrag ({monate} Monate × {n_models} Modelle; "
                                     f"höchstens {deutsch.fmt_int(limits.modellmonate)} Modellmonate und "
                                     f"{views.MAX_MONATE} "
                                     "Monate): längere Läufe mit `verteilung simulate` auf der Kommandozeile"))
        key = (monate, modelle, seed, bestand)
        with sim_lock:
            if key in sim_cache:
                sim_cache.move_to_end(key)
                return sim_cache[key]
            running = inflight.setdefault(key, threading.Lock())
        from verteilung.simulate import simulate

        def run():
            with stock_path(bestand) as path:  # inside the computation: the file outlives a timeout
                return simulate(monate=monate, modelle=[eng.quellen[m] for m in modelle], seed=seed,
                                bestand=path, verlauf=True, **data_args)

        try:
            with running:  # the same simulation asked twice at once is computed once
                with sim_lock:
                    if key in sim_cache:
                        return sim_cache[key]
                res = compute(run)
                with sim_lock:
                    sim_cache[key] = res
                    while len(sim_cache) > 16:
                        sim_cache.popitem(last=False)
        finally:
            with sim_lock:
                inflight.pop(key, None)
        return res

    def page_settings(request: Request) -> tuple[Einstellungen, dict]:
        q = dict(request.query_params)
        if q.get("bestand") == "eigen":
            q["bestand"] = request.cookies.get(BESTAND_COOKIE, "-")
        return views.settings_from_query(q, list(eng.modelle), list(eng.zahlspalten), eng.auswahl)

    # ------------------------------------------------------------ JSON API (mirrors the Python API)

    @app.get("/api/modelle", tags=["Daten"], summary="Modelle mit Beschreibung und Rechtsgrundlage")
    def api_modelle():
        return {"modelle": [modelle_info[m] for m in eng.modelle], "spalten": list(eng.zahlspalten)}

    @app.get("/api/keys", tags=["Python-API"], summary="Verteilungsschlüssel je Gemeinde (verteilung.keys)")
    def api_keys(system: System):
        from verteilung import keys

        table, info = keys(system, **data_args)
        return {"info": jsonable(info), "gemeinden": views.records(table, 10)}

    @app.get("/api/status", tags=["Python-API"], summary="Verteilstatistik (verteilung.status)")
    def api_status(system: System, bestand: Annotated[str | None, Query(max_length=64)] = None):
        from verteilung import status

        with stock_path(bestand) as path:
            table, info = status(system, path, ohne_meldung_null=eng.config.ohne_meldung_null, **data_args)
        info["bestand_datei"] = eng.stock(bestand)[1]
        return {"info": jsonable(info), "gemeinden": views.records(table, 6)}

    @app.get("/api/explain", tags=["Python-API"], summary="Rechenweg einer Gemeinde (verteilung.explain)")
    def api_explain(ags: Annotated[str, Query(pattern=r"^\d{8}$")], system: System,
                    mit_bestand: bool = True, bestand: Annotated[str | None, Query(max_length=64)] = None):
        from verteilung import explain

        with stock_path(bestand) as path:
            steps = explain(ags, system, bestand=path if mit_bestand else None, **data_args)
        return {"ags": ags, "system": system, "schritte": [{"schritt": s, "rechtsgrundlage": p} for s, p in steps]}

    @app.post("/api/allocate", tags=["Python-API"], summary="Zugänge einer Periode zuweisen (verteilung.allocate)")
    def api_allocate(req: ZuteilungAnfrage):
        from verteilung.api import allocate

        def run():
            with stock_path(req.bestand) as path:
                return allocate(req.system, path, personen=req.personen,
                                ohne_meldung_null=eng.config.ohne_meldung_null, **data_args)

        eng.stock(req.bestand)  # an unknown upload id is bad input before a slot is taken
        res = compute(run)
        return {"info": jsonable(res.summary), "gemeinden": views.records(res.table, 6)}

    @app.post("/api/compare", tags=["Python-API"], summary="Modelle vergleichen (verteilung.compare)")
    def api_compare(req: VergleichAnfrage):
        modelle = list(eng.standard) if req.modelle is None else req.modelle
        check_models(modelle)
        gew: tuple[tuple[str, float], ...] = ()
        if req.gewichte:
            bad = [k for k in req.gewichte if k not in eng.zahlspalten]
            if bad:
                raise InputError(Problem("gewichte", f"unbekannte Spalte {bad[0][:40]!r}; möglich: "
                                         f"{', '.join(eng.zahlspalten)}"))
            if any(v < 0 or not math.isfinite(v) for v in req.gewichte.values()):
                raise InputError(Problem("gewichte", "Gewichte dürfen nicht negativ sein"))
            total = sum(req.gewichte.values())
            if abs(total - 1) > 1e-9:
                raise InputError(Problem("gewichte", f"Gewichte ergeben zusammen {deutsch.fmt_exact(total)}, nicht 1"))
            gew = tuple(req.gewichte.items())
        elif req.kappung is not None:
            raise InputError(Problem("kappung", "nur zusammen mit gewichte"))
        e = Einstellungen(tuple(modelle), gew, req.kappung, req.alpha, req.anrechnung, req.zugaenge_flueag,
                          req.zugaenge_wsa, req.bestand)
        res = compute(eng.vergleich, e)  # uncached: the API always computes
        return {"info": jsonable(res.info), "befunde": res.befunde, "metriken": views.records(res.metriken),
                "systeme": views.records(res.systeme), "gemeinden": views.records(res.gemeinden),
                "aggregate": {k: views.records(v) for k, v in res.aggregate.items()},
                "gewinner_verlierer": views.records(res.gewinner_verlierer)}

    @app.post("/api/simulate", tags=["Python-API"], summary="Monatssimulation (verteilung.simulate.simulate)")
    def api_simulate(req: SimulationAnfrage):
        res = simulation(req.monate, tuple(eng.standard if req.modelle is None else req.modelle), req.seed,
                         req.bestand)
        return {"info": jsonable(res.info), "monate": views.records(res.monate),
                "gemeinden": views.records(res.gemeinden)}

    @app.post("/api/bestand", tags=["Daten"], summary="Eigene Bestandstabelle hochladen (nur im Speicher)")
    def api_bestand(datei: Annotated[UploadFile, File()]):
        data = datei.file.read(eng.max_upload + 1)
        key = eng.upload(datei.filename or "upload.csv", data)
        b = eng.uploads[key].bestand
        resp = JSONResponse({"bestand": key, "datei": eng.uploads[key].name, "gemeinden": len(b),
                             "flueag_bestand": int(b["flueag_bestand"].sum()),
                             "wsa_bestand": int(b["wsa_bestand"].sum())})
        resp.set_cookie(BESTAND_COOKIE, key, httponly=True, samesite="strict")
        return resp

    @app.get("/api/gemeinden", tags=["Daten"], summary="Gemeinden suchen (Name oder AGS)")
    def api_gemeinden(q: Annotated[str, Query(max_length=60)] = ""):
        return {"treffer": views.suche(eng.gemeinden, q)}

    # ------------------------------------------------------------ page data

    @app.get("/api/ansicht/vergleich", tags=["Seiten"], summary="Daten der Seite 'Modelle vergleichen'")
    def view_vergleich(request: Request):
        e, echo = page_settings(request)
        res = vergleich(e)
        out = views.vergleich_json(res, request.query_params.get("karte"), modelle_info)
        out["einstellungen"] = echo
        return JSONResponse(jsonable(out))

    @app.get("/api/ansicht/gemeinde", tags=["Seiten"], summary="Daten der Seite 'Meine Gemeinde'")
    def view_gemeinde(request: Request, ags: Annotated[str, Query(pattern=r"^\d{8}$")]):
        from verteilung import explain

        e, echo = page_settings(request)
        if ags not in set(eng.gemeinden["ags"]):
            raise InputError(Problem("ags", f"{ags} ist keine Gemeinde in NRW"))
        res = vergleich(e)
        g = res.gemeinden[res.gemeinden["ags"] == ags]
        row = eng.gemeinden[eng.gemeinden["ags"] == ags].iloc[0]
        b, bname, synth = eng.stock(e.bestand)
        brow = b[b["ags"] == ags].iloc[0]
        with stock_path(e.bestand) as path:
            schritte = {s: [{"schritt": a, "rechtsgrundlage": p}
                            for a, p in explain(ags, s, bestand=path, **data_args)] for s in systems.ids()}
        cols = ["modell", "gesamtsoll_nach_zuweisung", "gezaehlt", "gesamtquote_nach_zuweisung", "zuweisung",
                 "aenderung_zuweisung", "last_je_1000",
                "aenderung_je_1000"]
        return JSONResponse(jsonable({
            "ags": ags, "gemeinde": row["gemeinde"], "kreis": row["kreis"],
            "regierungsbezirk": row["regierungsbezirk"], "gemeinde_typ": row["gemeinde_typ"],
            "einwohner": int(row["einwohner"]), "flaeche_km2": float(row["flaeche_km2"]),
            "bestand": {**{s.id: int(sum(brow[c] for c in s.bestand)) for s in systems.all_systems()},
                        "anrechnung_plaetze": int(brow["anrechnung_plaetze"]) + int(brow["anrechnung_plaetze_eae"]),
                        "datei": bname, "synthetisch": synth},
            "systeme": [{"id": s.id, "anzeige": s.anzeige} for s in systems.all_systems()],
            "hinweise": eng.hinweise(synth),
            "modelle": views.table(g, cols, res.info["modell_titel"]), "schritte": schritte, "einstellungen": echo,
        }))

    @app.get("/api/ansicht/gemeinde-simulation", tags=["Seiten"], summary="Simulierter Verlauf einer Gemeinde")
    def view_gemeinde_simulation(request: Request, ags: Annotated[str, Query(pattern=r"^\d{8}$")]):
        e, _ = page_settings(request)
        sim = simulation(PROFIL_MONATE, eng.standard, None, e.bestand)
        sg = sim.gemeinden[sim.gemeinden["ags"] == ags]
        if sg.empty:
            raise InputError(Problem("ags", f"{ags} ist keine Gemeinde in NRW"))
        cols = ["modell", "last_je_1000_start", "last_je_1000_ende", "ende_gegen_status_quo_je_1000"]
        return JSONResponse(jsonable(views.table(sg, cols, titel) | {
            "monate": PROFIL_MONATE, "verlauf": views.verlauf(sim.verlauf, ags, titel)}))

    @app.get("/api/ansicht/simulation", tags=["Seiten"], summary="Daten der Seite 'Simulation'")
    def view_simulation(request: Request, monate: Annotated[int, Query(ge=1, le=views.MAX_MONATE)] = 24,
                        monat: Annotated[int, Query(ge=1, le=views.MAX_MONATE)] = 24,
                        modelle: Annotated[str | None, Query(max_length=400)] = None,
                        karte: Annotated[str | None, Query(max_length=60)] = None):
        names = tuple(m for m in (modelle.split(",") if modelle else eng.standard) if m)
        bestand = request.cookies.get(BESTAND_COOKIE, "-") if request.query_params.get("bestand") == "eigen" else None
        res = simulation(monate, names, None, bestand)
        monat = min(monat, monate)
        karte = karte if karte in res.info["modelle"] and karte != BASELINE else next(
            (m for m in res.info["modelle"] if m != BASELINE), BASELINE)
        at = res if monat == monate else simulation(monat, (karte,), None, bestand)
        m = at.gemeinden[at.gemeinden["modell"] == karte]
        kurven = {col: [{"modell": mod, "monat": part["monat"].tolist(),
                         "wert": [round(float(v), 5) for v in part[col]]}
                        for mod, part in res.monate.groupby("modell", sort=False)]
                  for col in ("vk_last_je_einwohner", "konflikt_personen_kumuliert", "gini_last_je_einwohner")}
        synth = eng.stock(bestand)[2]
        return JSONResponse(jsonable({
            "info": res.info, "monate": monate, "monat": monat, "karte_modell": karte, "kurven": kurven,
            "synthetisch": synth, "hinweise": eng.hinweise(synth),
            "titel": titel,
            "karte": {"ags": m["ags"].tolist(), "gemeinde": m["gemeinde"].tolist(),
                      "wert": [round(float(v), 3) for v in m["ende_gegen_status_quo_je_1000"]],
                      "last": [round(float(v), 2) for v in m["last_je_1000_ende"]]},
            "tabellen": {"Monate": views.table(res.monate, [c for c in ("modell", "monat", "vk_last_je_einwohner",
                                                                         "gini_last_je_einwohner",
                                                                         "konflikt_personen",
                                                                         "konflikt_personen_kumuliert",
                                                                         "bestand_flueag", "bestand_wsa")], titel)},
        }))

    @app.get("/api/geo/gemeinden.geojson", tags=["Daten"], summary="Gemeindegrenzen (vereinfacht)")
    def geo():
        return Response(views.geojson_bytes(), media_type="application/geo+json",
                        headers={"Cache-Control": "max-age=3600"})

    # ------------------------------------------------------------ downloads

    @app.get("/download/{ansicht}.{fmt}", tags=["Seiten"], summary="Download dessen, was die Seite zeigt")
    def download(request: Request, ansicht: Literal["vergleich", "gemeinde", "simulation"],
                 fmt: Literal["csv", "xlsx"]):
        if ansicht == "vergleich":
            e, _ = page_settings(request)
            res = vergleich(e)
            karte = request.query_params.get("karte")
            out = views.vergleich_json(res, karte, modelle_info)
            sheets = views.vergleich_tabellen(res, out["karte_modell"])
            bestand_key, synth = e.bestand, bool(res.info["synthetisch"])
        elif ansicht == "gemeinde":
            data = json.loads(view_gemeinde(request, request.query_params.get("ags", "")).body)
            bestand_key, synth = page_settings(request)[0].bestand, bool(data["bestand"]["synthetisch"])
            sheets = {"Modelle": pd.DataFrame(data["modelle"]["zeilen"]),
                      "Rechenweg": pd.DataFrame([{"system": s, **x} for s, xs in data["schritte"].items() for x in xs])}
            if request.query_params.get("verlauf") == "1":  # the page shows the path only when asked
                sim_data = json.loads(view_gemeinde_simulation(request, request.query_params.get("ags", "")).body)
                sheets["Simulation"] = pd.DataFrame(sim_data["zeilen"])
                sheets["Verlauf"] = pd.DataFrame([{"modell": v["titel"], "monat": mo, "last_je_1000": w}
                                                  for v in sim_data["verlauf"]
                                                  for mo, w in zip(v["monat"], v["wert"], strict=True)])
        else:
            q = request.query_params
            names = tuple(m for m in (q.get("modelle") or ",".join(eng.standard)).split(",") if m)
            monate = int(q.get("monate", "12")) if q.get("monate", "12").isdigit() else 0
            bestand_key = request.cookies.get(BESTAND_COOKIE, "-") if q.get("bestand") == "eigen" else None
            res = simulation(monate, names, None, bestand_key)
            sheets = {"Monate": res.monate, "Gemeinden": res.gemeinden}
            synth = eng.stock(bestand_key)[2]
        hinweise = eng.hinweise(synth)
        name = ("SYNTHETISCH_" if synth else "") + f"verteilung-{ansicht}"
        if fmt == "csv":
            first = next(iter(sheets.values()))
            if len(sheets) > 1:
                first = pd.concat([df.assign(tabelle=k) for k, df in sheets.items()], ignore_index=True)
            return Response(csv_bytes(first, " · ".join(hinweise) or None), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
        # the CLI's workbook writer; the first sheet says what the figures rest on (as `--out x.xlsx`)
        book = {"Hinweise": hinweise_tabelle(bestand_key, synth), **sheets}
        return Response(workbook_bytes(book), headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def hinweise_tabelle(bestand_key: str | None, synth: bool) -> pd.DataFrame:
        """The labels and the data basis of a download, one row each (angabe, wert)."""
        rows = [("Hinweis", h) for h in eng.hinweise(synth)]
        rows += [("Bestandsdatei", eng.stock(bestand_key)[1]), ("Datenbasis", eng.gemeinden.attrs["datenbasis"]),
                 ("Stichtag", deutsch.fmt_date(eng.stichtag)), ("Version", f"verteilung {__version__}")]
        return pd.DataFrame(rows, columns=["angabe", "wert"])

    # ------------------------------------------------------------ pages

    def render(name: str, seite: str, **ctx) -> HTMLResponse:
        html = env.get_template(name).render(seite=seite, seiten=PAGES, version=__version__,
                                             synthetisch=eng.synthetisch, bestand_datei=eng.bestand_name,
                                             naeherungen=eng.naeherungen, **ctx)
        return HTMLResponse(html)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page_vergleich():
        return render("vergleich.html.j2", "vergleich", modelle=[modelle_info[m] for m in eng.angebot],
                      auswahl=eng.auswahl, spalten=views.SLIDER_SPALTEN,
                      zugaenge=[{"feld": "zf", "anzeige": systems.FLUEAG.anzeige,
                                 "wert": systems.FLUEAG.standard_zugaenge},
                                {"feld": "zw", "anzeige": systems.WSA.anzeige,
                                 "wert": systems.WSA.standard_zugaenge}])

    @app.get("/gemeinde", response_class=HTMLResponse, include_in_schema=False)
    def page_gemeinde():
        return render("gemeinde.html.j2", "gemeinde")

    @app.get("/simulation", response_class=HTMLResponse, include_in_schema=False)
    def page_simulation():
        return render("simulation.html.j2", "simulation", modelle=[modelle_info[m] for m in eng.angebot],
                      auswahl=eng.auswahl, max_monate=views.MAX_MONATE)

    def daten_context() -> dict:
        from verteilung.api import GENAUIGKEIT, data_list

        when = eng.stichtag
        rows = []
        for name in params.names():
            try:
                p = params.get(name, when)  # type: ignore[arg-type]
            except InputError:
                continue
            value = p.value if not isinstance(p.value, list) else f"{len(p.value)} Gemeinden"
            rows.append({"name": name, "wert": value, "quelle": p.cite(), "href": p.href})
        genau = eng.gemeinden["genauigkeit"].fillna("").value_counts().to_dict() \
            if "genauigkeit" in eng.gemeinden.columns else {}
        return {"info": {"datenbasis": eng.gemeinden.attrs["datenbasis"], "stichtag": eng.stichtag,
                         "jahr": eng.jahr, "bestand": eng.bestand_name, "konfiguration": eng.config.quelle,
                         "arbeitslose": eng.gemeinden.attrs.get("arbeitslose_quelle", "")},
                "genau_de": GENAUIGKEIT,
                "datensaetze": views.records(data_list()), "parameter": rows, "genauigkeit": genau,
                "max_upload": eng.max_upload // 1024, "spalten": eng.spalten,
                "systeme": systems.all_systems()}

    @app.get("/daten", response_class=HTMLResponse, include_in_schema=False)
    def page_daten():
        return render("daten.html.j2", "daten", **daten_context())

    @app.post("/daten/bestand", response_class=HTMLResponse, include_in_schema=False)
    def page_upload(datei: Annotated[UploadFile, File()]):
        data = datei.file.read(eng.max_upload + 1)
        try:
            key = eng.upload(datei.filename or "upload.csv", data)
        except InputError as exc:
            resp = render("daten.html.j2", "daten", fehler=problem_lines(exc), **daten_context())
            resp.status_code = 422
            return resp
        up = eng.uploads[key]
        vorschau = up.vorschau.head(20)
        resp = render("daten.html.j2", "daten", hochgeladen={"datei": up.name, "zeilen": len(up.vorschau),
                                                             "spalten": list(vorschau.columns),
                                                             "vorschau": vorschau.values.tolist()},
                      **daten_context())
        resp.set_cookie(BESTAND_COOKIE, key, httponly=True, samesite="strict")
        return resp

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def page_api():
        spec = app.openapi()
        ops = [{"method": m.upper(), "path": p, "summary": o.get("summary", ""),
                "params": [x["name"] for x in o.get("parameters", [])],
                "body": "ja" if "requestBody" in o else ""}
               for p, item in spec["paths"].items() for m, o in item.items()]
        return render("api.html.j2", "api", ops=ops)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js():
        return Response(_plotly_js(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    @app.get("/static/topojson/{name}", include_in_schema=False)
    def topojson(name: str):
        """Plotly's geo layer asks for a world map; an empty one keeps it off the internet."""
        layers = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
        empty = {"type": "Topology", "arcs": [], "transform": {"scale": [1, 1], "translate": [0, 0]},
                 "objects": {k: {"type": "GeometryCollection", "geometries": []} for k in layers}}
        return JSONResponse(empty, headers={"Cache-Control": "max-age=86400"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(status_code=204)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        files = {"app.js": "text/javascript", "app.css": "text/css"}
        if name not in files:  # a fixed list: no request parameter becomes a path
            return problems(["nicht gefunden"], 404)
        return Response((HERE / "static" / name).read_bytes(), media_type=files[name])

    if warm:
        def _warm() -> None:
            views.geojson_bytes()

        threading.Thread(target=_warm, name="verteilung-app-warm", daemon=True).start()
    app.state.engine = eng
    return app


def _zahl(value: Any) -> str:
    """Numbers on a page in German notation (1.079; 0,035); text unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return "" if value is None else str(value)
    return deutsch.fmt_exact(value)


_PLOTLY: list[bytes] = []


def _plotly_js() -> bytes:
    if not _PLOTLY:
        from plotly.offline import get_plotlyjs

        _PLOTLY.append(get_plotlyjs().encode("utf-8"))
    return _PLOTLY[0]
