"""The app in a real browser (Playwright driving Debian's Chromium); skipped without one.

One server (started from the command line on a free port) and one browser for the module.
Screenshots go to docs/app*.png; the time from slider release to repainted map is printed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
DOCS = Path(__file__).resolve().parent.parent / "docs"


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
    return z, pg.inner_text("[id='t_Gewinner und Verlierer']")


def test_slider_changes_map_and_winners_and_permalink_reproduces(server, browser, page):
    page.goto(server + "/")
    mark = _loaded(page)
    z0, winners0 = _state(page)
    assert len(z0) == 396 and "Dahlem" not in page.url
    page.screenshot(path=str(DOCS / "app.png"))
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
    page.screenshot(path=str(DOCS / "app-gemeinde.png"), full_page=True)
    page.locator("#verlauf").click()                       # the simulated path as a line chart
    page.wait_for_selector("body[data-verlauf='1']", timeout=60_000)
    assert page.locator("#kurve_verlauf .scatterlayer .trace").count() == 5


def test_simulation_and_data_pages(server, page):
    page.goto(server + "/simulation?monate=2&monat=1&modelle=status-quo,m1-gemeinsamer-bestand")
    _loaded(page)
    assert page.input_value("#monat") == "1"
    page.screenshot(path=str(DOCS / "app-simulation.png"))
    page.goto(server + "/daten")
    assert "SYNTHETISCH" in page.inner_text("main")
    page.screenshot(path=str(DOCS / "app-daten.png"))
