"""The app's JSON API equals the Python API; bad input answers 4xx in German; the safety rules hold."""

from __future__ import annotations

import io
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verteilung
import verteilung.api
from verteilung.app import views
from verteilung.app.cli import TOKEN_ENV, app_command
from verteilung.app.server import MAX_BODY_BYTES, create_app
from verteilung.compare import default_bestand
from verteilung.io.xlsx import workbook_bytes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx vs httpx2
    from fastapi.testclient import TestClient

TOKEN = "geheim-und-lang-genug-123"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.fixture(scope="module")
def token_client():
    return TestClient(create_app(token=TOKEN, engine=None))


def _assert_german_problems(r, status=422):
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body["probleme"], list) and body["probleme"]
    assert "Traceback" not in r.text
    return body["probleme"]


# ------------------------------------------------------------------ results equal the Python API

def test_compare_equals_python_api(client):
    r = client.post("/api/compare", json={})
    assert r.status_code == 200, r.text
    res = verteilung.compare()
    body = r.json()
    assert body["gemeinden"] == views.records(res.gemeinden)
    assert body["metriken"] == views.records(res.metriken)
    assert body["gewinner_verlierer"] == views.records(res.gewinner_verlierer)
    assert body["aggregate"]["regierungsbezirke"] == views.records(res.aggregate["regierungsbezirke"])
    assert body["befunde"] == res.befunde
    assert body["info"]["modelle"] == res.info["modelle"]


def test_compare_with_own_weights_equals_python_api(client):
    req = {"modelle": ["status-quo", "m2-mischschluessel"], "gewichte": {"einwohner": 0.7, "flaeche": 0.2,
                                                                        "arbeitslose": 0.1},
           "kappung": 1.25, "zugaenge": {"flueag": 900, "wsa": 300}}
    r = client.post("/api/compare", json=req)
    assert r.status_code == 200, r.text
    res = verteilung.compare(modelle=req["modelle"], gewichte=req["gewichte"], kappung={"einwohner": 1.25},
                             zugaenge={"flueag": 900, "wsa": 300})
    assert r.json()["gemeinden"] == views.records(res.gemeinden)
    assert r.json()["metriken"] == views.records(res.metriken)
    assert r.json()["info"]["zugaenge"] == {"flueag": 900, "wsa": 300}
    # the fields before the mapping (a saved request) and the Python API's old keywords still read
    old = {**req, "zugaenge": {"wsa": 300}, "zugaenge_flueag": 900}
    again = client.post("/api/compare", json=old)
    assert again.status_code == 200, again.text
    assert again.json()["gemeinden"] == r.json()["gemeinden"]
    alias = verteilung.compare(modelle=req["modelle"], gewichte=req["gewichte"], kappung={"einwohner": 1.25},
                               zugaenge_flueag=900, zugaenge_wsa=300)
    assert alias.info["zugaenge"] == res.info["zugaenge"] and alias.gemeinden.equals(res.gemeinden)


def test_keys_status_explain_allocate_equal_python_api(client):
    for system in ("flueag", "awov"):
        table, _ = verteilung.keys(system)
        assert client.get("/api/keys", params={"system": system}).json()["gemeinden"] == views.records(table, 10)
        table, _ = verteilung.status(system, default_bestand())
        assert client.get("/api/status", params={"system": system}).json()["gemeinden"] == views.records(table, 6)
    steps = verteilung.explain("05366012", "flueag", bestand=default_bestand())
    got = client.get("/api/explain", params={"ags": "05366012", "system": "flueag"}).json()["schritte"]
    assert [(s["schritt"], s["rechtsgrundlage"]) for s in got] == list(steps)
    res = verteilung.allocate("awov", default_bestand(), personen=120)
    got = client.post("/api/allocate", json={"system": "awov", "personen": 120}).json()
    assert got["gemeinden"] == views.records(res.table, 6)


