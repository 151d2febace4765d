"""One self-contained HTML report in German (jinja2): styles, scripts and images embedded.

Rendering only: the callers compute (a comparison, a simulation, the models' descriptions, the
findings) and hand the results in; `verteilung.report.bericht` is the usual caller.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import pandas as pd
from markupsafe import Markup

from verteilung._version import __version__
from verteilung.io.deutsch import fmt_signed
from verteilung.report import charts
from verteilung.report.langfrist_karten import langfrist_abschnitt
from verteilung.report.namen import fold
from verteilung.vocab import label

if TYPE_CHECKING:
    from verteilung.compare import CompareResult
    from verteilung.simulate import SimResult

BASELINE = "status-quo"  # the baseline model's id (verteilung.compare.BASELINE)

TEMPLATE = Path(__file__).with_name("templates") / "bericht.html.j2"


def _img(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def cell(v: object, digits: int = 2) -> dict:
    """One cell of the report's sortable tables: German text and a sort key ("–" when missing)."""
    import math

    import numpy as np

    from verteilung.io.deutsch import fmt_dec, fmt_int

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return {"text": "–", "sort": ""}
    if isinstance(v, bool | str):
        return {"text": str(v), "sort": str(v)}
    if isinstance(v, int | np.integer):
        return {"text": fmt_int(int(v)), "sort": int(v)}
    return {"text": fmt_dec(float(v), digits), "sort": float(v)}


def _table(df: pd.DataFrame, columns: list[str], titel: dict[str, str] | None = None) -> dict:
    """A sortable table in the vocabulary's words and precision (`io.deutsch.fmt_value`, the same
    formatter as the app, the terminal and the XLSX); each header carries its explanation; models
    are named by their titles."""
    from verteilung import vocab
    from verteilung.io.deutsch import fmt_value

    head = [vocab.label(c) for c in columns]
    hilfe = [vocab.erklaerung(c) for c in columns]
    if df.empty:  # e.g. no winners and losers when only the status quo is compared
        return {"head": head, "hilfe": hilfe, "rows": []}
    rows = []
    for r in df[columns].itertuples(index=False):
        row = []
        for c, v in zip(columns, r, strict=True):
            col = vocab.column(c)
            if c == "modell" and titel:
                v = titel.get(v, v)
            base = cell(v)
            if col is not None and col.numeric and base["sort"] != "":
                base["text"] = fmt_value(v, col)
            row.append(base)
        rows.append(row)
    return {"head": head, "hilfe": hilfe, "rows": rows}


def parameter_lines(info: dict) -> list[str]:
    """The parameters in force as people read them: value, paragraph as numbered on the reference
    date, start date in German format and "(Annahme)" where the date or value is assumed."""
    from verteilung.io.deutsch import fmt_date, fmt_exact
    from verteilung.vocab import parameter_label

    out = []
    for p in info.get("parameter", []):  # named as on the workbooks' Parameter sheet (output.parameter_table)
        v = p["wert"]
        wert = (f"Liste ({len(v)} Einträge)" if isinstance(v, list)
                else fmt_exact(v) if isinstance(v, int | float) else str(v))
        mark = " (Annahme)" if p.get("annahme") else ""
        ab = fmt_date(p["gueltig_ab"])
        out.append(f"{parameter_label(p['name'])} = {wert}: {p['paragraph']}, {p['quelle']}, gültig ab {ab}{mark}")
    return out


