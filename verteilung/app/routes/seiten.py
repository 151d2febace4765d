"""The German pages: Überblick, Meine Gemeinde, Simulation, Daten (with the session's own table), API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from verteilung import params, vocab
from verteilung.app import views
from verteilung.app.engine import problem_lines
from verteilung.app.state import BESTAND_COOKIE, AppState
from verteilung.errors import InputError
from verteilung.law import systems


# long: the HTML pages' routes as short nested handlers sharing the app state
def router(st: AppState, app: FastAPI) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    eng = st.eng

    @r.get("/", response_class=HTMLResponse)
    def page_ueberblick(request: Request):
        return st.render(request, "ueberblick.html.j2", "vergleich",
                         modelle=[st.modelle_info[m] for m in eng.angebot],
                         auswahl=eng.auswahl, spalten=views.SLIDER_SPALTEN,
                         erklaerungen=legende(["last_langfristig_je_1000", "aenderung_langfristig_je_1000",
                                               "mittel_eur", "aenderung_je_1000", "gesamtquote_nach_zuweisung",
                                               "gini_last_je_einwohner", "vk_last_je_einwohner", "konflikt_personen",
                                               "quote_p10", "quote_p90", "ueber_100"]),
                         zugaenge=[{"feld": "zf", "anzeige": systems.FLUEAG.anzeige,
                                    "wert": systems.FLUEAG.standard_zugaenge},
                                   {"feld": "zw", "anzeige": systems.WSA.anzeige,
                                    "wert": systems.WSA.standard_zugaenge}])

    @r.get("/gemeinde", response_class=HTMLResponse)
    def page_gemeinde(request: Request):
        return st.render(request, "gemeinde.html.j2", "gemeinde",
                         erklaerungen=legende(["last_langfristig_je_1000", "aenderung_langfristig_je_1000",
                                               "mittel_eur", "aenderung_je_1000", "gesamtsoll_nach_zuweisung",
                                               "gesamtquote_nach_zuweisung",
                                               "zuweisung"]))

    @r.get("/simulation", response_class=HTMLResponse)
    def page_simulation(request: Request):
        return st.render(request, "simulation.html.j2", "simulation", modelle=[st.modelle_info[m] for m in eng.angebot],
                         auswahl=eng.auswahl, max_monate=st.max_monate(eng.auswahl),
                         erklaerungen=legende(["vk_last_je_einwohner", "gini_last_je_einwohner",
                                               "konflikt_personen_kumuliert", "ende_gegen_status_quo_je_1000"]))

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
            rows.append({"name": vocab.parameter_label(name), "wert": value, "quelle": p.cite(), "href": p.href})
        genau = eng.gemeinden["genauigkeit"].fillna("").value_counts().to_dict() \
            if "genauigkeit" in eng.gemeinden.columns else {}
        return {"info": {"datenbasis": eng.gemeinden.attrs["datenbasis"], "stichtag": eng.stichtag,
                         "jahr": eng.jahr, "bestand": eng.bestand_name, "konfiguration": eng.config.quelle,
                         "arbeitslose": eng.gemeinden.attrs.get("arbeitslose_quelle", "")},
                "genau_de": GENAUIGKEIT,
                "datensaetze": views.records(data_list()), "parameter": rows, "genauigkeit": genau,
                "max_upload": eng.max_upload // 1024, "spalten": [vocab.label(c) for c in eng.spalten],
                "systeme": systems.all_systems()}

    @r.get("/daten", response_class=HTMLResponse)
    def page_daten(request: Request):
        return st.render(request, "daten.html.j2", "daten", **daten_context())

    @r.post("/daten/bestand", response_class=HTMLResponse)
    def page_upload(request: Request, datei: Annotated[UploadFile, File()]):
        data = datei.file.read(eng.max_upload + 1)
        try:
            key = eng.upload(datei.filename or "upload.csv", data)
        except InputError as exc:
            return st.render(request, "daten.html.j2", "daten", status=422, fehler=problem_lines(exc),
                             **daten_context())
        up = eng.uploads[key]
        vorschau = up.vorschau.head(20)
        resp = st.render(request, "daten.html.j2", "daten", bestand_key=key,
                         hochgeladen={"datei": up.name, "zeilen": len(up.vorschau),
                                      "spalten": [vocab.label(c) for c in vorschau.columns],
                                      "vorschau": vorschau.values.tolist()},
                         **daten_context())
        resp.set_cookie(BESTAND_COOKIE, key, httponly=True, samesite="strict")
        return resp

    @r.post("/daten/bestand/zuruecksetzen")
    def page_reset(request: Request):
        """Back to the app's own stock table: the upload leaves memory, the cookie is cleared."""
        key = request.cookies.get(BESTAND_COOKIE)
        if key:
            eng.uploads.pop(key, None)
        resp = RedirectResponse("/daten", 303)
        resp.delete_cookie(BESTAND_COOKIE)
        return resp

    @r.get("/api", response_class=HTMLResponse)
    def page_api(request: Request):
        spec = app.openapi()
        ops = [{"method": m.upper(), "path": p, "summary": o.get("summary", ""),
                "params": [x["name"] for x in o.get("parameters", [])],
                "body": "ja" if "requestBody" in o else ""}
               for p, item in spec["paths"].items() for m, o in item.items()]
        return st.render(request, "api.html.j2", "api", ops=ops)

    return r


def legende(idents: list[str]) -> list[dict]:
    """Label and one-line explanation of each figure a page shows (its legend)."""
    return [{"name": vocab.label(i), "text": vocab.erklaerung(i)} for i in idents if vocab.erklaerung(i)]
