"""Take the app screenshots in docs/ (app.png, app-gemeinde.png, app-simulation.png, app-daten.png).

Starts `verteilung app` on a free port, opens each page in Debian's Chromium (Playwright), waits
until the page's scripts have drawn, and writes the pictures. The test run never writes them, so
the checkout stays clean; run this after a change to the pages.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
SHOTS = [  # (file, path, selector that says the page is drawn, full page?)
    ("app.png", "/?modell=m1-gemeinsamer-bestand", "body[data-lang][data-geladen]", False),
    ("app-gemeinde.png", "/gemeinde?ags=05513000", "body[data-geladen]", True),
    ("app-simulation.png", "/simulation?monate=12&monat=12&modelle=status-quo,m1-gemeinsamer-bestand,"
     "m2-mischschluessel", "body[data-geladen]", False),
    ("app-daten.png", "/daten", "main", False),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "verteilung", "app", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/api/modelle", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name, path, ready, full in SHOTS:
                page.goto(base + path)
                page.wait_for_selector(ready, state="attached", timeout=120_000)
                page.screenshot(path=str(DOCS / name), full_page=full)
                print(f"wrote {DOCS / name}")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
