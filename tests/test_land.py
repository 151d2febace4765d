"""A Land is a package of data: Baden-Württemberg as the second Land, and the recipe "Ein neues Land".

Baden-Württemberg distributes its vorläufige Unterbringung to 44 Stadt- und Landkreise by their
share of the Land's population; every command speaks of Kreise, cites the Land's own parameter
and source, and NRW's outputs do not change.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from verteilung import land
from verteilung.params import in_force

ROOT = Path(__file__).resolve().parents[1]
BW = ROOT / "inputs" / "bw"


@pytest.fixture(scope="module")
def bw_stock(tmp_path_factory) -> Path:
    """A stock report for the 44 Kreise (test numbers, not real figures)."""
    g = pd.read_csv(BW / "gemeinden.csv", dtype={"ags": str})
    stock = np.arange(len(g)) * 37 % 1500 + 100
    path = tmp_path_factory.mktemp("bw") / "bestand_bw.csv"
    pd.DataFrame({"ags": g["ags"], "Bestand vorläufige Unterbringung": stock}).to_csv(path, index=False)
    return path


def test_the_bw_package_sums_the_shipped_gemeinden_to_44_kreise():
    """Reproducible from the repository: the Kreis figures are the sums of Land 08's Gemeinden
    in inputs/de/gemeinden_2023.csv (the same GV-ISys edition scripts/build_bw.py reads)."""
    de = pd.read_csv(ROOT / "inputs" / "de" / "gemeinden_2023.csv", dtype={"ags": str})
    de = de[de["ags"].str[:2] == "08"]
    expected = de.groupby(de["ags"].str[:5] + "000").agg(einwohner=("einwohner", "sum"),
                                                         flaeche_km2=("flaeche_km2", "sum"))
    pop = pd.read_csv(BW / "bevoelkerung.csv", dtype={"ags": str}).set_index("ags")
    assert len(pop) == 44 and list(pop.index) == list(expected.index)
    assert (pop["einwohner"] == expected["einwohner"]).all()
    assert np.allclose(pop["flaeche_km2"], expected["flaeche_km2"].round(2), atol=0.011)
    assert int(pop["einwohner"].sum()) == 11_339_260
    kreise = pd.read_csv(BW / "gemeinden.csv", dtype={"ags": str})
    assert (kreise["gemeinde_typ"] == "Stadtkreis").sum() == 9


def test_land_packages_are_described_by_data():
    assert land.ids() == ["nrw", "bw"]
    bw = land.get("bw")
    assert (bw.name, bw.einheit.singular, bw.einheit.plural) == ("Baden-Württemberg", "Kreis", "Kreise")
    assert bw.systeme == ("bw_vu",) and land.of_system("bw_vu") is bw and land.of_system("flueag").id == "nrw"
    # NRW's parameter list is unchanged by the second Land; each Land lists only its own
    assert not any(p["name"].startswith("bw_") for p in in_force("2024-01-01"))
    assert [p["name"] for p in in_force("2024-01-01", "bw")] == ["bw_vu_gewicht_einwohner"]


def test_keys_for_bw_are_the_population_shares_with_kreis_headers(cli, tmp_path):
    r = cli("keys", "--land", "bw", "--system", "bw_vu", "--format", "json")
    assert r.code == 0, r.stderr
    data = r.json()
    rows = pd.DataFrame(data["rows"])
    assert len(rows) == 44 and abs(rows["schluessel"].sum() - 1) < 1e-12
    np.testing.assert_allclose(rows["schluessel"], rows["einwohner"] / rows["einwohner"].sum(), rtol=1e-12)
    info = data["summary"]
    assert info["land"] == "bw" and info["einheit"] == "Kreis"
    assert [p["name"] for p in info["parameter"]] == ["bw_vu_gewicht_einwohner"]
    assert info["parameter"][0]["annahme"] is True  # the paragraph number is not verified (README)
    out = tmp_path / "schluessel.xlsx"
    assert cli("keys", "--land", "bw", "--system", "bw_vu", "--out", out).code == 0
    book = openpyxl.load_workbook(out, read_only=True)
    header = next(row for row in book.worksheets[0].iter_rows(values_only=True) if "Kreis" in row)
    assert "Kreisschlüssel" in header and not any("Gemeinde" in str(h) for h in header if h)
    params = [row for row in book["Parameter"].iter_rows(values_only=True)]
    assert ("Land", "Baden-Württemberg") in [row[:2] for row in params]
    assert any(row[0] == "Datenbasis Kreise" and row[5] == "inputs/bw/README.md" for row in params)


def test_terminal_speaks_of_kreise(cli, bw_stock):
    r = cli("status", "--land", "bw", "--system", "bw_vu", "--bestand", bw_stock)
    assert r.code == 0, r.stderr
    assert "Kreisschlüssel" in r.stdout and "Kreise über 100 %" in r.stdout
    assert "Land: Baden-Württemberg (Quellen: inputs/bw/README.md)" in r.stdout
    assert "Gemeinde" not in r.stdout.replace("Gemeindeverzeichnis", "")


def test_status_allocate_explain_for_bw(cli, bw_stock):
    status = cli("status", "--land", "bw", "--system", "bw_vu", "--bestand", bw_stock, "--format", "json")
    assert status.code == 0, status.stderr
    rows = pd.DataFrame(status.json()["rows"])
    total = int(rows["bestand"].sum())
    np.testing.assert_allclose(rows["soll_stichtag"], rows["schluessel"] * total)
    assert (rows["soll_gerundet"] == np.ceil(rows["soll_stichtag"] - 1e-9)).all()
    alloc = cli("allocate", "--land", "bw", "--system", "bw_vu", "--bestand", bw_stock, "--personen", "500",
                "--format", "json")
    assert alloc.code == 0, alloc.stderr
    assert sum(r["zuweisung"] for r in alloc.json()["rows"]) == 500
    stuttgart = cli("explain", "08111000", "--land", "bw", "--system", "bw_vu", "--bestand", bw_stock)
    assert stuttgart.code == 0, stuttgart.stderr
    assert stuttgart.stdout.startswith("Stuttgart, Stadtkreis (Kreisschlüssel 08111000), Vorläufige "
                                       "Unterbringung (FlüAG BW)")
    assert "Einwohneranteil e = 633.484 / 11.339.260" in stuttgart.stdout
    assert "FlüAG BW, Verteilung" in stuttgart.stdout and "(Annahme)" in stuttgart.stdout
    missing = cli("explain", "05315000", "--land", "bw", "--system", "bw_vu")
    assert missing.code == 2 and "05315000 ist nicht in der Kreis-Tabelle" in missing.stderr


def test_compare_bw_status_quo(cli, bw_stock, tmp_path):
    out = tmp_path / "vergleich"
    r = cli("compare", "--land", "bw", "--bestand", bw_stock, "--zugaenge", "bw_vu=500", "--out", out,
            "--format", "json")
    assert r.code == 0, r.stderr
    info = r.json()["info"]
    assert info["modelle"] == ["status-quo"] and info["zugaenge"] == {"bw_vu": 500}
    assert "zugaenge_flueag" not in info and [p["name"] for p in info["parameter"]] == ["bw_vu_gewicht_einwohner"]
    g = pd.read_csv(out / "gemeinden.csv", dtype={"ags": str})
    assert len(g) == 44 and int(g["zuweisung"].sum()) == 500
    book = openpyxl.load_workbook(out / "vergleich.xlsx", read_only=True)
    assert "Kreistypen" in book.sheetnames and "Gemeindetypen" not in book.sheetnames
    # no default count for BW's stream: refused, naming the option (exit 2, nothing written)
    refused = cli("compare", "--land", "bw", "--bestand", bw_stock, "--out", tmp_path / "leer")
    assert refused.code == 2 and "--zugaenge bw_vu=N" in refused.stderr
    assert not (tmp_path / "leer").exists()
    # and no stock scenario ships for BW
    no_stock = cli("compare", "--land", "bw", "--zugaenge", "bw_vu=5", "--out", tmp_path / "leer")
    assert no_stock.code == 2 and "kein Bestandsszenario" in no_stock.stderr


def test_nrw_stock_file_is_refused_for_bw(cli):
    stock = ROOT / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
    r = cli("status", "--land", "bw", "--system", "bw_vu", "--bestand", stock)
    assert r.code == 2 and "„Bestand vorläufige Unterbringung“" in r.stderr


# ------------------------------------------------------------------ recipe "Ein neues Land"

XX_LAND = """\
name: Testland
einheit: {singular: Bezirk, plural: Bezirke, schluessel: Bezirksschlüssel}
parameter: parameter
systeme:
  - id: xx_quote
    anzeige: Testquote
    kurz: TQ
    schluessel: {einwohner: xx_gewicht_einwohner, flaeche_km2: xx_gewicht_flaeche}
    bestand: [xx_bestand]
    zugaenge: xx_quote
    paragraphen: {schluessel: § 1 TestAufnG, status: § 2 TestAufnG}
