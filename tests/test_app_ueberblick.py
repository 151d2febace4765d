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


def test_long_run_is_key_times_land_total(client, stock):
    """M1's long run against the status quo, recomputed from the published keys and the Land totals."""
    d = client.get("/api/ansicht/ueberblick", params={"modell": "m1-gemeinsamer-bestand"}).json()
    kf = verteilung.keys("flueag").table.set_index("ags")["schluessel"]
    kw = verteilung.keys("wsa").table.set_index("ags")["schluessel"]
    t_f = stock["flueag_bestand"].sum() + stock["anrechnung_plaetze"].sum() + stock["anrechnung_plaetze_eae"].sum()
    t_w = stock["wsa_bestand"].sum()
    ags = d["karte"]["ags"]
    heute = kf[ags].to_numpy() * t_f + kw[ags].to_numpy() * t_w
    m1 = kf[ags].to_numpy() * (t_f + t_w)
    ew = verteilung.load_gemeinden().set_index("ags").loc[ags, "einwohner"].to_numpy()
    np.testing.assert_allclose(d["karte"]["wert"], 1000 * (m1 - heute) / ew, atol=2e-3)
    np.testing.assert_allclose(d["karte"]["personen"], np.round(m1 - heute), atol=1)
    # nobody is lost: the Kreis changes sum to zero, the Kreis loads to the Land total
    kreise = pd.DataFrame(d["kreise"]["zeilen"])
    assert kreise["aenderung_personen"].sum() == pytest.approx(0, abs=0.01)  # rows rounded to 4 places
    assert kreise["last_langfristig"].sum() == pytest.approx(t_f + t_w)
    # most Gemeinden change colour on the first map (the old one-month map was grey)
    assert sum(abs(v) >= 0.05 for v in d["karte"]["wert"]) > 300
    assert d["synthetisch"] is False and not any("SYNTHETISCH" in h for h in d["hinweise"])


def test_models_with_todays_keys_have_no_long_run_change(client):
    """M3 and M4 keep both keys; M2 with α = FlüAG's share adds them up to the same Soll: the long
    run is today's, and the sentences say the model acts only on the way there."""
    for m in ("m3-verrechnung", "m4-sperre", "m2-mischschluessel"):
        d = client.get("/api/ansicht/ueberblick", params={"modell": m}).json()
        assert max(abs(v) for v in d["karte"]["wert"]) < 1e-6, m
        assert "nur den Weg dorthin" in " ".join(d["saetze"])


def test_phase_in_model_leads_where_its_target_leads(client):
    """A model with a phase-in (Übergang) ends at its target key: its long run is M1's."""
    a = client.get("/api/ansicht/ueberblick", params={"modell": "m1-gemeinsamer-bestand"}).json()
    b = client.get("/api/ansicht/ueberblick", params={"modell": "m1-gemeinsamer-bestand-uebergang"}).json()
    assert a["karte"]["wert"] == b["karte"]["wert"]


def test_summary_sentences_are_built_from_the_figures(client):
    d = client.get("/api/ansicht/ueberblick", params={"modell": "m1-gemeinsamer-bestand"}).json()
    s = d["saetze"]
    assert len(s) >= 3
    kreise = pd.DataFrame(d["kreise"]["zeilen"])
    top, bottom = kreise.iloc[0], kreise.iloc[-1]
    assert top.kreis in s[1] and bottom.kreis in s[1]
    assert deutsch.fmt_signed(round(top.aenderung_personen)) in s[1]
    mehr = sum(p >= 0.5 for p in d["karte"]["personen"])
    assert f" {deutsch.fmt_int(mehr)} Gemeinden mehr" in s[0]
    assert "NÄHERUNG" in s[-1]
    for text in s:  # plain German: no identifiers, no English decimals
        assert not re.search(r"[a-z]+_[a-z_]+|=0\.|\d\.\d{3}\d|True|False", text), text


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