def test_simulate_equals_python_api(client):
    from verteilung.simulate import simulate

    r = client.post("/api/simulate", json={"monate": 2, "modelle": ["status-quo", "m1-gemeinsamer-bestand"]})
    assert r.status_code == 200, r.text
    res = simulate(monate=2, modelle=["status-quo", "m1-gemeinsamer-bestand"])
    assert r.json()["monate"] == views.records(res.monate)
    assert r.json()["gemeinden"] == views.records(res.gemeinden)


def test_page_view_normalises_slider_weights_like_the_cli(client):
    """The page's sliders (percent, any scale) give the CLI's --gewichte result once normalised."""
    q = {"modelle": "m1-gemeinsamer-bestand", "w_einwohner": "60", "w_flaeche": "30", "w_arbeitslose": "30"}
    d = client.get("/api/ansicht/vergleich", params=q).json()
    assert d["karte_modell"] == "eigene-gewichte"
    res = verteilung.compare(modelle=["m1-gemeinsamer-bestand"],
                             gewichte={"einwohner": 0.5, "flaeche": 0.25, "arbeitslose": 0.25})
    own = res.gemeinden[res.gemeinden["modell"] == "eigene-gewichte"]
    assert d["karte"]["ags"] == own["ags"].tolist()
    assert d["karte"]["aenderung"] == own["aenderung_zuweisung"].astype(int).tolist()
    # the permalink reproduces the view exactly
    assert client.get("/api/ansicht/vergleich", params=q).json() == d


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(0, 100)).filter(lambda w: sum(w) > 0),
       st.integers(0, 3000))
def test_own_weights_assign_exactly_the_arrivals(client, w, arrivals):
    q = {"modelle": "", "w_einwohner": w[0], "w_flaeche": w[1], "w_arbeitslose": w[2], "z_flueag": arrivals, "z_wsa": 0}
    d = client.get("/api/ansicht/vergleich", params=q).json()
    rows = d["tabellen"]["Metriken"]["zeilen"]  # status quo first, the own key last
    assert d["info"]["modelle"] == ["status-quo", "eigene-gewichte"]
    assert rows[-1]["zuweisungen"] == arrivals == rows[0]["zuweisungen"]


def test_search_handles_prefixes_umlauts_stadt_and_ags(client):
    def first(q):
        return client.get("/api/gemeinden", params={"q": q}).json()["treffer"][0]["gemeinde"]

    assert first("Dahl") == "Dahlem"
    assert first("dahlem") == "Dahlem"
    assert first("Muenster") == "Münster, Stadt"
    assert first("Münster, Stadt") == "Münster, Stadt"
    assert first("Stadt Aachen") == "Aachen, Stadt"
    assert first("05366012") == "Dahlem"
    assert client.get("/api/gemeinden", params={"q": "xyzxyz"}).json()["treffer"] == []


def _book(content: bytes) -> dict[str, pd.DataFrame]:
    return pd.read_excel(io.BytesIO(content), sheet_name=None, dtype=str)


def test_downloads_hold_what_the_view_shows(client):
    """The XLSX is the CLI's writer (`workbook_bytes`) on exactly the view's tables, labelled."""
    q = {"modelle": "m1-gemeinsamer-bestand", "eigene": "0"}
    d = client.get("/api/ansicht/vergleich", params=q).json()
    r = client.get("/download/vergleich.xlsx", params=q)
    assert r.status_code == 200
    assert 'filename="SYNTHETISCH_verteilung-vergleich.xlsx"' in r.headers["content-disposition"]
    got = _book(r.content)
    eng = client.app.state.engine
    e, _ = views.settings_from_query(q, list(eng.modelle), list(eng.zahlspalten), eng.auswahl)
    frames = views.vergleich_tabellen(eng.vergleich(e), d["karte_modell"])
    expected = _book(workbook_bytes(frames))
    assert list(got) == ["Hinweise", *expected]
    for name, df in expected.items():
        pd.testing.assert_frame_equal(got[name], df)
    assert len(got["Karte"]) == len(d["karte"]["ags"]) == 396
    assert len(got["Gewinner und Verlierer"]) == len(d["tabellen"]["Gewinner und Verlierer"]["zeilen"])
    hinweise = " ".join(got["Hinweise"].astype(str).stack())
    assert "SYNTHETISCH" in hinweise and "NÄHERUNG" in hinweise
    r = client.get("/download/vergleich.csv", params=q)
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    assert "SYNTHETISCH_" in r.headers["content-disposition"]
    assert r.text.lstrip("\ufeff\"").startswith("SYNTHETISCH")  # the label line above the header, as the CLI's
    assert r.text.count("05366012") == 1  # the map's table: one row per Gemeinde


