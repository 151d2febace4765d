"""The FastAPI application: JSON API under /api/, German pages, local assets, safe defaults."""

from __future__ import annotations

import contextlib
import secrets
import threading
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from verteilung._version import __version__
from verteilung.app import views
from verteilung.app.config import AppConfig
from verteilung.app.engine import Engine, problem_lines
from verteilung.app.routes import ansicht, api, assets, download, seiten
from verteilung.app.routes.ansicht import PROFIL_MONATE
from verteilung.app.state import BESTAND_COOKIE, AppState, Busy, TooSlow, problems, zahl
from verteilung.app.views import GZIP_AB_BYTES, GZIP_STUFE
from verteilung.errors import InputError, VerteilungError
from verteilung.io import deutsch

MAX_BODY_BYTES = AppConfig().grenzen.body_bytes  # default; below Starlette's 1 MiB spooling threshold
TOKEN_COOKIE = "verteilung_token"
# Plotly draws the map with d3 in SVG (no WebGL trace, so no eval) but sets inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
SWEEP_FIELDS = {"parameter", "raster", "stichprobe", "szenarien", "bereiche"}
__all__ = ["BESTAND_COOKIE", "CSP", "MAX_BODY_BYTES", "create_app"]


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
                             "berechnet „verteilung sweep“ auf der Kommandozeile")
            else:
                lines.append(f"{feld}: unbekanntes Feld")
        elif kind == "missing":
            lines.append(f"{feld}: fehlt")
        elif kind in ("less_than_equal", "less_than"):
            lines.append(f"{feld}: höchstens {zahl(ctx.get('le', ctx.get('lt')))} erlaubt")
        elif kind in ("greater_than_equal", "greater_than"):
            lines.append(f"{feld}: mindestens {zahl(ctx.get('ge', ctx.get('gt')))} erforderlich")
        elif kind in ("too_long",):
            lines.append(f"{feld}: zu viele Einträge (höchstens {zahl(ctx.get('max_length'))})")
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
        return ("Zugang nur mit Zugangsschlüssel: Kopfzeile „Authorization: Bearer …“ oder einmal ?token=… "
                "in der Adresse")
    wrong = [where for where, value in given
             if not (value and secrets.compare_digest(value.encode(), token.encode()))]
    if wrong:
        return f"falscher Zugangsschlüssel ({', '.join(wrong)})"
    return None


# long: middleware and error handlers are nested closures over the limits; the routes live in routers
def create_app(token: str | None = None, engine: Engine | None = None, warm: bool = False,
               config: AppConfig | None = None, prozesse: int = 0) -> FastAPI:
    """The application; ``token`` set means every request must carry it.

    ``config`` (`verteilung app --config`) names the data basis, the models and the limits;
    ``warm`` computes what the first screens show before serving (`AppState.vorrechnen`) and
    prepares the map geometry and the Gemeinde profile in the background, so the first visitors do
    not wait for them. The routes live in `verteilung.app.routes`, one router per page or concern.
    ``prozesse`` > 0 computes comparisons and explanations in that many worker processes
    (`engine.Rechenprozesse`), forked before any thread starts.
    """
    eng = engine or Engine(config or AppConfig())
    st = AppState(eng, prozesse, vorrechnen=warm)
    limits = st.limits
    max_body = limits.body_bytes
    app = FastAPI(title="verteilung", version=__version__, docs_url=None, redoc_url=None,
                  description="Verteilung Geflüchteter auf die Gemeinden NRW: JSON-API (spiegelt die Python-API).")
    # page data is repetitive JSON (0,1 MB for the comparison): a fifth on the wire; a middle level
    # costs a few ms where level 9 (Starlette's default) costs several times that
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_AB_BYTES, compresslevel=GZIP_STUFE)

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
                         "„verteilung compare“ oder „verteilung simulate“ auf der Kommandozeile"], 503)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        return problems([f"interner Fehler ({exc.__class__.__name__}); Details im Protokoll des Servers"], 500)

    seiten_daten, ansichten = ansicht.router(st)
    app.include_router(api.router(st))
    app.include_router(seiten_daten)
    app.include_router(download.router(st, ansichten))
    app.include_router(seiten.router(st, app))
    app.include_router(assets.router())
    if warm:
        def _warm() -> None:
            views.geojson_bytes()
            with contextlib.suppress(Exception):  # the profile every Gemeinde page shows; a failure shows there
                st.simulation(PROFIL_MONATE, eng.standard, None, None)

        threading.Thread(target=_warm, name="verteilung-app-warm", daemon=True).start()
    app.state.engine = eng
    app.state.app_state = st
    app.state.rechenprozesse = st.rechner
    return app
