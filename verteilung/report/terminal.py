"""A comparison summary that fits one terminal screen."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verteilung.compare import BASELINE, CompareResult
from verteilung.report.output import wide_console


def print_compare(res: CompareResult, folder: Path, console: Console | None = None) -> None:
    c = console or wide_console()  # markup off: model and Gemeinde names are printed as they are
    info = res.info
    if info["synthetisch"]:
        c.print(Text.assemble(("SYNTHETISCHE Bestandsdaten", "bold yellow"),
                              " (inputs/nrw/szenario/README.md); echte Tabellen mit --bestand DATEI"))
    c.print(f"{info['datenbasis']}; Stichtag {info['stichtag']}; Zugänge FlüAG {info['zugaenge_flueag']:,}, "
            f"WSA {info['zugaenge_wsa']:,}", highlight=False)
    t = Table(title="Modelle im Vergleich (Quote = gezählt / Soll nach Zuweisung)", title_justify="left")
    for col, just in (("Modell", "left"), ("Quote P10", "right"), ("Median", "right"), ("P90", "right"),
                      (">100 %", "right"), ("Gini Last/EW", "right"), ("Konflikte", "right"),
                      ("kreisfrei", "right"), ("kreisang.", "right")):
        t.add_column(col, justify=just)
    typ = res.aggregate["gemeindetypen"]
    for _, m in res.metriken.iterrows():
        part = typ[typ["modell"] == m["modell"]].set_index("gemeinde_typ")["zuweisung"]
        kreisfrei = int(part.get("kreisfreie Stadt", 0))
        t.add_row(Text(str(m["modell"])), f"{m['quote_p10']:.1f}", f"{m['quote_median']:.1f}", f"{m['quote_p90']:.1f}",
                  str(m["ueber_100"]), f"{m['gini_last_je_einwohner']:.3f}", f"{m['konflikt_personen']:,}",
                  f"{kreisfrei:,}", f"{int(part.sum()) - kreisfrei:,}")
    c.print(t)
    c.print(Text.assemble(("Befunde", "bold"), " (Zuweisungen dieser Periode je Gemeindetyp gegenüber status-quo):"))
    for line in res.befunde:
        c.print(f" • {line}", highlight=False)
    gv = res.gewinner_verlierer
    for m in [x for x in info["modelle"] if x != BASELINE][:2]:
        top = gv[(gv["modell"] == m) & (gv["richtung"] == "entlastet")].head(3)
        names = ", ".join(f"{r.gemeinde} ({r.aenderung_zuweisung:+d})" for r in top.itertuples())
        c.print(f" {m}: am stärksten entlastet: {names}", highlight=False)
    c.print(f"Alle Tabellen (CSV, JSON, XLSX): {folder}/", highlight=False)
