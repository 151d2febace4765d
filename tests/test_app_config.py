"""`verteilung app --config F`: the file's data basis, models and limits reach the app; a bad file
is refused (exit 2, German lines naming the file and the key) before anything starts."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import verteilung
from verteilung.app import views
from verteilung.app.config import TOKEN_ENV, load_config
from verteilung.app.server import create_app
from verteilung.compare import default_bestand
from verteilung.errors import InputError
from verteilung.model import models_dir

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EIGEN_ID = "m9-eigener-vorschlag"
MODEL_YAML = f"""id: {EIGEN_ID}
titel: "M9: eigener Vorschlag (Mischschlüssel mit festem α)"
beschreibung_de: Ein System über beide Bestände mit dem Mischschlüssel, α = 0,7.
description_en: One system over both stocks with the mixed key, alpha 0.7.
rechtsgrundlage: "keine (Test)"
vorschlag: "Test"
begruendung: "Test"
systeme:
  - name: gesamt
    schluessel: {{typ: mix, alpha: 0.7}}
    bestand: [flueag_bestand, wsa_bestand]
    anrechnung: true
    zugaenge: alle
"""


def _stock(path: Path, bad_ags: str | None = None) -> Path:
    """The synthetic scenario's figures as an own (non-synthetic) table: no quelle column."""
    df = pd.read_csv(default_bestand(), dtype=str).drop(columns=["quelle"])
    if bad_ags is not None:
        df.loc[1, "ags"] = bad_ags
    df.to_csv(path, index=False)
    return path


def _project(tmp: Path, toml: str, model: str = MODEL_YAML) -> Path:
    """A config folder: app.toml, daten/bestand.csv, modelle/m9.yaml (paths relative to the file)."""
    (tmp / "daten").mkdir(exist_ok=True)
    (tmp / "modelle").mkdir(exist_ok=True)
    _stock(tmp / "daten" / "bestand.csv")
    (tmp / "modelle" / "m9.yaml").write_text(model, encoding="utf-8")
    cfg = tmp / "app.toml"
    cfg.write_text(toml, encoding="utf-8")
    return cfg


GOOD = f"""
jahr = 2023
bestand = "daten/bestand.csv"

[modelle]
ordner = "modelle"
auswahl = ["m1-gemeinsamer-bestand", "{EIGEN_ID}"]

[server]
port = 8799

[grenzen]
upload_kib = 2
modellmonate = 10
"""


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app-config")
    cfg = _project(tmp, GOOD)
    return TestClient(create_app(config=load_config(cfg))), tmp


def test_config_sets_data_basis_models_and_selection(configured):
    client, tmp = configured
    eng = client.app.state.engine
    assert eng.stichtag.isoformat() == "2023-01-01" and not eng.synthetisch
    ids = [m["id"] for m in client.get("/api/modelle").json()["modelle"]]
    assert EIGEN_ID in ids and "m2-mischschluessel" in ids  # shipped ones stay offered
    page = client.get("/").text
    assert f'value="{EIGEN_ID}" checked' in page and 'value="m2-mischschluessel">' in page
    assert "SYNTHETISCH" not in page.split("<footer>")[1]  # an own stock table is not synthetic
    assert "bestand.csv" in client.get("/daten").text
    # the API without "modelle" computes the selection; the numbers equal the Python API's
    r = client.post("/api/compare", json={})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["info"]["modelle"] == ["status-quo", "m1-gemeinsamer-bestand", EIGEN_ID]
    assert body["info"]["synthetisch"] is False and body["info"]["stichtag"] == "2023-01-01"
    res = verteilung.compare(["status-quo", "m1-gemeinsamer-bestand", str(tmp / "modelle" / "m9.yaml")],
                             bestand=tmp / "daten" / "bestand.csv", jahr=2023)
    assert body["gemeinden"] == views.records(res.gemeinden)
    assert body["metriken"] == views.records(res.metriken)


