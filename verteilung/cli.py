"""Command line: a thin typer layer over ``verteilung.api`` and friends.

Exit codes: 0 done, 1 internal error, 2 bad input, path, option or config, 3 infeasible
allocation, 4 solver stopped without a usable solution, 75 a run of the same period is running
(``run --nicht-warten``). Errors print one plain-text line per problem ("Fehler: …") and no
traceback unless ``--debug``.

Heavy libraries (pandas, PuLP, matplotlib, …) are imported inside the commands that need them,
so ``verteilung --help`` starts quickly.
"""

from __future__ import annotations

import contextlib
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from verteilung._version import __version__
from verteilung.errors import InputError, Problem, VerteilungError
from verteilung.io import (
    atomic_write_bytes,
    check_out_dir,
    check_out_file,
    records,
    to_csv_bytes,
    to_json_bytes,
)
from verteilung.report.output import emit
from verteilung.vocab import system_label

if TYPE_CHECKING:
    from verteilung.law.lesarten import Lesarten

app = typer.Typer(help="Refugee allocation quotas for the 396 Gemeinden of NRW (FlüAG, "
                  "Wohnsitzauflage, merged models).", no_args_is_help=True, add_completion=False,
                  rich_markup_mode=None)
data_app = typer.Typer(help="Inspect shipped and user data.", no_args_is_help=True)
app.add_typer(data_app, name="data")


class Fmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class System(StrEnum):
    """Registered systems (verteilung.law.systems); ``awov`` is accepted as alias of ``wsa``."""

    flueag = "flueag"
    wsa = "wsa"
    awov = "awov"


GemeindenOpt = Annotated[Path | None, typer.Option("--gemeinden", help="Own Gemeinde table (CSV/XLSX): ags, gemeinde, einwohner, flaeche_km2 [+ flags].")]
JahrOpt = Annotated[int | None, typer.Option("--jahr", help="Key year: population/area of 31.12. of the year before (default: newest).")]
StichtagOpt = Annotated[str | None, typer.Option("--stichtag", help="Reference date YYYY-MM-DD for dated parameters (default: 1 Jan of --jahr).")]
FormatOpt = Annotated[Fmt, typer.Option("--format", help="Output format.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write to this file (atomically) instead of stdout.")]
OhneMeldungOpt = Annotated[bool, typer.Option("--ohne-meldung-null", help="Count a Gemeinde missing from the stock file as 'no report' (stock 0, flagged).")]
KappungOpt = Annotated[str, typer.Option("--kappung", help="FlüAG cap reading: R1 (z ≤ 1.25 e, default) or R2 (z ≤ 1.15 e).")]
EinmaligOpt = Annotated[bool, typer.Option("--kappung-einmalig", help="Redistribute the cap excess once instead of until no Gemeinde exceeds its cap.")]
Anlage1Opt = Annotated[str, typer.Option("--anlage1", help="AWoV Anlage-1 reading: A, B (default) or C.")]
MieteOpt = Annotated[str, typer.Option("--mietpreisliste", help="Rent-cap list for § 4 (3) AWoV: 2015 (default), mieterschutzvo_2020, mieterschutzvo_2025.")]
KombOpt = Annotated[str, typer.Option("--minderung", help="Both AWoV cuts: additiv (default) or multiplikativ.")]
BasisOpt = Annotated[str, typer.Option("--umverteilung", help="Base for redistributing AWoV cuts: k0 (default) or gemindert.")]
RundungOpt = Annotated[str, typer.Option("--rundung", help="Soll/Aufnahmeverpflichtung as integers: aufrunden (default) or runden.")]


def _options(kappung: str, einmalig: bool, anlage1: str, miete: str, komb: str, basis: str,
             rundung: str = "aufrunden") -> Lesarten:
    """The readings from the CLI options; the law layer validates them (exit 2 on an unknown one)."""
    from verteilung.law.lesarten import Lesarten

    return Lesarten(kappung=kappung, kappung_iteriert=not einmalig, anlage1=anlage1,
                    mietpreisliste=miete, minderung=komb, umverteilung=basis, rundung=rundung)


ModellOpt = Annotated[str | None, typer.Option("--modell", help="Model file (YAML path or shipped id) whose system --system names, e.g. a further system over its own stock column.")]
ZugaengeOpt = Annotated[list[str] | None, typer.Option("--zugaenge", help="Arrivals of a stream by name, NAME=N (repeatable), e.g. drittes=120 for a model's own system.")]