def render_report(cmp: CompareResult, sim: SimResult | None = None, modelle: list[dict] | None = None,
                  sim_befunde: list[str] | None = None) -> str:
    """The report of a comparison (and a simulation). ``modelle``: one dict per model in the
    comparison's order with id, titel, text, vorschlag, grundlage (`bericht.model_descriptions`);
    ``sim_befunde``: the simulation's findings in words (`simulate.summary_lines`)."""
    order = cmp.info["modelle"]
    basis = cmp.info.get("basis", BASELINE)
    merged = [m for m in order if m != basis]
    g = cmp.gemeinden
    sq = g[g["modell"] == BASELINE].set_index("ags")
    titel = cmp.info.get("modell_titel", {})
    names = sq["gemeinde"]
    maps = [{"titel": "Gesamtlast heute je 1.000 Einwohner (Status quo, nach der Periode)", "divergierend": False,
             "svg": Markup(charts.gemeinde_svg(sq["last_je_1000"], names, "Personen je 1.000 EW"))}]
    # the change under each merged model: after the simulated months if there are any, else this period
    sim_basis = sim.info.get("basis", BASELINE) if sim is not None else basis
    if sim is not None:
        from verteilung.simulate import gegen_basis_spalte

        source, column = sim.gemeinden, gegen_basis_spalte(sim)
        when = f"nach {sim.info['monate']} Monaten"
    else:
        source, column, when = g, "aenderung_je_1000", "in dieser Periode"
    gegen = "Status quo" if sim_basis == BASELINE else titel.get(sim_basis, sim_basis)
    for m in merged:
        if m == sim_basis:
            continue  # no map of the basis against itself
        vals = source[source["modell"] == m].set_index("ags")[column]
        maps.append({"titel": f"{titel.get(m, m)}: Last {when} gegenüber {gegen}", "divergierend": True,
                     "svg": Markup(charts.gemeinde_svg(vals, names, "Differenz je 1.000 EW", diverging=True))})
    figures = [
        {"titel": "Quotenverteilung je Modell", "bild": _img(charts.quota_boxplot(g, order))},
        {"titel": "Zuweisungen nach Gemeindetyp",
         "bild": _img(charts.type_bars(cmp.aggregate["gemeindetypen"], order))},
    ]
    if sim is not None:
        figures += [
            {"titel": "Streuung der Last je Einwohner über die Zeit",
             "bild": _img(charts.trajectories(sim.monate, "vk_last_je_einwohner",
                                              "Variationskoeffizient der Last je Einwohner", "VK"))},
            {"titel": "Konflikte zwischen den Systemen, kumuliert",
             "bild": _img(charts.trajectories(sim.monate, "konflikt_personen_kumuliert",
                                              "Zuweisungen in Gemeinden über 100 % im anderen System (kumuliert)",
                                              "Personen"))},
        ]
    models = modelle if modelle is not None else [
        {"id": m, "titel": cmp.info["modell_titel"].get(m, m), "text": "", "vorschlag": "", "grundlage": ""}
        for m in order]
    titel = {m: t.split(":")[0] for m, t in cmp.info["modell_titel"].items()}
    met = _table(cmp.metriken, ["modell", "quote_p10", "quote_median", "quote_p90", "ueber_100",
                                "gini_last_je_einwohner", "konflikt_personen", "zuweisungen"], titel)
    gv = _table(cmp.gewinner_verlierer, ["modell", "richtung", "gemeinde", "gemeinde_typ", "aenderung_zuweisung",
                                         "aenderung_je_1000"], titel)
    kreise = _table(cmp.aggregate["kreise"][cmp.aggregate["kreise"]["modell"] != basis],
                    ["modell", "kreis", "einwohner", "zuweisung", "aenderung_zuweisung", "last_je_1000"], titel)
    rb = _table(cmp.aggregate["regierungsbezirke"],
                ["modell", "regierungsbezirk", "einwohner", "zuweisung", "aenderung_zuweisung", "last_je_1000"], titel)
    from verteilung.io.deutsch import fmt_date

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True)
    return env.get_template(TEMPLATE.name).render(
        info=cmp.info, synthetisch=cmp.info["synthetisch"], modelle=models, maps=maps, figures=figures,
        stichtag_de=fmt_date(cmp.info["stichtag"]), naeherungen=cmp.info.get("naeherungen", []),
        parameter=parameter_lines(cmp.info), zugaenge=zugaenge_text(cmp.info),
        suche=gemeinde_suche(cmp, merged, sim),
        metriken=met, gewinner=gv, kreise=kreise, rb=rb, befunde=cmp.befunde,
        sim_befunde=list(sim_befunde or []), sim_info=sim.info if sim is not None else None,
        zusammenfassung=_summary(cmp, sim), modell_titel=cmp.info["modell_titel"],
        lang=langfrist_abschnitt(cmp, cmp.info["modell_titel"]),
        version=__version__, attribution=charts.ATTRIBUTION)


def zugaenge_text(info: dict) -> str:
    """The period's arrivals per stream in words: each registered stream under its system's name
    with the registry's source where the count is its default, a model's own stream by name."""
    from verteilung.io.deutsch import fmt_int
    from verteilung.law import systems

    parts = []
    for stream, n in info.get("zugaenge", {}).items():
        system = systems.strom_system(stream, info.get("land") or "nrw")
        name = system.anzeige if system else stream
        standard = system is not None and n == system.standard_zugaenge and system.standard_quelle
        parts.append(f"{name} {fmt_int(n)}" + (f" ({system.standard_quelle})" if standard else ""))
    return ", ".join(parts) or "keine"


def _summary(cmp: CompareResult, sim: SimResult | None):
    """The generated summary (`verteilung.zusammenfassung`), with the transition when simulated."""
    if cmp.langfrist is None:
        return None
    from verteilung.zusammenfassung import zusammenfassung

    return zusammenfassung(cmp, cmp.mittel, sim)


