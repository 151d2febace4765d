"""The app's first screen and its state: the long run by independent arithmetic, the generated
sentences against the figures, one formatter for every table, the session's own stock table,
and the month limit the Simulation slider offers."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import verteilung
from verteilung import vocab
from verteilung.app.server import create_app
from verteilung.compare import default_bestand
from verteilung.io import deutsch

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.fixture(scope="module")
def stock() -> pd.DataFrame:
    return pd.read_csv(default_bestand(), dtype={"ags": str})


def test_long_run_on_the_first_screen_is_the_python_apis(client):
    """The map, the Kreis ranking and the money are `verteilung.langfrist` / `mittel` on the shipped
    data (published Land totals, no stock), shown for the model the user picks."""
    d = client.get("/api/ansicht/ueberblick", params={"modell": "m1-gemeinsamer-bestand"}).json()
    lf = verteilung.langfrist(["status-quo", "m1-gemeinsamer-bestand"])
    m1 = lf.gemeinden[lf.gemeinden["modell"] == "m1-gemeinsamer-bestand"]
    assert d["karte"]["ags"] == m1["ags"].tolist()
    np.testing.assert_allclose(d["karte"]["wert"], m1["aenderung_langfristig_je_1000"], atol=1e-3)
    np.testing.assert_allclose(d["karte"]["personen"], np.round(m1["aenderung_langfristig"]), atol=1)
    kreise = pd.DataFrame(d["kreise"]["zeilen"])
    assert kreise["aenderung_langfristig"].sum() == pytest.approx(0, abs=0.01)  # nobody lost (rows to 4 places)
    assert kreise["last_langfristig"].sum() == pytest.approx(m1["last_langfristig"].sum(), rel=1e-9)
    assert list(kreise["aenderung_langfristig_je_1000"]) == sorted(kreise["aenderung_langfristig_je_1000"],
                                                                   reverse=True)  # a ranking
    assert sum(abs(v) >= 0.05 for v in d["karte"]["wert"]) > 300  # coloured, not grey
    assert d["synthetisch"] is False and len(d["klein"]) == len(d["modelle"])
    assert d["geld"] is not None and len(d["geld"]["kreis"]) == len(kreise)


def test_pacing_and_phase_in_lead_where_their_model_leads(client):
    """Staffelung and Übergang change the way, not the destination; M4's Sperre keeps today's keys."""
    def wert(m):
        return client.get("/api/ansicht/ueberblick", params={"modell": m}).json()

    m1 = wert("m1-gemeinsamer-bestand")["karte"]["wert"]
    assert wert("m1-gemeinsamer-bestand-gestaffelt")["karte"]["wert"] == m1
    assert wert("m1-gemeinsamer-bestand-uebergang")["karte"]["wert"] == m1
    m4 = wert("m4-sperre")
    assert max(abs(v) for v in m4["karte"]["wert"]) < 1e-6
    assert "Langfristig ändert sich die Last keines Kreises." in m4["saetze"]


def test_summary_sentences_are_the_generated_summary(client):
    d = client.get("/api/ansicht/ueberblick", params={"modell": "m1-gemeinsamer-bestand"}).json()
    s = d["saetze"]
    assert len(s) >= 3
    kreise = pd.DataFrame(d["kreise"]["zeilen"])
    top = kreise.loc[kreise["aenderung_langfristig"].abs().idxmax()]
    assert top.kreis in s[0] and deutsch.fmt_signed(top.aenderung_langfristig, 0) in s[0]
    assert any("NÄHERUNG" in x for x in s) and any("Landessummen" in x for x in s)
    for text in s:  # plain German: no identifiers, no English decimals, per 1.000 with one decimal
        assert not re.search(r"[a-z]+_[a-z_]+|=0\.|True|False|\d,\d\d je 1\.000", text), text


def test_every_table_cell_is_the_vocabulary_format(client):
    """One formatter: each shown cell is `io.deutsch.fmt_value` with the vocabulary's precision
    (persons whole, quotas and per 1,000 one decimal, Gini two)."""
    d = client.get("/api/ansicht/vergleich", params={"modelle": "m1-gemeinsamer-bestand", "eigene": "0"}).json()
    for name, t in d["tabellen"].items():
        for row, texts in zip(t["zeilen"], t["texte"], strict=True):
            for key, text in zip(t["schluessel"], texts, strict=True):
                v = row[key]
                if isinstance(v, float):
                    assert text == deutsch.fmt_value(v, vocab.column(key)), (name, key, v, text)
    m = d["tabellen"]["Metriken"]
    i = m["schluessel"].index("gini_last_je_einwohner")
    assert re.fullmatch(r"0,\d\d", m["texte"][0][i])
    i = m["schluessel"].index("quote_median")
    assert re.fullmatch(r"\d+,\d %", m["texte"][0][i])
    assert all(h for h, k in zip(m["hilfe"], m["schluessel"], strict=True) if k != "modell")  # every metric explained


def test_weights_are_german_percent_in_titles(client):
    assert deutsch.fmt_gewichte({"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1}) == \
        "80 % Einwohner, 10 % Fläche, 10 % Arbeitslose"
    assert deutsch.fmt_gewichte({"einwohner": 4, "flaeche": 1, "arbeitslose": 2}) == \
        "57,1 % Einwohner, 14,3 % Fläche, 28,6 % Arbeitslose"
    d = client.get("/api/ansicht/vergleich", params={"modelle": "", "w_einwohner": "40", "w_flaeche": "10",
                                                       "w_arbeitslose": "20"}).json()
    rows = d["tabellen"]["Metriken"]["zeilen"]
    assert rows[-1]["modell"] == "Eigene Gewichte (57,1 % Einwohner, 14,3 % Fläche, 28,6 % Arbeitslose)"
    info = {m["id"]: m for m in client.get("/api/ansicht/ueberblick").json()["modelle"]}
    assert info["m1-gemeinsamer-bestand"]["gewichte"] == "FlüAG-Schlüssel: 90 % Einwohner, 10 % Fläche"


def _csv() -> bytes:
    df = pd.read_csv(default_bestand(), dtype=str).drop(columns=["quelle"])
    df.loc[df["ags"] == "05513000", "wsa_bestand"] = "5000"  # a table that differs from the shipped one
    return df.to_csv(index=False).encode()


def test_uploaded_table_stays_active_for_the_session_until_reset():
    c = TestClient(create_app())
    r = c.post("/daten/bestand", files={"datei": ("eigene.csv", _csv(), "text/csv")})
    assert r.status_code == 200 and "eigene Tabelle aktiv" in r.text
    for path in ("/", "/gemeinde", "/simulation", "/daten"):  # every page says so, footer included
        page = c.get(path).text
        assert "eigene Tabelle aktiv" in page and "eigene.csv" in page and "Zurücksetzen" in page, path
    d = c.get("/api/ansicht/vergleich", params={"modelle": "m1-gemeinsamer-bestand", "eigene": "0"}).json()
    assert d["info"]["bestand_datei"] == "eigene.csv" and d["info"]["synthetisch"] is False
    xlsx = c.get("/download/vergleich.xlsx", params={"modelle": "m1-gemeinsamer-bestand", "eigene": "0"})
    assert "SYNTHETISCH" not in xlsx.headers["content-disposition"]
    hinweise = pd.read_excel(io.BytesIO(xlsx.content), sheet_name="Hinweise", dtype=str)
    assert "eigene.csv" in " ".join(hinweise.astype(str).stack())
    # another browser (no cookie) still sees the shipped table
    other = TestClient(c.app)
    d2 = other.get("/api/ansicht/vergleich", params={"modelle": "m1-gemeinsamer-bestand", "eigene": "0"}).json()
    assert d2["info"]["synthetisch"] is True and "eigene Tabelle aktiv" not in other.get("/").text
    # reset: back to the shipped table, the upload leaves memory
    eng = c.app.state.engine
    assert len(eng.uploads) == 1
    r = c.post("/daten/bestand/zuruecksetzen", follow_redirects=False)
    assert r.status_code == 303
    assert len(eng.uploads) == 0 and "eigene Tabelle aktiv" not in c.get("/").text
    assert "SYNTHETISCH" in c.get("/").text


def test_upload_error_is_at_the_form_not_below_the_page():
    c = TestClient(create_app())
    r = c.post("/daten/bestand", files={"datei": ("kaputt.csv", b"ags,flueag_bestand\n1,2\n", "text/csv")})
    assert r.status_code == 422
    html = r.text
    assert html.index('id="upload_fehler"') < html.index("<h2>Datenbasis</h2>")
    assert 'action="/daten/bestand#bestand"' in html


def test_month_limit_follows_the_selected_models(client):
    limit = client.app.state.engine.config.grenzen.modellmonate
    for names, n in (("status-quo", 1), ("status-quo,m1-gemeinsamer-bestand", 2),
                     ("m1-gemeinsamer-bestand,m2-mischschluessel,m3-verrechnung,m4-sperre", 5)):
        got = client.get("/api/ansicht/grenzen", params={"modelle": names}).json()["max_monate"]
        assert got == min(60, limit // n)
    drei = "status-quo,m1-gemeinsamer-bestand,m2-mischschluessel"
    top = client.get("/api/ansicht/grenzen", params={"modelle": drei}).json()
    assert top["max_monate"] == limit // 3 < 60
    ok = client.get("/api/ansicht/simulation", params={"modelle": drei, "monate": 1, "monat": 1})
    assert ok.status_code == 200 and ok.json()["max_monate"] == top["max_monate"]
    bad = client.get("/api/ansicht/simulation", params={"modelle": drei, "monate": top["max_monate"] + 1})
    assert bad.status_code == 422 and "Monate mit dieser Auswahl" in bad.json()["probleme"][0]
