"""The HTML report as one call: compute the comparison (and simulation), then render.

`report` is the Python API of ``verteilung report``; `render_report` renders results a caller
already holds (``compare --report``, ``simulate --report``). This module sits above the analysis
(compare, simulate, model) and below the command line; nothing in the analysis imports it.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from verteilung.compare import CompareResult
from verteilung.compare import compare as run_compare
from verteilung.errors import InputError
from verteilung.model import load_model
from verteilung.report import charts, html
from verteilung.simulate import SimResult, summary_lines, uebergang_lines
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
    """The HTML of a comparison (and simulation) already computed, with the section "Übergang"."""
    page = html.render_report(cmp, sim, model_descriptions(cmp), summary_lines(sim) if sim is not None else None)
    return page.replace("</main>", transition_section(cmp, sim) + "</main>", 1)


def _cells(values: list) -> list[dict]:
    """Table cells as the report's sortable tables want them (`html.cell`, one decimal)."""
    return [html.cell(v, 1) for v in values]


def transition_table(cmp: CompareResult, sim: SimResult | None) -> dict:
    """The transition figures of every model: from the simulation when there is one, else the
    one figure meaningful for one period (largest assignment and its share, `compare`)."""
    if sim is None or sim.uebergang is None:
        head = ["Modell", "Größte Zuweisung an eine Gemeinde", "Anteil an den Zugängen (%)"]
        rows = [_cells([r.modell, int(r.groesste_zuweisung),
                        None if pd.isna(r.groesste_zuweisung_anteil) else r.groesste_zuweisung_anteil * 100])
                for r in cmp.metriken.itertuples()]
        return {"head": head, "rows": rows}
    months = sim.info["monate"]
    head = ["Modell", "Übergang (Monate)", "Monate bis alle ±10 % um ihr Soll",
            f"Gemeinden ±10 % um ihr Soll nach {months} Monaten", "Größte Monatszuweisung",
            "an", "im Monat", "Anteil am Monat (%)", "Gemeinden ≥ 3 Monate ohne Zuweisung",
            "Konflikte kumuliert", "meiste Zuweisungen", f"Personen in {months} Monaten"]
    rows = []
    for r in sim.uebergang.itertuples():
        reached = f"nicht in {months}" if pd.isna(r.monate_bis_toleranz) else int(r.monate_bis_toleranz)
        share = None if pd.isna(r.groesste_zuweisung_anteil) else r.groesste_zuweisung_anteil * 100
        month = None if pd.isna(r.groesste_zuweisung_monat) else int(r.groesste_zuweisung_monat)
        rows.append(_cells([r.modell, int(r.uebergang_monate), reached, int(r.im_toleranzband_ende),
                            int(r.groesste_zuweisung),
                            r.groesste_zuweisung_gemeinde, month, share, int(r.gemeinden_ohne_zuweisung),
                            int(r.konflikt_personen_kumuliert), r.meiste_zuweisungen_gemeinde,
                            int(r.meiste_zuweisungen)]))
    return {"head": head, "rows": rows}


TRANSITION = """
  <h2 id="uebergang">Übergang</h2>
  <p>Wie hart treffen die ersten Monate einzelne Gemeinden? „Niedrigste Erfüllungsquote zuerst“ kann
  einen ganzen Monat an die Gemeinde schicken, die ein neuer Schlüssel am weitesten zurücklässt.
  Staffelung (Obergrenzen je Gemeinde und Monat) und Übergang (der neue Schlüssel über mehrere
  Monate eingeführt) begrenzen das; siehe docs/uebergang.md.
  {% if sim %}Kennzahlen der Simulation über {{ sim.monate }} Monate: Monate, bis jede Gemeinde
  innerhalb von ±10 % ihres Solls unter dem Modell liegt; die größte Zuweisung eines Monats an eine
  Gemeinde und ihr Anteil an den Zugängen des Monats; Gemeinden, die drei oder mehr Monate
  hintereinander niemanden erhalten; Konflikte im Übergang, kumuliert; der Verlauf für
  Gelsenkirchen und für die Gemeinde mit den meisten Zuweisungen.{% else %}Ohne Simulation zeigt
  der Bericht die Kennzahl, die für eine Periode aussagekräftig ist: die größte Zuweisung an eine
  Gemeinde und ihren Anteil an den Zugängen.{% endif %}</p>
  {% if zeilen %}<ul class="befunde">{% for b in zeilen %}<li>{{ b }}</li>{% endfor %}</ul>{% endif %}
  {% if bild %}<figure><img src="{{ bild }}" alt="Verlauf im Übergang"><figcaption>Zuweisungen je Monat:
  Gelsenkirchen und die Gemeinde mit den meisten Zuweisungen unter jedem Modell.</figcaption></figure>{% endif %}
  {% set t = tabelle %}{% set tid = "t-uebergang" %}{% include "tabelle.html.j2" %}
"""


def transition_section(cmp: CompareResult, sim: SimResult | None = None) -> str:
    """The report's section "Übergang" for every model (HTML, inserted at the end of the main part)."""
    import jinja2

    has_sim = sim is not None and sim.uebergang is not None and sim.uebergang_verlauf is not None
    bild = None
    if has_sim and sim is not None and len(sim.uebergang_verlauf):
        bild = "data:image/png;base64," + base64.b64encode(
            charts.transition_paths(sim.uebergang_verlauf, sim.uebergang)).decode("ascii")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(html.TEMPLATE.parent), autoescape=True)
    return env.from_string(TRANSITION).render(
        sim=sim.info if has_sim and sim is not None else None, bild=bild, tabelle=transition_table(cmp, sim),
        zeilen=uebergang_lines(sim) if has_sim and sim is not None else [])


def report(monate: int = 24, modelle: list[str] | None = None, *, bestand: str | Path | None = None,
           szenario: str | Path | None = None, gemeinden: str | Path | None = None, jahr: int | None = None,
           stichtag: str | dt.date | None = None,
           progress: Callable[[int, int], None] | None = None, basis: str | Path = "status-quo") -> Bericht:
    """A self-contained German HTML report: the models compared on this period, maps, charts and
    tables, with ``monate`` simulated months for the trajectories (0: none). Write ``.html`` to a
    file and open it in a browser; it needs no network.

    >>> import verteilung
    >>> b = verteilung.report(monate=0, modelle=["status-quo", "m1-gemeinsamer-bestand"])  # doctest: +SKIP
    >>> Path("bericht.html").write_text(b.html, encoding="utf-8")  # doctest: +SKIP
    """
    cmp = run_compare(modelle, bestand, gemeinden, jahr=jahr, stichtag=stichtag, basis=basis)
    sim = run_simulate(monate, modelle, szenario, bestand, gemeinden, jahr, stichtag, progress=progress,
                       basis=basis) if monate > 0 else None
    return Bericht(render_report(cmp, sim), cmp, sim, dict(cmp.info))
