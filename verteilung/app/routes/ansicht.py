"""The data behind each page (/api/ansicht/…): the page's settings in, German-ready JSON out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import anyio
import numpy as np
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from verteilung.app import views
from verteilung.app.engine import GEMEINDE_SPALTEN
from verteilung.app.state import AppState
from verteilung.app.views import jsonable
from verteilung.compare import BASELINE
from verteilung.errors import InputError, Problem
from verteilung.law import systems

PROFIL_MONATE = 12
VERGLEICH_THREADS = 64
"""Comparison page requests wait for their worker in threads counted by a limiter of their own (an
anyio token count next to the default limiter's 40 that every other route shares; anyio keeps one
set of threads, so up to 40 + 64 can exist): under a committee's load waiting comparisons took all
40 tokens and the cheap Gemeinde pages queued behind them. Above this many waiting comparisons a request
waits for a thread (the compute slots, `AppState.compute`, bound the work itself)."""
_VERGLEICH_PLAETZE: RunVar[anyio.CapacityLimiter] = RunVar("verteilung_vergleich_plaetze")


def vergleich_plaetze() -> anyio.CapacityLimiter:
    """The comparison pages' own threads (`VERGLEICH_THREADS`), one limiter per event loop."""
    try:
        return _VERGLEICH_PLAETZE.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(VERGLEICH_THREADS)
        _VERGLEICH_PLAETZE.set(limiter)
        return limiter


@dataclass(frozen=True)
class Ansichten:
    """The page-data functions the downloads reuse (one computation, two formats)."""

    ueberblick: Callable[[Request, str | None], dict]
    gemeinde: Callable[[Request, str], dict]
    gemeinde_verlauf: Callable[[Request, str], dict]
    geld_monate: Callable  # (SimResult, basis) -> the Land's money month by month