def test_config_models_and_stock_reach_simulation_and_downloads(configured):
    from verteilung.simulate import simulate

    client, tmp = configured
    r = client.post("/api/simulate", json={"monate": 1, "modelle": ["status-quo", EIGEN_ID]})
    assert r.status_code == 200, r.text
    res = simulate(monate=1, modelle=["status-quo", str(tmp / "modelle" / "m9.yaml")],
                   bestand=tmp / "daten" / "bestand.csv", jahr=2023)
    assert r.json()["gemeinden"] == views.records(res.gemeinden)
    d = client.get("/download/vergleich.csv", params={"modelle": EIGEN_ID, "eigene": "0"})
    assert d.status_code == 200 and "SYNTHETISCH" not in d.headers["content-disposition"]
    assert d.text.lstrip("\ufeff\"").startswith("NÄHERUNG")  # the unemployment approximation still says so


def test_config_limits_apply(configured):
    client, _ = configured
    big = _stock_bytes()
    r = client.post("/api/bestand", files={"datei": ("b.csv", big, "text/csv")})
    assert r.status_code == 422 and any("zu groß" in line for line in r.json()["probleme"])
    assert "2.048 Bytes" in r.text  # German number format in the message
    r = client.post("/api/simulate", json={"monate": 6, "modelle": ["status-quo", EIGEN_ID]})
    assert r.status_code == 422 and any("höchstens 10 Modellmonate" in line for line in r.json()["probleme"])


def _stock_bytes() -> bytes:
    return pd.read_csv(default_bestand(), dtype=str).drop(columns=["quelle"]).to_csv(index=False).encode()


# ------------------------------------------------------------------ the command line


@pytest.fixture
def served(monkeypatch):
    """uvicorn.run replaced: records what would be served instead of serving."""
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    return calls


def test_cli_starts_with_config_and_options_win(cli, tmp_path, served, monkeypatch):
    cfg = _project(tmp_path, GOOD.replace("port = 8799", 'port = 8799\nhost = "0.0.0.0"\n'
                                          'token_variable = "MEIN_APP_TOKEN"'))
    monkeypatch.setenv("MEIN_APP_TOKEN", "ein-langer-schluessel-42")
    elsewhere = tmp_path / "anderswo"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative paths count from the config's folder, not the cwd
    r = cli("app", "--config", cfg)
    assert r.code == 0, r.stderr
    assert served[-1]["host"] == "0.0.0.0" and served[-1]["port"] == 8799
    r = cli("app", "--config", cfg, "--port", "8800", "--host", "127.0.0.1")
    assert r.code == 0, r.stderr
    assert served[-1]["host"] == "127.0.0.1" and served[-1]["port"] == 8800


def test_token_in_file_is_accepted_with_a_warning(cli, tmp_path, served):
    cfg = _project(tmp_path, 'bestand = "daten/bestand.csv"\n[server]\nhost = "0.0.0.0"\n'
                             'token = "steht-in-der-datei-123"\n')
    r = cli("app", "--config", cfg)
    assert r.code == 0, r.stderr
    assert "Warnung" in r.stderr and "server.token" in r.stderr and "token_variable" in r.stderr
    assert "steht-in-der-datei-123" not in r.stderr + r.stdout


