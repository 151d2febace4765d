"""Downloads (/download/…): exactly what a page shows, as German Excel CSV or the CLI's workbook."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response

from verteilung._version import __version__
from verteilung.app import views
from verteilung.app.engine import csv_bytes
from verteilung.app.routes.ansicht import Ansichten
from verteilung.app.state import AppState
from verteilung.compare import BASELINE
from verteilung.io import deutsch
from verteilung.io.xlsx import workbook_bytes


def router(st: AppState, ansicht: Ansichten) -> APIRouter:
    """``ansicht``: the page-data functions; a download holds exactly what the page showed."""
    r = APIRouter()
    eng = st.eng

    @r.get("/download/{seite}.{fmt}", tags=["Seiten"], summary="Download dessen, was die Seite zeigt")
    def download(request: Request, seite: Literal["vergleich", "gemeinde", "simulation", "ueberblick"],
                 fmt: Literal["csv", "xlsx"]):
        q = request.query_params
        if seite == "vergleich":
            e, _ = st.page_settings(request)
            res = st.vergleich(e, langfrist=False)
            out = views.vergleich_json(res, q.get("karte"), st.modelle_info)
            sheets = views.vergleich_tabellen(res, out["karte_modell"])
            bestand_key, synth = e.bestand, bool(res.info["synthetisch"])
        elif seite == "ueberblick":
            body = ansicht.ueberblick(request, q.get("modell"))
            sheets = {"Kreise": pd.DataFrame(body["kreise"]["zeilen"]),
                      "Gemeinden": pd.DataFrame(body["gemeinden"]["zeilen"]),
                      "Zusammenfassung": pd.DataFrame({"hinweis": body["saetze"]})}
            bestand_key, synth = None, False
        elif seite == "gemeinde":
            data = ansicht.gemeinde(request, q.get("ags", ""))
            bestand_key, synth = st.page_settings(request)[0].bestand, bool(data["bestand"]["synthetisch"])
            sheets = {"Langfristig": pd.DataFrame(data["langfristig"]["zeilen"]),
                      "Modelle": pd.DataFrame(data["modelle"]["zeilen"]),
                      "Rechenweg": pd.DataFrame([{"system": s, **x} for s, xs in data["schritte"].items() for x in xs])}
            if q.get("verlauf") == "1":  # the page shows the path only when asked
                sim_data = ansicht.gemeinde_verlauf(request, q.get("ags", ""))
                sheets["Simulation"] = pd.DataFrame(sim_data["zeilen"])
                sheets["Verlauf"] = pd.DataFrame([{"modell": v["titel"], "monat": mo, "last_je_1000": w}
                                                  for v in sim_data["verlauf"]
                                                  for mo, w in zip(v["monat"], v["wert"], strict=True)])
        else:
            names = tuple(m for m in (q.get("modelle") or ",".join(eng.standard)).split(",") if m)
            monate = int(q.get("monate", "12")) if q.get("monate", "12").isdigit() else 0
            bestand_key = st.bestand_of(request)
            basis = q.get("basis") or BASELINE
            res = st.simulation(monate, names, None, bestand_key, basis)
            sheets = {"Monate": res.monate, "Gemeinden": res.gemeinden,
                      "Mittel je Monat": st.compute(ansicht.geld_monate, res, basis)}
            synth = eng.stock(bestand_key)[2]
        hinweise = eng.hinweise(synth)
        name = ("SYNTHETISCH_" if synth else "") + f"verteilung-{seite}"
        if fmt == "csv":
            first = next(iter(sheets.values()))
            if len(sheets) > 1 and seite != "ueberblick":
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

    return r
