"""Open a generated report in headless Chromium: load check and screenshot.

Used by the browser test and by ``scripts/screenshot_report.py`` (the README picture), so the
picture in the README comes from the same code path the test checks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--allow-file-access-from-files"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageCheck:
    images: int
    images_ok: int
    errors: int
    ready: bool
    console_errors: list[str]


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("chromium not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="verteilung-chromium-") as profile:
        return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout)


def check_page(html: Path) -> PageCheck:
    """Load the page, let its scripts run, read the self-check the page writes on <body>."""
    r = _run(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom",
              html.resolve().as_uri()])
    body = re.search(r"<body([^>]*)>", r.stdout)
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1))) if body else {}
    console = [line for line in r.stderr.splitlines() if "CONSOLE" in line and ("Error" in line or "Uncaught" in line)]
    return PageCheck(int(attrs.get("images", 0)), int(attrs.get("images-ok", 0)), int(attrs.get("errors", 0)),
                     attrs.get("ready") == "1", console)


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2200) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--screenshot={png.resolve()}", f"--window-size={width},{height}", "--virtual-time-budget=5000",
          html.resolve().as_uri()])
    if not png.exists():
        raise RuntimeError("chromium wrote no screenshot")
    return png
