"""The HTML report (self-contained, opens in a real browser) and the officers' workbook."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from verteilung.compare import compare
from verteilung.report import browser
from verteilung.report.bericht import render_report
from verteilung.report.vergleich import write_outputs
from verteilung.simulate import simulate

IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bericht") / "bericht.html"
    path.write_text(render_report(compare(), simulate(2)), encoding="utf-8")
    return path


def test_report_is_self_contained_german_and_labelled(report_file):
    html = report_file.read_text(encoding="utf-8")
    assert '<html lang="de">' in html
    # nothing is fetched from a network (plotly.js, embedded, names web addresses it never loads here:
    # test_report_long_run_section_draws_without_network checks the requests in the browser)
    assert not re.search(r'(src|href)="(https?:)?//', re.sub(r"<script>.*?</script>", "", html, flags=re.S))
    assert html.count('src="data:image/png;base64,') >= 4    # 4 charts
    assert html.count('<svg class="karte"') == 5               # 5 maps, one path per Gemeinde with its name
    assert html.count('<path data-ags="') == 5 * 396
    assert '<input id="gemeinde-suche"' in html and html.count('<tr data-ags="') == 396
    assert "SYNTHETISCHE Bestandsdaten" in html
    assert "© GeoBasis-DE / BKG" in html and "dl-de/by-2-0" in html
    for heading in ("Die Modelle", "Karten", "Gewinner und Verlierer", "Kreise", "Regierungsbezirke"):
        assert heading in html


def test_report_shows_the_transition_figures_for_every_model(report_file):
    """Issue 14: a section "Übergang" with one row per model (simulated months), and without a
    simulation the one figure meaningful for one period."""
    from verteilung.compare import DEFAULT_MODELS
    from verteilung.report.bericht import transition_section

    html = report_file.read_text(encoding="utf-8")
    section = html.split('<h2 id="uebergang">Übergang</h2>')[1].split("</main>")[0]
    table = section.split('<table id="t-uebergang"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + len(DEFAULT_MODELS)
    for m in DEFAULT_MODELS:
        assert f'<td data-sort="{m}">{m}</td>' in table
    assert "Monate bis alle ±10 % um ihr Soll" in table and "Gemeinden ≥ 3 Monate ohne Zuweisung" in table
    assert "Bonn, Stadt" in table and "590" in table          # M1's first month
    assert "Gelsenkirchen" in section and 'alt="Verlauf im Übergang"' in section
    one_period = transition_section(compare(modelle=["status-quo", "m1-gemeinsamer-bestand-gestaffelt"]))
    assert "Größte Zuweisung an eine Gemeinde" in one_period and ">197<" in one_period and ">11,2<" in one_period


def _need_browser():
    if browser.chromium() is None:
        if IN_CI:
            pytest.fail("chromium must be installed in CI (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed here (apt-get install chromium); CI runs this test")


def test_report_loads_in_chromium_without_errors(report_file):
    _need_browser()
    check = browser.check_page(report_file)
    assert check.ready, "page did not finish loading"
    assert check.images >= 4 and check.images_ok == check.images
    assert check.errors == 0 and check.console_errors == []


def test_report_search_and_map_hover_names_in_chromium(report_file):
    """Typing "Dahl" shows Dahlem's row (and only rows matching); umlauts and ", Stadt" fold like the
    app's search; each map path carries its Gemeinde's name as hover text; no console errors."""
    _need_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser.chromium())
        try:
            page = b.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report_file.resolve().as_uri())
            box = page.locator("#gemeinde-suche")
            box.fill("Dahl")

            def shown() -> list[str]:
                return page.locator("#gemeinde-tabelle tbody tr:visible td:first-child").all_inner_texts()

            names = shown()
            assert "Dahlem" in names
            assert all("dahl" in n.lower() for n in names)
            row = page.locator('#gemeinde-tabelle tr[data-such="dahlem"]')
            assert row.is_visible() and row.locator("td").count() >= 4 + 4 * 2
            box.fill("muenster")                                  # ü typed as ue; "Münster, Stadt"
            assert any(n.startswith("Münster") for n in shown())
            box.fill("Köln, Stadt")
            assert shown() == ["Köln, Stadt"]
            box.fill("05366")                                     # AGS prefix: Kreis Euskirchen
            assert "Dahlem" in shown()
            box.fill("xyzzy")
            assert page.locator("#gemeinde-treffer").inner_text() == "keine Gemeinde gefunden"
            dahlem = row.get_attribute("data-ags")
            path = page.locator(f'svg.karte path[data-ags="{dahlem}"]').first
            path.scroll_into_view_if_needed()
            path.hover()
            assert path.locator("title").text_content().startswith("Dahlem: ")
            assert page.locator("svg.karte path title").count() == 5 * 396
            mismatched = page.evaluate("""() => Array.from(document.querySelectorAll('#gemeinde-tabelle tbody tr'))
                .filter((tr) => window.verteilungFold(tr.cells[0].textContent) !== tr.dataset.such)
                .map((tr) => tr.cells[0].textContent)""")
            assert mismatched == []                               # JS and Python fold alike on all 396 names
            assert errors == []
        finally:
            b.close()


def test_report_screenshot_is_not_blank(report_file, tmp_path):
    _need_browser()
    from matplotlib.image import imread

    png = browser.screenshot(report_file, tmp_path / "shot.png", height=1600)
    pixels = imread(png)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    assert float(np.std(pixels[..., :3])) > 0.05       # not a blank page


def test_report_cli(cli, tmp_path):
    r = cli("report", "--monate", "1", "--out", tmp_path / "b.html")
    assert r.code == 0, r.stderr
    assert (tmp_path / "b.html").stat().st_size > 100_000


def test_officers_workbook(tmp_path):
    from openpyxl import load_workbook

    res = compare(bestand="tests/data/modelle_bestand.csv", gemeinden="tests/data/modelle_gemeinden.csv",
                  zugaenge={"flueag": 100, "wsa": 50}, stichtag="2024-01-01")
    folder = write_outputs(res, tmp_path / "v")
    wb = load_workbook(folder / "vergleich.xlsx")
    for sheet in ("Verteilstatistik FlüAG", "Verteilstatistik WSA", "Vergleich", "Kreise", "Regierungsbezirke",
                  "Parameter"):
        assert sheet in wb.sheetnames
    ws = wb["Verteilstatistik FlüAG"]
    head = [c.value for c in ws[1]]
    assert head[:4] == ["AGS", "Gemeinde", "Kreis", "Schlüssel"]
    assert "Erfüllungsquote (%)" in head and "Aufnahmeverpflichtung" in head
    col = {h: i + 1 for i, h in enumerate(head)}
    assert ws.cell(row=2, column=col["AGS"]).value == "05000001"
    assert ws.cell(row=4, column=col["Aufnahmeverpflichtung"]).value == 475     # LEGAL.md § 5, Gemeinde 3
    assert ws.cell(row=4, column=col["Erfüllungsquote (%)"]).value == pytest.approx(55.81)
    assert ws.cell(row=4, column=col["Erfüllungsquote (%)"]).number_format == '0.00" %";"−"0.00" %"'
    assert ws.cell(row=4, column=col["Soll (Stichtag)"]).number_format == '#,##0.00;"−"#,##0.00'
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    params = {r[6].value: r[1].value for r in wb["Parameter"].iter_rows(min_row=2)}  # Kennung -> Wert
    assert params["flueag_kappung"] == 0.25
    assert params["bestand_datei"] == "tests/data/modelle_bestand.csv" and params["stichtag"] == "01.01.2024"


def test_report_names_parameters_and_models_in_german(report_file):
    html = report_file.read_text(encoding="utf-8")
    assert "Gewicht Arbeitslose (AWoV) = 0,1:" in html        # as on the workbooks' Parameter sheet
    assert "awov_gewicht_arbeitslose" not in html
    assert not re.search(r"\b(M\d[^:<]{0,24}): \1:", html)     # no doubled short name in the legend
    assert "Streuung der Last je Einwohner (VK) 0," in html    # the simulation's findings, German decimals


def test_short_titles_and_legend():
    from verteilung.report.html import legend_text, short_title

    assert short_title("M1: ein gemeinsamer Bestand") == "M1"
    assert short_title("M1 gestaffelt: ein gemeinsamer Bestand, gestaffelt") == "M1 gestaffelt"
    assert short_title("ein Titel ohne Doppelpunkt") == "ein Titel ohne Doppelpunkt"
    long = "Ein sehr langer Name, der ein Satz ist: und mehr"
    assert short_title(long) == long
    assert legend_text("M1: ein gemeinsamer Bestand", "M1") == "ein gemeinsamer Bestand"
    assert legend_text(long, long) == long


def test_chart_ticks_are_german():
    import matplotlib.pyplot as plt

    from verteilung.report import charts

    ticks = [charts._de_tick(v) for v in (1000.0, 0.1 + 0.2, 2.5, -50.0, 0.0)]
    assert ticks == ["1.000", "0,3", "2,5", "\u221250", "0"]  # the typographic minus, as in all text
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1500.5])
    charts.german_ticks(fig)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    plt.close(fig)
    assert labels and all("." not in t or "," not in t for t in labels) and any(t.endswith(".000") for t in labels)
    assert not any(re.fullmatch(r"\d+\.\d", t) for t in labels)


def test_report_long_run_section_comes_after_the_sentences_with_a_table_per_chart(report_file):
    """Issue 24: story first. The generated sentences, then the long run on real data per model (map,
    Kreis ranking, money per Kreis, each with a caption in words and a table), then this period."""
    from verteilung.compare import DEFAULT_MODELS

    html = report_file.read_text(encoding="utf-8")
    assert (html.index('<h2 id="wichtigste">Das Wichtigste</h2>') < html.index('<h2 id="langfristig">')
            < html.index("<h2>Karten dieser Periode</h2>"))
    section = html.split('<h2 id="langfristig">')[1].split("<h2>Karten dieser Periode</h2>")[0]
    merged = [m for m in DEFAULT_MODELS if m != "status-quo"]
    for i in range(len(merged)):
        assert f'id="lf{i}-karte" class="plot karte-lang" role="img" aria-label="Karte der 396 Gemeinden:' in section
        assert f'id="lf{i}-kreise"' in section and f'id="lf{i}-geld"' in section
        kreise = section.split(f'<table id="t-lf{i}"')[1].split("</table>")[0]
        assert kreise.count("<tr>") == 1 + 53                   # 31 Kreise and 22 kreisfreie Städte
    assert "NÄHERUNG" in section and "nicht</strong> auf dem SYNTHETISCHEN Bestand" in section
    assert "Farbskala PuOr" in section
    everyone = section.split('<table id="t-lf-gemeinden"')[1].split("</table>")[0]
    assert everyone.count("<tr>") == 1 + 396


def test_report_long_run_figures_are_the_long_run_results():
    """Regression on real data (no stock): the captions and tables carry `langfrist`'s and `mittel`'s
    numbers for M1 against the status quo, in German format."""
    from verteilung.report.langfrist_karten import langfrist_abschnitt

    cmp = compare(modelle=["status-quo", "m1-gemeinsamer-bestand"])
    lang = langfrist_abschnitt(cmp, cmp.info["modell_titel"])
    assert lang is not None and [m["kurz"] for m in lang["modelle"]] == ["M1"]
    m1 = lang["modelle"][0]
    assert m1["karte_text"] == "Am meisten mehr: Köln, Stadt (+1,2 je 1.000 EW); am meisten weniger: Weeze (−10,7)."
    assert m1["kreise_text"].startswith("Oben: Köln, Stadt (+1,2), Bielefeld, Stadt (+1,2)")
    assert "Euskirchen (−3,4)" in m1["kreise_text"]
    assert m1["geld_text"].startswith("Oben: Mönchengladbach, Stadt (+13.616.211)")
    lf, money = cmp.langfrist, cmp.mittel
    assert lf is not None and money is not None
    k = lf.aggregate["kreise"].set_index(["modell", "kreis"]).loc[("m1-gemeinsamer-bestand", "Euskirchen")]
    row = next(r for r in m1["tabelle"]["rows"] if r[0]["text"] == "Euskirchen")
    # Kreis, Einwohner, long-run load, change (persons), change per 1,000, money, change in money
    assert row[3]["sort"] == pytest.approx(k["aenderung_langfristig"]) and row[3]["text"] == "−683"
    assert row[4]["text"] == "−3,4"
    g = money.kreise.set_index(["modell", "kreis"]).loc[("m1-gemeinsamer-bestand", "Euskirchen")]
    assert row[-1]["sort"] == pytest.approx(g["aenderung_mittel_eur"])
    assert 0 < lang["grenze"] < 10.7                              # the 98th percentile, not Weeze's extreme


def test_report_long_run_section_draws_without_network(report_file):
    """In Chromium: the embedded plotly.js draws a map and two bar charts per model, no request leaves
    the file, no console error; the table alternatives open by keyboard."""
    _need_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser.chromium())
        try:
            page = b.new_page()
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report_file.resolve().as_uri())
            page.wait_for_selector("body[data-langfrist]", state="attached", timeout=60_000)
            assert page.locator("#lf0-karte .choroplethlocation").count() == 396
            assert page.locator(".plot .main-svg").count() >= 3 * 4
            summary = page.locator("#langfristig ~ section.modell-lang details summary").first
            summary.focus()
            page.keyboard.press("Enter")
            assert page.locator("#t-lf0").is_visible()
            assert requests == [] and errors == []
        finally:
            b.close()