@pytest.mark.parametrize(("toml", "needle"), [
    ('farbe = "rot"\n', "farbe: unbekannter Schlüssel (erlaubt: bestand"),
    ('jahr = "2024"\n', "jahr: erwartet eine ganze Zahl"),
    ('stichtag = "2024-13-01"\n', "stichtag: erwartet ein Datum JJJJ-MM-TT"),
    ('bestand = "fehlt.csv"\n', "bestand: "),
    ('[modelle]\ndateien = ["fehlt.yaml"]\n', "modelle.dateien[1]: "),
    ('[modelle]\nordner = "daten"\n', "modelle.ordner: "),
    ('[modelle]\nauswahl = ["m7"]\n', "modelle.auswahl: unbekanntes Modell „m7“"),
    ('[modelle]\nmitgelieferte = false\n', "modelle.mitgelieferte = false"),
    ('[server]\ntoken_variable = "NICHT_GESETZT_XYZ"\n', "server.token_variable: die Umgebungsvariable"),
    ('[server]\nport = 70000\n', "server.port: muss höchstens"),
    ('[grenzen]\nupload_kib = 5000\n', "grenzen.upload_kib: erwartet KiB zwischen 1 und 768"),
    ('[grenzen]\nsekunden = 3\n', "grenzen.sekunden: unbekannter Schlüssel"),
    ("jahr = \n", "kein gültiges TOML"),
])
def test_bad_config_is_refused_with_exit_2(cli, tmp_path, served, toml, needle):
    cfg = _project(tmp_path, toml)
    r = cli("app", "--config", cfg)
    assert r.code == 2, r.stderr
    assert needle in r.stderr and str(cfg) in r.stderr, r.stderr
    assert "nicht gestartet" in r.stderr and "Traceback" not in r.stderr
    assert served == []  # nothing was started


def test_bad_model_file_or_stock_table_is_refused(cli, tmp_path, served):
    cfg = _project(tmp_path, '[modelle]\nordner = "modelle"\n', MODEL_YAML.replace(EIGEN_ID, "status-quo"))
    r = cli("app", "--config", cfg)
    assert r.code == 2 and "modelle: " in r.stderr and "„status-quo“" in r.stderr, r.stderr
    cfg = _project(tmp_path, '[modelle]\nordner = "modelle"\n', MODEL_YAML.replace("zugaenge: alle",
                                                                                   "zugaenge: drittes"))
    r = cli("app", "--config", cfg)
    assert r.code == 2 and "Zugangsstrom drittes" in r.stderr, r.stderr
    cfg = _project(tmp_path, 'bestand = "daten/kaputt.csv"\n')
    _stock(tmp_path / "daten" / "kaputt.csv", bad_ags="99999999")
    r = cli("app", "--config", cfg)
    assert r.code == 2 and "kaputt.csv" in r.stderr and "99999999" in r.stderr, r.stderr
    assert served == []


def test_missing_config_file(cli, tmp_path, served):
    r = cli("app", "--config", tmp_path / "gibt-es-nicht.toml")
    assert r.code == 2 and "Konfigurationsdatei nicht gefunden" in r.stderr
    with pytest.raises(InputError):
        load_config(tmp_path)
    assert served == []


def test_shipped_models_folder_is_not_needed(tmp_path):
    """Relative model paths resolve against the config folder, shipped ids stay plain ids."""
    cfg = load_config(_project(tmp_path, '[modelle]\ndateien = ["modelle/m9.yaml"]\n'))
    assert cfg.modell_dateien == (tmp_path / "modelle" / "m9.yaml",)
    assert models_dir() not in cfg.modell_dateien[0].parents


def test_compute_time_limit_answers_503_and_frees_the_slot():
    """A computation over ``rechenzeit_s`` answers 503 with a German line; it finishes in the
    background and the next request is served."""
    import threading

    from verteilung.app.config import AppConfig, Limits
    from verteilung.app.engine import Einstellungen, Engine

    eng = Engine(AppConfig(grenzen=Limits(rechenzeit_s=0.5)))
    done = eng.vergleich(Einstellungen(modelle=("status-quo",)))  # computed beforehand: no timing in the test
    release = threading.Event()

    def slow(e):
        release.wait(10)  # the first request's computation waits until the test lets it go
        return done

    eng.vergleich = slow  # type: ignore[method-assign]
    client = TestClient(create_app(engine=eng))
    r = client.post("/api/compare", json={"modelle": ["status-quo"]})
    assert r.status_code == 503 and "dauert länger als" in r.json()["probleme"][0]
    release.set()
    r = client.post("/api/compare", json={"modelle": ["status-quo"]})
    assert r.status_code == 200 and r.json()["info"]["modelle"] == ["status-quo"]
