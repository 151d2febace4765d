"""Issue 12 core: the system registry, one input preparation, readings validated in the law layer,
the Python API importable from ``verteilung``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import verteilung
from tests.conftest import write
from verteilung.errors import InputError
from verteilung.law import systems
from verteilung.law.lesarten import Lesarten

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
G_TEXT = "ags,gemeinde,einwohner,flaeche_km2\n05000001,A,1000,3\n05000002,B,2000,4\n05000003,C,500,9\n"


def test_registry_knows_wsa_with_awov_as_alias():
    assert systems.ids() == ["flueag", "wsa"]
    assert systems.get("awov") is systems.get("wsa") is systems.WSA
    with pytest.raises(InputError):
        systems.get("bogus")


@pytest.mark.parametrize("readings", [{"kappung": "R9"}, {"minderung": "bogus"}, {"anlage1": "D"},
                                      {"kappung_iteriert": "ja"}, {"farbe": "blau"}])
def test_unknown_reading_through_the_python_api_is_bad_input(readings):
    with pytest.raises(InputError):
        verteilung.keys("flueag", **readings)
    with pytest.raises(InputError):
        Lesarten.from_mapping(readings, "modell.yaml")


def test_lesarten_object_and_keywords_give_the_same_key():
    a, _ = verteilung.keys("flueag", kappung="R2")
    b, info = verteilung.keys("flueag", lesarten=Lesarten(kappung="R2"))
    assert a.equals(b) and info["lesarten"]["kappung"] == "R2"
    with pytest.raises(InputError):
        verteilung.keys("flueag", lesarten=Lesarten(kappung="R2"), kappung="R1")


def test_wsa_and_its_alias_give_the_same_status():
    t1, i1 = verteilung.status("wsa", SCENARIO)
    t2, i2 = verteilung.status("awov", SCENARIO)
    assert t1.equals(t2) and i1["system"] == i2["system"] == "wsa"


def test_allocate_is_the_function_as_readme_shows():
    import verteilung.allocate  # the submodule must not shadow the function

    res = verteilung.allocate("flueag", SCENARIO, personen=100)
    assert int(res.table["zuweisung"].sum()) == 100
    assert callable(verteilung.allocate)


def test_user_gemeinden_without_a_date_is_refused_never_the_clock(cli, tmp_path):
    g = write(tmp_path / "g.csv", G_TEXT)
    r = cli("keys", "--system", "flueag", "--gemeinden", g)
    assert r.code == 2 and "--stichtag" in r.stderr and "--jahr" in r.stderr, r.stderr
    r = cli("keys", "--system", "flueag", "--gemeinden", g, "--jahr", "2016", "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json()["summary"]["stichtag"] == "2016-01-01"


def test_user_gemeinden_with_a_stichtag_column_uses_the_files_date(cli, tmp_path):
    rows = G_TEXT.splitlines()
    text = rows[0] + ",stichtag\n" + "".join(f"{r},2023-07-01\n" for r in rows[1:])
    g = write(tmp_path / "g.csv", text)
    r = cli("keys", "--system", "flueag", "--gemeinden", g, "--format", "json")
    assert r.code == 0, r.stderr
    assert r.json()["summary"]["stichtag"] == "2023-07-01"


def test_cli_refuses_an_unknown_reading_with_exit_2(cli):
    r = cli("keys", "--system", "flueag", "--kappung", "R9")
    assert r.code == 2 and "--kappung" in r.stderr and "R9" in r.stderr, r.stderr
    r = cli("status", "--system", "wsa", "--bestand", SCENARIO, "--minderung", "bogus")
    assert r.code == 2 and "--minderung" in r.stderr, r.stderr


def test_model_yaml_with_an_unknown_reading_is_bad_input(cli, tmp_path):
    model = {"id": "x", "titel": "x", "beschreibung_de": "x", "description_en": "x",
             "rechtsgrundlage": "x", "vorschlag": "x", "begruendung": "x",
             "systeme": [{"name": "flueag", "schluessel": {"typ": "flueag", "kappung": "R9"},
                          "bestand": ["flueag_bestand"], "anrechnung": True, "zugaenge": "flueag"}]}
    path = tmp_path / "m.yaml"
    path.write_text(json.dumps(model), encoding="utf-8")  # JSON is YAML
    r = cli("compare", "--modelle", path, "--bestand", SCENARIO, "--out", tmp_path / "o")
    assert r.code == 2 and "kappung" in r.stderr, r.stderr


def test_results_carry_their_inputs_metadata():
    res = verteilung.status("flueag", SCENARIO)
    assert res.inputs is not None and res.inputs.synthetisch
    assert res.info["stichtag"] == res.inputs.stichtag.isoformat()
    steps = verteilung.explain("05513000", "flueag")
    assert steps.info["system"] == "flueag" and len(steps) > 3


THREE = {"id": "drei-systeme", "titel": "Drei Systeme", "beschreibung_de": "FlüAG, WSA und ein drittes",
         "description_en": "three systems", "rechtsgrundlage": "Test", "vorschlag": "Test", "begruendung": "Test",
         "systeme": [
             {"name": "flueag", "schluessel": {"typ": "flueag"}, "bestand": ["flueag_bestand"],
              "anrechnung": True, "zugaenge": "flueag"},
             {"name": "wsa", "schluessel": {"typ": "awov"}, "bestand": ["wsa_bestand"], "zugaenge": "wsa"},
             {"name": "drittes", "schluessel": {"typ": "gewichtet", "gewichte": {"einwohner": 0.5, "flaeche": 0.5}},
              "bestand": ["dritt_bestand"], "zugaenge": "drittes"}]}


def _three_system_inputs(tmp_path: Path) -> tuple[Path, Path]:
    model = tmp_path / "drei.yaml"
    model.write_text(json.dumps(THREE), encoding="utf-8")
    lines = SCENARIO.read_text(encoding="utf-8").splitlines()
    stock = tmp_path / "bestand.csv"
    stock.write_text("\n".join([lines[0] + ",dritt_bestand"] + [f"{x},{i % 7}" for i, x in enumerate(lines[1:])])
                     + "\n", encoding="utf-8")
    return model, stock


def test_a_third_system_runs_through_compare_and_run(cli, tmp_path):
    model, stock = _three_system_inputs(tmp_path)
    r = cli("compare", "--modelle", model, "--bestand", stock, "--zugaenge", "drittes=120",
            "--zugaenge", "flueag=100", "--zugaenge", "wsa=50", "--out", tmp_path / "v", "--format", "json")
    assert r.code == 0, r.stderr
    systeme = {(s["modell"], s["system"]): s for s in r.json()["systeme"]}
    assert systeme[("drei-systeme", "drittes")]["zugaenge"] == 120
    assert systeme[("drei-systeme", "drittes")]["bestand"] == sum(i % 7 for i in range(396))
    assert systeme[("drei-systeme", "flueag")]["zugaenge"] == 100
    # without the third stream's count the command says which option to give
    r = cli("compare", "--modelle", model, "--bestand", stock, "--out", tmp_path / "w")
    assert r.code == 2 and "--zugaenge drittes=N" in r.stderr, r.stderr
    # a stock file without the third system's column is refused, naming it
    r = cli("compare", "--modelle", model, "--bestand", SCENARIO, "--zugaenge", "drittes=1", "--out", tmp_path / "x")
    assert r.code == 2 and "dritt_bestand" in r.stderr, r.stderr
    (tmp_path / "run.toml").write_text(
        f'modell = "{model}"\nbestand = "{stock}"\n[zugaenge.flueag]\npersonen = 100\n'
        '[zugaenge.wsa]\npersonen = 50\n[zugaenge.drittes]\npersonen = 30\n', encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", tmp_path / "run.toml")
    assert r.code == 0, r.stderr
    r = cli("runs", "show", "2024-05", "--config", tmp_path / "run.toml", "--format", "json")
    assert r.code == 0, r.stderr
    assert "drittes" in r.stdout


def test_a_third_system_runs_through_status_and_allocate(cli, tmp_path):
    model, stock = _three_system_inputs(tmp_path)
    r = cli("status", "--modell", model, "--system", "drittes", "--bestand", stock, "--format", "json")
    assert r.code == 0, r.stderr
    out = r.json()
    assert out["summary"]["system"] == "drittes" and out["summary"]["modell"] == "drei-systeme"
    assert sum(row["bestand"] for row in out["rows"]) == sum(i % 7 for i in range(396))
    # the same numbers as compare computes for that system (one code path)
    res = verteilung.compare([str(model)], stock, zugaenge={"drittes": 0})
    sysrow = res.systeme.set_index(["modell", "system"]).loc[("drei-systeme", "drittes")]
    assert sysrow["bestand"] == sum(i % 7 for i in range(396))
    r = cli("allocate", "--modell", model, "--system", "drittes", "--bestand", stock, "--personen", "120",
            "--format", "json")
    assert r.code == 0, r.stderr
    rows = r.json()["rows"]
    assert sum(row["zuweisung"] for row in rows) == 120
    assert r.json()["summary"]["modell"] == "drei-systeme"
    # a name the model does not define is refused, naming its systems
    r = cli("status", "--modell", model, "--system", "viertes", "--bestand", stock)
    assert r.code == 2 and "drittes" in r.stderr, r.stderr
    # a registered system read from the shipped status-quo model gives the same table
    for name in ("flueag", "wsa"):
        via_model = verteilung.status(name, SCENARIO, modell="status-quo").table
        assert verteilung.status(name, SCENARIO).table.equals(via_model)
    # without --modell only registered systems are accepted
    r = cli("status", "--system", "drittes", "--bestand", stock)
    assert r.code == 2 and "flueag" in r.stderr, r.stderr


def test_a_third_system_runs_through_simulate(cli, tmp_path):
    model, stock = _three_system_inputs(tmp_path)
    start = sum(i % 7 for i in range(396))
    r = cli("simulate", "--monate", "2", "--modelle", f"status-quo,{model}", "--bestand", stock,
            "--zugaenge", "drittes=40", "--out", tmp_path / "sim")
    assert r.code == 0, r.stderr
    info = json.loads(next((tmp_path / "sim").glob("*simulation.json")).read_text(encoding="utf-8"))["info"]
    assert info["zugaenge"] == {"flueag": 1260, "wsa": 493, "drittes": 40}  # per stream id
    res = verteilung.simulate(2, ["status-quo", str(model)], bestand=stock, zugaenge={"drittes": 40})
    m = res.monate.set_index(["modell", "monat"])
    # the further system's people stay: its stock grows by exactly its arrivals each month
    assert m.loc[("drei-systeme", 1), "bestand_dritt_bestand"] == start + 40
    assert m.loc[("drei-systeme", 2), "bestand_dritt_bestand"] == start + 80
    # a model without that system leaves the stock as it is
    assert m.loc[("status-quo", 2), "bestand_dritt_bestand"] == start
    g = res.gemeinden[res.gemeinden["modell"] == "drei-systeme"]
    assert int((g["dritt_bestand_ende"] - g["dritt_bestand_start"]).sum()) == 80
    # or the count comes from the scenario file
    sz = tmp_path / "sz.yaml"
    sz.write_text((ROOT / "inputs" / "nrw" / "szenario" / "fluesse_2021.yaml").read_text(encoding="utf-8")
                  + 'zugaenge_weitere:\n  drittes: {wert: 40, quelle: "Test"}\n', encoding="utf-8")
    again = verteilung.simulate(2, ["status-quo", str(model)], szenario=sz, bestand=stock)
    assert again.monate.equals(res.monate)
    # without the stream's count the command says which option to give
    r = cli("simulate", "--monate", "1", "--modelle", str(model), "--bestand", stock, "--out", tmp_path / "s2")
    assert r.code == 2 and "--zugaenge drittes=N" in r.stderr, r.stderr


def test_every_result_carries_the_parameters_in_force():
    from verteilung.params import in_force

    _table, info = verteilung.keys("flueag", jahr=2024)
    assert info["parameter"] == in_force(info["stichtag"])
    entry = next(p for p in info["parameter"] if p["name"] == "flueag_kappung")
    assert set(entry) >= {"name", "wert", "gueltig_ab", "paragraph", "quelle", "annahme"}
    assert verteilung.status("flueag", SCENARIO).info["parameter"] == in_force(info["stichtag"])
    assert verteilung.explain("05513000", "flueag").info["parameter"]
    assert verteilung.allocate("flueag", SCENARIO, personen=10).summary["parameter"]


def test_every_command_has_a_documented_function_in_verteilung():
    import verteilung.run
    import verteilung.simulate  # importing the submodules must not shadow the functions

    for name in ("keys", "status", "explain", "allocate", "compare", "simulate", "run", "runs_list",
                 "runs_show", "runs_diff", "data_check", "data_list"):
        fn = getattr(verteilung, name)
        assert callable(fn) and not isinstance(fn, type(verteilung)), name
        assert fn.__doc__, name


def test_runs_api_matches_the_cli(cli, tmp_path):
    (tmp_path / "run.toml").write_text(f'bestand = "{SCENARIO}"\n[zugaenge.flueag]\npersonen = 10\n'
                                       '[zugaenge.wsa]\npersonen = 5\n', encoding="utf-8")
    out = verteilung.run("2024-05", tmp_path / "run.toml")
    assert out.revision == 1
    listed = verteilung.runs_list(config=tmp_path / "run.toml")
    assert list(listed["periode"]) == ["2024-05"]
    rows, info = verteilung.runs_show("2024-05", config=tmp_path / "run.toml")
    r = cli("runs", "show", "2024-05", "--config", tmp_path / "run.toml", "--format", "json")
    assert r.code == 0 and len(r.json()["rows"]) == len(rows) and info["revision"] == 1


@pytest.mark.parametrize("table", ['[lesarten]\nkappung = "R9"\n', '[lesarten]\nfarbe = "blau"\n',
                                   'solver = "gurobi"\n'])
def test_run_toml_with_an_unknown_reading_or_solver_is_bad_input(cli, tmp_path, table):
    head = table.partition("\n")[0]
    text = (f'bestand = "{SCENARIO}"\n' + (table if not head.startswith("[") else "")
            + '[zugaenge.flueag]\npersonen = 10\n[zugaenge.wsa]\npersonen = 5\n'
            + (table if head.startswith("[") else ""))
    (tmp_path / "run.toml").write_text(text, encoding="utf-8")
    r = cli("run", "--periode", "2024-05", "--config", tmp_path / "run.toml")
    assert r.code == 2 and ("R9" in r.stderr or "farbe" in r.stderr or "solver" in r.stderr), r.stderr
    assert not (tmp_path / "outputs").exists()


def test_run_toml_readings_reach_the_keys(cli, tmp_path):
    base = f'bestand = "{SCENARIO}"\n[zugaenge.flueag]\npersonen = 10\n[zugaenge.wsa]\npersonen = 5\n'
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "run.toml").write_text(base, encoding="utf-8")
    (tmp_path / "b" / "run.toml").write_text(base + '[lesarten]\nkappung = "R2"\n', encoding="utf-8")
    shown = {}
    for name in ("a", "b"):
        assert cli("run", "--periode", "2024-05", "--config", tmp_path / name / "run.toml").code == 0
        manifest = json.loads((tmp_path / name / "outputs" / "2024-05" / "r1" / "manifest.json").read_text())
        shown[name] = manifest["lesarten"]["flueag"]["kappung"]
    assert shown == {"a": "R1", "b": "R2"}


def test_explain_names_the_rent_cap_list_chosen(cli):
    r = cli("explain", "05362036", "--system", "awov", "--mietpreisliste", "mieterschutzvo_2020")
    assert r.code == 0, r.stderr
    assert "Mieterschutzverordnung 2020" in r.stdout and "2015" not in r.stdout, r.stdout
