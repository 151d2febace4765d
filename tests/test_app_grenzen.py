"""The app's limits and refusals (issue 20), through the HTTP API and the real CLI: a wrong token
anywhere is 401, oversized XLSX uploads are refused before parsing, a busy port is a German line
with exit 2, and the JSON API answers its errors in German."""

from __future__ import annotations

import io
import socket
import warnings

import openpyxl
import pytest

from verteilung.app.cli import TOKEN_ENV
from verteilung.app.server import TOKEN_COOKIE, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx vs httpx2
    from fastapi.testclient import TestClient

TOKEN = "geheim-und-lang-genug-123"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.fixture(scope="module")
def token_client():
    return TestClient(create_app(token=TOKEN))


def _problems(r, status: int) -> list[str]:
    assert r.status_code == status, r.text
    lines = r.json()["probleme"]
    assert lines and "Traceback" not in r.text
    return lines


# ------------------------------------------------------------------ token

@pytest.mark.parametrize("header,query,cookie", [
    ("falsch-und-lang-genug", None, TOKEN),        # wrong header, right cookie
    (TOKEN, "falsch-und-lang-genug", None),        # right header, wrong query
    (TOKEN, None, "falsch-und-lang-genug"),        # right header, wrong cookie
    (None, TOKEN, "falsch-und-lang-genug"),        # right query, wrong cookie
    ("falsch-und-lang-genug", TOKEN, TOKEN),       # only the header is wrong
])
def test_a_wrong_token_anywhere_is_401(token_client, header, query, cookie):
    c = token_client
    c.cookies.clear()
    if cookie is not None:
        c.cookies.set(TOKEN_COOKIE, cookie)
    headers = {"Authorization": f"Bearer {header}"} if header is not None else {}
    url = "/api/modelle" + (f"?token={query}" if query is not None else "")
    lines = _problems(c.get(url, headers=headers, follow_redirects=False), 401)
    assert "falscher Zugangsschlüssel" in lines[0]
    c.cookies.clear()


def test_a_wrong_cookie_is_cleared_so_the_right_token_works_next(token_client):
    c = token_client
    c.cookies.clear()
    c.cookies.set(TOKEN_COOKIE, "alt-und-lang-genug-0000")
    r = c.get("/api/modelle", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 401
    assert f'{TOKEN_COOKIE}=""' in r.headers["set-cookie"] and "Max-Age=0" in r.headers["set-cookie"]
    c.cookies.clear()
    assert c.get("/api/modelle", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_right_token_in_every_place_passes(token_client):
    c = token_client
    c.cookies.clear()
    c.cookies.set(TOKEN_COOKIE, TOKEN)
    assert c.get("/api/modelle", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    c.cookies.clear()


# ------------------------------------------------------------------ uploads bounded before parsing

def _xlsx(fill) -> bytes:
    wb = openpyxl.Workbook()
    fill(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _never_parsed(monkeypatch):
    import verteilung.app.engine as engine

    def refuse(*args, **kwargs):
        raise AssertionError("the sheet was parsed")

    monkeypatch.setattr(engine, "load_bestand", refuse)


def test_upload_whose_header_has_thousands_of_columns_is_refused_unparsed(client, monkeypatch):
    data = _xlsx(lambda ws: ws.append([f"spalte{i}" for i in range(16_384)]))
    assert len(data) < 512 * 1024  # within the upload limit: only the sheet's size gives it away
    _never_parsed(monkeypatch)
    lines = _problems(client.post("/api/bestand", files={"datei": ("breit.xlsx", data, "application/xlsx")}), 422)
    assert "16.384 Spalten" in lines[0] and "höchstens 500" in lines[0]


def test_upload_that_unpacks_to_megabytes_is_refused_unparsed(client, monkeypatch):
    def fill(ws):
        ws.append(["ags", "flueag_bestand", "wsa_bestand"])
        for i in range(400):
            ws.append(["x" * 30_000 + str(i)])
    data = _xlsx(fill)
    assert len(data) < 512 * 1024
    _never_parsed(monkeypatch)
    lines = _problems(client.post("/api/bestand", files={"datei": ("bombe.xlsx", data, "application/xlsx")}), 422)
    assert "entpackt" in lines[0] and "höchstens 8,0 MB" in lines[0]


def test_cli_refuses_a_header_of_thousands_of_columns(cli, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("ags," + ",".join(f"s{i}" for i in range(5000)) + "\n05111000\n")
    r = cli("data", "check", "--bestand", path)
    assert r.code == 2 and "5.001 Spalten" in r.stderr


# ------------------------------------------------------------------ JSON errors in German

def test_unknown_address_and_method_in_german(client):
    assert _problems(client.get("/api/gibtsnicht"), 404) == [
        "nicht gefunden: /api/gibtsnicht (Übersicht der Adressen: /api)"]
    assert _problems(client.delete("/api/modelle"), 405) == ["Methode nicht erlaubt"]


def test_body_that_is_not_json_in_german(client):
    r = client.post("/api/allocate", content=b"{kein json", headers={"content-type": "application/json"})
    lines = _problems(r, 422)
    assert lines[0].startswith("Anfrage: der Inhalt ist kein gültiges JSON")
    assert "Expecting" not in r.text


def test_unknown_system_lists_the_choices_with_oder(client):
    lines = _problems(client.get("/api/keys", params={"system": "xyz"}), 422)
    assert lines == ["system: erlaubt sind flueag, wsa oder awov"]


@pytest.mark.parametrize("value,needle", [("1.000", "„1.000“ ist mehrdeutig (1 oder 1000)"),
                                          ("2024.0", "keine ganze Zahl"), (-5, "negativ"),
                                          (12.5, "keine ganze Zahl"), ("nan", "keine Zahl")])
def test_web_api_refuses_meaningless_persons_like_the_cli(client, value, needle):
    lines = _problems(client.post("/api/allocate", json={"system": "flueag", "personen": value}), 422)
    assert lines[0].startswith("personen: ") and needle in lines[0]


# ------------------------------------------------------------------ busy port

def test_app_on_a_busy_port_is_a_german_line_and_exit_2(cli, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = cli("app", "--port", str(port))
    assert r.code == 2
    assert r.stderr == (f"Fehler: Port {port} an 127.0.0.1 ist belegt (läuft die Anwendung schon? Einen anderen "
                        "Port mit --port wählen)\n")
