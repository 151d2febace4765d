"""The JSON API under /api/: mirrors the Python API (keys, status, explain, allocate, compare, simulate)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from verteilung import optionen
from verteilung.app import views
from verteilung.app.engine import Einstellungen
from verteilung.app.state import BESTAND_COOKIE, AppState
from verteilung.compare import BASELINE
from verteilung.errors import InputError, Problem
from verteilung.io import deutsch
from verteilung.law import systems

SYSTEM_NAMES = tuple(systems.names())
SystemName = Literal[SYSTEM_NAMES]  # type: ignore[valid-type]  # the registry's ids and input aliases
System = Annotated[SystemName, Query(description=" oder ".join(SYSTEM_NAMES))]


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


def _personen(feld: str) -> Any:
    """A count of persons in a request, checked as ``--personen`` (``"1.000"`` is refused)."""
    return BeforeValidator(optionen.pydantic_check(optionen.personen, feld))


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
    basis: str = Field(default=BASELINE, max_length=80, description="Vergleichsbasis: Modell-ID (Standard status-quo)")


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


# long: the JSON API's routes as short nested handlers sharing the app state, one per Python-API function
def router(st: AppState) -> APIRouter:
    r = APIRouter()
    eng = st.eng

    @r.get("/api/modelle", tags=["Daten"], summary="Modelle mit Beschreibung und Rechtsgrundlage")
    def api_modelle():
        return {"modelle": [st.modelle_info[m] for m in eng.modelle], "spalten": list(eng.zahlspalten)}

    @r.get("/api/keys", tags=["Python-API"], summary="Verteilungsschlüssel je Gemeinde (verteilung.keys)")
    def api_keys(system: System):
        from verteilung import keys

        table, info = keys(system, **st.data_args)
        return {"info": jsonable(info), "gemeinden": views.records(table, 10)}

    @r.get("/api/status", tags=["Python-API"], summary="Verteilstatistik (verteilung.status)")
    def api_status(system: System, bestand: Annotated[str | None, Query(max_length=64)] = None):
        from verteilung import status

        with st.stock_path(bestand) as path:
            table, info = status(system, path, ohne_meldung_null=eng.config.ohne_meldung_null, **st.data_args)
        info["bestand_datei"] = eng.stock(bestand)[1]
        return {"info": jsonable(info), "gemeinden": views.records(table, 6)}

    @r.get("/api/explain", tags=["Python-API"], summary="Rechenweg einer Gemeinde (verteilung.explain)")
    def api_explain(ags: Annotated[str, Query(pattern=r"^(\d{7,8}|[^/\\<>{}]{2,80})$")], system: System,
                    mit_bestand: bool = True, bestand: Annotated[str | None, Query(max_length=64)] = None,
                    personen: Annotated[int | None, Query(ge=0, le=10_000_000)] = None):
        """``ags``: AGS (8 Ziffern, 7 ohne führende Null) oder Name; mit ``personen`` auch die Zuweisung."""
        from verteilung import explain

        def run():
            with st.stock_path(bestand) as path:
                return explain(ags, system, bestand=path if mit_bestand or personen is not None else None,
                               zuweisung=personen is not None, personen=personen, **st.data_args)

        steps = st.compute(run) if personen is not None else run()
        info = steps.info["erklaerung"]
        return {"ags": info["ags"], "gemeinde": info["gemeinde"], "system": system,
                "schritte": [{"schritt": s, "rechtsgrundlage": p} for s, p in steps],
                **({"zuweisung": jsonable(steps.info["zuweisung"])} if personen is not None else {})}

    @r.post("/api/allocate", tags=["Python-API"], summary="Zugänge einer Periode zuweisen (verteilung.allocate)")
    def api_allocate(req: ZuteilungAnfrage):
        from verteilung.api import allocate

        def run():
            with st.stock_path(req.bestand) as path:
                return allocate(req.system, path, personen=req.personen,
                                ohne_meldung_null=eng.config.ohne_meldung_null, **st.data_args)

        eng.stock(req.bestand)  # an unknown upload id is bad input before a slot is taken
        res = st.compute(run)
        return {"info": jsonable(res.summary), "gemeinden": views.records(res.table, 6)}

    @r.post("/api/compare", tags=["Python-API"], summary="Modelle vergleichen (verteilung.compare)")
    def api_compare(req: VergleichAnfrage):
        modelle = list(eng.standard) if req.modelle is None else req.modelle
        st.check_models(modelle)
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
        st.check_models([req.basis])
        e = Einstellungen(tuple(modelle), gew, req.kappung, req.alpha, req.anrechnung, req.zugaenge_flueag,
                          req.zugaenge_wsa, req.bestand, req.basis)
        res = st.compute(eng.vergleich, e)  # uncached: the API always computes
        return {"info": jsonable(res.info), "befunde": res.befunde, "metriken": views.records(res.metriken),
                "systeme": views.records(res.systeme), "gemeinden": views.records(res.gemeinden),
                "aggregate": {k: views.records(v) for k, v in res.aggregate.items()},
                "gewinner_verlierer": views.records(res.gewinner_verlierer),
                "langfrist": langfrist_payload(res.langfrist),
                "mittel": None if res.mittel is None else {"info": jsonable(res.mittel.info),
                                                           "modelle": views.records(res.mittel.modelle),
                                                           "kreise": views.records(res.mittel.kreise)},
                "zusammenfassung": None if res.zusammenfassung is None else res.zusammenfassung.payload()}

    def langfrist_payload(lf) -> dict | None:
        if lf is None:
            return None
        return {"info": jsonable(lf.info), "modelle": views.records(lf.modelle),
                "gemeinden": views.records(lf.gemeinden),
                "aggregate": {k: views.records(v) for k, v in lf.aggregate.items()},
                "gewinner_verlierer": views.records(lf.gewinner_verlierer)}

    @r.get("/api/langfrist", tags=["Python-API"], summary="Langfristige Last je Modell (verteilung.langfrist)")
    def api_langfrist(modelle: Annotated[list[str] | None, Query(max_length=50)] = None,
                      basis: Annotated[str, Query(max_length=80)] = BASELINE,
                      summe_flueag: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
                      summe_wsa: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
                      minimum: bool = False):
        names = modelle or list(eng.standard)
        st.check_models([*names, basis])
        summen = {c: v for c, v in (("flueag_bestand", summe_flueag), ("wsa_bestand", summe_wsa)) if v is not None}
        return langfrist_payload(st.compute(eng.langfrist, tuple(names), basis, tuple(summen.items()), minimum))

    @r.post("/api/simulate", tags=["Python-API"], summary="Monatssimulation (verteilung.simulate.simulate)")
    def api_simulate(req: SimulationAnfrage):
        res = st.simulation(req.monate, tuple(eng.standard if req.modelle is None else req.modelle), req.seed,
                            req.bestand)
        return {"info": jsonable(res.info), "monate": views.records(res.monate),
                "gemeinden": views.records(res.gemeinden)}

    @r.post("/api/bestand", tags=["Daten"], summary="Eigene Bestandstabelle hochladen (nur im Speicher)")
    def api_bestand(datei: Annotated[UploadFile, File()]):
        data = datei.file.read(eng.max_upload + 1)
        key = eng.upload(datei.filename or "upload.csv", data)
        b = eng.uploads[key].bestand
        resp = JSONResponse({"bestand": key, "datei": eng.uploads[key].name, "gemeinden": len(b),
                             "flueag_bestand": int(b["flueag_bestand"].sum()),
                             "wsa_bestand": int(b["wsa_bestand"].sum())})
        resp.set_cookie(BESTAND_COOKIE, key, httponly=True, samesite="strict")
        return resp

    @r.get("/api/gemeinden", tags=["Daten"], summary="Gemeinden suchen (Name oder AGS)")
    def api_gemeinden(q: Annotated[str, Query(max_length=60)] = ""):
        return {"treffer": views.suche(eng.gemeinden, q)}

    @r.get("/api/geo/gemeinden.geojson", tags=["Daten"], summary="Gemeindegrenzen (vereinfacht)")
    def geo():
        return Response(views.geojson_bytes(), media_type="application/geo+json",
                        headers={"Cache-Control": "max-age=3600"})

    return r