def gemeinde_suche(cmp: CompareResult, merged: list[str], sim: SimResult | None = None) -> dict:
    """All Gemeinden with their change under each merged model (this period; after the simulated
    months too when there is a simulation), each row with its search form (`namen.fold`)."""
    g = cmp.gemeinden
    sq = g[g["modell"] == BASELINE].set_index("ags").sort_values("gemeinde", key=lambda s: s.map(fold))
    titel = cmp.info.get("modell_titel", {})
    head = ["Gemeinde", "Kreis", "AGS", "Last heute je 1.000 EW"]
    kurz = {m: short_title(titel.get(m, m)) for m in merged}
    cols: list[pd.Series] = []
    for m in merged:
        part = g[g["modell"] == m].set_index("ags")
        head += [f"{kurz[m]}: Δ Zuweisungen", f"{kurz[m]}: Δ je 1.000 EW"]
        cols += [part["aenderung_zuweisung"], part["aenderung_je_1000"]]
        if sim is not None:
            from verteilung.simulate import gegen_basis_spalte

            s = sim.gemeinden[sim.gemeinden["modell"] == m].set_index("ags")[gegen_basis_spalte(sim)]
            head.append(f"{kurz[m]}: Δ je 1.000 EW nach {sim.info['monate']} Monaten")
            cols.append(s)
    rows = []
    for ags, r in sq.iterrows():
        cells = [{"text": str(r["gemeinde"]), "sort": str(r["gemeinde"])},
                 {"text": str(r["kreis"]), "sort": str(r["kreis"])},
                 {"text": str(ags), "sort": str(ags)},
                 {"text": charts.de_number(float(r["last_je_1000"])), "sort": round(float(r["last_je_1000"]), 4)}]
        for c in cols:
            v = c.get(ags)
            if v is None or pd.isna(v):
                cells.append({"text": "–", "sort": ""})
            elif c.name == "aenderung_zuweisung":
                cells.append({"text": fmt_signed(int(v)), "sort": int(v)})
            else:
                cells.append({"text": charts.de_number(float(v), sign=True), "sort": round(float(v), 4)})
        rows.append({"ags": str(ags), "such": fold(str(r["gemeinde"])), "cells": cells})
    legende = [f"{kurz[m]}: {legend_text(titel.get(m, m), kurz[m])}" for m in merged if kurz[m] != titel.get(m, m)]
    return {"head": head, "rows": rows, "legende": legende}


def short_title(title: str) -> str:
    """``M1: ein gemeinsamer Bestand …`` → ``M1`` (table headers); a title without a colon stays."""
    head = title.split(":", 1)[0].strip()
    return head if ":" in title and 0 < len(head) <= SHORT_TITLE_MAX else title


def legend_text(title: str, short: str) -> str:
    """The title without its short name in front (``M1: ein …`` -> ``ein …``), so a legend never says ``M1: M1: …``."""
    head, sep, rest = title.partition(":")
    return rest.strip() if sep and head.strip() == short and rest.strip() else title


SHORT_TITLE_MAX = 24  # "M1 gestaffelt", "M3 mit Übergang": a short name, not a sentence


def stoerung_text(stoerung: dict | None) -> str:
    """The sweep's random disturbance in words: ``{"einwohner": 0.02}`` -> ``Einwohner ± 2 %``; none -> ``keine``."""
    from verteilung.io.deutsch import fmt_exact

    if not stoerung:
        return "keine"
    return ", ".join(f"{label(k)} ± {fmt_exact(float(v) * 100)} %" for k, v in stoerung.items())


def staffelung_text(staffelung: dict | None) -> str:
    """The pacing bounds of a sweep (``--staffelung`` or the model's) in words; empty when none."""
    from verteilung.io.deutsch import fmt_exact

    if not staffelung:
        return ""
    from verteilung.vocab import parameter_label

    return ", ".join(f"{parameter_label(k).removesuffix(' (Staffelung)')} {fmt_exact(v)}"
                     for k, v in staffelung.items() if v is not None)


def render_sweep_report(res, tornado: pd.DataFrame | None = None) -> str:
    """The sweep's charts: quota fan per Gemeinde, side changes, tornado charts when given."""
    from verteilung.sensitivity import DEFAULT_METRICS

    figures = [{"titel": "Quote je Gemeinde: Median und 5–95 %-Band", "bild": _img(charts.fan_chart(res.gemeinden))},
               {"titel": "Gemeinden, die am häufigsten die Seite wechseln",
                "bild": _img(charts.side_changes(res.gemeinden))}]
    if tornado is not None:
        figures += [{"titel": f"Tornado: {label(m)}", "bild": _img(charts.tornado_png(tornado, m))}
                    for m in DEFAULT_METRICS]
    d = res.szenarien
    from verteilung.io.deutsch import column_for, fmt_int, fmt_value

    kennzahlen = []
    for c in ("quote_p10", "quote_median", "quote_p90", "gini_last_je_einwohner",
              "soll_anteil_laendlich", "zuweisung_anteil_kreisfrei"):
        spec = column_for(c)
        kennzahlen.append({"name": spec.label, "min": fmt_value(d[c].min(), spec),
                           "median": fmt_value(d[c].median(), spec), "max": fmt_value(d[c].max(), spec)})
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True)
    return env.get_template("sweep.html.j2").render(
        info=res.info, figures=figures, kennzahlen=kennzahlen, szenarien=fmt_int(res.info["szenarien"]),
        stoerung=stoerung_text(res.info.get("stoerung")), staffelung=staffelung_text(res.info.get("staffelung")))
