"""Render the default report and take the README screenshot with the browser test's code path."""

from __future__ import annotations

import tempfile
from pathlib import Path

from verteilung.compare import compare
from verteilung.report.bericht import render_report
from verteilung.report.browser import screenshot
from verteilung.simulate import simulate

OUT = Path(__file__).resolve().parents[1] / "docs" / "bericht.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "bericht.html"
        html.write_text(render_report(compare(), simulate(24)), encoding="utf-8")
        screenshot(html, OUT, width=1280, height=2600)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