def _streams(specs: list[str] | None) -> dict[str, int] | None:
    """``["drittes=120"]`` → {"drittes": 120}; the count is checked by the analysis."""
    if not specs:
        return None
    out: dict[str, int] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            raise InputError(Problem("--zugaenge", f"erwartet NAME=N, erhalten {spec!r}"))
        try:
            out[name.strip()] = int(value.strip())
        except ValueError:
            raise InputError(Problem("--zugaenge", f"{name.strip()}: keine ganze Zahl: {value!r}")) from None
    return out


def _version(value: bool) -> None:
    if value:
        typer.echo(f"verteilung {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """verteilung: FlüAG and Wohnsitzauflage quotas, allocation and merged models."""


@data_app.command("check")
def data_check(gemeinden: GemeindenOpt = None, jahr: JahrOpt = None,
               bestand: Annotated[Path | None, typer.Option("--bestand", help="Stock file to validate.")] = None,
               ohne_meldung_null: OhneMeldungOpt = False, fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """Validate inputs and print rows, population, area and reference date."""
    from verteilung import api
    from verteilung.report.output import wide_console

    result = api.data_check(gemeinden, jahr, bestand, ohne_meldung_null)
    if fmt == Fmt.table and out is None:
        c = wide_console()
        c.print(f"Datenbasis: {result['quelle']}")
        for key in ("jahr", "stichtag_bevoelkerung", "gemeinden", "einwohner", "flaeche_km2"):
            value = result[key]
            c.print(f"{key}: {value:,}" if isinstance(value, float) or key == "einwohner"
                    else f"{key}: {value}")
        for row in result["einwohner_fehlend"]:
            c.print(f"ohne Einwohnerzahl: {row['ags']} {row['gemeinde']} "
                    "(keys for this year are refused)")
        if "bestand" in result:
            c.print(f"Bestand: {result['bestand']}")
        return
    data = to_json_bytes(result)
    if out is not None:
        atomic_write_bytes(out, data)
    else:
        sys.stdout.buffer.write(data)


@data_app.command("list")
def data_list(fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """Shipped datasets and the key years they cover."""
    from verteilung import api

    emit(api.data_list(), fmt.value, out, title="Mitgelieferte Daten")


@app.command()
def keys(system: Annotated[System, typer.Option("--system", help="flueag or wsa (alias: awov).")],
         gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
         kappung: KappungOpt = "R1", kappung_einmalig: EinmaligOpt = False, anlage1: Anlage1Opt = "B",
         mietpreisliste: MieteOpt = "2015", minderung: KombOpt = "additiv", umverteilung: BasisOpt = "k0",
         fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """Distribution key per Gemeinde (FlüAG Zuweisungsschlüssel or AWoV Integrationsschlüssel)."""
    from verteilung import api

    opts = _options(kappung, kappung_einmalig, anlage1, mietpreisliste, minderung, umverteilung)
    table, info = api.keys(system.value, gemeinden, jahr, stichtag, lesarten=opts)
    emit(table, fmt.value, out, info, title=f"Schlüssel {system_label(system.value, short=True)}", ausgabe="keys")


@app.command()
def status(system: Annotated[str, typer.Option("--system", help="flueag or wsa (alias: awov); with --modell a system of that model.")],
           bestand: Annotated[Path, typer.Option("--bestand", help="Stock file (CSV/XLSX).")],
           gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
           rundung: RundungOpt = "aufrunden", ohne_meldung_null: OhneMeldungOpt = False,
           kappung: KappungOpt = "R1", kappung_einmalig: EinmaligOpt = False, anlage1: Anlage1Opt = "B",
           mietpreisliste: MieteOpt = "2015", minderung: KombOpt = "additiv", umverteilung: BasisOpt = "k0",
           modell: ModellOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """Verteilstatistik: Soll, Aufnahmeverpflichtung and Erfüllungsquote per Gemeinde."""
    from verteilung import api

    opts = _options(kappung, kappung_einmalig, anlage1, mietpreisliste, minderung, umverteilung, rundung)
    table, info = api.status(system, bestand, gemeinden, jahr, stichtag,
                             ohne_meldung_null=ohne_meldung_null, lesarten=opts, modell=modell)
    emit(table, fmt.value, out, info, title=f"Verteilstatistik {system_label(info['system'], short=True)}",
         ausgabe="status")


@app.command()
def explain(ags: Annotated[str, typer.Argument(help="AGS of the Gemeinde (8 digits).")],
            system: Annotated[System, typer.Option("--system", help="flueag or wsa (alias: awov).")],
            gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
            bestand: Annotated[Path | None, typer.Option("--bestand", help="Stock file: adds Soll, obligation and quota.")] = None,
            rundung: RundungOpt = "aufrunden", kappung: KappungOpt = "R1", kappung_einmalig: EinmaligOpt = False,
            anlage1: Anlage1Opt = "B", mietpreisliste: MieteOpt = "2015", minderung: KombOpt = "additiv",
            umverteilung: BasisOpt = "k0", fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """The computation for one Gemeinde, step by step, each step with its paragraph."""
    from rich.text import Text

    from verteilung import api
    from verteilung.report.output import wide_console

    opts = _options(kappung, kappung_einmalig, anlage1, mietpreisliste, minderung, umverteilung, rundung)
    steps = api.explain(ags, system.value, gemeinden, jahr, stichtag, bestand, lesarten=opts)
    if fmt != Fmt.table or out is not None:  # a table of the steps: --out F.xlsx|.csv|.json, --format
        from verteilung.report.output import explain_table

        head = {k: steps.info["erklaerung"][k] for k in ("ags", "gemeinde")}
        emit(explain_table(steps.info), fmt.value, out, {**head, **steps.info}, title=f"Erklärung {ags}",
             ausgabe="explain")
        return
    c = wide_console()
    for n, (text, para) in enumerate(steps):
        c.print(Text.assemble(f"{n}. {text}", (f"\n   {para}", "dim") if para else ""))


@app.command()
def allocate(system: Annotated[str, typer.Option("--system", help="flueag or wsa (alias: awov); with --modell a system of that model.")],
             bestand: Annotated[Path, typer.Option("--bestand", help="Stock file (CSV/XLSX).")],
             personen: Annotated[int | None, typer.Option("--personen", help="Number of single persons to allocate.")] = None,
             haushalte: Annotated[Path | None, typer.Option("--haushalte", help="Household file: haushalt_id, personen[, ags_fest].")] = None,
             beschraenkungen: Annotated[Path | None, typer.Option("--beschraenkungen", help="Constraints: ags[, max_zuweisung, min_zuweisung, gesperrt].")] = None,
             gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
             solver: Annotated[str, typer.Option("--solver", help="highs (default) or cbc, for the constrained path.")] = "highs",
             pfad: Annotated[str, typer.Option("--pfad", help="auto (default), referenz or solver.")] = "auto",
             zeitlimit: Annotated[float, typer.Option("--zeitlimit", help="Solver time limit in seconds.")] = 60.0,
             haushalte_out: Annotated[Path | None, typer.Option("--haushalte-out", help="Write the household list (CSV) here.")] = None,
             ohne_meldung_null: OhneMeldungOpt = False, kappung: KappungOpt = "R1", anlage1: Anlage1Opt = "B",
             modell: ModellOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """Allocate this period's arrivals: lowest Erfüllungsquote first, households kept whole."""
    from verteilung import api

    if (personen is None) == (haushalte is None):
        raise InputError(Problem("arguments", "give exactly one of --personen N or --haushalte FILE"))
    opts = _options(kappung, False, anlage1, "2015", "additiv", "k0")
    result = api.allocate(system, bestand, personen, haushalte, beschraenkungen, gemeinden, jahr,
                          stichtag, solver, pfad, zeitlimit, ohne_meldung_null, lesarten=opts, modell=modell)
    if fmt == Fmt.json:
        payload = {"summary": result.summary, "rows": records(result.table)}
        if result.households is not None:
            payload["haushalte"] = records(result.households)
        data = to_json_bytes(payload)
        if haushalte_out is not None and result.households is not None:
            atomic_write_bytes(haushalte_out, to_csv_bytes(result.households), "--haushalte-out")
        if out is not None:
            atomic_write_bytes(out, data)
        else:
            sys.stdout.buffer.write(data)
        return
    if haushalte_out is not None and result.households is not None:
        atomic_write_bytes(haushalte_out, to_csv_bytes(result.households), "--haushalte-out")
    emit(result.table, fmt.value, out, result.summary, ausgabe="allocate",
         title=f"Zuweisung {system_label(result.summary.get('system', system), short=True)}",
         terminal_rows=lambda t: t[t["zuweisung"] > 0],
         sheets={"Haushalte": result.households} if result.households is not None else None)
    if fmt == Fmt.table:
        typer.echo(f"Rechenzeit: {result.seconds:.3f} s", err=True)


class CompareFmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


@app.command()
def compare(modelle: Annotated[str | None, typer.Option("--modelle", help="Comma-separated models (default: all shipped).")] = None,
            bestand: Annotated[Path | None, typer.Option("--bestand", help="Stock file (default: the SYNTHETIC scenario).")] = None,
            gemeinden: GemeindenOpt = None,
            zugaenge_flueag: Annotated[int, typer.Option("--zugaenge-flueag", help="FlüAG arrivals this period (default: monthly mean 2021).")] = 1260,
            zugaenge_wsa: Annotated[int, typer.Option("--zugaenge-wsa", help="WSA arrivals this period (default: monthly mean 2021).")] = 493,
            zugaenge: ZugaengeOpt = None,
            jahr: JahrOpt = None, stichtag: StichtagOpt = None,
            gewichte: Annotated[str | None, typer.Option("--gewichte", help="Own key on the combined stock, e.g. einwohner=0.8,flaeche=0.1,arbeitslose=0.1.")] = None,
            gewichte_kappung: Annotated[str | None, typer.Option("--gewichte-kappung", help="Cap for --gewichte: COLUMN=FACTOR, key ≤ FACTOR × share of COLUMN (e.g. einwohner=1.25).")] = None,
            gewichte_minderung: Annotated[str | None, typer.Option("--gewichte-minderung", help="Reductions for --gewichte: FLAG=RATE[,...] (e.g. mietpreisbremse_2015=0.1).")] = None,
            ohne_meldung_null: OhneMeldungOpt = False,
            fmt: Annotated[CompareFmt, typer.Option("--format", help="What to print: table (summary), csv, json, xlsx.")] = CompareFmt.table,
            report: Annotated[bool, typer.Option("--report", help="Also write the HTML report bericht.html.")] = False,
            out: Annotated[Path, typer.Option("--out", help="Folder for all tables (CSV, JSON, XLSX).")] = Path("outputs/vergleich")) -> None:
    """Today's two systems against merged models: who takes more, who fewer (the main job)."""
    from verteilung.compare import compare as run
    from verteilung.compare import write_outputs
    from verteilung.model import parse_weights
    from verteilung.report.terminal import print_compare

    check_out_dir(out)
    names = [m.strip() for m in modelle.split(",") if m.strip()] if modelle else None
    if (gewichte_kappung or gewichte_minderung) and not gewichte:
        raise InputError(Problem("--gewichte-kappung/--gewichte-minderung", "only together with --gewichte"))
    weights = parse_weights(gewichte) if gewichte else None
    cap = parse_weights(gewichte_kappung, "--gewichte-kappung") if gewichte_kappung else None
    cuts = parse_weights(gewichte_minderung, "--gewichte-minderung") if gewichte_minderung else None
    res = run(names, bestand, gemeinden, zugaenge_flueag, zugaenge_wsa, jahr, stichtag, weights, ohne_meldung_null,
              kappung=cap, minderungen=cuts, zugaenge=_streams(zugaenge))
    folder = write_outputs(res, out)
    if report:
        from verteilung.report.bericht import render_report

        atomic_write_bytes(folder / "bericht.html", render_report(res).encode("utf-8"))
    if fmt == CompareFmt.json:
        from verteilung.compare import summary_payload

        sys.stdout.buffer.write(to_json_bytes(summary_payload(res)))
    elif fmt == CompareFmt.csv:
        sys.stdout.buffer.write(to_csv_bytes(res.gemeinden))
    else:
        print_compare(res, folder)


@app.command()
def simulate(monate: Annotated[int, typer.Option("--monate", help="Number of months.")] = 24,
             modelle: Annotated[str | None, typer.Option("--modelle", help="Comma-separated models (default: all shipped).")] = None,
             szenario: Annotated[Path | None, typer.Option("--szenario", help="Flow scenario YAML (default: inputs/nrw/szenario/fluesse_2021.yaml).")] = None,
             bestand: Annotated[Path | None, typer.Option("--bestand", help="Starting stocks (default: the SYNTHETIC scenario).")] = None,
             gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
             seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: the scenario's).")] = None,
             zugaenge: ZugaengeOpt = None,
             report: Annotated[bool, typer.Option("--report", help="Also write the HTML report (with a comparison).")] = False,
             out: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path("outputs/simulation")) -> None:
    """Month by month: the same people under each model; conflicts and spread over time."""
    from rich.text import Text

    from verteilung.report.output import atomic_dir, wide_console
    from verteilung.simulate import simulate as run
    from verteilung.simulate import summary_lines, terminal_progress

    check_out_dir(out)
    names = [m.strip() for m in modelle.split(",") if m.strip()] if modelle else None
    res = run(monate, names, szenario, bestand, gemeinden, jahr, stichtag, seed, progress=terminal_progress(),
              zugaenge=_streams(zugaenge))
    label = "SYNTHETISCH_" if res.info["synthetisch"] else ""
    cmp = None
    if report:
        from verteilung.compare import compare as run_compare

        cmp = run_compare(names, bestand, gemeinden, jahr=jahr, stichtag=stichtag, zugaenge=_streams(zugaenge))
    with atomic_dir(out) as tmp:
        (tmp / f"{label}monate.csv").write_bytes(to_csv_bytes(res.monate))
        (tmp / f"{label}gemeinden_ende.csv").write_bytes(to_csv_bytes(res.gemeinden))
        (tmp / f"{label}simulation.json").write_bytes(to_json_bytes({"info": res.info, "befunde": summary_lines(res)}))
        if cmp is not None:
            from verteilung.report.bericht import render_report

            (tmp / "bericht.html").write_bytes(render_report(cmp, res).encode("utf-8"))
    c = wide_console()
    if res.info["synthetisch"]:
        c.print(Text.assemble(("SYNTHETISCHE Startbestände", "bold yellow"), "; Flüsse: " + res.info["szenario"]))
    c.print(f"{monate} Monate, Seed {res.info['seed']}", highlight=False)
    for line in summary_lines(res):
        c.print(f" • {line}", highlight=False)
    c.print(f"Ergebnisse: {out}/", highlight=False)


@app.command()
def report(monate: Annotated[int, typer.Option("--monate", help="Months to simulate for the trajectories (0: none).")] = 24,
           modelle: Annotated[str | None, typer.Option("--modelle", help="Comma-separated models (default: all shipped).")] = None,
           bestand: Annotated[Path | None, typer.Option("--bestand", help="Stock file (default: the SYNTHETIC scenario).")] = None,
           szenario: Annotated[Path | None, typer.Option("--szenario", help="Flow scenario YAML for the simulation.")] = None,
           gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
           out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path("outputs/bericht.html")) -> None:
    """A self-contained German HTML report: models, maps, charts and tables (opens offline)."""
    from verteilung.report.bericht import report as run_report
    from verteilung.simulate import terminal_progress

    check_out_file(out)
    names = [m.strip() for m in modelle.split(",") if m.strip()] if modelle else None
    res = run_report(monate, names, bestand=bestand, szenario=szenario, gemeinden=gemeinden, jahr=jahr,
                     stichtag=stichtag, progress=terminal_progress() if monate > 0 else None)
    atomic_write_bytes(out, res.html.encode("utf-8"))
    typer.echo(f"Bericht: {out} (im Browser öffnen; keine Netzverbindung nötig)", err=True)


@app.command("app")
def app_cmd(host: Annotated[str, typer.Option("--host", help="Adresse (Standard 127.0.0.1; jede andere braucht --token).")] = "127.0.0.1",
            port: Annotated[int, typer.Option("--port", help="Port.")] = 8765,
            token: Annotated[str | None, typer.Option("--token", help="Zugangsschlüssel (oder VERTEILUNG_APP_TOKEN).")] = None) -> None:
    """Interaktive Anwendung im Browser und JSON-API unter /api/ (docs/app.md)."""
    from verteilung.app.cli import app_command

    raise typer.Exit(app_command(host, port, token))


runs_app = typer.Typer(help="The run ledger: list, show and compare recorded runs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
LedgerOpt = Annotated[str | None, typer.Option("--ledger", help="Ledger URL (sqlite:///PATH or postgresql+psycopg://...).")]
RunConfigOpt = Annotated[Path | None, typer.Option("--config", help="Run config whose ledger to read.")]


@app.command("run")
def run_cmd(periode: Annotated[str, typer.Option("--periode", help="The month, YYYY-MM.")],
            config: Annotated[Path, typer.Option("--config", help="TOML config naming the inputs, model, outputs, ledger.")],
            warten: Annotated[bool, typer.Option("--warten/--nicht-warten", help="Wait for a running run of the same period (default) or refuse (exit 75).")] = True) -> None:
    """The monthly run: validate, Verteilstatistik, allocation, outputs, ledger. Idempotent."""
    from verteilung import api

    outcome = api.run(periode, config, warten=warten, befehl=["verteilung", *sys.argv[1:]])
    if outcome.status == "unveraendert":
        typer.echo(f"unverändert: {outcome.periode}/r{outcome.revision} ({outcome.folder})")
    else:
        typer.echo(f"fertig: {outcome.periode}/r{outcome.revision} -> {outcome.folder}")


@runs_app.command("list")
def runs_list(ledger: LedgerOpt = None, config: RunConfigOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """Every recorded run: period, revision, status, times, user and host."""
    from verteilung import api

    emit(api.runs_list(ledger, config), fmt.value, out, title="Läufe", max_rows=None)


@runs_app.command("show")
def runs_show(ref: Annotated[str, typer.Argument(help="PERIODE or PERIODE/REVISION (default: newest revision).")],
              ledger: LedgerOpt = None, config: RunConfigOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """One run: summary, input hashes and per-Gemeinde results."""
    from verteilung import api

    rows, info = api.runs_show(ref, ledger, config)
    emit(rows, fmt.value, out, info, title=f"Lauf {info['periode']}/r{info['revision']}", ausgabe="runs.show")


@runs_app.command("diff")
def runs_diff(a: Annotated[str, typer.Argument(help="PERIODE/REV")], b: Annotated[str, typer.Argument(help="PERIODE/REV")],
              ledger: LedgerOpt = None, config: RunConfigOpt = None, fmt: FormatOpt = Fmt.table, out: OutOpt = None) -> None:
    """What changed between two runs, per Gemeinde and system (only changed rows)."""
    from verteilung import api

    diff, info = api.runs_diff(a, b, ledger, config)
    emit(diff, fmt.value, out, info, title=f"{a} → {b}", max_rows=None, ausgabe="runs.diff")


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
def sweep(modell: Annotated[str, typer.Option("--modell", help="A one-system model: m1-gemeinsamer-bestand, m2-mischschluessel, a model YAML path, or gewichtet (with --gewichte).")],
          parameter: Annotated[list[str] | None, typer.Option("--parameter", help="NAME=LOW:HIGH (a weight, kappung, alpha, anrechnung, zugaenge); repeat or comma-separate.")] = None,
          raster: Annotated[int | None, typer.Option("--raster", help="Grid with K points per parameter.")] = None,
          stichprobe: Annotated[int | None, typer.Option("--stichprobe", help="Uniform random sample of S scenarios.")] = None,
          seed: Annotated[int, typer.Option("--seed", help="Seed for sampling and perturbations.")] = 0,
          stoerung: Annotated[str | None, typer.Option("--stoerung", help="Random data perturbation, e.g. einwohner=0.02,bestand=0.05 (relative σ).")] = None,
          zugaenge: Annotated[int | None, typer.Option("--zugaenge", help="Arrivals per scenario (default: monthly means 2021, FlüAG + WSA).")] = None,
          gewichte: Annotated[str | None, typer.Option("--gewichte", help="Base weights for --modell gewichtet.")] = None,
          bestand: Annotated[Path | None, typer.Option("--bestand", help="Stock file (default: the SYNTHETIC scenario).")] = None,
          gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
          workers: Annotated[int, typer.Option("--workers", help="Local worker processes.")] = 1,
          dask: Annotated[bool, typer.Option("--dask", help="Run the batches on a Dask LocalCluster.")] = False,
          dask_scheduler: Annotated[str | None, typer.Option("--dask-scheduler", help="Address of an existing Dask scheduler, tcp://HOST:PORT.")] = None,
          batch: Annotated[int, typer.Option("--batch", help="Scenarios per batch (bounds memory).")] = 2000,
          fortsetzen: Annotated[bool, typer.Option("--fortsetzen", help="Resume an interrupted sweep in --out.")] = False,
          einmalig: EinmaligOpt = False, miete: MieteOpt = "2015", komb: KombOpt = "additiv", basis: BasisOpt = "k0",
          report: Annotated[bool, typer.Option("--report", help="Also write sweep_bericht.html (fan chart, side changes, tornado).")] = False,
          out: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path("outputs/sweep")) -> None:
    """Stress-test a unified key: thousands to millions of scenarios, vectorised and batched."""
    from verteilung.model import parse_weights
    from verteilung.sweep_runner import progress_bar, write_results
    from verteilung.sweep_runner import sweep as run_sweep

    check_out_dir(out)
    ranges = _ranges(parameter)
    res = run_sweep(modell, ranges, raster=raster, stichprobe=stichprobe, seed=seed,
                    stoerung=parse_weights(stoerung, "--stoerung") if stoerung else None, zugaenge=zugaenge,
                    gewichte=parse_weights(gewichte) if gewichte else None, bestand=bestand, gemeinden=gemeinden,
                    jahr=jahr, stichtag=stichtag, out=out, workers=workers, dask=dask, dask_scheduler=dask_scheduler,
                    batch=batch, fortsetzen=fortsetzen, progress=progress_bar(),
                    lesarten=_sweep_lesarten(einmalig, miete, komb, basis))
    write_results(res, out)
    if report:
        from verteilung.report.html import render_sweep_report
        from verteilung.sensitivity import oat

        try:
            tornado = oat(res.base, res.model, ranges) if ranges else None
        except InputError:  # ranges leave the simplex at their ends: no one-at-a-time swings
            tornado = None
        atomic_write_bytes(out / "sweep_bericht.html", render_sweep_report(res, tornado).encode("utf-8"))
    from rich.text import Text

    from verteilung.report.output import wide_console

    c = wide_console()
    if res.info.get("synthetisch"):
        c.print(Text("SYNTHETISCHE Bestandsdaten", "bold yellow"))
    rate = res.info["szenarien"] / max(res.info["sekunden"], 1e-9)
    c.print(f"{res.info['szenarien']:,} Szenarien ({res.info['modell']}) in {res.info['sekunden']:.1f} s "
            f"({rate:,.0f}/s, {res.info['engine']})", highlight=False)
    d = res.szenarien
    for col, label in (("gini_last_je_einwohner", "Gini Last/EW"), ("quote_p90", "Quote P90"),
                       ("soll_anteil_laendlich", "Soll-Anteil gering besiedelt"),
                       ("zuweisung_anteil_kreisfrei", "Zuweisungsanteil kreisfreie Städte")):
        c.print(f" {label}: min {d[col].min():.4g}, Median {d[col].median():.4g}, max {d[col].max():.4g}",
                highlight=False)
    g = res.gemeinden.assign(wechsel=lambda x: x["anteil_entlastet"] * (1 - x["anteil_entlastet"]))
    top = g.sort_values(["wechsel", "ags"], ascending=[False, True]).head(5)
    c.print(" Gemeinden, die am häufigsten die Seite wechseln (entlastet in p % der Szenarien): "
            + ", ".join(f"{r.gemeinde} ({r.anteil_entlastet:.0%})" for r in top.itertuples()), highlight=False)
    c.print(f"Ergebnisse (Parquet, CSV): {out}/", highlight=False)


@app.command()
def sensitivitaet(modell: Annotated[str, typer.Option("--modell", help="A one-system model: m1-gemeinsamer-bestand, m2-mischschluessel, a model YAML path, or gewichtet (with --gewichte).")],
                  parameter: Annotated[list[str], typer.Option("--parameter", help="NAME=LOW:HIGH; repeat or comma-separate.")],
                  gewichte: Annotated[str | None, typer.Option("--gewichte", help="Base weights for --modell gewichtet.")] = None,
                  sobol: Annotated[int, typer.Option("--sobol", help="Base sample size N of the Saltelli design (N·(k+2) runs).")] = 1024,
                  seed: Annotated[int, typer.Option("--seed")] = 0,
                  bestand: Annotated[Path | None, typer.Option("--bestand", help="Stock file (default: the SYNTHETIC scenario).")] = None,
                  einmalig: EinmaligOpt = False, miete: MieteOpt = "2015", komb: KombOpt = "additiv", basis: BasisOpt = "k0",
                  out: Annotated[Path, typer.Option("--out", help="Folder for tables and tornado charts.")] = Path("outputs/sensitivitaet")) -> None:
    """One-at-a-time swings (tornado) and Sobol indices: which parameter drives which metric."""
    from verteilung.io import atomic_dir
    from verteilung.model import parse_weights
    from verteilung.report.charts import tornado_png
    from verteilung.report.output import wide_console
    from verteilung.sensitivity import DEFAULT_METRICS
    from verteilung.sensitivity import sensitivitaet as run

    check_out_dir(out)
    res = run(modell, _ranges(parameter), sobol_n=sobol, seed=seed,
              gewichte=parse_weights(gewichte) if gewichte else None, bestand=bestand,
              lesarten=_sweep_lesarten(einmalig, miete, komb, basis))
    with atomic_dir(out) as tmp:
        (tmp / "tornado.csv").write_bytes(to_csv_bytes(res.tornado))
        (tmp / "sobol.csv").write_bytes(to_csv_bytes(res.sobol))
        for m in DEFAULT_METRICS:
            (tmp / f"tornado_{m}.png").write_bytes(tornado_png(res.tornado, m))
    c = wide_console()
    sob = res.sobol
    for metric, p in res.treiber.items():
        row = sob[(sob["kennzahl"] == metric) & (sob["parameter"] == p)].iloc[0]
        c.print(f" {metric}: getrieben von {p} (Sobol gesamt {row['ST']:.2f}, erster Ordnung {row['S1']:.2f})",
                highlight=False)
    c.print(f"Tabellen und Tornado-Diagramme: {out}/", highlight=False)


@app.command()
def calibrate(spalten: Annotated[str, typer.Option("--spalten", help="Key columns to weight, e.g. einwohner,flaeche,arbeitslose.")],
              ziel: Annotated[str, typer.Option("--ziel", help="max_abstand (largest |load − Soll|) or umverteilung (persons to move).")] = "max_abstand",
              grenze: Annotated[list[str] | None, typer.Option("--grenze", help="Weight bounds COLUMN=LOW:HIGH; repeat.")] = None,
              laendlich_max_anstieg: Annotated[float | None, typer.Option("--laendlich-max-anstieg", help="Soll share of sparsely populated Gemeinden may rise by at most X % against the status quo.")] = None,
              hoechstens: Annotated[str | None, typer.Option("--hoechstens", help="Named Gemeinden at or below Y % quota: AGS=Y[,...].")] = None,
              bestand: Annotated[Path | None, typer.Option("--bestand", help="Stock file (default: the SYNTHETIC scenario).")] = None,
              gemeinden: GemeindenOpt = None, jahr: JahrOpt = None, stichtag: StichtagOpt = None,
              out: Annotated[Path, typer.Option("--out", help="The model file to write (YAML, runs with compare --modelle FILE).")] = Path("outputs/kalibriert.yaml")) -> None:
    """Choose key weights by LP (PuLP/HiGHS) for a stated objective under stated limits; writes a model file."""
    from verteilung.calibrate import calibrate as run
    from verteilung.model import parse_weights

    check_out_file(out)
    cols = [c.strip() for c in spalten.split(",") if c.strip()]
    res = run(cols, ziel, grenzen=_ranges(grenze), laendlich_max_anstieg=laendlich_max_anstieg,
              hoechstens=parse_weights(hoechstens, "--hoechstens") if hoechstens else None, bestand=bestand,
              gemeinden=gemeinden, jahr=jahr, stichtag=stichtag)
    atomic_write_bytes(out, res.model_yaml.encode("utf-8"))
    typer.echo(f"Gewichte: {', '.join(f'{k}={v:.4f}' for k, v in res.weights.items())}")
    typer.echo(f"Zielwert ({ziel}): {res.objective:,.2f}; bindende Grenzen: {'; '.join(res.binding) or 'keine'}")
    typer.echo(f"Modelldatei: {out} (verteilung compare --modelle {out})")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; usage errors are typer's own (exit 2)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        app(args=argv, prog_name="verteilung", standalone_mode=True)
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


def entry() -> None:
    sys.exit(main())
