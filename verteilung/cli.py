"""Command line: a thin typer layer over ``verteilung.api`` and friends.

Exit codes: 0 done, 1 internal error, 2 bad input, path, option or config, 3 infeasible
allocation, 4 solver stopped without a usable solution, 74 disk (or quota) full, 75 a run of the
same period is running (``run --nicht-warten``). Errors print one plain-text line per problem ("Fehler: …") and no
traceback unless ``--debug``.

Heavy libraries (pandas, PuLP, matplotlib, …) are imported inside the commands that need them,
so ``verteilung --help`` starts quickly.

No ``from __future__ import annotations`` here: typer resolves every command's annotations when it
builds the command group, and string annotations cost it an ``eval`` each (1.361 per call, 30 ms
of ``verteilung compare``, issue 25); real annotations are read as they are.
"""

import contextlib
import copy
import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from verteilung import optionen as opt
from verteilung._version import __version__
from verteilung.cli_deutsch import Typer
from verteilung.errors import EXIT_DISK_FULL, InputError, Problem, VerteilungError, disk_full_text, is_disk_full
from verteilung.io import (
    atomic_write_bytes,
    pandas_ohne_pyarrow,
    python_strings,
    records,
    to_csv_bytes,
    to_json_bytes,
)
from verteilung.io.pfade import ausgaben_geprueft
from verteilung.law.lesarten import hilfe as lesart_hilfe
from verteilung.report.output import emit, write_table
from verteilung.vocab import system_label

if TYPE_CHECKING:
    from verteilung.law.lesarten import Lesarten

app = Typer(help="Aufnahmequoten der 396 Gemeinden in NRW: Verteilstatistik, Zuweisung und Vergleich "
            "von FlüAG, Wohnsitzauflage (WSA) und zusammengeführten Modellen.", no_args_is_help=True,
            add_completion=False)
data_app = Typer(help="Eingabedaten prüfen, mitgelieferte Daten anzeigen, Vorlagen schreiben.", no_args_is_help=True)
app.add_typer(data_app, name="data")


class Fmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


SYSTEM_HILFE = ("System: flueag (FlüAG) oder wsa (Wohnsitzauflage; auch awov); mit --land bw: bw_vu "
                "(vorläufige Unterbringung); Groß- und Kleinschreibung egal.")
SystemOpt = Annotated[str, typer.Option("--system", help=SYSTEM_HILFE)]
ModellSystemOpt = Annotated[str, typer.Option("--system", help=SYSTEM_HILFE[:-1] + "; mit --modell ein System dieses Modells.")]
LandOpt = Annotated[str, typer.Option("--land", help="Land: nrw (Nordrhein-Westfalen, 396 Gemeinden; Standard) oder bw (Baden-Württemberg, vorläufige Unterbringung in 44 Stadt- und Landkreisen).")]


