"""Merged models and compare: a hand-checked example, invariants, model-file refusals, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verteilung import api
from verteilung.compare import compare
from verteilung.errors import InputError
from verteilung.model import Context, evaluate, load_model, parse_model

G = "tests/data/modelle_gemeinden.csv"
B = "tests/data/modelle_bestand.csv"

# By hand (LEGAL.md § 5 extended): z = (0.576347, 0.298653, 0.125).
# AWoV reading B: u = (0.06, 0.03, 0.03), ū = 0.048, m = P·ū/u = (480k, 480k, 160k),
# a = (3/7, 3/7, 1/7), K = 0.8 e + 0.1 f + 0.1 a.
Z = np.array([0.55 + 0.04 * 0.55 / 0.835, 0.285 + 0.04 * 0.285 / 0.835, 0.125])
K = 0.8 * np.array([0.6, 0.3, 0.1]) + 0.1 * np.array([0.1, 0.15, 0.75]) + 0.1 * np.array([3 / 7, 3 / 7, 1 / 7])


@pytest.fixture(scope="module")
def result():
    return compare(bestand=B, gemeinden=G, zugaenge={"flueag": 100, "wsa": 50}, stichtag="2024-01-01")


def rows(result, model):
    return result.gemeinden[result.gemeinden["modell"] == model].set_index("ags")


def test_status_quo_by_hand(result):
    sq = rows(result, "status-quo")
    # FlüAG: soll' = z·8700; only #3 (55 %) and #1 (99.7 %) are open; #3 stays lowest -> all 100
    assert list(sq["zuweisung_flueag"]) == [0, 0, 100]
    # WSA: soll' = K·2550; r = (0.736, 0.658, 2.317): #2 is lowest and stays lowest -> all 50
    assert list(sq["zuweisung_wsa"]) == [0, 50, 0]
    assert sq.loc["05000003", "quote_flueag"] == pytest.approx(700 / (Z[2] * 8700) * 100)
    assert sq.loc["05000002", "quote_wsa"] == pytest.approx(550 / (K[1] * 2550) * 100)
    # conflicts: 100 FlüAG persons to #3 (WSA 236 %) and 50 WSA persons to #2 (FlüAG 116.8 %)
    m = result.metriken.set_index("modell")
    assert m.loc["status-quo", "konflikt_personen"] == 150
    assert m.loc["status-quo", "konflikt_gemeinden"] == 2


def test_m1_by_hand(result):
    m1 = rows(result, "m1-gemeinsamer-bestand")
    # one stock (6000, 3500 incl. credit, 1600), soll = z·11250, r = (0.925, 1.042, 1.138): all 150 to #1
    assert list(m1["zuweisung"]) == [150, 0, 0]
    assert m1["gesamtsoll_nach_zuweisung"].to_numpy() == pytest.approx(Z * 11250)
    assert m1.loc["05000001", "gesamtquote_nach_zuweisung"] == pytest.approx(6150 / (Z[0] * 11250) * 100)
    assert result.metriken.set_index("modell").loc["m1-gemeinsamer-bestand", "konflikt_personen"] == 0


def test_m2_by_hand(result):
    alpha = 8600 / 11100
    assert result.info["alpha_m2"] == pytest.approx(alpha)
    m2 = rows(result, "m2-mischschluessel")
    assert m2["gesamtsoll_nach_zuweisung"].to_numpy() == pytest.approx((alpha * Z + (1 - alpha) * K) * 11250)
    assert list(m2["zuweisung"]) == [150, 0, 0]


def test_m3_by_hand(result):
    m3 = rows(result, "m3-verrechnung")
    # WSA surplus of #3 = 1000 − K3·2500 is charged to its FlüAG obligation -> #3 closed;
    # #2 (load 3000 > soll') is closed too: all 100 FlüAG to #1.
    assert list(m3["zuweisung_flueag"]) == [100, 0, 0]
    # FlüAG surplus (43.4, 431.6, 0) charged to WSA: r = (0.768, 1.227, 2.317): all 50 WSA to #1
    assert list(m3["zuweisung_wsa"]) == [50, 0, 0]
    assert result.metriken.set_index("modell").loc["m3-verrechnung", "konflikt_personen"] == 50


def test_m4_by_hand(result):
    m4 = rows(result, "m4-sperre")
    # #3 has a WSA quota of 236 % >= 100 %: blocked for FlüAG; #1 is the only open Gemeinde
    assert list(m4["zuweisung_flueag"]) == [100, 0, 0]
    assert list(m4["zuweisung_wsa"]) == [0, 50, 0]


def test_changes_against_status_quo_and_aggregates(result):
    m1 = rows(result, "m1-gemeinsamer-bestand")
    assert list(m1["aenderung_zuweisung"]) == [150, -50, -100]
    typ = result.aggregate["gemeindetypen"]
    row = typ[(typ["modell"] == "m1-gemeinsamer-bestand") & (typ["gemeinde_typ"] == "kreisfreie Stadt")]
    assert int(row["aenderung_zuweisung"].iloc[0]) == 150
    assert any("m1-gemeinsamer-bestand" in line and "+150" in line for line in result.befunde)


def test_status_quo_reproduces_status_and_allocate():
    res = compare(modelle=["status-quo"], bestand=B, gemeinden=G, zugaenge={"flueag": 100, "wsa": 50},
                  stichtag="2024-01-01")
    sq = rows(res, "status-quo")
    for system, col in (("flueag", "zuweisung_flueag"), ("awov", "zuweisung_wsa")):
        alloc = api.allocate(system, B, personen=100 if system == "flueag" else 50, gemeinden=G, stichtag="2024-01-01")
        if system == "awov":  # the WSA system has no 'only open obligations' rule
            assert list(alloc.zuweisung) == list(sq[col])
        table, _ = api.status(system, B, G, stichtag="2024-01-01")
        sysrow = res.systeme.set_index("system").loc["flueag" if system == "flueag" else "wsa"]
        assert sysrow["bestand"] == table["bestand"].sum()
    alloc = api.allocate("flueag", B, personen=100, gemeinden=G, stichtag="2024-01-01")
    assert list(alloc.zuweisung) == list(sq["zuweisung_flueag"])


def test_custom_weights(result):
    res = compare(modelle=["status-quo"], bestand=B, gemeinden=G, zugaenge={"flueag": 100, "wsa": 50},
                  stichtag="2024-01-01", gewichte={"einwohner": 0.8, "flaeche": 0.1, "arbeitslose": 0.1})
    own = rows(res, "eigene-gewichte")
    key = 0.8 * np.array([0.6, 0.3, 0.1]) + 0.1 * np.array([0.1, 0.15, 0.75]) + 0.1 * np.array([0.75, 0.1875, 0.0625])
    assert own["gesamtsoll_nach_zuweisung"].to_numpy() == pytest.approx(key * 11250)
    assert own["zuweisung"].sum() == 150


@pytest.mark.parametrize("change,needle", [
    ({"farbe": "blau"}, "farbe: unbekannter Schlüssel"),
    ({"systeme": [{"name": "g", "schluessel": {"typ": "gewichtet", "gewichte": {"einwohner": 0.7}},
                   "bestand": ["flueag_bestand"], "zugaenge": "alle"}]}, "Gewichte summieren sich zu 0,7, nicht zu 1"),
    ({"systeme": [{"name": "g", "schluessel": {"typ": "zufall"}, "bestand": ["flueag_bestand"],
                   "zugaenge": "alle"}]}, "schluessel"),
])
def test_bad_model_files_are_refused(tmp_path, change, needle):
    import yaml

    data = yaml.safe_load(Path("models/m1-gemeinsamer-bestand.yaml").read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_model(path)
    assert needle in str(exc.value) and str(path) in str(exc.value)


def test_unknown_column_in_weights_is_refused(cli):
    r = cli("compare", "--gewichte", "einwohner=0.5,steuerkraft=0.5", "--out", "/tmp/verteilung-never")
    assert r.code == 2 and "„steuerkraft“ gibt es in der Gemeindetabelle nicht" in r.stderr


def test_every_shipped_model_is_documented():
    import yaml

    from verteilung.model import available_models

    assert set(available_models()) == {"status-quo", "m1-gemeinsamer-bestand", "m2-mischschluessel",
                                       "m3-verrechnung", "m4-sperre", "m1-gemeinsamer-bestand-gestaffelt",
                                       "m2-mischschluessel-gestaffelt", "m1-gemeinsamer-bestand-uebergang"}
    for m in available_models():
        d = load_model(m)
        assert d.titel and d.beschreibung_de and d.description_en and d.rechtsgrundlage and d.begruendung
        assert yaml.safe_load(Path(f"models/{m}.yaml").read_text(encoding="utf-8"))["id"] == m


# ---------------------------------------------------------------- invariants on random inputs

@st.composite
def contexts(draw):
    n = draw(st.integers(3, 10))
    pop = draw(st.lists(st.integers(1_000, 500_000), min_size=n, max_size=n))
    g = pd.DataFrame({
        "ags": [f"05{i:06d}" for i in range(n)], "gemeinde": [f"G{i}" for i in range(n)],
        "einwohner": np.array(pop, dtype=float),
        "flaeche_km2": np.array(draw(st.lists(st.integers(10, 500), min_size=n, max_size=n)), dtype=float),
        "arbeitslose": np.array(pop, dtype=float) * 0.05, "eu_sgb2": False, "kreis": "K",
    })
    b = pd.DataFrame({
        "ags": g["ags"], "flueag_bestand": draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)),
        "anrechnung_plaetze": draw(st.lists(st.sampled_from([0, 0, 0, 500]), min_size=n, max_size=n)),
        "anrechnung_plaetze_eae": 0, "wsa_bestand": draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)),
    })
    import datetime as dt

    zug = {"flueag": draw(st.integers(0, 400)), "wsa": draw(st.integers(0, 200))}
    return Context(g, b, dt.date(2024, 1, 1), zug)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts())
def test_every_model_places_exactly_its_arrivals(ctx):
    for name in ("status-quo", "m1-gemeinsamer-bestand", "m2-mischschluessel", "m3-verrechnung", "m4-sperre"):
        model = load_model(name)
        res = evaluate(model, ctx)
        for s in model.systeme:
            z = res[s.name].zuweisung
            assert z.sum() == ctx.arrivals(s)
            assert (z >= 0).all()
        if name == "m1-gemeinsamer-bestand" and res["gesamt"].allocation.eligible.any():
            a = res["gesamt"].allocation
            final = (a.last + a.zuweisung) / a.soll
            lowest = final[a.eligible].min()
            got = a.zuweisung > 0
            assert (a.r_before_last[got] <= lowest + 1e-9).all()


def test_compare_cli_default_run_writes_labelled_outputs(cli, tmp_path):
    r = cli("compare", "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    assert "SYNTHETISCH" in r.stdout and "Befunde" in r.stdout
    assert len(r.stdout.splitlines()) <= 40  # fits a terminal screen
    files = sorted(p.name for p in (tmp_path / "v").iterdir())
    assert files[-1] == "verteilung-ausgaben.json"  # the folder's manifest: names and hashes, no figures
    # this period's tables rest on the synthetic stock; the long run on real data only (its own files)
    assert files[:-1] and all(f.startswith(("SYNTHETISCH_", "langfrist")) for f in files[:-1])
    assert "SYNTHETISCH_vergleich.xlsx" in files and "langfrist_modelle.csv" in files
    # the long-run and money workbooks only with --alles (their tables are the langfrist_*.csv files)
    assert "langfrist.xlsx" not in files and "langfrist_mittel.xlsx" not in files
    assert "Blatt Parameter in langfrist.xlsx, mit --alles" in r.stdout
    assert "langfristig zu den Städten" in r.stdout and "nicht SYNTHETISCH" in r.stdout
    summary = json.loads((tmp_path / "v" / "SYNTHETISCH_vergleich.json").read_text())
    assert summary["info"]["synthetisch"] is True
    assert summary["metriken"][0]["modell"] == "status-quo"
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "v" / "SYNTHETISCH_vergleich.xlsx")
    assert {"Vergleich", "Metriken", "Kreise", "Regierungsbezirke", "Parameter"} <= set(wb.sheetnames)
    ws = wb["Vergleich"]
    assert ws["A1"].value.startswith("SYNTHETISCH")  # the marker above the header of every sheet
    assert ws["A2"].value == "Modell" and ws.freeze_panes == "A3" and ws.auto_filter.ref


def test_compare_alles_adds_the_long_run_workbooks_with_the_csv_tables(cli, tmp_path):
    r = cli("compare", "--alles", "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    assert "(Quellen: langfrist.xlsx, Blatt Parameter)" in r.stdout
    default = cli("compare", "--out", tmp_path / "d")
    assert default.code == 0, default.stderr
    files = {p.name for p in (tmp_path / "v").iterdir()}
    assert files - {p.name for p in (tmp_path / "d").iterdir()} == {"langfrist.xlsx", "langfrist_mittel.xlsx"}
    for name in files - {"verteilung-ausgaben.json", "langfrist.xlsx", "langfrist_mittel.xlsx"}:
        assert (tmp_path / "v" / name).read_bytes() == (tmp_path / "d" / name).read_bytes(), name
    import pandas as pd
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "v" / "langfrist.xlsx", read_only=True)
    assert {"Stadt-Land", "Gemeinden", "Parameter"} <= set(wb.sheetnames)
    rows = list(wb["Gemeinden"].values)
    csv = pd.read_csv(tmp_path / "v" / "langfrist_gemeinden.csv", dtype={"ags": str})
    assert rows[0][0].startswith("NÄHERUNG") and len(rows) - 2 == len(csv)  # label and header rows, then the CSV
    money = load_workbook(tmp_path / "v" / "langfrist_mittel.xlsx", read_only=True)
    assert {"Land", "Kreise", "Gemeinden", "Parameter"} <= set(money.sheetnames)


def test_compare_json_is_deterministic(cli, tmp_path):
    a = cli("compare", "--format", "json", "--out", tmp_path / "a")
    b = cli("compare", "--format", "json", "--out", tmp_path / "b")
    assert a.code == 0 and a.stdout == b.stdout
    assert (tmp_path / "a" / "SYNTHETISCH_gemeinden.csv").read_bytes() == \
        (tmp_path / "b" / "SYNTHETISCH_gemeinden.csv").read_bytes()


def test_parse_model_reports_every_problem():
    with pytest.raises(InputError) as exc:
        parse_model({"id": "x"}, "inline")
    assert "titel" in str(exc.value) and "systeme" in str(exc.value)


def test_readme_findings_match_the_default_run():
    from scripts.update_readme import README, block

    assert block() in README.read_text(encoding="utf-8")


def test_scenario_generator_reproduces_the_shipped_file():
    from scripts.make_szenario import FILE, OUT, build

    df, _ = build()
    assert df.to_csv(index=False, lineterminator="\n").encode() == (OUT / FILE).read_bytes()


def test_custom_weights_with_cap_and_reduction_through_cli(cli, tmp_path):
    r = cli("compare", "--modelle", "status-quo", "--gemeinden", G, "--bestand", B, "--stichtag", "2024-01-01",
            "--zugaenge", "flueag=100", "--zugaenge", "wsa=50", "--gewichte", "einwohner=0.9,flaeche=0.1",
            "--gewichte-kappung", "einwohner=1.25", "--format", "csv", "--out", tmp_path / "o")
    assert r.code == 0, r.stderr
    df = pd.read_csv(pd.io.common.StringIO(r.stdout), dtype={"ags": str})
    own = df[df["modell"] == "eigene-gewichte"]
    # with the FlüAG weights and the R1 cap, the custom key is the FlüAG key
    assert own["gesamtsoll_nach_zuweisung"].to_numpy() == pytest.approx(Z * 11250)


def test_package_level_api():
    import verteilung

    res = verteilung.compare(modelle=["m1-gemeinsamer-bestand"], bestand=B, gemeinden=G, zugaenge_flueag=100,
                             zugaenge_wsa=50, stichtag="2024-01-01")
    assert set(res.gemeinden["modell"]) == {"status-quo", "m1-gemeinsamer-bestand"}


def test_arrivals_are_a_mapping_and_the_old_names_still_read(cli, tmp_path):
    """``zugaenge={stream: N}`` everywhere; ``zugaenge_flueag=``/``--zugaenge-flueag`` (saved scripts)
    give the same result; a stream not named keeps its registry default; nonsense is refused."""
    import verteilung
    from verteilung.law import systems

    new = verteilung.compare(["status-quo"], B, G, {"flueag": 100}, stichtag="2024-01-01")
    assert new.info["zugaenge"] == {"flueag": 100, "wsa": systems.WSA.standard_zugaenge}
    old = verteilung.compare(["status-quo"], B, G, zugaenge_flueag=100, stichtag="2024-01-01")
    assert old.info["zugaenge"] == new.info["zugaenge"] and old.gemeinden.equals(new.gemeinden)
    args = ("compare", "--modelle", "status-quo", "--gemeinden", G, "--bestand", B, "--stichtag", "2024-01-01",
            "--format", "json")
    via_map = cli(*args, "--zugaenge", "flueag=100", "--zugaenge", "wsa=50", "--out", tmp_path / "a")
    via_old = cli(*args, "--zugaenge-flueag", "100", "--zugaenge-wsa", "50", "--out", tmp_path / "b")
    assert via_map.code == via_old.code == 0, via_old.stderr
    assert via_map.json()["info"]["zugaenge"] == via_old.json()["info"]["zugaenge"] == {"flueag": 100, "wsa": 50}
    bad = cli(*args, "--zugaenge", "asyl=5", "--out", tmp_path / "c")
    assert bad.code == 2 and "kein gewähltes Modell erhält den Zugangsstrom asyl" in bad.stderr
    with pytest.raises(InputError, match="Zugangsstrom typo"):
        verteilung.compare(["status-quo"], B, G, zugaenge_typo=1)  # a stream nobody receives
    with pytest.raises(TypeError, match="personen"):
        verteilung.compare(["status-quo"], B, G, personen=1)

    with pytest.raises(TypeError, match="Zuordnung"):
        verteilung.compare(["status-quo"], B, G, 100)  # type: ignore[arg-type]


def test_models_name_the_real_unemployment_source():
    """Regression: compare filled the column itself and then labelled it as the user's file."""
    import datetime as dt

    from verteilung.compare import default_bestand
    from verteilung.inputs import prepare

    when = dt.date(2024, 1, 1)
    inp = prepare(stichtag=when, jahr=2024, bestand=default_bestand(),
                  bestand_spalten=("flueag_bestand", "wsa_bestand"))
    res = evaluate(load_model("status-quo"), Context(inp.gemeinden, inp.bestand, when, {"flueag": 10, "wsa": 5}))
    assert res["wsa"].state.info["lesarten"]["arbeitslose_quelle"].startswith("NÄHERUNG")
    own = compare(modelle=["status-quo"], bestand=B, gemeinden=G, zugaenge={"flueag": 1, "wsa": 1},
                  stichtag="2024-01-01")
    assert own.systeme.set_index("system").loc["wsa", "schluessel"] == "AWoV (Anlage 1: B)"