def test_profile_shows_each_model_and_both_explanations(client):
    d = client.get("/api/ansicht/gemeinde", params={"ags": "05366012", "eigene": "0"}).json()
    from verteilung.model import available_models

    shipped = len(available_models())                      # every shipped model, side by side
    assert d["gemeinde"] == "Dahlem" and len(d["modelle"]["zeilen"]) == shipped
    from verteilung.law import systems

    assert list(d["schritte"]) == systems.ids() == [s["id"] for s in d["systeme"]]
    assert d["schritte"][systems.WSA.id][0]["schritt"].startswith("Dahlem (AGS 05366012)")
    r = client.get("/download/gemeinde.xlsx", params={"ags": "05366012", "eigene": "0"})
    sheets = _book(r.content)
    assert list(sheets) == ["Hinweise", "Langfristig", "Modelle", "Rechenweg"] and len(sheets["Modelle"]) == shipped
    expected = _book(workbook_bytes({"Modelle": pd.DataFrame(d["modelle"]["zeilen"])}))["Modelle"]
    pd.testing.assert_frame_equal(sheets["Modelle"], expected)


def test_profile_path_is_month_by_month_from_start_to_end(client):
    q = {"ags": "05366012", "eigene": "0", "verlauf": "1"}
    d = client.get("/api/ansicht/gemeinde-simulation", params=q).json()
    assert len(d["verlauf"]) == len(d["zeilen"]) == 5
    for path, row in zip(d["verlauf"], d["zeilen"], strict=True):
        assert path["titel"] == row["modell"]
        assert path["monat"] == list(range(d["monate"] + 1))
        assert path["wert"][0] == pytest.approx(row["last_je_1000_start"], abs=1e-3)
        assert path["wert"][-1] == pytest.approx(row["last_je_1000_ende"], abs=1e-3)
    r = client.get("/download/gemeinde.xlsx", params=q)
    sheets = _book(r.content)
    assert list(sheets) == ["Hinweise", "Langfristig", "Modelle", "Rechenweg", "Simulation", "Verlauf"]
    assert len(sheets["Verlauf"]) == 5 * (d["monate"] + 1)


def test_pages_render_in_german_with_csp(client):
    for path, word in (("/", "Was ändert ein gemeinsames Gesetz?"), ("/gemeinde", "Meine Gemeinde"),
                       ("/simulation", "Simulation"), ("/daten", "SYNTHETISCH"), ("/api", "OpenAPI")):
        r = client.get(path)
        assert r.status_code == 200 and word in r.text
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "unsafe-eval" not in csp and "http" not in csp
    assert "NÄHERUNG" in client.get("/daten").text
    assert client.get("/openapi.json").json()["paths"]["/api/compare"]["post"]


# ------------------------------------------------------------------ bad input: 4xx, German lines