def pfade(ordner: bool = False, einzeldateien: bool = True) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Check a command's output paths against its inputs, published runs and files the tool did not
    write before it computes, and record the files it wrote (`verteilung.io.pfade.ausgaben_geprueft`);
    ``--ueberschreiben`` holds for the call."""

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def checked(*args: object, **kwargs: object) -> None:
            # the signature of the one command that runs, not of all 18 at import (issue 25)
            werte = inspect.signature(fn).bind(*args, **kwargs).arguments
            with ausgaben_geprueft(werte, ordner, einzeldateien):
                fn(*args, **kwargs)

        return checked

    return wrap


UeberschreibenOpt = Annotated[bool, typer.Option("--ueberschreiben", help="Dateien im Ordner --out ersetzen, auch wenn verteilung sie nicht geschrieben hat (sonst abgelehnt).")]
UeberschreibenDateiOpt = Annotated[bool, typer.Option("--ueberschreiben", help="Eine vorhandene Ausgabedatei ersetzen, auch wenn verteilung sie nicht geschrieben hat oder sie seitdem geändert wurde (sonst abgelehnt).")]
GemeindenOpt = Annotated[Path | None, typer.Option("--gemeinden", help="Eigene Gemeindetabelle (CSV/XLSX): ags, gemeinde, einwohner, flaeche_km2 [+ Merkmale].")]
JahrOpt = Annotated[int | None, typer.Option("--jahr", parser=opt.cli(opt.jahr, "--jahr"), help="Schlüsseljahr: Einwohner und Fläche zum 31.12. des Vorjahres (Standard: das Jahr des Stichtags, sonst das neueste; § 3 Abs. 2 FlüAG).")]
StichtagOpt = Annotated[str | None, typer.Option("--stichtag", help="Stichtag TT.MM.JJJJ oder JJJJ-MM-TT: die Fassung der Parameter und das Schlüsseljahr (Standard: 1. Januar von --jahr).")]
FormatOpt = Annotated[Fmt, typer.Option("--format", help="Ausgabeformat: table (Tabelle am Bildschirm), csv oder json.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="In diese Datei schreiben statt auf den Bildschirm; das Format folgt der Endung (.xlsx, .csv, .json, .parquet).")]
OhneMeldungOpt = Annotated[bool, typer.Option("--ohne-meldung-null", help="Eine in der Bestandsdatei fehlende Gemeinde als „keine Meldung“ zählen (Bestand 0, markiert) statt abzulehnen.")]
KappungOpt = Annotated[str, typer.Option("--kappung", help=lesart_hilfe("kappung"))]
EinmaligOpt = Annotated[bool, typer.Option("--kappung-einmalig", help="Den Überschuss der Kappung nur einmal umverteilen statt so lange, bis keine Gemeinde mehr darüber liegt.")]
Anlage1Opt = Annotated[str, typer.Option("--anlage1", help=lesart_hilfe("anlage1"))]
MieteOpt = Annotated[str, typer.Option("--mietpreisliste", help=lesart_hilfe("mietpreisliste"))]
KombOpt = Annotated[str, typer.Option("--minderung", help=lesart_hilfe("minderung"))]
BasisOpt = Annotated[str, typer.Option("--umverteilung", help=lesart_hilfe("umverteilung"))]
RundungOpt = Annotated[str, typer.Option("--rundung", help=lesart_hilfe("rundung"))]
BlattOpt = Annotated[str | None, typer.Option("--blatt", help="Blatt der XLSX-Eingaben, wenn eine Datei mehrere sichtbare Blätter hat (ausgeblendete Blätter werden nie gelesen).")]


def _options(kappung: str, einmalig: bool, anlage1: str, miete: str, komb: str, basis: str,
             rundung: str = "aufrunden") -> "Lesarten":
    """The readings from the CLI options; the law layer validates them (exit 2 on an unknown one)."""
    from verteilung.law.lesarten import Lesarten

    return Lesarten(kappung=kappung, kappung_iteriert=not einmalig, anlage1=anlage1,
                    mietpreisliste=miete, minderung=komb, umverteilung=basis, rundung=rundung)


ModellOpt = Annotated[str | None, typer.Option("--modell", help="Modell (Pfad einer YAML-Datei oder Name eines mitgelieferten Modells), dessen System --system nennt, z. B. ein weiteres System mit eigener Bestandsspalte.")]
StaffelungOpt = Annotated[str | None, typer.Option("--staffelung", help="Staffelung der Zuweisungen (docs/uebergang.md), z. B. max_anteil_soll=0.02 oder max_personen=20,wochen=4; Namen: max_personen, max_anteil_soll, max_je_1000_einwohner, wochen, min_gemeinden.")]
SweepStaffelungOpt = Annotated[str | None, typer.Option("--staffelung", help="Obergrenze je Gemeinde und Szenario (docs/uebergang.md), z. B. max_anteil_soll=0.02; Namen: max_personen, max_anteil_soll, max_je_1000_einwohner.")]
ZugaengeOpt = Annotated[list[str] | None, typer.Option("--zugaenge", metavar="NAME=N", help="Zugänge eines benannten Stroms, NAME=N (mehrfach möglich), z. B. drittes=120 für das eigene System eines Modells.")]
ZugaengeStandardOpt = Annotated[list[str] | None, typer.Option("--zugaenge", metavar="NAME=N", help="Zugänge je Strom in diesem Zeitraum, NAME=N mit dem Strom als NAME (mehrfach möglich), z. B. flueag=1000, wsa=400 oder drittes=120 für das eigene System eines Modells; ein nicht genannter Strom hat seinen Standard (Monatsmittel 2021). --zugaenge-flueag N und --zugaenge-wsa N werden weiter gelesen.")]


def _streams(specs: list[str] | None) -> dict[str, int] | None:
    """``["drittes=120"]`` → {"drittes": 120} (`optionen.stroeme`); which streams the models
    receive is checked by `compare` and `simulate`."""
    return opt.stroeme(specs)


def _blatt(name: str | None) -> None:
    """``--blatt``: the sheet every XLSX input of this command is read from when it has several."""
    from verteilung.data.tables import BLATT

    BLATT.set(name.strip() if name else None)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"verteilung {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Die Version zeigen und beenden.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Bei Fehlern die technischen Einzelheiten (Traceback) zeigen.")] = False,
) -> None:
    """verteilung: Aufnahmequoten nach FlüAG und Wohnsitzauflage (WSA), Zuweisung und zusammengeführte Modelle."""
    _blatt(None)  # each command starts without a sheet choice (tests call main() many times in one process)


@data_app.command("check")
@pfade()
def data_check(gemeinden: GemeindenOpt = None, jahr: JahrOpt = None,
               bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestandsdatei, die geprüft werden soll.")] = None,
               ohne_meldung_null: OhneMeldungOpt = False, fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False,
               land: LandOpt = "nrw", blatt: BlattOpt = None) -> None:
    """Eingabedaten prüfen: Zahl der Gemeinden, Einwohner, Fläche und Stichtag; mit --bestand auch die Bestandsdatei."""
    _blatt(blatt)
    from verteilung import api
    from verteilung.report.output import wide_console

    if out is not None and fmt == Fmt.table and out.suffix.lower() != ".json":
        from verteilung.io import formate

        formate.get(out)  # an unknown suffix (e.g. .md) is refused before anything is read or written
    result = api.data_check(gemeinden, jahr, bestand, ohne_meldung_null, land=land)
    if fmt == Fmt.table and out is None:
        from verteilung.report.terminal import data_check_lines

        c = wide_console()
        for line in data_check_lines(result):
            c.print(line, highlight=False)
        return
    if out is not None and fmt == Fmt.table and out.suffix.lower() != ".json":  # a file for people
        from verteilung.report.output import pruefung_tabelle

        emit(pruefung_tabelle(result), fmt.value, out, {"datenbasis": result["quelle"]}, title="Datenprüfung")
        return
    if fmt == Fmt.csv:
        from verteilung.report.output import pruefung_tabelle

        emit(pruefung_tabelle(result), fmt.value, out, title="Datenprüfung")
        return
    data = to_json_bytes(result)
    if out is not None:
        atomic_write_bytes(out, data)
    else:
        sys.stdout.buffer.write(data)


@data_app.command("list")
@pfade()
def data_list(fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False) -> None:
    """Mitgelieferte Daten und die Schlüsseljahre, die sie abdecken."""
    from verteilung import api

    emit(api.data_list(), fmt.value, out, title="Mitgelieferte Daten")


class VorlageArt(StrEnum):
    bestand = "bestand"
    haushalte = "haushalte"
    beschraenkungen = "beschraenkungen"


@data_app.command("vorlage")
@pfade(einzeldateien=False)  # a template is never replaced once written (write_template), not even its own
def data_vorlage(art: Annotated[VorlageArt, typer.Argument(help="Welche Vorlage: bestand (alle Gemeinden, Bestände leer), haushalte (Beispielzeilen) oder beschraenkungen (alle Gemeinden, ohne Grenzen).")],
                 out: Annotated[Path, typer.Option("--out", help="Die Datei, die geschrieben wird: .xlsx (zum Ausfüllen in Excel empfohlen) oder .csv (deutsches Excel); eine vorhandene Datei wird nicht überschrieben.")],
                 gemeinden: GemeindenOpt = None, jahr: JahrOpt = None) -> None:
    """Eine Vorlage zum Ausfüllen schreiben, mit genau den Spalten, die --bestand, --haushalte und --beschraenkungen lesen (docs/eingaben.md)."""
    from verteilung.data import load_gemeinden
    from verteilung.data.vorlage import write_template

    g = load_gemeinden(gemeinden, jahr)
    status = write_template(art.value, out, g)
    rows = {"bestand": f"{len(g)} Gemeinden, Bestände leer", "haushalte": "3 Beispielzeilen, bitte ersetzen",
            "beschraenkungen": f"{len(g)} Gemeinden, keine Grenzen eingetragen"}[art.value]
    typer.echo(f"Vorlage {art.value} {status}: {out} ({rows})", err=True)


@app.command()
@pfade()
def keys(system: SystemOpt, land: LandOpt = "nrw", gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
         kappung: KappungOpt = "R1", kappung_einmalig: EinmaligOpt = False, anlage1: Anlage1Opt = "B",
         mietpreisliste: MieteOpt = "2015", minderung: KombOpt = "additiv", umverteilung: BasisOpt = "k0",
         fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False, blatt: BlattOpt = None) -> None:
    """Schlüssel je Gemeinde: Zuweisungsschlüssel (FlüAG) oder Integrationsschlüssel (WSA)."""
    _blatt(blatt)
    from verteilung import api

    opts = _options(kappung, kappung_einmalig, anlage1, mietpreisliste, minderung, umverteilung)
    table, info = api.keys(system, gemeinden, jahr, stichtag, lesarten=opts, land=land)
    emit(table, fmt.value, out, info, title=f"Schlüssel {system_label(info['system'], short=True)}", ausgabe="keys")


@app.command()
@pfade()
def status(system: ModellSystemOpt,
           bestand: Annotated[Path, typer.Option("--bestand", help="Bestandsdatei (CSV/XLSX), Aufbau in docs/eingaben.md; Vorlage: verteilung data vorlage bestand.")],
           gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
           rundung: RundungOpt = "aufrunden", ohne_meldung_null: OhneMeldungOpt = False,
           kappung: KappungOpt = "R1", kappung_einmalig: EinmaligOpt = False, anlage1: Anlage1Opt = "B",
           mietpreisliste: MieteOpt = "2015", minderung: KombOpt = "additiv", umverteilung: BasisOpt = "k0",
           modell: ModellOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False,
           land: LandOpt = "nrw", blatt: BlattOpt = None) -> None:
    """Verteilstatistik: Soll, Aufnahmeverpflichtung und Erfüllungsquote je Gemeinde (in Baden-Württemberg je Kreis)."""
    _blatt(blatt)
    from verteilung import api

    opts = _options(kappung, kappung_einmalig, anlage1, mietpreisliste, minderung, umverteilung, rundung)
    table, info = api.status(system, bestand, gemeinden, jahr, stichtag,
                             ohne_meldung_null=ohne_meldung_null, lesarten=opts, modell=modell, land=land)
    emit(table, fmt.value, out, info, title=f"Verteilstatistik {system_label(info['system'], short=True)}",
         ausgabe="status")


@app.command()
@pfade()
def explain(ags: Annotated[str, typer.Argument(help="Amtlicher Gemeindeschlüssel (AGS, 8 Ziffern, z. B. 05315000 für Köln; 7 Ziffern ohne führende Null werden ergänzt) oder der Name der Gemeinde (z. B. Köln).")],
            system: SystemOpt, land: LandOpt = "nrw", gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
            bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestandsdatei (CSV/XLSX): ergänzt Soll, Aufnahmeverpflichtung und Erfüllungsquote.")] = None,
            zuweisung: Annotated[bool, typer.Option("--zuweisung", help="Auch die Zuweisung dieses Zeitraums erklären (mit --bestand und --personen oder --haushalte, wie allocate): wie viele Personen die Gemeinde erhält, warum und welche Grenze bindet.")] = False,
            personen: Annotated[int | None, typer.Option("--personen", parser=opt.cli(opt.personen, "--personen"), help="Mit --zuweisung: Zahl der zuzuweisenden Einzelpersonen, ohne Trennzeichen (1000, nicht 1.000).")] = None,
            haushalte: Annotated[Path | None, typer.Option("--haushalte", help="Mit --zuweisung: Haushaltsdatei (CSV/XLSX): haushalt_id, personen[, ags_fest].")] = None,
            beschraenkungen: Annotated[Path | None, typer.Option("--beschraenkungen", help="Mit --zuweisung: Beschränkungen je Gemeinde (CSV/XLSX): ags[, max_zuweisung, min_zuweisung, gesperrt].")] = None,
            staffelung: StaffelungOpt = None,
            rundung: RundungOpt = "aufrunden", kappung: KappungOpt = "R1", kappung_einmalig: EinmaligOpt = False,
            anlage1: Anlage1Opt = "B", mietpreisliste: MieteOpt = "2015", minderung: KombOpt = "additiv",
            umverteilung: BasisOpt = "k0", fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False, blatt: BlattOpt = None) -> None:
    """Die Rechnung für eine Gemeinde Schritt für Schritt, jeder Schritt mit seiner Rechtsgrundlage; mit --zuweisung auch ihre Zuweisung."""
    _blatt(blatt)
    from rich.text import Text

    from verteilung import api
    from verteilung.report.output import wide_console

    opts = _options(kappung, kappung_einmalig, anlage1, mietpreisliste, minderung, umverteilung, rundung)
    steps = api.explain(ags, system, gemeinden, jahr, stichtag, bestand, lesarten=opts, land=land, zuweisung=zuweisung,
                        personen=personen, haushalte=haushalte, beschraenkungen=beschraenkungen, staffelung=staffelung)
    if fmt != Fmt.table or out is not None:  # a table of the steps: --out F.xlsx|.csv|.json, --format
        from verteilung.report.output import explain_table

        head = {k: steps.info["erklaerung"][k] for k in ("ags", "gemeinde")}
        emit(explain_table(steps.info), fmt.value, out, {**head, **steps.info}, title=f"Erklärung {head['ags']}",
             ausgabe="explain")
        return
    c = wide_console()
    lines = list(steps)
    first = len(lines) - len(steps.info["erklaerung"]["schritte"])  # header and notes stand unnumbered
    for n, (text, para) in enumerate(lines):
        number = f"{n - first + 1}. " if n >= first else ""  # step numbers as in the file's column Schritt
        c.print(Text.assemble(f"{number}{text}", (f"\n   {para}", "dim") if para else ""))


@app.command()
@pfade()
def allocate(system: ModellSystemOpt,
             bestand: Annotated[Path, typer.Option("--bestand", help="Bestandsdatei (CSV/XLSX), Aufbau in docs/eingaben.md; Vorlage: verteilung data vorlage bestand.")],
             personen: Annotated[int | None, typer.Option("--personen", parser=opt.cli(opt.personen, "--personen"), help="Zahl der zuzuweisenden Einzelpersonen (Zugänge dieses Zeitraums), ohne Trennzeichen (1000, nicht 1.000).")] = None,
             haushalte: Annotated[Path | None, typer.Option("--haushalte", help="Haushaltsdatei (CSV/XLSX): haushalt_id, personen[, ags_fest]; ein Haushalt wird nie geteilt.")] = None,
             beschraenkungen: Annotated[Path | None, typer.Option("--beschraenkungen", help="Beschränkungen je Gemeinde (CSV/XLSX): ags[, max_zuweisung, min_zuweisung, gesperrt].")] = None,
             gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
             solver: Annotated[str, typer.Option("--solver", help="Rechenprogramm (Solver) für Zuweisungen mit Beschränkungen: highs (Standard) oder cbc.")] = "highs",
             pfad: Annotated[str, typer.Option("--pfad", help="Rechenweg: auto (Standard), referenz (Wasserstandsverfahren) oder solver.")] = "auto",
             zeitlimit: Annotated[float, typer.Option("--zeitlimit", parser=opt.cli(opt.zeitlimit, "--zeitlimit"), help=f"Höchste Laufzeit (Wanduhr) einer Zuweisung mit Beschränkungen in Sekunden (mehr als 0, höchstens {opt.ZEITLIMIT_MAX_S:.0f}); danach gilt die beste bis dahin gefundene Zuweisung, und das Ergebnis nennt, was bewiesen ist.")] = 60.0,
             haushalte_out: Annotated[Path | None, typer.Option("--haushalte-out", help="Die Liste der Haushalte mit ihrer Gemeinde in diese Datei schreiben; Format nach Endung wie --out (.xlsx, .csv für deutsches Excel, .json, .parquet).")] = None,
             ohne_meldung_null: OhneMeldungOpt = False, kappung: KappungOpt = "R1", anlage1: Anlage1Opt = "B",
             modell: ModellOpt = None, staffelung: StaffelungOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False,
             land: LandOpt = "nrw", blatt: BlattOpt = None) -> None:
    """Zugänge dieses Zeitraums zuweisen: niedrigste Erfüllungsquote zuerst, Haushalte bleiben zusammen."""
    _blatt(blatt)
    from verteilung import api

    if (personen is None) == (haushalte is None):
        raise InputError(Problem("Aufruf", "genau eins von --personen N oder --haushalte DATEI angeben"))
    opts = _options(kappung, False, anlage1, "2015", "additiv", "k0")
    result = api.allocate(system, bestand, personen, haushalte, beschraenkungen, gemeinden, jahr,
                          stichtag, solver, pfad, zeitlimit, ohne_meldung_null, lesarten=opts, modell=modell,
                          staffelung=staffelung, land=land)
    if fmt == Fmt.json:
        payload = {"summary": result.summary, "rows": records(result.table)}
        if result.households is not None:
            payload["haushalte"] = records(result.households)
        data = to_json_bytes(payload)
        if haushalte_out is not None and result.households is not None:
            write_table(result.households, haushalte_out, result.summary, "Haushalte", option="--haushalte-out")
        if out is not None:
            atomic_write_bytes(out, data)
        else:
            sys.stdout.buffer.write(data)
        return
    if haushalte_out is not None and result.households is not None:
        write_table(result.households, haushalte_out, result.summary, "Haushalte", option="--haushalte-out")
    emit(result.table, fmt.value, out, result.summary, ausgabe="allocate",
         title=f"Zuweisung {system_label(result.summary.get('system', system), short=True)}",
         terminal_rows=lambda t: t[t["zuweisung"] > 0],
         sheets={"Haushalte": result.households} if result.households is not None else None)
    if fmt == Fmt.table:
        from verteilung.io.deutsch import fmt_dec

        typer.echo(f"Rechenzeit: {fmt_dec(result.seconds, 3)} s", err=True)


class CompareFmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Ebene(StrEnum):
    modelle = "modelle"
    gemeinden = "gemeinden"
    kreise = "kreise"
    regierungsbezirke = "regierungsbezirke"
    gemeindetypen = "gemeindetypen"
    groessenklassen = "groessenklassen"
    gewinner = "gewinner"


BasisModellOpt = Annotated[str, typer.Option("--basis", help="Vergleichsbasis: das Modell, mit dem alle anderen verglichen werden (Name oder YAML-Pfad; Standard: status-quo).")]
SummeOpt = Annotated[list[str] | None, typer.Option("--summe", metavar="SPALTE=N", help="Landessumme der Personen einer Bestandsspalte statt der mitgelieferten, z. B. flueag_bestand=120000 oder wsa_bestand=160000 (mehrfach möglich).")]


def _stock_column(name: str) -> str:
    """A system's id or alias names its stock column (the registry's); anything else is a column."""
    from verteilung.law import systems

    try:
        return systems.get(name).bestand[0]
    except InputError:
        return name


def _summen(specs: list[str] | None) -> dict[str, int] | None:
    """``["flueag_bestand=120000"]`` → {"flueag_bestand": 120000}; ``flueag``/``wsa`` name their column
    (`optionen.summen`)."""
    return opt.summen(specs, "--summe", _stock_column)


@app.command()
@pfade(ordner=True)
def compare(modelle: Annotated[str | None, typer.Option("--modelle", help="Modelle, durch Komma getrennt (Namen oder YAML-Pfade). Standard: status-quo, m1 … m4; die gestaffelten und Übergangsmodelle mit --modelle wählen.")] = None,
            bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestandsdatei (CSV/XLSX; Standard: das SYNTHETISCHE Szenario).")] = None,
            gemeinden: GemeindenOpt = None,
            zugaenge: ZugaengeStandardOpt = None,
            zugaenge_flueag: Annotated[int | None, typer.Option("--zugaenge-flueag", hidden=True, parser=opt.cli(opt.personen, "--zugaenge-flueag"), help="Ältere Schreibweise von --zugaenge flueag=N.")] = None,
            zugaenge_wsa: Annotated[int | None, typer.Option("--zugaenge-wsa", hidden=True, parser=opt.cli(opt.personen, "--zugaenge-wsa"), help="Ältere Schreibweise von --zugaenge wsa=N.")] = None,
            jahr: JahrOpt = None, stichtag: StichtagOpt = None,
            gewichte: Annotated[str | None, typer.Option("--gewichte", help="Eigener Schlüssel über den gemeinsamen Bestand, z. B. einwohner=0.8,flaeche=0.1,arbeitslose=0.1.")] = None,
            gewichte_kappung: Annotated[str | None, typer.Option("--gewichte-kappung", help="Kappung zu --gewichte: SPALTE=FAKTOR, Schlüssel ≤ FAKTOR × Anteil an SPALTE (z. B. einwohner=1.25).")] = None,
            gewichte_minderung: Annotated[str | None, typer.Option("--gewichte-minderung", help="Minderungen zu --gewichte: MERKMAL=SATZ[,...] (z. B. mietpreisbremse_2015=0.1).")] = None,
            ohne_meldung_null: OhneMeldungOpt = False,
            basis: BasisModellOpt = "status-quo", summe: SummeOpt = None,
            fmt: Annotated[CompareFmt, typer.Option("--format", help="Was auf dem Bildschirm erscheint: table (Zusammenfassung), csv oder json. Die Arbeitsmappe (XLSX) steht immer im Ordner --out.")] = CompareFmt.table,
            report: Annotated[bool, typer.Option("--report", help="Zusätzlich den HTML-Bericht bericht.html schreiben.")] = False,
            alles: Annotated[bool, typer.Option("--alles", help="Zusätzlich die Arbeitsmappen langfrist.xlsx und langfrist_mittel.xlsx schreiben (dieselben Tabellen wie die CSV-Dateien langfrist_*; ohne sie ist compare schneller).")] = False,
            ueberschreiben: UeberschreibenOpt = False,
            out: Annotated[Path, typer.Option("--out", help="Ordner für alle Tabellen (CSV, JSON, XLSX).")] = Path("outputs/vergleich"),
            land: LandOpt = "nrw", blatt: BlattOpt = None) -> None:
    """Die heutigen zwei Systeme (Status quo) im Vergleich mit zusammengeführten Modellen: wer mehr aufnimmt, wer weniger."""
    _blatt(blatt)
    from verteilung.compare import compare as run
    from verteilung.model import parse_weights
    from verteilung.report.terminal import print_compare
    from verteilung.report.vergleich import write_outputs

    names = [m.strip() for m in modelle.split(",") if m.strip()] if modelle else None
    if (gewichte_kappung or gewichte_minderung) and not gewichte:
        raise InputError(Problem("--gewichte-kappung/--gewichte-minderung", "nur zusammen mit --gewichte"))
    weights = opt.gewichte(gewichte) if gewichte else None
    cap = parse_weights(gewichte_kappung, "--gewichte-kappung") if gewichte_kappung else None
    cuts = parse_weights(gewichte_minderung, "--gewichte-minderung") if gewichte_minderung else None
    res = run(names, bestand, gemeinden, _streams(zugaenge), jahr=jahr, stichtag=stichtag, gewichte=weights,
              ohne_meldung_null=ohne_meldung_null, kappung=cap, minderungen=cuts, basis=basis, summen=_summen(summe),
              land=land, zugaenge_flueag=zugaenge_flueag, zugaenge_wsa=zugaenge_wsa)
    extra = {}
    if report:
        from verteilung.report.bericht import render_report

        extra["bericht.html"] = render_report(res).encode("utf-8")
    folder = write_outputs(res, out, extra, alles=alles)
    if fmt == CompareFmt.json:
        from verteilung.compare import summary_payload

        sys.stdout.buffer.write(to_json_bytes(summary_payload(res)))
    elif fmt == CompareFmt.csv:
        from verteilung.darstellung import with_marker

        sys.stdout.buffer.write(to_csv_bytes(with_marker(res.gemeinden, res.info)))
    else:
        print_compare(res, folder, alles=alles)


@app.command()
@pfade()
def langfrist(modelle: Annotated[str | None, typer.Option("--modelle", help="Modelle, durch Komma getrennt (Namen oder YAML-Pfade). Standard: status-quo, m1 … m4.")] = None,
              basis: BasisModellOpt = "status-quo", summe: SummeOpt = None,
              ebene: Annotated[Ebene, typer.Option("--ebene", help="Welche Tabelle: modelle (Verschiebung zu den kreisfreien Städten, Standard), gemeinden, kreise, regierungsbezirke, gemeindetypen, groessenklassen oder gewinner.")] = Ebene.modelle,
              ohne_minimum: Annotated[bool, typer.Option("--ohne-minimum", help="Die Gewichtung mit der geringsten Stadt-Land-Verschiebung nicht berechnen.")] = False,
              kappung: KappungOpt = "R1", anlage1: Anlage1Opt = "B",
              gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
              fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False) -> None:
    """Langfristige Last je Modell auf echten Daten: wohin jedes Modell führt, wenn die Bestände dem Schlüssel folgen (ohne Bestände, nicht SYNTHETISCH)."""
    from verteilung.langfrist import langfrist as run
    from verteilung.langfrist import summary
    from verteilung.law.lesarten import Lesarten
    from verteilung.report.output import emit

    names = [m.strip() for m in modelle.split(",") if m.strip()] if modelle else None
    res = run(names, basis, summen=_summen(summe), jahr=jahr, stichtag=stichtag, gemeinden=gemeinden,
              lesarten=Lesarten(kappung=kappung, anlage1=anlage1), minimum=not ohne_minimum)
    tables = {"modelle": res.modelle, "gemeinden": res.gemeinden, "gewinner": res.gewinner_verlierer,
              **res.aggregate}
    titles = {"modelle": "Langfristige Last: Verschiebung zu den kreisfreien Städten",
              "gemeinden": "Langfristige Last je Gemeinde", "kreise": "Langfristige Last je Kreis",
              "regierungsbezirke": "Langfristige Last je Regierungsbezirk",
              "gemeindetypen": "Langfristige Last je Gemeindetyp", "groessenklassen": "Langfristige Last je Größenklasse",
              "gewinner": "Am stärksten ent- und belastete Gemeinden (langfristig)"}
    sheets = {titles[k].replace("Langfristige Last je ", "Je ").replace("Langfristige Last: ", "")[:31]: v
              for k, v in tables.items() if k != ebene.value}
    emit(tables[ebene.value], fmt.value, out, summary(res), titles[ebene.value], max_rows=60, sheets=sheets)


class MittelEbene(StrEnum):
    modelle = "modelle"
    gemeinden = "gemeinden"
    kreise = "kreise"
    gewinner = "gewinner"
    monate = "monate"


@app.command()
@pfade()
def mittel(modelle: Annotated[str | None, typer.Option("--modelle", help="Modelle, durch Komma getrennt (Namen oder YAML-Pfade). Standard: status-quo, m1 … m4.")] = None,
           basis: BasisModellOpt = "status-quo", summe: SummeOpt = None,
           jahr_mittel: Annotated[int | None, typer.Option("--jahr-mittel", help="Jahr der Mittel: Sätze und Töpfe, die am 1. Januar gelten (Standard: das Jahr des Stichtags).")] = None,
           topf: Annotated[list[str] | None, typer.Option("--topf", metavar="TOPF", help="Einen weiteren Topf mit seiner Regel anwenden, z. B. integrationspauschale_2018 (mehrfach möglich).")] = None,
           monate: Annotated[int, typer.Option("--monate", help="Zusätzlich Monat für Monat entlang der Simulation über so viele Monate (0: nur langfristig).")] = 0,
           bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestände zu Beginn der Simulation (Standard: das SYNTHETISCHE Szenario).")] = None,
           ebene: Annotated[MittelEbene, typer.Option("--ebene", help="Welche Tabelle: modelle (Land, Standard), gemeinden, kreise, gewinner oder monate (mit --monate).")] = MittelEbene.modelle,
           gemeinden: GemeindenOpt = None, stichtag: StichtagOpt = None,
           fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False) -> None:
    """Geld, das der Verteilung folgt: Euro je Gemeinde, Kreis und Jahr je Modell (Pauschale § 4 FlüAG und Töpfe), langfristig und Monat für Monat."""
    from verteilung.mittel import mittel as run
    from verteilung.mittel import summary
    from verteilung.report.output import emit

    names = [m.strip() for m in modelle.split(",") if m.strip()] if modelle else None
    if ebene == MittelEbene.monate and monate <= 0:
        raise InputError(Problem("--ebene monate", "nur zusammen mit --monate N (N > 0)"))
    res = run(names, basis, jahr_mittel=jahr_mittel, toepfe=topf, summen=_summen(summe), monate=monate, bestand=bestand,
              gemeinden=gemeinden, stichtag=stichtag)
    tables = {"modelle": res.modelle, "gemeinden": res.gemeinden, "kreise": res.kreise,
              "gewinner": res.gewinner_verlierer}
    if res.verlauf_land is not None:
        tables["monate"] = res.verlauf_land
    titles = {"modelle": "Mittel je Modell für das Land (Euro im Jahr, langfristig)",
              "gemeinden": "Mittel je Gemeinde (Euro im Jahr, langfristig)",
              "kreise": "Mittel je Kreis (Euro im Jahr, langfristig)",
              "gewinner": "Größte Gewinner und Verlierer in Euro (langfristig)",
              "monate": "Mittel Monat für Monat entlang der Simulation (Land)"}
    sheet_names = {"modelle": "Land", "gemeinden": "Gemeinden", "kreise": "Kreise", "gewinner": "Gewinner und Verlierer",
                   "monate": "Monate (Land)"}
    sheets = {sheet_names[k]: v for k, v in tables.items() if k != ebene.value}
    if res.verlauf is not None:
        sheets["Monate (Gemeinden)"] = res.verlauf
    emit(tables[ebene.value], fmt.value, out, summary(res), titles[ebene.value], max_rows=60, sheets=sheets)


@app.command()
@pfade(ordner=True)
def simulate(monate: Annotated[int, typer.Option("--monate", parser=opt.cli(opt.monate, "--monate"), help=f"Zahl der Monate (1 bis {opt.MONATE_MAX}).")] = 24,
             modelle: Annotated[str | None, typer.Option("--modelle", help="Modelle, durch Komma getrennt (Namen oder YAML-Pfade). Standard: status-quo, m1 … m4; die gestaffelten und Übergangsmodelle mit --modelle wählen.")] = None,
             szenario: Annotated[Path | None, typer.Option("--szenario", help="Szenario der Zu- und Abgänge (YAML; Standard: die Flüsse 2021 des NRW-Szenarios, fluesse_2021.yaml).")] = None,
             bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestände zu Beginn (CSV/XLSX; Standard: das SYNTHETISCHE Szenario).")] = None,
             gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
             seed: Annotated[int | None, typer.Option("--seed", parser=opt.cli(opt.ganzzahl, "--seed"), help="Startwert des Zufallsgenerators (Standard: der des Szenarios).")] = None,
             zugaenge: ZugaengeOpt = None, basis: BasisModellOpt = "status-quo",
             report: Annotated[bool, typer.Option("--report", help="Zusätzlich den HTML-Bericht (mit Modellvergleich) schreiben.")] = False,
             ueberschreiben: UeberschreibenOpt = False,
             out: Annotated[Path, typer.Option("--out", help="Ordner für die Ergebnisse.")] = Path("outputs/simulation"), blatt: BlattOpt = None) -> None:
    """Monat für Monat: dieselben Menschen in jedem Modell; Konflikte und Streuung im Zeitverlauf."""
    _blatt(blatt)
    from rich.text import Text

    from verteilung.report import ordner
    from verteilung.report.output import wide_console
    from verteilung.simulate import simulate as run
    from verteilung.simulate import summary_lines, terminal_progress, uebergang_lines

    names = [m.strip() for m in modelle.split(",") if m.strip()] if modelle else None
    res = run(monate, names, szenario, bestand, gemeinden, jahr, stichtag, seed, progress=terminal_progress(),
              zugaenge=_streams(zugaenge), basis=basis)
    cmp = None
    if report:
        from verteilung.compare import compare as run_compare

        cmp = run_compare(names, bestand, gemeinden, jahr=jahr, stichtag=stichtag, zugaenge=_streams(zugaenge),
                          basis=basis)
    ordner.simulation(res, out, cmp)
    c = wide_console()
    if res.info["synthetisch"]:
        c.print(Text.assemble(("SYNTHETISCHE Startbestände", "bold yellow"), "; Flüsse: " + res.info["szenario"]))
    c.print(f"{monate} Monate, Seed {res.info['seed']}", highlight=False)
    for line in summary_lines(res):
        c.print(f" • {line}", highlight=False)
    c.print("Übergang:", highlight=False)
    for line in uebergang_lines(res):
        c.print(f" • {line}", highlight=False)
    c.print(f"Ergebnisse: {out}/", highlight=False)


@app.command()
@pfade()
def report(monate: Annotated[int, typer.Option("--monate", parser=opt.cli(opt.monate, "--monate", minimum=0), help=f"Monate der Simulation für die Verläufe (0: keine; höchstens {opt.MONATE_MAX}).")] = 24,
           modelle: Annotated[str | None, typer.Option("--modelle", help="Modelle, durch Komma getrennt (Namen oder YAML-Pfade). Standard: status-quo, m1 … m4; die gestaffelten und Übergangsmodelle mit --modelle wählen.")] = None,
           bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestandsdatei (CSV/XLSX; Standard: das SYNTHETISCHE Szenario).")] = None,
           szenario: Annotated[Path | None, typer.Option("--szenario", help="Szenario der Zu- und Abgänge (YAML) für die Simulation.")] = None,
           gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
           basis: BasisModellOpt = "status-quo",
           out: Annotated[Path, typer.Option("--out", help="Die HTML-Datei, die geschrieben wird.")] = Path("outputs/bericht.html"),
           ueberschreiben: UeberschreibenDateiOpt = False, blatt: BlattOpt = None) -> None:
    """Ein eigenständiger HTML-Bericht: Modelle, Karten, Diagramme und Tabellen (öffnet ohne Netz)."""
    _blatt(blatt)
    from verteilung.report.bericht import report as run_report
    from verteilung.simulate import terminal_progress

    names = [m.strip() for m in modelle.split(",") if m.strip()] if modelle else None
    res = run_report(monate, names, bestand=bestand, szenario=szenario, gemeinden=gemeinden, jahr=jahr,
                     stichtag=stichtag, progress=terminal_progress() if monate > 0 else None, basis=basis)
    atomic_write_bytes(out, res.html.encode("utf-8"))
    typer.echo(f"Bericht: {out} (im Browser öffnen; keine Netzverbindung nötig)", err=True)


@app.command("app")
def app_cmd(host: Annotated[str | None, typer.Option("--host", help="Adresse (Standard 127.0.0.1; jede andere braucht --token).")] = None,
            port: Annotated[int | None, typer.Option("--port", parser=opt.cli(opt.ganzzahl, "--port", minimum=1, maximum=65535, grund="der größte Port"), help="Port (Standard 8765).")] = None,
            token: Annotated[str | None, typer.Option("--token", help="Zugangsschlüssel (oder VERTEILUNG_APP_TOKEN).")] = None,
            config: Annotated[Path | None, typer.Option("--config", help="TOML-Datei: Datenbasis, Bestand, Modelle, Adresse, Grenzen (docs/app.md); Optionen gehen vor.")] = None,
            prozesse: Annotated[int, typer.Option("--prozesse", min=0, max=32, help="Rechenprozesse für Vergleiche (Standard 2: beide Kerne; 0: im Serverprozess).")] = 2) -> None:
    """Interaktive Anwendung im Browser und JSON-API unter /api/ (docs/app.md)."""
    from verteilung.app.cli import app_command

    raise typer.Exit(app_command(host, port, token, config, prozesse))


runs_app = Typer(help="Protokoll der Monatsläufe (Ledger): Läufe auflisten, anzeigen und vergleichen.",
                 no_args_is_help=True)
app.add_typer(runs_app, name="runs")
LedgerOpt = Annotated[str | None, typer.Option("--ledger", help="Adresse des Ledgers (sqlite:///PFAD oder postgresql+psycopg://...).")]
RunConfigOpt = Annotated[Path | None, typer.Option("--config", help="Konfiguration des Monatslaufs (run.toml), deren Ledger gelesen wird.")]


@app.command("run")
def run_cmd(periode: Annotated[str, typer.Option("--periode", help="Der Monat, JJJJ-MM (z. B. 2024-05).")],
            config: Annotated[Path, typer.Option("--config", help="Konfiguration (run.toml) mit Eingaben, Modell, Ausgabeordner und Ledger; Aufbau im README, Abschnitt „Scheduled monthly runs“.")],
            warten: Annotated[bool, typer.Option("--warten/--nicht-warten", help="Auf einen laufenden Lauf desselben Monats warten (Standard) oder abbrechen (Rückgabewert 75).")] = True,
            bestand_unveraendert: Annotated[bool, typer.Option("--bestand-unveraendert", help="Die Bestandsdatei darf byteweise gleich der eines anderen Monats sein (keine neue Meldung); sonst abgelehnt.")] = False) -> None:
    """Der Monatslauf: prüfen, Verteilstatistik, Zuweisung, Ausgaben, Ledger. Ein zweiter Aufruf mit denselben Eingaben ändert nichts."""
    from verteilung import api

    outcome = api.run(periode, config, warten=warten, befehl=["verteilung", *sys.argv[1:]],
                      bestand_unveraendert=bestand_unveraendert)
    if outcome.status == "unveraendert":
        typer.echo(f"unverändert: {outcome.periode}/r{outcome.revision} ({outcome.folder})")
    else:
        typer.echo(f"fertig: {outcome.periode}/r{outcome.revision} -> {outcome.folder}")


@runs_app.command("list")
@pfade()
def runs_list(ledger: LedgerOpt = None, config: RunConfigOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False) -> None:
    """Alle eingetragenen Läufe: Periode, Revision, Status, Zeiten, Benutzer und Rechner."""
    from verteilung import api

    emit(api.runs_list(ledger, config), fmt.value, out, title="Läufe", max_rows=None)


@runs_app.command("show")
@pfade()
def runs_show(ref: Annotated[str, typer.Argument(help="PERIODE oder PERIODE/REVISION, z. B. 2024-05 oder 2024-05/2 (Standard: neueste Revision).")],
              ledger: LedgerOpt = None, config: RunConfigOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False) -> None:
    """Ein Lauf: Zusammenfassung, Prüfsummen der Eingaben und Ergebnisse je Gemeinde."""
    from verteilung import api

    rows, info = api.runs_show(ref, ledger, config)
    emit(rows, fmt.value, out, info, title=f"Lauf {info['periode']}/r{info['revision']}", ausgabe="runs.show")


@runs_app.command("diff")
@pfade()
def runs_diff(a: Annotated[str, typer.Argument(help="Erster Lauf: PERIODE/REVISION, z. B. 2024-05/1.")], b: Annotated[str, typer.Argument(help="Zweiter Lauf: PERIODE/REVISION, z. B. 2024-05/2.")],
              ledger: LedgerOpt = None, config: RunConfigOpt = None,
              alle: Annotated[bool, typer.Option("--alle", help="Auch die Gemeinden zeigen, bei denen sich nur die Erfüllungsquote rechnerisch verschiebt (CSV und JSON enthalten sie immer).")] = False,
              fmt: FormatOpt = Fmt.table, out: OutOpt = None, ueberschreiben: UeberschreibenDateiOpt = False) -> None:
    """Was sich zwischen zwei Läufen geändert hat: zuerst die geänderten Eingaben, dann die Gemeinden mit geändertem Ergebnis."""
    from verteilung import api

    diff, info = api.runs_diff(a, b, ledger, config)
    if fmt == Fmt.table and out is None:
        from verteilung.report.laufvergleich import print_diff

        print_diff(diff, info, alle)
        return
    if fmt == Fmt.table and out is not None and out.suffix.lower() in (".xlsx", ".csv"):  # for people: sentences
        from verteilung.report.laufvergleich import input_lines

        info = {**info, "eingaben": "; ".join(input_lines(info)) or "unverändert"}
    runs = " → ".join(x.replace("/r", "/").replace("/", " r") for x in (a, b))  # a sheet name has no "/"
    emit(diff, fmt.value, out, info, title=f"Läufe {runs}", max_rows=None, ausgabe="runs.diff")


@runs_app.command("repair")
def runs_repair(ledger: LedgerOpt = None, config: RunConfigOpt = None,
                ordner: Annotated[Path | None, typer.Option("--ordner", help="Ausgabeordner mit den Perioden (zu --ledger; Standard: outputs).")] = None,
                aufraeumen: Annotated[bool, typer.Option("--aufraeumen", help="Übrige .verworfen-* und versteckte .tmp-* Ordner löschen.")] = False) -> None:
    """Ledger-Einträge aus den manifest.json der Revisionen nachtragen; Reste melden (und mit --aufraeumen löschen)."""
    from verteilung.run import repair_command

    repair_command(ledger, config, ordner, aufraeumen, typer.echo)


def _ranges(specs: list[str] | None) -> dict[str, tuple[float, float]]:
    from verteilung.sweep_runner import parse_ranges

    return parse_ranges(specs)


def _sweep_lesarten(einmalig: bool, miete: str, komb: str, basis: str):
    """The readings a swept model's key uses (the cap reading R1/R2 and Anlage 1 are the model's fields)."""
    from verteilung.law.lesarten import Lesarten

    return Lesarten(kappung_iteriert=not einmalig, mietpreisliste=miete, minderung=komb, umverteilung=basis)


@app.command()
@pfade(ordner=True)
def sweep(modell: Annotated[str, typer.Option("--modell", help="Ein Modell mit einem System: m1-gemeinsamer-bestand, m2-mischschluessel, Pfad einer Modelldatei (YAML) oder gewichtet (mit --gewichte).")],
          parameter: Annotated[list[str] | None, typer.Option("--parameter", metavar="NAME=VON:BIS", help="NAME=VON:BIS (ein Gewicht, kappung, alpha, anrechnung, zugaenge); mehrfach oder durch Komma getrennt.")] = None,
          raster: Annotated[int | None, typer.Option("--raster", parser=opt.cli(opt.ganzzahl, "--raster", minimum=1), help="Raster mit K Punkten je Parameter.")] = None,
          stichprobe: Annotated[int | None, typer.Option("--stichprobe", parser=opt.cli(opt.ganzzahl, "--stichprobe", minimum=1), help="Gleichverteilte Zufallsstichprobe von S Szenarien.")] = None,
          seed: Annotated[int, typer.Option("--seed", parser=opt.cli(opt.ganzzahl, "--seed"), help="Startwert des Zufallsgenerators für Stichprobe und Störungen.")] = 0,
          stoerung: Annotated[str | None, typer.Option("--stoerung", help="Zufällige Störung der Daten, z. B. einwohner=0.02,bestand=0.05 (relative Standardabweichung).")] = None,
          zugaenge: Annotated[int | None, typer.Option("--zugaenge", parser=opt.cli(opt.personen, "--zugaenge"), help="Zugänge je Szenario in den Strom, den das Modell erhält (Standard: dessen Monatsmittel 2021; bei „alle“ FlüAG + WSA).")] = None,
          gewichte: Annotated[str | None, typer.Option("--gewichte", help="Grundgewichte für --modell gewichtet.")] = None,
          bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestandsdatei (CSV/XLSX; Standard: das SYNTHETISCHE Szenario).")] = None,
          gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
          workers: Annotated[int, typer.Option("--workers", parser=opt.cli(opt.ganzzahl, "--workers", minimum=1), help="Zahl der Rechenprozesse auf diesem Rechner.")] = 1,
          dask: Annotated[bool, typer.Option("--dask", help="Die Pakete auf einem lokalen Dask-Cluster rechnen.")] = False,
          dask_scheduler: Annotated[str | None, typer.Option("--dask-scheduler", help="Adresse eines laufenden Dask-Schedulers, tcp://RECHNER:PORT.")] = None,
          batch: Annotated[int, typer.Option("--batch", parser=opt.cli(opt.ganzzahl, "--batch", minimum=1), help="Szenarien je Paket: jedes fertige Paket wird sofort gespeichert (eine Datei).")] = 10_000,
          fortsetzen: Annotated[bool, typer.Option("--fortsetzen", help="Einen abgebrochenen Lauf in --out fortsetzen.")] = False,
          staffelung: SweepStaffelungOpt = None, einmalig: EinmaligOpt = False, miete: MieteOpt = "2015", komb: KombOpt = "additiv", basis: BasisOpt = "k0",
          report: Annotated[bool, typer.Option("--report", help="Zusätzlich sweep_bericht.html schreiben (Fächerdiagramm, Seitenwechsel, Tornado).")] = False,
          ueberschreiben: UeberschreibenOpt = False,
          out: Annotated[Path, typer.Option("--out", help="Ordner für die Ergebnisse.")] = Path("outputs/sweep"), blatt: BlattOpt = None) -> None:
    """Belastungstest eines einheitlichen Schlüssels: Tausende bis Millionen Szenarien, paketweise gerechnet."""
    _blatt(blatt)
    from verteilung.model import parse_weights
    from verteilung.sweep_runner import progress_bar, write_results
    from verteilung.sweep_runner import sweep as run_sweep

    ranges = _ranges(parameter)
    if report:  # a person's report of that name is refused before the batches are computed
        from verteilung.io.pfade import pruefe_ersetzen

        pruefe_ersetzen(out, ["sweep_bericht.html"], ueberschreiben)
    res = run_sweep(modell, ranges, raster=raster, stichprobe=stichprobe, seed=seed,
                    stoerung=parse_weights(stoerung, "--stoerung") if stoerung else None, zugaenge=zugaenge,
                    gewichte=parse_weights(gewichte) if gewichte else None, bestand=bestand, gemeinden=gemeinden,
                    jahr=jahr, stichtag=stichtag, out=out, workers=workers, dask=dask, dask_scheduler=dask_scheduler,
                    batch=batch, fortsetzen=fortsetzen, progress=progress_bar(),
                    lesarten=_sweep_lesarten(einmalig, miete, komb, basis), staffelung=staffelung)
    extra = {}
    if report:
        from verteilung.report.html import render_sweep_report
        from verteilung.sensitivity import oat

        try:
            tornado = oat(res.base, res.model, ranges) if ranges else None
        except InputError:  # ranges leave the simplex at their ends: no one-at-a-time swings
            tornado = None
        extra["sweep_bericht.html"] = render_sweep_report(res, tornado).encode("utf-8")
    write_results(res, out, extra)
    from rich.text import Text

    from verteilung.report.output import wide_console

    c = wide_console()
    if res.info.get("synthetisch"):
        c.print(Text("SYNTHETISCHE Bestandsdaten", "bold yellow"))
    from verteilung.io.deutsch import column_for, fmt_dec, fmt_fraction, fmt_int, fmt_value

    rate = res.info["szenarien"] / max(res.info["sekunden"], 1e-9)
    c.print(f"{fmt_int(res.info['szenarien'])} Szenarien ({res.info['modell']}) in {fmt_dec(res.info['sekunden'], 1)} s "
            f"({fmt_int(rate)}/s, {res.info['engine']})", highlight=False)
    d = res.szenarien
    for col in ("gini_last_je_einwohner", "quote_p90", "soll_anteil_laendlich", "zuweisung_anteil_kreisfrei"):
        spec = column_for(col)
        c.print(f" {spec.label}: min {fmt_value(d[col].min(), spec)}, Median {fmt_value(d[col].median(), spec)}, "
                f"max {fmt_value(d[col].max(), spec)}", highlight=False)
    g = res.gemeinden.assign(wechsel=lambda x: x["anteil_entlastet"] * (1 - x["anteil_entlastet"]))
    top = g.sort_values(["wechsel", "ags"], ascending=[False, True]).head(5)
    c.print(" Gemeinden, die am häufigsten die Seite wechseln (entlastet in p % der Szenarien): "
            + ", ".join(f"{r.gemeinde} ({fmt_fraction(r.anteil_entlastet, 0)})" for r in top.itertuples()), highlight=False)
    c.print(f"Ergebnisse (Parquet, CSV): {out}/", highlight=False)


@app.command()
@pfade(ordner=True)
def sensitivitaet(modell: Annotated[str, typer.Option("--modell", help="Ein Modell mit einem System: m1-gemeinsamer-bestand, m2-mischschluessel, Pfad einer Modelldatei (YAML) oder gewichtet (mit --gewichte).")],
                  parameter: Annotated[list[str], typer.Option("--parameter", metavar="NAME=VON:BIS", help="NAME=VON:BIS; mehrfach oder durch Komma getrennt.")],
                  gewichte: Annotated[str | None, typer.Option("--gewichte", help="Grundgewichte für --modell gewichtet.")] = None,
                  sobol: Annotated[int, typer.Option("--sobol", parser=opt.cli(opt.ganzzahl, "--sobol", minimum=1), help="Grundgröße N der Saltelli-Stichprobe (N·(k+2) Rechnungen).")] = 1024,
                  seed: Annotated[int, typer.Option("--seed", parser=opt.cli(opt.ganzzahl, "--seed"), help="Startwert des Zufallsgenerators.")] = 0,
                  bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestandsdatei (CSV/XLSX; Standard: das SYNTHETISCHE Szenario).")] = None,
                  einmalig: EinmaligOpt = False, miete: MieteOpt = "2015", komb: KombOpt = "additiv", basis: BasisOpt = "k0",
                  ueberschreiben: UeberschreibenOpt = False,
                  out: Annotated[Path, typer.Option("--out", help="Ordner für Tabellen und Tornado-Diagramme.")] = Path("outputs/sensitivitaet"), blatt: BlattOpt = None) -> None:
    """Ausschläge einzeln variierter Parameter (Tornado) und Sobol-Indizes: welcher Parameter welche Kennzahl treibt."""
    _blatt(blatt)
    from rich.text import Text

    from verteilung.model import parse_weights
    from verteilung.report import ordner
    from verteilung.report.output import wide_console
    from verteilung.sensitivity import sensitivitaet as run

    res = run(modell, _ranges(parameter), sobol_n=sobol, seed=seed,
              gewichte=parse_weights(gewichte) if gewichte else None, bestand=bestand,
              lesarten=_sweep_lesarten(einmalig, miete, komb, basis))
    ordner.sensitivitaet(res, out)
    c = wide_console()
    if res.info.get("synthetisch"):
        c.print(Text("SYNTHETISCHE Bestandsdaten", "bold yellow"))
    from verteilung.io.deutsch import fmt_dec
    from verteilung.vocab import label as column_label

    sob = res.sobol
    for metric, p in res.treiber.items():
        row = sob[(sob["kennzahl"] == metric) & (sob["parameter"] == p)].iloc[0]
        c.print(f" {column_label(metric)}: getrieben von {column_label(p)} (Sobol gesamt {fmt_dec(row['ST'], 2)}, "
                f"erster Ordnung {fmt_dec(row['S1'], 2)})",
                highlight=False)
    c.print(f"Tabellen und Tornado-Diagramme: {out}/", highlight=False)


@app.command()
@pfade()
def calibrate(spalten: Annotated[str, typer.Option("--spalten", help="Spalten des Schlüssels, die gewichtet werden, z. B. einwohner,flaeche,arbeitslose.")],
              ziel: Annotated[str, typer.Option("--ziel", help="Ziel: max_abstand (größter Abstand |Last − Soll|), umverteilung (umzuverteilende Personen) oder stadt_land (geringste langfristige Verschiebung zwischen den kreisfreien Städten und den übrigen Gemeinden; ohne Bestände).")] = "max_abstand",
              grenze: Annotated[list[str] | None, typer.Option("--grenze", metavar="SPALTE=VON:BIS", help="Grenzen eines Gewichts SPALTE=VON:BIS; mehrfach möglich.")] = None,
              laendlich_max_anstieg: Annotated[float | None, typer.Option("--laendlich-max-anstieg", parser=opt.cli(opt.dezimal, "--laendlich-max-anstieg"), help="Der Soll-Anteil dünn besiedelter Gemeinden darf gegenüber dem Status quo um höchstens X % steigen.")] = None,
              hoechstens: Annotated[str | None, typer.Option("--hoechstens", help="Genannte Gemeinden mit einer Erfüllungsquote von höchstens Y %: AGS=Y[,...].")] = None,
              bestand: Annotated[Path | None, typer.Option("--bestand", help="Bestandsdatei (CSV/XLSX; Standard: das SYNTHETISCHE Szenario).")] = None,
              gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
              out: Annotated[Path, typer.Option("--out", help="Die Modelldatei, die geschrieben wird (YAML; nutzbar mit compare --modelle DATEI).")] = Path("outputs/kalibriert.yaml"),
              ueberschreiben: UeberschreibenDateiOpt = False, blatt: BlattOpt = None) -> None:
    """Gewichte eines Schlüssels per linearer Optimierung für ein Ziel unter Grenzen wählen; schreibt eine Modelldatei."""
    _blatt(blatt)
    from verteilung.calibrate import calibrate as run
    from verteilung.io.deutsch import fmt_dec
    from verteilung.model import parse_weights

    cols = [c.strip() for c in spalten.split(",") if c.strip()]
    res = run(cols, ziel, grenzen=_ranges(grenze), laendlich_max_anstieg=laendlich_max_anstieg,
              hoechstens=parse_weights(hoechstens, "--hoechstens") if hoechstens else None, bestand=bestand,
              gemeinden=gemeinden, jahr=jahr, stichtag=stichtag)
    atomic_write_bytes(out, res.model_yaml.encode("utf-8"))
    if res.info.get("hinweis"):
        typer.echo(res.info["hinweis"])
    typer.echo(f"Gewichte: {', '.join(f'{k}={fmt_dec(v, 4)}' for k, v in res.weights.items())}")
    typer.echo(f"Zielwert ({ziel}): {fmt_dec(res.objective, 2)}; bindende Grenzen: {'; '.join(res.binding) or 'keine'}")
    typer.echo(f"Modelldatei: {out} (verteilung compare --modelle {out})")


# Commands that compute in-process on vectors of a few hundred or thousand Gemeinden and write
# every file atomically (closed before they return). They start on one OpenBLAS thread: its pool
# gives them nothing, but starting it costs ~0,08 s CPU when numpy loads. And the console script
# ends them without the interpreter's teardown (freeing pandas', pyarrow's and the results'
# objects one by one: 0,15 s CPU of compare's 1,4 s); the atexit handlers still run. Issue 25.
# Others (sweep's matrix products and process pools, run's ledger) keep Python's defaults.
EINFACHE_BEFEHLE = frozenset({"compare", "langfrist"})


def _befehl(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


@contextlib.contextmanager
def ohne_zyklen_gc(argv: list[str]) -> Iterator[None]:
    """The commands in `EINFACHE_BEFEHLE` run without Python's cyclic garbage collector (restored
    afterwards): they make many short-lived tables and almost no reference cycles, so the
    collector's passes over every live object found nothing (the same peak memory, 176 MiB for
    compare, 450 MiB at 11.088 Gemeinden) and cost 0,12 s CPU of compare's 1,2 s. Reference
    counting still frees everything else at once."""
    import gc

    if not _ohne_gc(argv) or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _ohne_gc(argv: list[str]) -> bool:
    """Whether the command runs without the cyclic collector (`ohne_zyklen_gc`)."""
    # --report draws matplotlib figures, which are reference cycles: only the collector frees them
    return _befehl(argv) in EINFACHE_BEFEHLE and "--report" not in argv


def _blas_threads(argv: list[str]) -> None:
    """One OpenBLAS thread for the commands in `EINFACHE_BEFEHLE`, unless the user set a number or
    numpy is already loaded (an in-process caller keeps its own). The variable stays set for the
    rest of the process and its children: numpy reads it once, when it loads."""
    import os

    if _befehl(argv) in EINFACHE_BEFEHLE and "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _app_fuer(argv: list[str]) -> typer.Typer:
    """The command group typer builds for this call: for a command in `EINFACHE_BEFEHLE` named
    first (after ``--debug`` at most), the same group with that command alone. typer builds the
    click command of every registered command on each call (signatures, annotations, options: 0,012 s
    CPU, issue 25), though one runs; the command's help page, options and usage errors are the
    same (tests/test_import_kosten.py). The group's own help, a misspelt command and every other
    command get the whole app."""
    name = _befehl(argv)
    if name not in EINFACHE_BEFEHLE or any(a != "--debug" for a in argv[:argv.index(name)]):
        return app
    einer = copy.copy(app)
    einer.registered_commands = [c for c in app.registered_commands if (c.name or getattr(c.callback, "__name__", None)) == name]
    einer.registered_groups = []
    return einer


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; usage errors are told in German by cli_deutsch (exit 2)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    _blas_threads(argv)
    try:
        # the same results, faster (issue 25); --help and --version alone load no pandas
        strings = python_strings() if _befehl(argv) is not None else contextlib.nullcontext()
        with ohne_zyklen_gc(argv), strings:
            _app_fuer(argv)(args=argv, prog_name="verteilung", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except VerteilungError as exc:
        if debug:
            raise
        _say_error([f"Fehler: {line}" for line in str(exc).splitlines()] or ["Fehler"])
        return exc.exit_code
    except OSError as exc:  # a path the user gave: a folder for a file, missing, not allowed
        if debug:
            raise
        if is_disk_full(exc):  # not bad input: its own exit code (README "Zusagen")
            _say_error([f"Fehler: {disk_full_text(exc)}"])
            return EXIT_DISK_FULL
        _say_error([f"Fehler: {_os_problem(exc)}"])
        return 2
    except Exception as exc:  # an internal error: say so, keep the traceback for --debug
        if debug:
            raise
        _say_error([f"interner Fehler: {exc.__class__.__name__}: {exc} (Einzelheiten mit "
                    "--debug)"])
        return 1
    return 0


_OS_REASONS = {
    IsADirectoryError: "ist ein Ordner, erwartet wird eine Datei",
    NotADirectoryError: "ist kein Ordner (ein Teil des Pfads ist eine Datei)",
    FileNotFoundError: "nicht gefunden",
    FileExistsError: "existiert bereits",
    PermissionError: "keine Berechtigung",
}


def _os_problem(exc: OSError) -> str:
    """One German line for a file-system error on a path the user named."""
    reason = next((text for kind, text in _OS_REASONS.items() if isinstance(exc, kind)), None)
    if reason is None:
        reason = exc.strerror or exc.__class__.__name__
    name = exc.filename if exc.filename is not None else ""
    if exc.filename2 is not None:
        name = f"{name} -> {exc.filename2}"
    return f"{name}: {reason}" if name else reason


def _say_error(lines: list[str]) -> None:
    """Print error lines as plain text (no markup: names from input data are shown verbatim)."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    sys.stderr.flush()