# long: the page's routes as short nested handlers sharing the app state (one router per page)
def router(st: AppState) -> tuple[APIRouter, Ansichten]:
    r = APIRouter()
    eng = st.eng
    # each Gemeinde's row by AGS, once: a page request looked it up by filtering the whole table
    # twice (~1,4 ms of the server process's time per Gemeinde page)
    zeile_von = {a: i for i, a in enumerate(eng.gemeinden["ags"].tolist())}

    def langfrist_vergleich(request: Request):
        """The long run's comparison (`AppState.langfrist_vergleich`) on this page's stock table."""
        return st.langfrist_vergleich(st.page_settings(request)[0].bestand)

    @r.get("/api/ansicht/ueberblick", tags=["Seiten"], summary="Daten der Seite 'Überblick' (langfristige Last)")
    def view_ueberblick(request: Request, modell: Annotated[str | None, Query(max_length=80)] = None):
        return JSONResponse(jsonable(ueberblick_daten(request, modell)))

    def ueberblick_daten(request: Request, modell: str | None) -> dict:
        res = langfrist_vergleich(request)
        lf = res.langfrist
        ids = [m for m in lf.info["modelle"] if m != BASELINE and m in eng.modelle]
        if modell is not None and modell not in ids:
            raise InputError(Problem("modell", f"unbekanntes Modell „{modell[:60]}“; verfügbar: {', '.join(ids)}"))
        modell = modell or next((m for m in eng.auswahl if m in ids), ids[0])
        info = st.modelle_info
        g = lf.gemeinden
        gem = g[g["modell"] == modell]
        kr = lf.aggregate["kreise"]
        kr = kr[kr["modell"] == modell].sort_values(["aenderung_langfristig_je_1000", "kreis"],
                                                     ascending=[False, True])
        geld = None
        if res.mittel is not None:
            mk = res.mittel.kreise
            mk = mk[mk["modell"] == modell].sort_values(["aenderung_mittel_eur", "kreis"], ascending=[False, True])
            geld = {"kreis": mk["kreis"].tolist(), "wert": [round(float(v)) for v in mk["aenderung_mittel_eur"]],
                    "tabelle": views.table(mk, ["kreis", "mittel_eur", "aenderung_mittel_eur"])}
        kreis_cols = ["kreis", "einwohner", "last_langfristig", "last_langfristig_je_1000", "aenderung_langfristig",
                      "aenderung_langfristig_je_1000"]
        gem_cols = ["gemeinde", "kreis", "einwohner", "last_langfristig", "last_langfristig_je_1000",
                    "aenderung_langfristig", "aenderung_langfristig_je_1000"]
        return {
            "modell": modell, "modelle": [info[m] for m in ids], "basis": info[BASELINE],
            "saetze": views.langfrist_saetze(res, modell), "grundlage": lf.info.get("grundlage", ""),
            "synthetisch": bool(lf.info.get("synthetisch")),
            "karte": {"ags": gem["ags"].tolist(), "gemeinde": gem["gemeinde"].tolist(),
                      "wert": [round(float(v), 3) for v in gem["aenderung_langfristig_je_1000"]],
                      "last": [round(float(v), 3) for v in gem["last_langfristig_je_1000"]],
                      "personen": [round(float(v)) for v in gem["aenderung_langfristig"]]},
            "kreise": views.table(kr, kreis_cols),
            "gemeinden": views.table(gem.sort_values("aenderung_langfristig_je_1000", ascending=False), gem_cols),
            "geld": geld,
            "klein": [{"id": m, "kurz": info[m]["kurz"],
                       "wert": [round(float(v), 3) for v in g[g["modell"] == m]["aenderung_langfristig_je_1000"]]}
                      for m in ids],
        }

    @r.get("/api/ansicht/vergleich", tags=["Seiten"], summary="Daten der Seite 'Überblick': diese Periode")
    async def view_vergleich(request: Request):
        e, echo = st.page_settings(request)
        # waits for its worker in a thread of its own pool (`VERGLEICH_THREADS`), not the server's
        body, gz = await anyio.to_thread.run_sync(st.vergleich_seite, e, request.query_params.get("karte"), echo,
                                                  limiter=vergleich_plaetze())
        if "gzip" in request.headers.get("accept-encoding", "") and len(body) >= views.GZIP_AB_BYTES:
            # compressed by the worker that computed it; the GZipMiddleware passes an encoded body on
            return Response(gz, media_type="application/json",
                            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(body, media_type="application/json")

    @r.get("/api/ansicht/gemeinde", tags=["Seiten"], summary="Daten der Seite 'Meine Gemeinde'")
    def view_gemeinde(request: Request, ags: Annotated[str, Query(pattern=r"^\d{8}$")]):
        return JSONResponse(jsonable(gemeinde_daten(request, ags)))

    def gemeinde_daten(request: Request, ags: str) -> dict:
        e, echo = st.page_settings(request)
        if ags not in zeile_von:
            raise InputError(Problem("ags", f"{ags} ist keine Gemeinde in NRW"))
        g, modell_titel = st.gemeinde_periode(e, ags)
        row = eng.gemeinden.iloc[zeile_von[ags]]
        b, bname, synth = eng.stock(e.bestand)
        brow = b.iloc[int(np.flatnonzero(b["ags"].to_numpy() == ags)[0])]
        counted = [s for s in systems.all_systems() if set(s.bestand) <= set(b.columns)]  # stock in the file
        schritte = st.schritte(ags, e.bestand)
        cols = GEMEINDE_SPALTEN[1:]  # without the AGS the rows were picked by
        return {
            "ags": ags, "gemeinde": row["gemeinde"], "kreis": row["kreis"],
            "regierungsbezirk": row["regierungsbezirk"], "gemeinde_typ": row["gemeinde_typ"],
            "einwohner": int(row["einwohner"]), "flaeche_km2": float(row["flaeche_km2"]),
            "bestand": {**{s.id: int(sum(brow[c] for c in s.bestand)) for s in counted},
                        "anrechnung_plaetze": int(brow["anrechnung_plaetze"]) + int(brow["anrechnung_plaetze_eae"]),
                        "datei": bname, "synthetisch": synth},
            "systeme": [{"id": s.id, "anzeige": s.anzeige} for s in systems.all_systems()],
            "hinweise": eng.hinweise(synth),
            **st.langfrist_gemeinden.get((ags, e.bestand), lambda: langfrist_gemeinde(e.bestand, ags)),
            "modelle": views.table(g, cols, modell_titel), "schritte": schritte, "einstellungen": echo,
        }

    def langfrist_gemeinde(bestand: str | None, ags: str) -> dict:
        """The Gemeinde page's long run and money: the same for every setting of the sliders."""
        lres = st.langfrist_vergleich(bestand)
        lg = lres.langfrist.gemeinden
        lang = lg[lg["ags"] == ags].drop(columns=["ags"])
        if lres.mittel is not None:
            mg = lres.mittel.gemeinden
            lang = lang.merge(mg[mg["ags"] == ags][["modell", "mittel_eur", "aenderung_mittel_eur"]], on="modell",
                              how="left")
        basis = lang[lang["modell"] == BASELINE].iloc[0]
        lang = lang[(lang["modell"] != BASELINE) & lang["modell"].isin(list(eng.modelle))]
        lang_cols = ["modell", "last_langfristig", "last_langfristig_je_1000", "aenderung_langfristig",
                     "aenderung_langfristig_je_1000"] + (["mittel_eur", "aenderung_mittel_eur"]
                                                          if "mittel_eur" in lang.columns else [])
        return {"langfristig": views.table(lang, lang_cols, st.titel),
                "langfristig_basis": {"last_langfristig": float(basis["last_langfristig"]),
                                      "last_langfristig_je_1000": float(basis["last_langfristig_je_1000"]),
                                      "mittel_eur": float(basis.get("mittel_eur", float("nan")))}}

    @r.get("/api/ansicht/gemeinde-simulation", tags=["Seiten"], summary="Simulierter Verlauf einer Gemeinde")
    def view_gemeinde_simulation(request: Request, ags: Annotated[str, Query(pattern=r"^\d{8}$")]):
        # the same for every slider position: kept as bytes per Gemeinde and stock table
        bestand = st.page_settings(request)[0].bestand
        body = st.gemeinde_verlaeufe.get((ags, bestand), lambda: views.json_bytes(jsonable(gemeinde_verlauf(
            request, ags))))
        return Response(body, media_type="application/json")

    def gemeinde_verlauf(request: Request, ags: str) -> dict:
        e, _ = st.page_settings(request)
        sim = st.simulation(PROFIL_MONATE, eng.standard, None, e.bestand)
        sg = sim.gemeinden[sim.gemeinden["ags"] == ags]
        if sg.empty:
            raise InputError(Problem("ags", f"{ags} ist keine Gemeinde in NRW"))
        cols = ["modell", "last_je_1000_start", "last_je_1000_ende", "ende_gegen_status_quo_je_1000"]
        return views.table(sg, cols, st.titel) | {"monate": PROFIL_MONATE,
                                                  "verlauf": views.verlauf(sim.verlauf, ags, st.titel)}


    @r.get("/api/ansicht/simulation", tags=["Seiten"], summary="Daten der Seite 'Simulation'")
    def view_simulation(request: Request, monate: Annotated[int, Query(ge=1, le=views.MAX_MONATE)] = 24,
                        monat: Annotated[int, Query(ge=1, le=views.MAX_MONATE)] = 24,
                        modelle: Annotated[str | None, Query(max_length=400)] = None,
                        karte: Annotated[str | None, Query(max_length=60)] = None,
                        basis: Annotated[str, Query(max_length=80)] = BASELINE):
        names = tuple(m for m in (modelle.split(",") if modelle else eng.standard) if m)
        bestand = st.bestand_of(request)
        res = st.simulation(monate, names, None, bestand, basis)
        monat = min(monat, monate)
        karte = karte if karte in res.info["modelle"] and karte != basis else next(
            (m for m in res.info["modelle"] if m != basis), basis)
        at = res if monat == monate else st.simulation(monat, (karte,), None, bestand, basis)
        m = at.gemeinden[at.gemeinden["modell"] == karte]
        geld = st.compute(geld_monate, res, basis)
        from verteilung.simulate import gegen_basis_spalte
        kurven = {col: [{"modell": mod, "monat": part["monat"].tolist(),
                         "wert": [round(float(v), 5) for v in part[col]]}
                        for mod, part in res.monate.groupby("modell", sort=False)]
                  for col in ("vk_last_je_einwohner", "konflikt_personen_kumuliert", "gini_last_je_einwohner")}
        synth = eng.stock(bestand)[2]
        return JSONResponse(jsonable({
            "info": res.info, "monate": monate, "monat": monat, "karte_modell": karte, "kurven": kurven,
            "synthetisch": synth, "hinweise": eng.hinweise(synth), "max_monate": st.max_monate(names),
            "titel": st.titel,
            "karte": {"ags": m["ags"].tolist(), "gemeinde": m["gemeinde"].tolist(),
                      "wert": [round(float(v), 3) for v in m[gegen_basis_spalte(at)]],
                      "last": [round(float(v), 2) for v in m["last_je_1000_ende"]]},
            "tabellen": {"Monate": views.table(res.monate, ["modell", "monat", "vk_last_je_einwohner",
                                                            "gini_last_je_einwohner", "konflikt_personen",
                                                            "konflikt_personen_kumuliert"], st.titel)},
            "basis": basis, "geld": views.geld_kurven(geld, karte, basis, st.titel),
        }))

    def geld_monate(res, basis: str):
        """The Land's money month by month along a simulation: `verteilung.mittel.mittel_aus` on the
        app's long run and the simulation (the same function as ``verteilung mittel --monate N``)."""
        import datetime as dt

        from verteilung.mittel import mittel_aus

        modelle = tuple(str(m) for m in res.info["modelle"])
        lf = eng.langfrist(modelle, basis)
        year = dt.date.fromisoformat(res.info["stichtag"]).year
        return mittel_aus(lf, [eng.model(m) for m in modelle], year, None, res).verlauf_land

    @r.get("/api/ansicht/grenzen", tags=["Seiten"], summary="Höchste Monatszahl der Simulation je Modellauswahl")
    def view_grenzen(modelle: Annotated[str | None, Query(max_length=400)] = None):
        names = tuple(m for m in (modelle.split(",") if modelle else eng.standard) if m)
        st.check_models(list(names))
        return {"max_monate": st.max_monate(names)}

    return r, Ansichten(ueberblick_daten, gemeinde_daten, gemeinde_verlauf, geld_monate)
