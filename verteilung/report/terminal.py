"""A comparison summary that fits one terminal screen, in German number format (``io.deutsch``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verteilung.compare import CompareResult, de_signed
from verteilung.io.deutsch import columns_to_drop, fmt_date, fmt_dec, fmt_int, fmt_signed
from verteilung.report.output import SYNTHETISCH, dropped_line, wide_console
from verteilung.vocab import system_label

if TYPE_CHECKING:
    import pandas as pd


def print_compare(res: CompareResult, folder: Path, console: Console | None = None, alles: bool = False) -> None:
    c = console or wide_console()  # markup off: model and Gemeinde names are printed as they are
    from verteilung import land

    info = res.info
    unit = land.get(info.get("land")).einheit
    if info["synthetisch"]:
        c.print(Text.assemble((SYNTHETISCH, "bold yellow"), "; echte Tabellen mit --bestand DATEI"))
    streams = info.get("zugaenge", {})
    c.print(f"{info['datenbasis']}; Stichtag {fmt_date(info['stichtag'])}; Zugänge "
            + ", ".join(f"{system_label(s, short=True)} {fmt_int(n)}" for s, n in streams.items()), highlight=False)
    heads = ["Modell", "Quote P10", "Median", "P90", "über 100 %", "Gini Last je EW", "Konflikte", unit.stadt_kurz,
             unit.rest_kurz]
    # plain lists and dicts: a few dozen numbers, where pandas' row and mask machinery was half the time
    lf = None
    if res.langfrist is not None:
        heads.append("langfristig zu den Städten")  # + more on the kreisfreie Städte (Stadtkreise)
        lm = res.langfrist.modelle
        lf = dict(zip(lm["modell"].tolist(), lm["verschiebung_zu_staedten"].tolist(), strict=True))
    metriken = res.metriken
    models = metriken[["modell", "quote_p10", "quote_median", "quote_p90", "ueber_100", "gini_last_je_einwohner",
                       "konflikt_personen"]].to_dict("records") if len(metriken) else []
    zuweisung = _zuweisung_je_typ(res.aggregate["gemeindetypen"]) if models else {}
    rows = []
    for m in models:
        part = zuweisung.get(m["modell"], {})
        kreisfrei = int(part.get(unit.stadt_typ, 0))
        row = [str(m["modell"]), fmt_dec(m["quote_p10"], 1), fmt_dec(m["quote_median"], 1),
               fmt_dec(m["quote_p90"], 1), fmt_int(m["ueber_100"]), fmt_dec(m["gini_last_je_einwohner"], 3),
               fmt_int(m["konflikt_personen"]), fmt_int(kreisfrei), fmt_int(int(sum(part.values())) - kreisfrei)]
        if lf is not None:
            row.append(fmt_signed(lf[m["modell"]], 0) if m["modell"] in lf else "")
        rows.append(row)
    # a model name or a number is never cut or folded: a narrow terminal leaves out the last columns
    floors = [max([len(r[i]) for r in rows] + [max(len(w) for w in h.split())]) for i, h in enumerate(heads)]
    out = columns_to_drop(floors, c.width, keep={0})
    kept = [i for i in range(len(heads)) if i not in out]
    widths = {i: max(floors[i], len(heads[i])) for i in kept}
    while sum(widths.values()) + 3 * len(kept) + 1 > c.width:  # fold headers (between words) until it fits
        i = max((i for i in kept if widths[i] > floors[i]), key=lambda i: widths[i], default=None)
        if i is None:
            break
        widths[i] -= 1
    t = Table(title=f"Modelle im Vergleich: diese Periode (Quote = gezählt / Soll nach Zuweisung, in %; Zuweisungen "
                    f"{unit.stadt_kurz} / {unit.rest_kurz}) und langfristig", title_justify="left")
    for i in kept:
        t.add_column(heads[i], justify="left" if i == 0 else "right", no_wrap=i == 0, width=widths[i])
    for r in rows:
        t.add_row(*(Text(v) for i, v in enumerate(r) if i not in out))
    c.print(t)
    if out:
        c.print(dropped_line([heads[i] for i in out]), highlight=False)
    c.print(Text.assemble(("Befunde", "bold"),
                          f" (Zuweisungen dieser Periode je {unit.singular}typ gegenüber {res.basis}):"))
    # the plain lines below in one print: rich wraps each line of a text on its own, as it wraps
    # separate prints, so the characters are the same without a render pass per line
    lines = [f" • {line}" for line in res.befunde]
    lines += _staerkste(res, [x for x in info["modelle"] if x != res.basis])
    if res.langfrist is not None:
        lines.append(langfrist_zeile(res, alles))
    if res.zusammenfassung is not None:
        stadt = res.zusammenfassung.abschnitte["Stadt und Land"]
        first = next((texte[0] for texte in stadt.values() if texte), "")
        lines.append(f"Zusammenfassung in Sätzen: {folder}/{'SYNTHETISCH_' if info['synthetisch'] else ''}"
                     "zusammenfassung.txt")
        if first:
            lines.append(f" • {next(iter(stadt))}: {first}")
    lines.append(f"Alle Tabellen (CSV, JSON, XLSX): {folder}/")
    c.print("\n".join(lines), highlight=False)


def _staerkste(res: CompareResult, others: list[str]) -> list[str]:
    """Each model's most relieved and most burdened Gemeinden (winners and losers table), a line each."""
    if not others:  # the status quo alone: the table may have no columns at all
        return []
    gv = res.gewinner_verlierer
    ends = list(zip(*(gv[k].tolist() for k in ("modell", "richtung", "aenderung_zuweisung", "gemeinde")),
                    strict=True))
    lines = []
    for m in others:
        # every model, both ends: where a model concentrates allocations is as visible as where it relieves
        for richtung, n in (("entlastet", 3), ("belastet", 1)):
            top = [(g, z) for mm, r, z, g in ends if mm == m and r == richtung and z != 0][:n]
            if top:  # changes signed as in the findings above (+17, -36)
                names = ", ".join(f"{g} ({de_signed(int(z))})" for g, z in top)
                lines.append(f" {m}: am stärksten {richtung}: {names}")
    return lines