modelle: modelle
standard_modelle: [status-quo]
"""
XX_PARAM = """\
anzeige: Gewicht {what} (Testquote)
unit: share
paragraph: § 1 Abs. 1 TestAufnG
values:
  2020-01-01:
    value: {value}
    reference: {{title: "Testaufnahmegesetz", href: https://example.invalid/testaufng}}
"""
XX_MODEL = """\
id: status-quo
titel: Status quo Testland
beschreibung_de: Testland verteilt nach Einwohnern und Fläche.
description_en: Test Land.
rechtsgrundlage: TestAufnG
vorschlag: keiner
begruendung: Test.
systeme:
  - {name: xx_quote, schluessel: {typ: system, system: xx_quote}, bestand: [xx_bestand], zugaenge: xx_quote}
"""


@pytest.fixture
def testland(tmp_path, monkeypatch):
    """A third Land made of data only, in a temporary inputs folder beside the shipped ones."""
    from verteilung.law import systems

    root = tmp_path / "inputs"
    root.mkdir()
    for shipped in ("nrw", "bw", "de"):
        (root / shipped).symlink_to(ROOT / "inputs" / shipped)
    xx = root / "xx"
    (xx / "parameter").mkdir(parents=True)
    (xx / "modelle").mkdir()
    (xx / "land.yaml").write_text(XX_LAND, encoding="utf-8")
    (xx / "gemeinden.csv").write_text("ags,gemeinde,gemeinde_typ\n99001000,Nord,Bezirk\n99002000,Mitte,Bezirk\n"
                                      "99003000,Süd,Bezirk\n", encoding="utf-8")
    (xx / "bevoelkerung.csv").write_text(
        "ags,stichtag,einwohner,flaeche_km2,genauigkeit,quelle\n"
        "99001000,2023-12-31,1000,10.0,exact,Testamt\n99002000,2023-12-31,3000,10.0,exact,Testamt\n"
        "99003000,2023-12-31,6000,80.0,exact,Testamt\n", encoding="utf-8")
    for what, value in (("einwohner", 0.5), ("flaeche", 0.5)):
        (xx / "parameter" / f"xx_gewicht_{what}.yaml").write_text(
            XX_PARAM.format(what=what, value=value), encoding="utf-8")
    (xx / "modelle" / "status-quo.yaml").write_text(XX_MODEL, encoding="utf-8")
    (tmp_path / "bestand.csv").write_text("ags,xx_bestand\n99001000,10\n99002000,30\n99003000,60\n",
                                          encoding="utf-8")
    monkeypatch.setattr(land, "_inputs_root", lambda: root)
    land._load.cache_clear()
    systems.register_land("xx")
    yield tmp_path
    land._load.cache_clear()
    shutil.rmtree(xx)


def test_recipe_ein_neues_land(cli, testland):
    """docs/architecture.md "Ein neues Land": a folder with land.yaml, a unit table, a population
    file, dated parameters and a status-quo model; no code. keys, status, allocate, explain and
    compare then work for it."""
    keys = cli("keys", "--land", "xx", "--system", "xx_quote", "--format", "json")
    assert keys.code == 0, keys.stderr
    k = [r["schluessel"] for r in keys.json()["rows"]]
    np.testing.assert_allclose(k, [0.5 * 0.1 + 0.5 * 0.1, 0.5 * 0.3 + 0.5 * 0.1, 0.5 * 0.6 + 0.5 * 0.8])
    assert [p["name"] for p in keys.json()["summary"]["parameter"]] == ["xx_gewicht_einwohner",
                                                                         "xx_gewicht_flaeche"]
    stock = testland / "bestand.csv"
    status = cli("status", "--land", "xx", "--system", "xx_quote", "--bestand", stock)
    assert status.code == 0 and "Bezirksschlüssel" in status.stdout and "Bezirke über 100 %" in status.stdout
    alloc = cli("allocate", "--land", "xx", "--system", "xx_quote", "--bestand", stock, "--personen", "20",
                "--format", "json")
    assert alloc.code == 0 and sum(r["zuweisung"] for r in alloc.json()["rows"]) == 20
    explain = cli("explain", "99003000", "--land", "xx", "--system", "xx_quote")
    assert explain.code == 0 and "§ 1 Abs. 1 TestAufnG" in explain.stdout
    out = testland / "vergleich"
    cmp = cli("compare", "--land", "xx", "--bestand", stock, "--zugaenge", "xx_quote=20", "--out", out,
              "--format", "json")
    assert cmp.code == 0, cmp.stderr
    assert json.loads(io.StringIO(cmp.stdout).read())["info"]["land"] == "xx"
    assert int(pd.read_csv(out / "gemeinden.csv")["zuweisung"].sum()) == 20


def test_bw_long_run_names_only_its_own_totals(cli, bw_stock, tmp_path):
    """The long-run line and summary of a BW comparison list BW's stock total by its system's name,
    no FlüAG/WSA zeros of NRW and no identifier (``vu_bestand``); no Stadt-Kreis group is 0/0."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = cli("compare", "--land", "bw", "--bestand", bw_stock, "--zugaenge", "bw_vu=500", "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    line = next(x for x in r.stdout.replace("\n", " ").split("Zusammenfassung")[0].split("Langfristig:")[1:])
    assert "Landessummen VU BW " in line and "FlüAG" not in line and "WSA" not in line
    text = (tmp_path / "v" / "zusammenfassung.txt").read_text(encoding="utf-8")
    assert "Personen VU BW" in text and "vu_bestand" not in text and "FlüAG-Personen" not in text


def test_a_description_file_added_to_an_existing_folder_is_seen(monkeypatch, tmp_path):
    """Review r55: the scan of ``inputs/`` is cached by modification times; a ``land.yaml`` written
    into a folder that already exists changes only that folder's, and must still be seen."""
    root = tmp_path / "inputs"
    (root / "nrw").mkdir(parents=True)
    (root / "nrw" / land.DESCRIPTION).write_text("id: nrw\n", encoding="utf-8")
    (root / "he").mkdir()
    monkeypatch.setattr(land, "_inputs_root", lambda: root)
    assert land.ids() == ["nrw"]
    (root / "he" / land.DESCRIPTION).write_text("id: he\n", encoding="utf-8")
    later = time.time_ns() + 10**9  # a tick of the file system's clock later, whatever its grain
    os.utime(root / "he", ns=(later, later))
    assert land.ids() == ["nrw", "he"]
    (root / "nrw" / land.DESCRIPTION).unlink()
    os.utime(root / "nrw", ns=(later + 10**9, later + 10**9))
    assert land.ids() == ["he"]