def ohne_pyarrow(argv: list[str]) -> bool:
    """The console script runs the commands in `EINFACHE_BEFEHLE` with pandas loaded without pyarrow
    (`verteilung.io.pandas_ohne_pyarrow`: 0,075 s CPU of compare's ~1 s, issue 25), unless an
    argument names a Parquet file (``langfrist --out X.parquet`` needs pyarrow to write it). They
    run in `python_strings`, so pyarrow would store nothing: the outputs are the same bytes
    (tests/test_import_kosten.py). Only `entry` calls it: the process ends with the command, so no
    later code of the process misses pyarrow; `main`, the app, the sweep and `run` never do."""
    if _befehl(argv) not in EINFACHE_BEFEHLE or any(a.lower().endswith(".parquet") for a in argv):
        return False
    return pandas_ohne_pyarrow()


def ohne_pydantic_plugins(argv: list[str]) -> None:
    """The console script's commands in `EINFACHE_BEFEHLE` build their model-file classes without
    looking for pydantic plugins (``PYDANTIC_DISABLE_PLUGINS``, pydantic's documented switch; a value
    the user set wins): to find them pydantic reads the entry points of every installed distribution,
    0,0055 s CPU with 86 of them (issue 25), and a command of the CLI has no use for them. typer
    turns them off the same way for its own option adapters."""
    import os

    if _befehl(argv) in EINFACHE_BEFEHLE:
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def entry() -> None:
    """The console script ``verteilung``."""
    argv = sys.argv[1:]
    ohne_pyarrow(argv)
    ohne_pydantic_plugins(argv)
    if _ohne_gc(argv):
        # the process ends with the command: the collector stays off to the end. Turned on again, its
        # first pass would walk every object the command made (they all sit in its youngest
        # generation): 0,04 s CPU of compare, for nothing, right before `_exit_now` (issue 25)
        import gc

        gc.disable()
    code = main(argv)
    if _befehl(argv) in EINFACHE_BEFEHLE:
        _exit_now(code)
    sys.exit(code)


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown (`EINFACHE_BEFEHLE`): terminal output
    flushed, atexit handlers run (temporary folders, logging), then ``os._exit``."""
    import atexit
    import os

    try:
        sys.stdout.flush()
    except OSError as exc:  # the teardown would say so and exit 120: never a silent 0
        if code == 0:
            disk_full = is_disk_full(exc)
            _say_error([f"Fehler: {disk_full_text(exc) if disk_full else _os_problem(exc)}"])
            code = EXIT_DISK_FULL if disk_full else 1
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)