@pytest.mark.parametrize(("method", "path", "payload", "needle"), [
    ("post", "/api/compare", {"modelle": ["../../etc/passwd"]}, "unbekanntes Modell"),
    ("post", "/api/compare", {"modelle": ["/etc/passwd.yaml"]}, "unbekanntes Modell"),
    ("post", "/api/compare", {"gewichte": {"einwohner": 0.5}}, "nicht 1"),
    ("post", "/api/compare", {"gewichte": {"geheim": 1.0}}, "unbekannte Spalte"),
    ("post", "/api/compare", {"zugaenge_flueag": -1}, "„-1“ ist negativ; erlaubt sind Zahlen ab 0"),
    ("post", "/api/compare", {"zugaenge_flueag": "viele"}, "„viele“ ist keine ganze Zahl"),
    ("post", "/api/compare", {"zugaenge": {"wsa": -1}}, "„-1“ ist negativ; erlaubt sind Zahlen ab 0"),
    ("post", "/api/compare", {"zugaenge": {"asyl": 5}}, "kein gewähltes Modell erhält den Zugangsstrom asyl"),
    ("post", "/api/compare", {"parameter": ["einwohner=0.5:0.9"], "raster": 100}, "verteilung sweep"),
    ("post", "/api/simulate", {"monate": 61}, "höchstens 60"),
    ("post", "/api/simulate", {"monate": 59}, "zu großer Rechenauftrag"),
    ("get", "/api/explain?ags=../x&system=flueag", None, "ags"),
    ("get", "/api/explain?ags=99999999&system=flueag", None, "99999999"),
    ("get", "/api/keys?system=bayern", None, "system"),
    ("get", "/api/ansicht/vergleich?w_einwohner=abc", None, "keine Zahl"),
    ("get", "/api/ansicht/vergleich?modelle=x&w_einwohner=0&w_flaeche=0&w_arbeitslose=0", None, "unbekanntes"),
    ("get", "/api/ansicht/vergleich?bestand=unbekannt", None, "hochgeladene"),
])
def test_bad_input_answers_422_with_german_lines(client, method, path, payload, needle):
    r = client.post(path, json=payload) if method == "post" else client.get(path)
    lines = _assert_german_problems(r)
    assert any(needle in line for line in lines), lines


def test_static_files_are_a_fixed_list(client):
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/..%2F..%2Fserver.py").status_code == 404
    assert client.get("/static/server.py").status_code == 404


# ------------------------------------------------------------------ safety

def test_other_host_without_token_is_refused(monkeypatch, capsys):
    from verteilung.app.__main__ import main

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert app_command("0.0.0.0", 0, None) == 2
    assert "Zugangsschlüssel" in capsys.readouterr().err
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert app_command("0.0.0.0", 0, "kurz") == 2


