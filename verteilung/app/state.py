"""What every router of the app shares: the engine, the compute slots, the caches and the page session.

`create_app` builds one `AppState` and hands it to each router factory (`verteilung.app.routes`), so
the routers hold no globals and two apps in one process (the tests) never share a cache.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse

from verteilung._version import __version__
from verteilung.app import views
from verteilung.app.engine import LRU, Einstellungen, Engine, Rechenprozesse, Seite
from verteilung.compare import BASELINE
from verteilung.errors import InputError, Problem
from verteilung.io import deutsch

HERE = Path(__file__).resolve().parent
BESTAND_COOKIE = "verteilung_bestand"
MAX_VERGLEICHE = 32
"""Comparisons kept as tables (the Gemeinde page and downloads read them; about 1 MB each)."""
MAX_SEITEN = 256
"""Comparison pages kept as response bytes (about 0.1 MB each): a slider position asked again,
by the same aide going back or by another with the same settings, is answered without computing."""
MAX_LANGFRIST_GEMEINDEN = 1024
"""A Gemeinde page's long-run tables (a few kB): the same for every slider position."""
MAX_GEMEINDE_TABELLEN = 128
"""Every Gemeinde's period rows per settings (`Engine.gemeinde_tabelle`, about 0.2 MB each): the
Gemeinde pages opened after a slider move are answered here, without a worker (with 50 aides moving
sliders, 64 settings were pushed out within seconds)."""
MAX_GEMEINDE_VERLAEUFE = 1024
"""A Gemeinde's simulated path as response bytes (a few kB): the same for every slider position."""
PAGES = {"vergleich": "Überblick", "gemeinde": "Meine Gemeinde", "simulation": "Simulation",
         "daten": "Daten", "api": "API"}


class Busy(Exception):
    """Both compute slots are taken."""


class TooSlow(Exception):
    """A computation ran past the app's time limit."""


def problems(lines: list[str], status: int = 422) -> JSONResponse:
    return JSONResponse({"probleme": lines}, status_code=status)


