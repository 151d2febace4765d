"""The Python API that the CLI calls one to one (sqlite-utils style): data, keys, status, explain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from verteilung import params
from verteilung.data import available_years, load_bestand, load_gemeinden
from verteilung.errors import InputError, Problem
from verteilung.inputs import Inputs, prepare
from verteilung.law import awov, systems
from verteilung.law.lesarten import ERLAUBT, Lesarten
from verteilung.resources import shipped
from verteilung.status import Rundung, reference_date, summary, system_state, verteilstatistik


def default_stichtag(gemeinden: pd.DataFrame, stichtag: str | dt.date | None) -> dt.date:
    """Deprecated: use `verteilung.inputs.prepare`, which carries the date as a field."""
    return reference_date(gemeinden, stichtag)


def data_check(gemeinden: str | Path | None = None, jahr: int | None = None,
               bestand: str | Path | None = None, ohne_meldung_null: bool = False) -> dict:
    """Validate inputs: rows, population, area, reference date (``verteilung data check``).

    >>> verteilung.data_check(bestand="bestand.csv")["bestand"]["flueag_bestand"]
    """
    g = load_gemeinden(gemeinden, jahr)
    blank = g[g["einwohner"].isna()]
    out = {
        "quelle": g.attrs["datenbasis"],
        "jahr": g.attrs.get("jahr"),
        "stichtag_bevoelkerung": g.attrs.get("stichtag"),
        "gemeinden": len(g),
        "einwohner": int(g["einwohner"].sum()),
        "flaeche_km2": round(float(g["flaeche_km2"].sum()), 2),
        "einwohner_fehlend": [{"ags": a, "gemeinde": n} for a, n in zip(blank["ags"], blank["gemeinde"],
                                                                          strict=True)],
    }
    if bestand is not None:
        b = load_bestand(bestand, g, ohne_meldung_null=ohne_meldung_null)
        out["bestand"] = {
            "datei": str(bestand),
            "flueag_bestand": int(b["flueag_bestand"].sum()),
            "anrechnung_plaetze": int(b["anrechnung_plaetze"].sum()),
            "anrechnung_plaetze_eae": int(b["anrechnung_plaetze_eae"].sum()),
            "wsa_bestand": int(b["wsa_bestand"].sum()),
            "ohne_meldung": int(b["ohne_meldung"].sum()),
            "angenommen_null": b.attrs["angenommen_null"],
        }
    return out


def data_list() -> pd.DataFrame:
    """Shipped datasets and the key years they cover (``verteilung data list``).

    >>> verteilung.data_list()[["datensatz", "jahr", "stichtag"]]
    """
    rows = []
    for y in available_years():
        g = load_gemeinden(jahr=y)
        rows.append({"datensatz": "nrw", "jahr": y, "stichtag": g.attrs["stichtag"],
                     "gemeinden": len(g), "einwohner": int(g["einwohner"].sum()),
                     "einwohner_fehlend": int(g["einwohner"].isna().sum()),
                     "genauigkeit": ",".join(sorted(g["genauigkeit"].dropna().unique()))})
    for path in sorted(shipped("inputs", "nrw", "szenario").glob("*.csv")):
        rows.append({"datensatz": f"nrw/szenario/{path.name}", "jahr": None, "stichtag": None,
                     "gemeinden": None, "einwohner": None, "einwohner_fehlend": None,
                     "genauigkeit": "SYNTHETISCH"})
    return pd.DataFrame(rows).astype({"jahr": "Int64", "gemeinden": "Int64", "einwohner": "Int64",
                                      "einwohner_fehlend": "Int64"})


@dataclass
class Result:
    """A command's result: its table plus the metadata every output carries.

    Unpacks as ``table, info = verteilung.keys(...)`` as well.
    """

    table: pd.DataFrame
    info: dict
    inputs: Inputs | None = None

    def __iter__(self):
        yield self.table
        yield self.info


def lesarten_aus(lesarten: Lesarten | None = None, **readings: Any) -> Lesarten:
    """The readings to use: an explicit `Lesarten`, or one built (and validated) from keywords."""
    if lesarten is not None:
        if readings:
            raise InputError(Problem("lesarten", "entweder lesarten=Lesarten(...) oder einzelne "
                                     "Lesarten als Schlüsselwörter angeben, nicht beides"))
        if not isinstance(lesarten, Lesarten):
            raise InputError(Problem("lesarten", f"erwartet Lesarten, erhalten {type(lesarten).__name__}"))
        return lesarten
    return Lesarten.from_mapping(readings, "lesarten")


def _prepare(gemeinden, jahr, stichtag, bestand=None, spalten=(), ohne_meldung_null=False) -> Inputs:
    return prepare(jahr=jahr, stichtag=stichtag, gemeinden=gemeinden, bestand=bestand,
                   bestand_spalten=tuple(spalten), ohne_meldung_null=ohne_meldung_null)


KEY_COLUMNS = {
    "flueag": ["ags", "gemeinde", "einwohner", "flaeche_km2", "anteil_einwohner", "anteil_flaeche",
               "schluessel_roh", "kappungsgrenze", "gekappt", "schluessel"],
    "wsa": ["ags", "gemeinde", "einwohner", "flaeche_km2", "arbeitslose", "anteil_einwohner",
            "anteil_flaeche", "anteil_arbeitslose", "schluessel_roh",
            "minderung_mietpreisbremse", "minderung_eu_sgb2", "schluessel"],
}


def keys(system: str, gemeinden: str | Path | None = None, jahr: int | None = None,
         stichtag: str | None = None, lesarten: Lesarten | None = None, **readings: Any) -> Result:
    """Distribution key per Gemeinde (``verteilung keys``).

    >>> table, info = verteilung.keys("flueag", jahr=2024, kappung="R2")
    >>> round(table["schluessel"].sum(), 9)
    1.0
    """
    sysdef = systems.get(system)
    chosen = lesarten_aus(lesarten, **readings)
    inp = _prepare(gemeinden, jahr, stichtag)
    g = inp.gemeinden
    when = inp.stichtag
    k = sysdef.key(g, when, chosen)
    k = k.rename(columns={"anteil_flaeche_km2": "anteil_flaeche", "anteil_awov_messziffer":
                          "anteil_arbeitslose", "minderung_awov_mietpreisbremse":
                          "minderung_mietpreisbremse"})
    k["einwohner"] = g["einwohner"].to_numpy()
    k["flaeche_km2"] = g["flaeche_km2"].to_numpy()
    cols = [c for c in KEY_COLUMNS.get(sysdef.id, list(k.columns)) if c in k.columns]
    out = k[cols].copy()
    info = {"system": sysdef.id, "stichtag": when.isoformat(), "datenbasis": inp.datenbasis,
            "gemeinden": len(out), "summe_schluessel": float(out["schluessel"].sum()),
            "lesarten": k.attrs.get("lesarten", {})}
    if "gekappt" in out.columns:
        info["gekappt"] = int(out["gekappt"].sum())
    if "minderung_mietpreisbremse" in out.columns:
        info["gemindert_mietpreisbremse"] = int((out["minderung_mietpreisbremse"] > 0).sum())
    return Result(out, info, inp)


def status(system: str, bestand: str | Path, gemeinden: str | Path | None = None,
           jahr: int | None = None, stichtag: str | None = None, rundung: Rundung | None = None,
           ohne_meldung_null: bool = False, lesarten: Lesarten | None = None, **readings: Any) -> Result:
    """Verteilstatistik of one system (``verteilung status``).

    >>> table, info = verteilung.status("wsa", "bestand.csv", minderung="multiplikativ")
    >>> info["aufnahmeverpflichtung_summe"]
    """
    sysdef = systems.get(system)
    if rundung is not None:
        readings["rundung"] = rundung
    chosen = lesarten_aus(lesarten, **readings)
    inp = _prepare(gemeinden, jahr, stichtag, bestand, sysdef.bestand, ohne_meldung_null)
    b = inp.bestand
    assert b is not None
    state = system_state(sysdef, inp.gemeinden, b, inp.stichtag, chosen)
    table = verteilstatistik(state, chosen.rundung)  # type: ignore[arg-type]
    info = summary(table)
    info.update(system=sysdef.id, stichtag=inp.stichtag.isoformat(), rundung=chosen.rundung,
                datenbasis=inp.datenbasis, bestand_datei=str(bestand),
                lesarten=state.info["lesarten"])
    if inp.synthetisch:
        info["hinweis"] = "SYNTHETISCHE Bestandsdaten (kein amtlicher Bestand)"
    if "anrechnung_faktoren" in state.info:
        info["anrechnung_faktoren"] = {p.name: p.value for p in state.info["anrechnung_faktoren"]}
    if b["ohne_meldung"].any():
        info["ohne_meldung"] = int(b["ohne_meldung"].sum())
    if inp.angenommen_null:
        info["angenommen_null"] = list(inp.angenommen_null)
    return Result(table, info, inp)


@dataclass
class ExplainResult:
    """The computation for one Gemeinde: (step, paragraph) lines plus the inputs' metadata.

    Iterates over the steps, as ``for text, paragraph in verteilung.explain(...)``.
    """

    schritte: list[tuple[str, str]]
    info: dict

    def __iter__(self):
        return iter(self.schritte)

    def __len__(self) -> int:
        return len(self.schritte)

    def __getitem__(self, i: int) -> tuple[str, str]:
        return self.schritte[i]


def explain(ags: str, system: str, gemeinden: str | Path | None = None, jahr: int | None = None,
            stichtag: str | None = None, bestand: str | Path | None = None,
            rundung: Rundung | None = None, lesarten: Lesarten | None = None,
            **readings: Any) -> ExplainResult:
    """The computation for one Gemeinde as (step, paragraph) lines, in the law's order.

    >>> for text, paragraph in verteilung.explain("05513000", "flueag", jahr=2024):
    ...     print(text, paragraph)
    """
    sysdef = systems.get(system)
    if rundung is not None:
        readings["rundung"] = rundung
    chosen = lesarten_aus(lesarten, **readings)
    steps = _explain_steps(ags, sysdef.id, gemeinden, jahr, stichtag, bestand, chosen)
    inp = _prepare(gemeinden, jahr, stichtag)
    return ExplainResult(steps, {"system": sysdef.id, **inp.info(), "lesarten": chosen.as_dict()})


def _explain_steps(ags: str, system: str, gemeinden, jahr, stichtag, bestand,
                   chosen: Lesarten) -> list[tuple[str, str]]:
    rundung = chosen.rundung
    inp = _prepare(gemeinden, jahr, stichtag)
    g = inp.gemeinden
    if ags not in set(g["ags"]):
        raise InputError(Problem("AGS", f"{ags} is not in the Gemeinde table", ags=ags))
    when = inp.stichtag
    i = int(np.flatnonzero(g["ags"].to_numpy() == ags)[0])
    row = g.iloc[i]
    steps: list[tuple[str, str]] = [(f"{row['gemeinde']} (AGS {ags}), Stichtag {when.isoformat()}, "
                                     f"Daten: {inp.datenbasis}", "")]
    if system == "flueag":
        k = systems.get("flueag").key(g, when, chosen)
        r = k.iloc[i]
        w_e = params.get("flueag_gewicht_einwohner", when)
        w_f = params.get("flueag_gewicht_flaeche", when)
        c = params.get("flueag_kappung", when)
        steps += [
            (f"Einwohnerschlüssel e = {row['einwohner']:,.0f} / {g['einwohner'].sum():,.0f} = "
             f"{r['anteil_einwohner']:.8f}", "§ 3 Abs. 1 S. 1, Abs. 2 FlüAG (IT.NRW, Stand 1. Januar)"),
            (f"Flächenschlüssel f = {row['flaeche_km2']:,.2f} / {g['flaeche_km2'].sum():,.2f} km² = "
             f"{r['anteil_flaeche_km2']:.8f}", "§ 3 Abs. 1 S. 1, Abs. 2 FlüAG"),
            (f"Zuweisungsschlüssel z = {w_e.value}·e + {w_f.value}·f = {r['schluessel_roh']:.8f}",
             w_e.paragraph),
        ]
        lesart = ("R1: z ≤ (1 + 25 %)·e" if chosen.kappung == "R1" else "R2: z − 0.9·e ≤ 25 %·e")
        if r["gekappt"]:
            steps.append((f"Erhöhung durch Flächenschlüssel auf {c.value:.0%} begrenzt ({lesart}): "
                          f"z = {r['kappungsgrenze']:.8f}", c.paragraph))
        else:
            steps.append((f"Kappungsgrenze {r['kappungsgrenze']:.8f} nicht erreicht ({lesart}); "
                          f"Anteil aus der Umverteilung übersteigender Anteile anderer Gemeinden: "
                          f"+{r['schluessel'] - r['schluessel_roh']:.8f}", c.paragraph))
        steps.append((f"Zuweisungsschlüssel nach Kappung und Umverteilung: {r['schluessel']:.8f}",
                      "§ 3 Abs. 1 S. 5 FlüAG (übersteigende Anteile auf alle übrigen Gemeinden)"))
    else:
        k = systems.get("wsa").key(g, when, chosen)
        r = k.iloc[i]
        # the list in force under the chosen reading, as the law layer names it (not typed here)
        liste = ERLAUBT["mietpreisliste"][chosen.mietpreisliste].removesuffix(" (Standard)")
        steps += [
            (f"Einwohneranteil e = {r['anteil_einwohner']:.8f}", "§ 4 Abs. 2 Nr. 1 AWoV (Gewicht 80 %)"),
            (f"Flächenanteil f = {r['anteil_flaeche_km2']:.8f}", "§ 4 Abs. 2 Nr. 2 AWoV (Gewicht 10 %)"),
            (f"Arbeitslose {r['arbeitslose']:,.0f} ({k.attrs['lesarten']['arbeitslose_quelle']}); "
             f"Anlage-1-Lesart {k.attrs['lesarten']['anlage1_variante']}: a = "
             f"{r['anteil_awov_messziffer']:.8f}", awov.PARAGRAPH_ANLAGE1 + " (Text nicht verfügbar)"),
            (f"Integrationsschlüssel K0 = 0.8·e + 0.1·f + 0.1·a = {r['schluessel_roh']:.8f}",
             awov.PARAGRAPH_KEY),
        ]
        if r["minderung_awov_mietpreisbremse"] > 0:
            steps.append((f"Minderung um 10 % ({liste}): "
                          f"−{r['minderung_awov_mietpreisbremse']:.8f}", awov.PARAGRAPH_MIETE))
        else:
            steps.append(("keine Minderung nach Abs. 3 (nicht im Geltungsbereich der "
                          f"{liste})", awov.PARAGRAPH_MIETE))
        if r["minderung_eu_sgb2"] > 0:
            steps.append((f"Minderung um 10 % (SGB-II-Bezug EU-Staaten): −{r['minderung_eu_sgb2']:.8f}",
                          awov.PARAGRAPH_EU))
        else:
            steps.append(("keine Minderung nach Abs. 4 (keine Daten; keine Gemeinde markiert)"
                          if not g.get("eu_sgb2", pd.Series(False)).any() else
                          "keine Minderung nach Abs. 4", awov.PARAGRAPH_EU))
        steps.append((f"Integrationsschlüssel nach Minderungen und Umverteilung: {r['schluessel']:.8f}",
                      "§ 4 Abs. 3 S. 2, Abs. 4 S. 2 AWoV (übersteigender Anteil auf alle übrigen "
                      "Gemeinden)"))
    if bestand is not None:
        table, info = status(system, bestand, gemeinden, jahr, when.isoformat(), lesarten=chosen)
        t = table.iloc[i]
        para = "§ 3 Abs. 1, 3, 5 FlüAG; Berechnung BR Arnsberg (LEGAL.md § 1.8)" if system == "flueag" \
            else "§ 4, § 5 Abs. 1 AWoV; Berechnung wie FlüAG ohne Anrechnung (LEGAL.md § 2.4)"
        if system == "flueag":
            f = info["anrechnung_faktoren"]
            steps.append((f"Anrechnung A = {f['flueag_anrechnung_aufnahmeeinrichtung']:g} × Plätze "
                          f"(EAE: {f['flueag_anrechnung_eae']:g}) = {t['anrechnung']:,.1f}",
                          "§ 3 Abs. 5 FlüAG (Faktor zum Stichtag)"))
        steps += [
            (f"Landessumme T = Σ(Bestand + Anrechnung) = {info['gesamt_T']:,.1f}", para),
            (f"Soll = Schlüssel × T = {t['soll_exakt']:,.2f} → {t['soll']} ({rundung})", para),
            (f"Bestand {t['bestand']:,} + Anrechnung {t['anrechnung']:,.1f}; Aufnahmeverpflichtung = "
             f"max(0, Soll − Bestand − Anrechnung) = {t['aufnahmeverpflichtung_exakt']:,.2f} → "
             f"{t['aufnahmeverpflichtung']} ({rundung})", para),
            (f"Erfüllungsquote = (Bestand + Anrechnung) / Soll = {t['erfuellungsquote']:.2f} %", para),
        ]
    return steps


def allocate(system: str, bestand: str | Path, personen: int | None = None, haushalte: str | Path | None = None,
             beschraenkungen: str | Path | None = None, gemeinden: str | Path | None = None,
             jahr: int | None = None, stichtag: str | None = None, solver: str = "highs", pfad: str = "auto",
             zeitlimit: float = 60.0, ohne_meldung_null: bool = False, lesarten: Lesarten | None = None,
             **readings: Any):
    """Allocate one period's arrivals within one system (``verteilung allocate``).

    Every input is validated before solving. Returns an `Allocation` (``table``, ``summary``,
    ``households``).

    >>> res = verteilung.allocate("flueag", "bestand.csv", personen=1260)
    >>> int(res.table["zuweisung"].sum())
    1260
    """
    from verteilung.allocate import allocate as run
    from verteilung.data.zahlen import pruefe_personen
    from verteilung.data.zugaenge import load_beschraenkungen, load_haushalte

    sysdef = systems.get(system)
    chosen = lesarten_aus(lesarten, **readings)
    if solver not in ("highs", "cbc"):
        raise InputError(Problem("--solver", f"unknown solver {solver!r}; choose highs or cbc"))
    if pfad not in ("auto", "referenz", "solver"):
        raise InputError(Problem("--pfad", f"unknown path {pfad!r}; choose auto, referenz or solver"))
    if personen is not None:
        personen = pruefe_personen(personen, "--personen")
    inp = _prepare(gemeinden, jahr, stichtag, bestand, sysdef.bestand, ohne_meldung_null)
    g = inp.gemeinden
    b = inp.bestand
    assert b is not None
    hh = load_haushalte(haushalte, g) if haushalte is not None else None
    cons = load_beschraenkungen(beschraenkungen, g) if beschraenkungen is not None else None
    state = system_state(sysdef, g, b, inp.stichtag, chosen)
    result = run(state, personen=personen, haushalte=hh, beschraenkungen=cons, solver=solver,
                 pfad=pfad, zeitlimit=zeitlimit)  # type: ignore[arg-type]
    result.summary.update(stichtag=inp.stichtag.isoformat(), lesarten=state.info["lesarten"])
    if inp.angenommen_null:
        result.summary["angenommen_null"] = list(inp.angenommen_null)
    return result


def run(periode: str, config: str | Path, warten: bool = True, befehl: list[str] | None = None):
    """The monthly run of one period from a run.toml (``verteilung run``); idempotent.

    Returns the outcome (``status``: neu/unveraendert, ``periode``, ``revision``, ``folder``).

    >>> out = verteilung.run("2024-05", "run.toml")
    >>> out.folder
    """
    from verteilung.run import run_period

    return run_period(periode, config, warten=warten, command=befehl or ["verteilung.run", periode])


def _ledger(ledger: str | None, config: str | Path | None):
    from verteilung.ledger import Ledger, default_url
    from verteilung.run import open_ledger

    if ledger:
        return Ledger(ledger)
    if config:
        return open_ledger(Path(config))[0]  # a relative sqlite:/// path counts from the config's folder
    return Ledger(default_url(Path("outputs")))


def runs_list(ledger: str | None = None, config: str | Path | None = None) -> pd.DataFrame:
    """Every recorded run: period, revision, status, times (``verteilung runs list``).

    >>> verteilung.runs_list(config="run.toml")[["periode", "revision", "status"]]
    """
    return _ledger(ledger, config).list()


def runs_show(ref: str, ledger: str | None = None, config: str | Path | None = None) -> Result:
    """One run (``PERIODE`` or ``PERIODE/REVISION``): per-Gemeinde rows and its record.

    >>> table, info = verteilung.runs_show("2024-05", config="run.toml")
    """
    from verteilung.ledger import parse_ref

    record, rows = _ledger(ledger, config).get(*parse_ref(ref))
    return Result(rows, {k: v for k, v in record.items() if k != "id"})


def runs_diff(a: str, b: str, ledger: str | None = None, config: str | Path | None = None) -> Result:
    """What changed between two runs, per Gemeinde and system (``verteilung runs diff``).

    >>> table, info = verteilung.runs_diff("2024-05/1", "2024-05/2", config="run.toml")
    """
    from verteilung.ledger import parse_ref

    diff = _ledger(ledger, config).diff(parse_ref(a), parse_ref(b))
    return Result(diff, {"geaendert": len(diff), "a": a, "b": b})
