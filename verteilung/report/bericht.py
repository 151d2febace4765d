"""The HTML report as one call: compute the comparison (and simulation), then render.

`report` is the Python API of ``verteilung report``; `render_report` renders results a caller
already holds (``compare --report``, ``simulate --report``). This module sits above the analysis
(compare, simulate, model) and below the command line; nothing in the analysis imports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from verteilung.compare import CompareResult
from verteilung.compare import compare as run_compare
from verteilung.errors import InputError
from verteilung.model import load_model
from verteilung.report import html
from verteilung.simulate import SimResult, summary_lines
from verteilung.simulate import simulate as run_simulate


@dataclass
class Bericht:
    """The rendered report with the results it shows."""

    html: str
    vergleich: CompareResult
    simulation: SimResult | None = None
    info: dict = field(default_factory=dict)  # the comparison's metadata (stichtag, datenbasis, synthetisch, …)


def model_descriptions(cmp: CompareResult) -> list[dict]:
    """Title, text, proposal and legal basis of each compared model from its file."""
    out = []
    for m in cmp.info["modelle"]:
        try:
            d = load_model(m)
            out.append({"id": m, "titel": d.titel, "text": d.beschreibung_de, "vorschlag": d.vorschlag,
                        "grundlage": d.rechtsgrundlage})
        except InputError:  # custom weights have no file
            out.append({"id": m, "titel": cmp.info["modell_titel"].get(m, m), "text": "", "vorschlag": "",
                        "grundlage": ""})
    return out


def render_report(cmp: CompareResult, sim: SimResult | None = None) -> str:
    """The HTML of a comparison (and simulation) already computed."""
    return html.render_report(cmp, sim, model_descriptions(cmp), summary_lines(sim) if sim is not None else None)


def report(monate: int = 24, modelle: list[str] | None = None, *, bestand: str | Path | None = None,
           szenario: str | Path | None = None, gemeinden: str | Path | None = None, jahr: int | None = None,
           stichtag: str | dt.date | None = None,
           progress: Callable[[int, int], None] | None = None) -> Bericht:
    """A self-contained German HTML report: the models compared on this period, maps, charts and
    tables, with ``monate`` simulated months for the trajectories (0: none). Write ``.html`` to a
    file and open it in a browser; it needs no network.

    >>> import verteilung
    >>> b = verteilung.report(monate=0, modelle=["status-quo", "m1-gemeinsamer-bestand"])  # doctest: +SKIP
    >>> Path("bericht.html").write_text(b.html, encoding="utf-8")  # doctest: +SKIP
    """
    cmp = run_compare(modelle, bestand, gemeinden, jahr=jahr, stichtag=stichtag)
    sim = run_simulate(monate, modelle, szenario, bestand, gemeinden, jahr, stichtag, progress=progress) \
        if monate > 0 else None
    return Bericht(render_report(cmp, sim), cmp, sim, dict(cmp.info))
