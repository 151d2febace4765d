"""Recipe "Ein neues System": a third legal system from one registry entry and one parameter file.

`status`, `allocate`, `compare` (with a model naming it), `sweep` (which crashed with
AttributeError 'gewichte') and the app's Gemeinde page (which answered 422) work for it, and the
shipped systems' outputs do not change while it is registered. Its own arrival stream (``drittes``,
default 100 from the registry entry) flows through compare, simulate, sweep, the app's pages and
its web API with no code change: every layer takes arrivals as a mapping keyed by stream id.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

import verteilung
from verteilung import params
from verteilung.law import systems

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
PARAM = {"description": "Gewicht der Einwohner im Schlüssel des dritten Systems", "unit": "share",
         "paragraph": "§ 1 Abs. 1 DrittG", "anzeige": "Gewicht Einwohner (drittes System)",
         "values": {"2003-01-01": {"value": 1.0, "reference": {"title": "Drittes Gesetz (Test)",
                                                               "href": "https://example.invalid/drittg"}}}}
ENTRY = {"id": "drittes", "anzeige": "Drittes System", "kurz": "D3",
         "schluessel": {"einwohner": "drittes_gewicht_einwohner"}, "bestand": ["dritt_bestand"],
         "zugaenge": "drittes", "standard_zugaenge": 100,
         "paragraphen": {"schluessel": "§ 1 DrittG", "status": "§ 2 DrittG"}}
# the status quo's two systems and the third one next to them (the simulation follows everyone)
SQ_PLUS = {"id": "drei-plus", "titel": "Status quo und das dritte System", "beschreibung_de": "x",
           "description_en": "x", "rechtsgrundlage": "DrittG", "vorschlag": "x", "begruendung": "x",
           "systeme": [{"name": "flueag", "schluessel": {"typ": "flueag"}, "bestand": ["flueag_bestand"],
                        "anrechnung": True, "zugaenge": "flueag"},
                       {"name": "wsa", "schluessel": {"typ": "awov"}, "bestand": ["wsa_bestand"], "zugaenge": "wsa"},
                       {"name": "drittes", "schluessel": {"typ": "system", "system": "drittes"},
                        "bestand": ["dritt_bestand"], "zugaenge": "drittes"}]}
MODEL = {"id": "drei", "titel": "Das dritte System allein", "beschreibung_de": "x", "description_en": "x",
         "rechtsgrundlage": "DrittG", "vorschlag": "x", "begruendung": "x",
         "systeme": [{"name": "drittes", "schluessel": {"typ": "system", "system": "drittes"},
                      "bestand": ["dritt_bestand"], "zugaenge": "drittes"}]}


@pytest.fixture
def drittes(tmp_path, monkeypatch):
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "drittes_gewicht_einwohner.yaml").write_text(yaml.safe_dump(PARAM, allow_unicode=True),
                                                           encoding="utf-8")
    monkeypatch.setattr(params, "EXTRA", [folder])
    systems.register(systems.weighted_system("nrw", ENTRY))  # the registry entry
    stock = pd.read_csv(SCENARIO, dtype={"ags": str})
    stock["dritt_bestand"] = (stock.index * 7) % 300
    stock.to_csv(tmp_path / "bestand.csv", index=False)
    (tmp_path / "drei.yaml").write_text(yaml.safe_dump(MODEL, allow_unicode=True), encoding="utf-8")
    (tmp_path / "drei-plus.yaml").write_text(yaml.safe_dump(SQ_PLUS, allow_unicode=True), encoding="utf-8")
    yield tmp_path
    systems.unregister("drittes")
    params._load.cache_clear()


def test_recipe_ein_neues_system(drittes, cli):
    stock = drittes / "bestand.csv"
    status = cli("status", "--system", "drittes", "--bestand", stock, "--format", "json")
    assert status.code == 0, status.stderr
    rows = pd.DataFrame(status.json()["rows"])
    assert int(rows["bestand"].sum()) == int(pd.read_csv(stock)["dritt_bestand"].sum())
    assert abs(rows["schluessel"].sum() - 1) < 1e-12
    assert "drittes_gewicht_einwohner" in [p["name"] for p in status.json()["summary"]["parameter"]]
    alloc = cli("allocate", "--system", "drittes", "--bestand", stock, "--personen", "50", "--format", "json")
    assert alloc.code == 0 and sum(r["zuweisung"] for r in alloc.json()["rows"]) == 50
    cmp = cli("compare", "--modelle", drittes / "drei.yaml", "--bestand", stock, "--out", drittes / "v",
              "--format", "json")
    assert cmp.code == 0, cmp.stderr
    info = cmp.json()["info"]
    assert info["zugaenge"]["drittes"] == 100  # the registry's default for its stream
    g = pd.read_csv(next((drittes / "v").glob("*gemeinden.csv")))
    assert int(g[g["modell"] == "drei"]["zuweisung"].sum()) == 100
    sweep = cli("sweep", "--modell", drittes / "drei.yaml", "--bestand", stock, "--stichprobe", "4",
                "--parameter", "zugaenge=50:150",
                "--out", drittes / "s")
    assert sweep.code == 0, sweep.stderr
    assert len(pd.read_csv(next((drittes / "s").glob("*szenarien.csv")))) == 4


def test_the_third_stream_flows_through_compare_simulate_and_sweep(drittes, cli):
    stock = drittes / "bestand.csv"
    start = int(pd.read_csv(stock)["dritt_bestand"].sum())
    cmp = cli("compare", "--modelle", drittes / "drei.yaml", "--bestand", stock, "--zugaenge", "drittes=150",
              "--out", drittes / "v", "--format", "json")
    assert cmp.code == 0, cmp.stderr
    assert cmp.json()["info"]["zugaenge"] == {"flueag": 1260, "wsa": 493, "drittes": 150}
    params = pd.read_csv(next((drittes / "v").glob("*parameter.csv")))
    row = params[params["kennung"] == "zugaenge_drittes"]
    assert row[["parameter", "wert", "quelle"]].values.tolist() == [["Zugänge D3", "150", "--zugaenge"]]
    # simulate: the registry's default each month, or --zugaenge; its people stay in its own stock
    sim = cli("simulate", "--monate", "2", "--modelle", drittes / "drei-plus.yaml", "--bestand", stock,
              "--out", drittes / "sim")
    assert sim.code == 0, sim.stderr
    info = json.loads(next((drittes / "sim").glob("*simulation.json")).read_text(encoding="utf-8"))
    assert info["info"]["zugaenge"]["drittes"] == 100
    res = verteilung.simulate(2, [str(drittes / "drei-plus.yaml")], bestand=stock, zugaenge={"drittes": 30})
    m = res.monate.set_index(["modell", "monat"])
    assert [m.loc[("drei-plus", t), "bestand_dritt_bestand"] for t in (1, 2)] == [start + 30, start + 60]
    assert m.loc[("status-quo", 2), "bestand_dritt_bestand"] == start  # a model without it: unchanged
    # sweep: the model's stream takes the registry's default, or --zugaenge
    for extra, expected in (([], 100), (["--zugaenge", "60"], 60)):
        sw = cli("sweep", "--modell", drittes / "drei.yaml", "--bestand", stock, "--stichprobe", "2",
                 "--parameter", "anrechnung=0:1", *extra, "--out", drittes / f"s{expected}")
        assert sw.code == 0, sw.stderr
        assert set(pd.read_csv(next((drittes / f"s{expected}").glob("*szenarien.csv")))["zugaenge"]) == {expected}


def test_the_app_and_its_api_take_the_third_stream(drittes):
    from fastapi.testclient import TestClient

    from verteilung.app.config import load_config
    from verteilung.app.server import create_app

    cfg = drittes / "app.toml"
    cfg.write_text('bestand = "bestand.csv"\n\n[modelle]\ndateien = ["drei.yaml"]\n', encoding="utf-8")
    client = TestClient(create_app(config=load_config(cfg)))
    r = client.post("/api/compare", json={"modelle": ["status-quo", "drei"], "zugaenge": {"drittes": 70}})
    assert r.status_code == 200, r.text
    assert r.json()["info"]["zugaenge"]["drittes"] == 70
    rows = pd.DataFrame(r.json()["gemeinden"])
    assert int(rows[rows["modell"] == "drei"]["zuweisung"].sum()) == 70
    page = client.get("/").text  # one input per registered stream, with its default
    assert 'name="z_drittes"' in page and "Zugänge Drittes System in der Periode" in page
    view = client.get("/api/ansicht/gemeinde", params={"ags": "05366012", "modelle": "drei", "eigene": "0",
                                                       "z_drittes": "70"})
    assert view.status_code == 200, view.text
    assert view.json()["einstellungen"]["zugaenge"]["drittes"] == 70


def test_app_gemeinde_page_with_a_third_system(drittes):
    from fastapi.testclient import TestClient

    from verteilung.app.server import create_app

    client = TestClient(create_app())
    r = client.get("/api/ansicht/gemeinde", params={"ags": "05366012", "eigene": "0"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert [s["id"] for s in d["systeme"]] == ["flueag", "wsa", "drittes"]
    assert d["schritte"]["drittes"][0]["schritt"].startswith("Dahlem (AGS 05366012), Drittes System")
    assert any(s["rechtsgrundlage"] == "§ 1 DrittG" for s in d["schritte"]["drittes"])


def test_shipped_systems_unchanged_by_a_registered_third(drittes, cli):
    with_third = cli("keys", "--system", "flueag", "--format", "json").json()
    systems.unregister("drittes")
    without = cli("keys", "--system", "flueag", "--format", "json").json()
    systems.register(systems.weighted_system("nrw", ENTRY))
    assert with_third["rows"] == without["rows"]
