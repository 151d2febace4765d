"""The app in a real browser (Playwright driving Debian's Chromium); skipped without one.

One server (started from the command line on a free port) and one browser for the module. The
time from slider release to repainted map is printed. Every page and the report are checked with
axe-core (BITV 2.0 / WCAG 2.1 AA: no serious or critical violation), at 390 px width without
horizontal scrolling, and for identifiers in their visible text. The tests write nothing into the
checkout; the screenshots in docs/ come from scripts/screenshot_app.py.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
PAGES = ("/", "/gemeinde?ags=05513000", "/simulation", "/daten", "/api")
# identifier-like tokens a reader must never see: snake_case names, English decimals after "=", booleans
IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_]+\b|=0\.|\bTrue\b|\bFalse\b")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "verteilung", "app", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/api/modelle", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                proc.kill()
                pytest.fail(f"app did not start: {out}")
            time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    assert pg.errors == []  # no console errors, no CSP violations
    pg.close()


def _loaded(pg, before: str | None = None, timeout: float = 60_000) -> str:
    sel = "body[data-geladen]" if before is None else f'body[data-geladen]:not([data-geladen="{before}"])'
    pg.wait_for_selector(sel, state="attached", timeout=timeout)
    return pg.get_attribute("body", "data-geladen")


def _state(pg) -> tuple[list, str]:
    z = pg.evaluate("document.getElementById('map').data[0].z")
    return z, pg.text_content("[id='t_Gewinner und Verlierer']")  # a collapsed table: its text, not its rendering


def test_slider_changes_map_and_winners_and_permalink_reproduces(server, browser, page):
    page.goto(server + "/")
    mark = _loaded(page)
    z0, winners0 = _state(page)
    assert len(z0) == 396 and "Dahlem" not in page.url
    t0 = time.perf_counter()
    page.locator("#w_flaeche").fill("40")  # like releasing the slider at 40
    _loaded(page, mark)
    print(f"\nSchieberegler losgelassen → Karte neu gezeichnet: {(time.perf_counter() - t0) * 1000:.0f} ms")
    z1, winners1 = _state(page)
    assert z1 != z0 and winners1 != winners0
    assert "w_flaeche=40" in page.url
    link = page.get_attribute("#permalink", "href")
    other = browser.new_page(viewport={"width": 1400, "height": 1000})
    other.goto(server + link)
    _loaded(other)
    assert _state(other) == (z1, winners1)
    assert other.input_value("#w_flaeche") == "40"
    # a click on a Gemeinde opens its profile with the same settings
    other.locator("#map path.choroplethlocation").nth(200).click(force=True)
    other.wait_for_url("**/gemeinde?ags=*", timeout=20_000)
    assert "w_flaeche=40" in other.url
    other.close()


def test_search_dahl_finds_dahlem_and_opens_profile(server, page):
    page.goto(server + "/gemeinde")
    page.locator("#q").press_sequentially("Dahl")
    hit = page.locator("#treffer a", has_text="Dahlem")
    hit.wait_for(timeout=20_000)
    hit.click()
    _loaded(page)
    assert "Dahlem" in page.inner_text("#name")
    assert "Einwohneranteil e" in page.inner_text("#s_flueag") and "§ 3 Abs. 1" in page.inner_text("#s_flueag")
    assert "ags=05366012" in page.url
    # the profile leads with the long run (and its money), then the path, then the Rechenweg
    assert page.locator("#lang_saetze li").count() >= 2 and "je 1.000 Einwohner" in page.inner_text("#lang_saetze")
    order = page.evaluate("""() => ['lang_saetze', 'verlauf', 't_modelle', 'rechenwege'].map((id) =>
        document.getElementById(id).getBoundingClientRect().top)""")
    assert order == sorted(order)
    page.locator("#verlauf").click()                       # the simulated path as a line chart
    page.wait_for_selector("body[data-verlauf='1']", timeout=60_000)
    assert page.locator("#kurve_verlauf .scatterlayer .trace").count() == 5


def test_simulation_and_data_pages(server, page):
    page.goto(server + "/simulation?monate=2&monat=1&modelle=status-quo,m1-gemeinsamer-bestand")
    _loaded(page)
    assert page.input_value("#monat") == "1"
    page.goto(server + "/daten")
    assert "SYNTHETISCH" in page.inner_text("main")


def _settled(pg, url: str) -> None:
    """Open a page and wait until its scripts have drawn what it shows."""
    from urllib.parse import urlsplit

    pg.goto(url)
    parts = urlsplit(url)
    marker = {"/": "body[data-lang][data-geladen]", "/simulation": "body[data-geladen]"}.get(parts.path)
    if parts.path == "/gemeinde" and "ags=" in parts.query:
        marker = "body[data-geladen]"
    if parts.scheme == "file":
        marker = "body[data-langfrist]"  # the report: its long-run charts are drawn
    if marker:
        pg.wait_for_selector(marker, state="attached", timeout=90_000)


def _visible_text(pg) -> str:
    """What a reader sees, less code spans (the API page names the API's parameters as code)."""
    return pg.evaluate("""() => { const c = document.body.cloneNode(true);
        c.querySelectorAll('code, script, style').forEach((e) => e.remove());
        document.body.appendChild(c); c.style.position = 'absolute'; const t = c.innerText; c.remove(); return t; }""")


def test_first_screen_tells_the_long_run_of_one_model(server, page):
    page.goto(server + "/")
    page.wait_for_selector("body[data-lang]", state="attached", timeout=90_000)
    z = page.evaluate("document.getElementById('karte_lang').data[0].z")
    assert len(z) == 396
    assert sum(abs(v) >= 0.05 for v in z) > 300                    # coloured, not grey
    sentences = page.locator("#saetze li").all_inner_texts()
    assert len(sentences) >= 3 and all(re.search(r"\d", s) for s in sentences[:3])
    assert page.locator("#kreise_balken .bars path").count() >= 40  # every Kreis a bar
    first = page.input_value("#modell")
    page.select_option("#modell", "m2-mischschluessel")               # the user chooses the model shown
    expect(page.locator("#karte_lang_titel")).to_contain_text("M2", timeout=60_000)  # (no eval: the CSP forbids it)
    assert page.input_value("#modell") != first and "modell=m2-mischschluessel" in page.url
    # the map's alternative: every Gemeinde in a table, filterable from the keyboard
    page.locator("summary", has_text="Alle Gemeinden").click()
    page.locator("#suche_lang").press_sequentially("Dahl")
    assert "Dahlem" in page.inner_text("#t_gemeinden_lang")


def test_no_identifiers_in_any_page(server, page):
    for path in PAGES:
        _settled(page, server + path)
        for d in page.locator("details").all():                       # collapsed tables count too
            d.evaluate("(e) => { e.open = true; }")
        found = sorted(set(m.group(0) for m in IDENTIFIER.finditer(_visible_text(page))))
        assert found == [], (path, found)


def test_uploaded_table_survives_navigation(server, browser, tmp_path):
    import pandas as pd

    from verteilung.compare import default_bestand

    csv = tmp_path / "meine_bestaende.csv"
    pd.read_csv(default_bestand(), dtype=str).drop(columns=["quelle"]).to_csv(csv, index=False)
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = ctx.new_page()
    try:
        pg.goto(server + "/daten")
        pg.set_input_files("#datei", str(csv))
        pg.click("button[type=submit]")
        pg.wait_for_selector("#upload_ok")
        for link in ("Überblick", "Simulation", "Meine Gemeinde", "Daten"):  # by the menu, as a user would
            pg.locator("nav a", has_text=link).click()
            pg.wait_for_load_state()
            assert "eigene Tabelle aktiv" in pg.inner_text("#eigene_tabelle"), link
            assert "meine_bestaende.csv" in pg.inner_text("footer") and "SYNTHETISCH" not in pg.inner_text("footer")
        pg.locator("nav a", has_text="Überblick").click()
        pg.wait_for_selector("body[data-geladen]", state="attached", timeout=60_000)
        assert pg.locator("#synth").is_hidden()                        # the comparison ran on the own table
        pg.click("#eigene_tabelle button")                             # reset
        pg.wait_for_url("**/daten")
        assert pg.locator("#eigene_tabelle").count() == 0 and "SYNTHETISCH" in pg.inner_text("footer")
    finally:
        ctx.close()


def test_month_slider_offers_what_the_models_allow(server, page):
    page.goto(server + "/simulation?monate=3&monat=3")
    _loaded(page)
    ticked = page.locator("input[name=modell]:checked").count()
    from verteilung.app.config import AppConfig

    limit = AppConfig().grenzen.modellmonate                         # the app was started without a config
    assert page.get_attribute("#monate", "max") == str(min(60, limit // (ticked + 1)))
    for box in page.locator("input[name=modell]").all()[1:]:
        box.uncheck()
    expect(page.locator("#monate")).to_have_attribute("max", "60", timeout=60_000)
    assert "höchstens 60 Monate" in page.inner_text("#grenze")
    # keyboard: the slider moves with the arrow keys and says its value
    page.focus("#monate")
    before = int(page.input_value("#monate"))
    page.keyboard.press("ArrowRight")
    assert int(page.input_value("#monate")) == before + 1
    assert page.inner_text("#o_monate") == str(before + 1)


def test_axe_finds_no_serious_violation_on_any_page_or_the_report(server, page, tmp_path):
    axe_api = pytest.importorskip("axe_playwright_python.sync_playwright")
    from verteilung.compare import compare
    from verteilung.report.bericht import render_report

    report = tmp_path / "bericht.html"
    report.write_text(render_report(compare()), encoding="utf-8")
    axe = axe_api.Axe()
    found = {}
    for url in [server + p for p in PAGES] + [report.resolve().as_uri()]:
        _settled(page, url)
        res = axe.run(page)
        bad = [(v["id"], v["impact"], len(v["nodes"])) for v in res.response["violations"]
               if v["impact"] in ("serious", "critical")]
        if bad:
            found[url] = bad
    assert found == {}


def test_pages_fit_390_px_without_horizontal_scrolling(server, browser, tmp_path):
    from verteilung.compare import compare
    from verteilung.report.bericht import render_report

    report = tmp_path / "bericht.html"
    report.write_text(render_report(compare()), encoding="utf-8")
    pg = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        for url in [server + p for p in PAGES] + [report.resolve().as_uri()]:
            _settled(pg, url)
            wide = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert wide <= 1, (url, wide)
    finally:
        pg.close()


def test_an_error_replaces_the_charts_where_the_user_looks(server, page):
    """A refused setting shows its German reason next to the controls, and the stale map goes."""
    page.goto(server + "/")
    mark = _loaded(page)
    assert page.evaluate("document.getElementById('map').data.length") == 1
    page.fill("#z_flueag", "999999")
    page.dispatch_event("#z_flueag", "change")
    box = page.locator("#fehler_details")
    expect(box).to_be_visible(timeout=30_000)
    # the error names the field in words, not "z_flueag:"
    assert box.inner_text().startswith("Zugänge FlüAG: 999.999 liegt nicht zwischen 0 und 100.000")
    assert page.evaluate("document.getElementById('map').data === undefined")
    assert page.get_attribute("body", "data-geladen") in (None, mark)
    page.fill("#z_flueag", "1000")                              # corrected: the map comes back
    page.dispatch_event("#z_flueag", "change")
    page.wait_for_selector("body[data-geladen]", state="attached", timeout=60_000)
    expect(box).to_be_hidden()
    page.errors = [e for e in page.errors if "422" not in e]  # the refused request itself, as intended


def test_simulation_page_shows_money_along_the_months_against_the_chosen_basis(server, page):
    """The money chart (model vs Vergleichsbasis, € per month and since the start) and its table show;
    months after the money year are marked NÄHERUNG; the basis choice is reachable by keyboard and
    survives in the permalink."""
    page.goto(server + "/simulation?monate=13&monat=13&modelle=status-quo,m1-gemeinsamer-bestand")
    _loaded(page)
    assert page.locator("#kurve_geld .main-svg").count() > 0
    assert page.locator("#kurve_geld_kum .main-svg").count() > 0
    hint = page.inner_text("#geld_naeherung")
    assert hint.startswith("NÄHERUNG ab Monat 12")  # Stichtag January 2024: month 12 is January 2025
    page.click("#geld summary")
    rows = page.locator("#t_Geld tbody tr")
    assert rows.count() == 2 * 13  # the map's model and the basis, 13 months each
    assert "NÄHERUNG" in rows.nth(12).inner_text() and "NÄHERUNG" not in rows.nth(10).inner_text()
    assert "Mittel seit Beginn (€)" in page.inner_text("#t_Geld thead")
    page.focus("#basis")
    assert page.evaluate("document.activeElement.id") == "basis"
    before = page.get_attribute("body", "data-geladen")
    page.select_option("#basis", "m1-gemeinsamer-bestand")
    _loaded(page, before, timeout=90_000)
    assert "basis=m1-gemeinsamer-bestand" in page.get_attribute("#permalink", "href")
    assert "gegenüber M1" in page.inner_text("#kurve_geld_kum")