def _zuweisung_je_typ(typ: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Each model's allocations by Gemeinde type (the aggregate table ``gemeindetypen``)."""
    out: dict[str, dict[str, int]] = {}
    for m, t, z in zip(*(typ[k].tolist() for k in ("modell", "gemeinde_typ", "zuweisung")), strict=True):
        per_typ = out.setdefault(m, {})
        per_typ[t] = per_typ.get(t, 0) + z
    return out


def langfrist_zeile(res: CompareResult, alles: bool = False) -> str:
    """One line: what the long-run columns rest on (the details: langfrist.xlsx, Parameter sheet,
    written with ``--alles``)."""
    lf = res.langfrist
    assert lf is not None
    summen = {x["spalte"]: x["personen"] for x in lf.info["summen"]}
    lesart = next((v["anlage1_variante"].split(":")[0] for v in lf.info["lesarten"].values()
                   if "anlage1_variante" in v), None)
    from verteilung.langfrist import spalten_text

    bits = [f"Langfristig: wenn die Bestände dem Schlüssel folgen, gegenüber {lf.info['basis']}; echte "
            "Strukturdaten, nicht SYNTHETISCH; Landessummen "
            + ", ".join(f"{spalten_text(c, kurz=True)} {fmt_int(round(n))}" for c, n in summen.items())]
    if lesart:
        bits.append(f"Anlage 1 AWoV: Lesart {lesart}")
    if lf.info.get("naeherungen"):
        bits.append("NÄHERUNG: Arbeitslose je Gemeinde geschätzt")
    quellen = "langfrist.xlsx, Blatt Parameter" if alles else "Blatt Parameter in langfrist.xlsx, mit --alles"
    return "; ".join(bits) + f" (Quellen: {quellen})"


def data_check_lines(result: dict) -> list[str]:
    """``verteilung data check`` as German lines: numbers, dates and words as a person reads them
    (``18.190.422``, ``34.112,56 km²``), never a Python dict or an internal code."""
    from verteilung.vocab import label

    lines = [f"Datenbasis: {result['quelle']}"]
    if result.get("gemeinden_datei"):
        e = result["gemeinden_datei"]
        lines.append(f"Gemeindedatei: {e['datei']} (Kodierung {e['kodierung']}, {fmt_int(e['zeilen'])} "
                     f"Datenzeilen, SHA-256 {e['sha256']})")
    if result.get("jahr") is not None:
        lines.append(f"Schlüsseljahr: {result['jahr']}")
    if result.get("stichtag_bevoelkerung"):
        lines.append(f"Stichtag der Bevölkerungszahlen: {fmt_date(result['stichtag_bevoelkerung'])}")
    if result.get("land"):
        lines.append(f"Land: {result['land']}")
    lines += [f"{result.get('einheit', 'Gemeinden')}: {fmt_int(result['einheiten'])}",
              f"Einwohner: {fmt_int(result['einwohner'])}",
              f"Fläche: {fmt_dec(result['flaeche_km2'], 2)} km²"]
    lines += [f"ohne Einwohnerzahl: {row['gemeinde']} ({row['ags']}); ein Schlüssel für dieses Jahr wird "
              "abgelehnt" for row in result["einwohner_fehlend"]]
    b = result.get("bestand")
    if b:
        lines.append(f"Bestandsdatei: {b['datei']}" + (f" ({SYNTHETISCH})" if b.get("synthetisch") else ""))
        lines.append(f"  Kodierung: {b['kodierung']}; {fmt_int(b['zeilen'])} Datenzeilen; SHA-256 {b['sha256']}")
        if b.get("ags_hinweis"):
            lines.append(f"  {b['ags_hinweis']}")
        sums = [f"{label(c)} {fmt_int(b[c])}" for c in ("flueag_bestand", "anrechnung_plaetze",
                                                        "anrechnung_plaetze_eae", "wsa_bestand") if c in b]
        lines.append(f"  Summen: {'; '.join(sums)}")
        if b.get("ohne_meldung"):
            lines.append(f"  ohne Meldung (Bestand 0 angenommen): {fmt_int(b['ohne_meldung'])} Gemeinden")
        if b.get("angenommen_null"):
            lines.append(f"  Spalten fehlen, als 0 angenommen: {', '.join(label(c) for c in b['angenommen_null'])}")
    return lines