def test_token_is_required_for_every_request(token_client):
    c = token_client
    c.cookies.clear()
    for path in ("/", "/api/modelle", "/static/app.js", "/openapi.json"):
        _assert_german_problems(c.get(path), 401)
    _assert_german_problems(c.get("/api/modelle", headers={"Authorization": "Bearer falsch"}), 401)
    assert c.get("/api/modelle", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    r = c.get(f"/gemeinde?token={TOKEN}&ags=05366012", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/gemeinde?ags=05366012"
    assert "httponly" in r.headers["set-cookie"].lower()
    assert c.get("/api/modelle").status_code == 200  # the cookie now carries it
    c.cookies.clear()


def _stock_csv(name_value: str | None = None, bad_ags: str | None = None) -> bytes:
    df = pd.read_csv(default_bestand(), dtype=str)
    if name_value is not None:
        df.loc[0, "gemeinde"] = name_value
    if bad_ags is not None:
        df.loc[1, "ags"] = bad_ags
    return df.drop(columns=["quelle"]).to_csv(index=False).encode("utf-8")


def test_uploaded_stock_is_checked_escaped_and_used(client):
    script = "<script>alert(1)</script>"
    r = client.post("/daten/bestand", files={"datei": ("meine.csv", _stock_csv(name_value=script), "text/csv")})
    assert r.status_code == 200, r.text
    assert script not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    r = client.post("/daten/bestand", files={"datei": ("meine.csv", _stock_csv(bad_ags=script), "text/csv")})
    assert r.status_code == 422
    assert script not in r.text and "&lt;script&gt;" in r.text
    # the JSON upload answers with an id; the comparison on it equals the CLI's on the same file
    data = _stock_csv()
    r = client.post("/api/bestand", files={"datei": ("meine.csv", data, "text/csv")})
    assert r.status_code == 200, r.text
    key = r.json()["bestand"]
    got = client.post("/api/compare", json={"modelle": ["m1-gemeinsamer-bestand"], "bestand": key}).json()
    assert got["info"]["bestand_datei"] == "meine.csv" and got["info"]["synthetisch"] is False
    expected = verteilung.compare(modelle=["m1-gemeinsamer-bestand"], bestand=default_bestand())
    assert got["gemeinden"] == views.records(expected.gemeinden)  # same numbers, the file was a copy
    client.cookies.clear()  # the upload is this browser session's table: later tests start without it


def test_oversized_or_foreign_uploads_are_refused(client):
    big = _stock_csv() + b"#" * (600 * 1024)
    lines = _assert_german_problems(client.post("/api/bestand", files={"datei": ("gross.csv", big, "text/csv")}))
    assert any("zu groß" in line for line in lines)
    huge = b"x" * (MAX_BODY_BYTES + 1)
    lines = _assert_german_problems(client.post("/api/bestand", files={"datei": ("riesig.csv", huge, "text/csv")}),
                                    413)
    assert any("zu groß" in line for line in lines)
    lines = _assert_german_problems(client.post("/api/bestand", files={"datei": ("x.yaml", b"a: 1", "text/yaml")}))
    assert any("CSV" in line for line in lines)


def test_cli_app_refuses_other_host_without_token(cli, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    r = cli("app", "--host", "0.0.0.0", "--port", "8765")
    assert r.code == 2
    assert "Zugangsschlüssel" in r.stderr and "0.0.0.0" in r.stderr


def test_systems_and_arrival_defaults_come_from_the_registry(client):
    from verteilung.law import systems

    defaults = systems.standard_zugaenge()
    assert defaults == {s.zugaenge: s.standard_zugaenge for s in systems.all_systems()}
    page = client.get("/").text
    for s in systems.all_systems():
        assert f"Zugänge {s.anzeige} in der Periode" in page and f'value="{s.standard_zugaenge}"' in page
    for name in systems.names():  # every registered name and alias is accepted
        assert client.get("/api/keys", params={"system": name}).status_code == 200
    e, _ = views.settings_from_query({}, ["status-quo"], ["einwohner"])
    assert e.stroeme() == defaults
    # a saved link's older parameters zf/zw still read; z_<stream> wins
    e, echo = views.settings_from_query({"zf": "10", "zw": "20", "z_wsa": "30"}, ["status-quo"], ["einwohner"])
    assert e.stroeme() == {systems.FLUEAG.zugaenge: 10, systems.WSA.zugaenge: 30} == echo["zugaenge"]


def test_every_page_and_download_says_synthetisch_and_naeherung(client):
    """The label rule: SYNTHETISCH stocks and the NÄHERUNG of the unemployment figures are named on
    every page and in every download (file name, CSV's first line, the workbook's Hinweise sheet)."""
    for path in ("/", "/gemeinde", "/simulation", "/daten", "/api"):
        text = client.get(path).text
        assert "SYNTHETISCH" in text and "NÄHERUNG" in text, path
    downloads = {"vergleich": {"modelle": "m1-gemeinsamer-bestand", "eigene": "0"},
                 "gemeinde": {"ags": "05366012", "eigene": "0", "modelle": "m1-gemeinsamer-bestand"},
                 "simulation": {"modelle": "status-quo,m1-gemeinsamer-bestand", "monate": "1"}}
    for view, q in downloads.items():
        r = client.get(f"/download/{view}.csv", params=q)
        assert r.status_code == 200, r.text
        assert f'filename="SYNTHETISCH_verteilung-{view}.csv"' in r.headers["content-disposition"]
        first = r.text.lstrip("\ufeff\"").splitlines()[0]
        assert first.startswith("SYNTHETISCH") and "NÄHERUNG" in first
        r = client.get(f"/download/{view}.xlsx", params=q)
        assert f'filename="SYNTHETISCH_verteilung-{view}.xlsx"' in r.headers["content-disposition"]
        hinweise = " ".join(_book(r.content)["Hinweise"].astype(str).stack())
        assert "SYNTHETISCH" in hinweise and "NÄHERUNG" in hinweise, view