def zahl(value: Any) -> str:
    """Numbers on a page in German notation (1.079; 0,035); text unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return "" if value is None else str(value)
    return deutsch.fmt_exact(value)


class AppState:
    """The engine plus the app's bounded resources: two compute slots, result caches, templates."""

    def __init__(self, eng: Engine, prozesse: int = 0, vorrechnen: bool = False) -> None:
        self.eng = eng
        self._lock = threading.Lock()
        self._cmp_cache: OrderedDict[tuple[Einstellungen, bool], Any] = OrderedDict()
        self.seiten = LRU(MAX_SEITEN)  # the comparison page's response bytes by settings
        self.langfrist_gemeinden = LRU(MAX_LANGFRIST_GEMEINDEN)  # a Gemeinde page's long run by Gemeinde and stock
        self.gemeinde_tabellen = LRU(MAX_GEMEINDE_TABELLEN)  # the Gemeinde pages' period rows by settings
        self.gemeinde_verlaeufe = LRU(MAX_GEMEINDE_VERLAEUFE)  # a Gemeinde's simulated path by Gemeinde and stock
        self.limits = eng.config.grenzen
        self.data_args = {"jahr": eng.jahr, "stichtag": eng.stichtag.isoformat()}  # type: ignore[attr-defined]
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
        self.env.filters["zahl"] = zahl
        self.env.filters["datum"] = deutsch.fmt_date
        slots = max(2, prozesse + 1)  # a long simulation must not hold up the comparisons of the workers
        self._slots = threading.BoundedSemaphore(slots)
        self._workers = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="verteilung-rechnen")
        self._sim_cache: OrderedDict[tuple, Any] = OrderedDict()
        self._inflight: dict[tuple, threading.Lock] = {}
        self.modelle_info = {m: views.modell_info(d) for m, d in eng.modelle.items()}
        self.modelle_info["eigene-gewichte"] = {
            "id": "eigene-gewichte", "titel": "Eigene Gewichte", "kurz": "Eigene Gewichte",
            "beschreibung": "Ein gemeinsames System über beide Bestände mit den oben gewählten Gewichten.",
            "rechtsgrundlage": "keine (Analyse eines Vorschlags)", "vorschlag": "", "begruendung": "",
            "gewichte": ""}
        self.titel = {m: d["titel"] for m, d in self.modelle_info.items()}
        if vorrechnen:  # before the fork: every worker inherits the shipped models' parts
            self.vorrechnen()
        # prozesse > 0: comparisons and explanations in worker processes forked here, before any thread starts
        self.rechner = Rechenprozesse(eng, prozesse) if prozesse > 0 else None
        self.rechne_vergleich = self.rechner.vergleich if self.rechner else eng.vergleich
        self.rechne_seite = self.rechner.vergleich_seite if self.rechner else eng.vergleich_seite
        self.rechne_gemeinden = self.rechner.gemeinde_tabelle if self.rechner else eng.gemeinde_tabelle
        self.schritte = self.rechner.schritte if self.rechner else eng.schritte

    # ------------------------------------------------------------ computing

    def compute(self, fn, *args, **kwargs):
        """``fn`` on one of two compute slots; the answer waits at most ``rechenzeit_s`` for it.

        A computation over the limit finishes in the background (Python cannot stop a thread) and
        keeps its slot meanwhile, so slow requests cannot pile up more than two computations.
        """
        if not self._slots.acquire(timeout=self.limits.rechenzeit_s):
            raise Busy()

        def run():
            try:
                return fn(*args, **kwargs)
            finally:
                self._slots.release()

        try:
            future = self._workers.submit(run)
        except BaseException:
            self._slots.release()
            raise
        try:
            return future.result(timeout=self.limits.rechenzeit_s)
        except FutureTimeout:
            raise TooSlow() from None

    def vergleich(self, e: Einstellungen, langfrist: bool = True):
        """The comparison for these settings; the last 32 are kept (permalinks, back and forth).
        ``langfrist=False``: without the long run (`Engine.vergleich`), for the period pages."""
        key = (e, langfrist)
        with self._lock:
            if key in self._cmp_cache:
                self._cmp_cache.move_to_end(key)
                return self._cmp_cache[key]
        res = self.compute(self.rechne_vergleich, e, langfrist)
        with self._lock:
            self._cmp_cache[key] = res
            while len(self._cmp_cache) > MAX_VERGLEICHE:
                self._cmp_cache.popitem(last=False)
        return res

    def vergleich_seite(self, e: Einstellungen, karte: str | None, echo: dict) -> tuple[bytes, bytes]:
        """The comparison page's JSON body, plain and gzipped, computed and rendered in a worker
        (`Engine.vergleich_seite`) and kept per settings, map model and echoed settings; the Gemeinde
        pages' rows of the same settings, which come along, are kept per settings (`gemeinde_periode`)."""
        key = (e, karte, json.dumps(echo, sort_keys=True))
        return self.seiten.get(key, lambda: self._seite(self.compute(self.rechne_seite, e, karte, echo,  # type: ignore[return-value]
                                                                     self.modelle_info), e))

    def _seite(self, seite: Seite, e: Einstellungen) -> tuple[bytes, bytes]:
        self.gemeinde_tabellen.put(e, (seite.gemeinden, seite.titel))
        return seite.body, seite.gzip

    def gemeinde_periode(self, e: Einstellungen, ags: str) -> tuple[pd.DataFrame, dict[str, str]]:
        """One Gemeinde's rows of the period comparison (`GEMEINDE_SPALTEN`, every model) and the
        model titles: from the rows kept per settings (a Gemeinde page opened after a slider move
        needs no worker), else from the worker that computed the comparison page of the settings."""
        tabelle, titel = self.gemeinde_tabellen.get(e, lambda: self.compute(self.rechne_gemeinden, e))  # type: ignore[misc]
        return tabelle[tabelle["ags"].to_numpy() == ags].reset_index(drop=True), titel

    def langfrist_vergleich(self, bestand: str | None):
        """Every offered model against the status quo with its long run, money and summary
        (`CompareResult.langfrist`, `.mittel`, `.zusammenfassung`): what the first screen and every
        Gemeinde page show. It depends only on the stock table (an upload gives the Land totals,
        else the published ones), so it is one cached comparison per table."""
        return self.vergleich(Einstellungen(modelle=tuple(self.eng.angebot), bestand=bestand))

    def vorrechnen(self) -> None:
        """What the first visitors ask for, computed at start in this process (before any worker
        is forked or thread started): the long run's comparison of the first screen and the
        Gemeinde pages, the comparison page at its default settings and every Gemeinde's step
        records (`Engine.schritte`). Every shipped model's part then sits in the engine's cache,
        which the worker processes inherit."""
        eng = self.eng
        lang = Einstellungen(modelle=tuple(eng.angebot))
        self._cmp_cache[(lang, True)] = eng.vergleich(lang)
        e, echo = views.settings_from_query({}, list(eng.modelle), list(eng.zahlspalten), eng.auswahl)
        self._cmp_cache[(e, False)] = eng.vergleich(e, langfrist=False)
        self.seiten.get((e, None, json.dumps(echo, sort_keys=True)),
                        lambda: self._seite(eng.vergleich_seite(e, None, echo, self.modelle_info), e))
        if eng.schritte_vorbereitet(None):  # every Gemeinde's step records: later explanations take ms
            eng.schritte(str(eng.gemeinden["ags"].iloc[0]), None)

    def check_models(self, names: list[str]) -> None:
        bad = [m for m in names if m not in self.eng.modelle]
        if bad:
            raise InputError([Problem("modelle", f"unbekanntes Modell „{m[:60]}“; verfügbar: "
                                      f"{', '.join(self.eng.modelle)}") for m in bad])

    def stock_path(self, key: str | None):
        """A context giving the path of the stock table for functions that read files."""
        return self.eng.stock_path(key)

    def max_monate(self, modelle: tuple[str, ...] | list[str]) -> int:
        """The longest simulation the limits allow for these models (the month slider's maximum)."""
        n_models = len(set(modelle) | {BASELINE})
        return max(1, min(views.MAX_MONATE, self.limits.modellmonate // n_models))

    def simulation(self, monate: int, modelle: tuple[str, ...], seed: int | None, bestand: str | None,
                   basis: str = BASELINE):
        """`verteilung.simulate` on the app's data (cached); ``basis``: the Vergleichsbasis."""
        self.check_models([*modelle, basis])
        modelle = modelle if basis in modelle or basis == BASELINE else (*modelle, basis)
        n_models = len(set(modelle) | {BASELINE})
        if monate > self.max_monate(modelle):
            grenze = deutsch.fmt_int(self.limits.modellmonate)
            raise InputError(Problem("monate", f"zu großer Rechenauftrag: {monate} Monate × {n_models} Modelle "
                                     f"sind zu viel für die Anwendung (höchstens {grenze} "
                                     f"Modellmonate, also {self.max_monate(modelle)} Monate mit dieser Auswahl). "
                                     "Weniger Monate oder Modelle wählen; längere Läufe rechnet der Befehl "
                                     "„verteilung simulate“"))
        key = (monate, modelle, seed, bestand, basis)
        with self._lock:
            if key in self._sim_cache:
                self._sim_cache.move_to_end(key)
                return self._sim_cache[key]
            running = self._inflight.setdefault(key, threading.Lock())
        from verteilung.simulate import simulate

        def run():
            with self.stock_path(bestand) as path:  # inside the computation: the file outlives a timeout
                return simulate(monate=monate, modelle=[self.eng.quellen[m] for m in modelle], seed=seed,
                                bestand=path, verlauf=True, basis=self.eng.quellen[basis], **self.data_args)

        try:
            with running:  # the same simulation asked twice at once is computed once
                with self._lock:
                    if key in self._sim_cache:
                        return self._sim_cache[key]
                res = self.compute(run)
                with self._lock:
                    self._sim_cache[key] = res
                    while len(self._sim_cache) > 16:
                        self._sim_cache.popitem(last=False)
        finally:
            with self._lock:
                self._inflight.pop(key, None)
        return res

    # ------------------------------------------------------------ the browser session

    def session_bestand(self, request: Request) -> str | None:
        """The stock table this browser uploaded, while the app still holds it (cookie → id)."""
        key = request.cookies.get(BESTAND_COOKIE)
        return key if key and key in self.eng.uploads else None

    def bestand_of(self, request: Request) -> str | None:
        """Which stock a page request computes on: ``bestand=standard`` the app's own, ``bestand=ID`` an
        upload by id (API style), otherwise the browser session's upload if there is one."""
        q = request.query_params.get("bestand")
        if q == "standard":
            return None
        if q and q != "eigen":
            return q
        if q == "eigen":
            return request.cookies.get(BESTAND_COOKIE, "-")
        return self.session_bestand(request)

    def page_settings(self, request: Request) -> tuple[Einstellungen, dict]:
        q = dict(request.query_params)
        q.pop("bestand", None)
        key = self.bestand_of(request)
        if key is not None:
            q["bestand"] = key
        eng = self.eng
        return views.settings_from_query(q, list(eng.modelle), list(eng.zahlspalten), eng.auswahl)

    # ------------------------------------------------------------ pages

    def render(self, request: Request, name: str, seite: str, status: int = 200, **ctx) -> HTMLResponse:
        """A page; the frame says which stock table is active for this browser and what it rests on."""
        eng = self.eng
        key = ctx.pop("bestand_key", self.session_bestand(request))
        eigene = eng.uploads[key].name if key is not None and key in eng.uploads else None
        html = self.env.get_template(name).render(
            seite=seite, seiten=PAGES, version=__version__, eigene_tabelle=eigene,
            synthetisch=eng.synthetisch if eigene is None else bool(eng.stock(key)[2]),
            bestand_datei=eng.bestand_name if eigene is None else eigene,
            naeherungen=eng.naeherungen, **ctx)
        return HTMLResponse(html, status_code=status)
