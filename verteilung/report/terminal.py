"""A comparison summary that fits one terminal screen, in German number format (``io.deutsch``)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verteilung.compare import CompareResult, de_signed
from verteilung.io.deutsch import fmt_date, fmt_dec, fmt_int, fmt_signed
from verteilung.report.output import SYNTHETISCH, wide_console
from verteilung.vocab import system_label


def print_compare(res: CompareResult, folder: Path, console: Console | None = None) -> None:
    c = console or wide_console()  # markup off: model and Gemeinde names are printed as they are
    info = res.info
    if info["synthetisch"]:
        c.print(Text.assemble((SYNTHETISCH, "bold yellow"), "; echte Tabellen mit --bestand DATEI"))
    c.print(f"{info['datenbasis']}; Stichtag {fmt_date(info['stichtag'])}; Zugänge "
            f"{system_label('flueag', short=True)} {fmt_int(info['zugaenge_flueag'])}, "
            f"{system_label('wsa', short=True)} {fmt_int(info['zugaenge_wsa'])}", highlight=False)
    t = Table(title="Modelle im Vergleich: diese Periode (Quote = gezählt / Soll nach Zuweisung, in %; Zuweisungen "
                    "kreisfrei / kreisangehörig) und langfristig", title_justify="left")
    for col, just in (("Modell", "left"), ("Quote P10", "right"), ("Median", "right"), ("P90", "right"),
                      ("über 100 %", "right"), ("Gini Last je EW", "right"), ("Konflikte", "right"),
                      ("kreisfrei", "right"), ("kreisangehörig", "right")):
        t.add_column(col, justify=just, min_width=max(map(len, info["modelle"])) if col == "Modell" else None)
    lf = res.langfrist.modelle.set_index("modell") if res.langfrist is not None else None
    if lf is not None:
        t.add_column("langfristig Stadt → Land", justify="right")
    typ = res.aggregate["gemeindetypen"]
    for _, m in res.metriken.iterrows():
        part = typ[typ["modell"] == m["modell"]].set_index("gemeinde_typ")["zuweisung"]
        kreisfrei = int(part.get("kreisfreie Stadt", 0))
        cells = [fmt_dec(m["quote_p10"], 1), fmt_dec(m["quote_median"], 1),
                 fmt_dec(m["quote_p90"], 1), fmt_int(m["ueber_100"]), fmt_dec(m["gini_last_je_einwohner"], 3),
                 fmt_int(m["konflikt_personen"]), fmt_int(kreisfrei), fmt_int(int(part.sum()) - kreisfrei)]
        if lf is not None and m["modell"] in lf.index:
            row = lf.loc[m["modell"]]
            cells.append(fmt_signed(row["verschiebung_stadt_land"], 0))
        t.add_row(Text(str(m["modell"])), *cells)
    c.print(t)
    c.print(Text.assemble(("Befunde", "bold"), f" (Zuweisungen dieser Periode je Gemeindetyp gegenüber {res.basis}):"))
    for line in res.befunde:
        c.print(f" • {line}", highlight=False)
    gv = res.gewinner_verlierer
    for m in [x for x in info["modelle"] if x != res.basis]:
        # every model, both ends: where a model concentrates allocations is as visible as where it relieves
        for richtung, n in (("entlastet", 3), ("belastet", 1)):
            top = gv[(gv["modell"] == m) & (gv["richtung"] == richtung)].head(n)
            if top.empty:
                continue
            # changes signed as in the findings above (+17, -36)
            names = ", ".join(f"{r.gemeinde} ({de_signed(int(r.aenderung_zuweisung))})" for r in top.itertuples())
            c.print(f" {m}: am stärksten {richtung}: {names}", highlight=False)
    if res.langfrist is not None:
        c.print(langfrist_zeile(res), highlight=False)
    if res.zusammenfassung is not None:
        stadt = res.zusammenfassung.abschnitte["Stadt und Land"]
        first = next((lines[0] for lines in stadt.values() if lines), "")
        c.print(f"Zusammenfassung in Sätzen: {folder}/{'SYNTHETISCH_' if info['synthetisch'] else ''}"
                f"zusammenfassung.txt", highlight=False)
        if first:
            c.print(f" • {next(iter(stadt))}: {first}", highlight=False)
    c.print(f"Alle Tabellen (CSV, JSON, XLSX): {folder}/", highlight=False)


def langfrist_zeile(res: CompareResult) -> str:
    """One line: what the long-run columns rest on (the details: langfrist.xlsx, Parameter sheet)."""
    lf = res.langfrist
    assert lf is not None
    summen = {x["spalte"]: x["personen"] for x in lf.info["summen"]}
    lesart = next((v["anlage1_variante"].split(":")[0] for v in lf.info["lesarten"].values()
                   if "anlage1_variante" in v), None)
    bits = [f"Langfristig: wenn die Bestände dem Schlüssel folgen, gegenüber {lf.info['basis']}; echte "
            "Strukturdaten, nicht SYNTHETISCH; Landessummen FlüAG "
            f"{fmt_int(round(summen.get('flueag_bestand', 0)))}, WSA {fmt_int(round(summen.get('wsa_bestand', 0)))}, "
            f"Anrechnung {fmt_int(round(summen.get('anrechnung', 0)))}"]
    if lesart:
        bits.append(f"Anlage 1 AWoV: Lesart {lesart}")
    if lf.info.get("naeherungen"):
        bits.append("NÄHERUNG: Arbeitslose je Gemeinde geschätzt")
    return "; ".join(bits) + " (Quellen: langfrist.xlsx, Blatt Parameter)"
