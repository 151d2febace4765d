"""The Python API that the CLI calls one to one (sqlite-utils style): data, keys, status, explain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung import params
from verteilung.data import available_years, load_bestand, load_gemeinden
from verteilung.errors import InputError, Problem
from verteilung.law import awov, flueag
from verteilung.resources import shipped
from verteilung.status import Rundung, reference_date, summary, system_state, verteilstatistik

SYSTEM_STOCK = {"flueag": ("flueag_bestand",), "awov": ("wsa_bestand",)}


def default_stichtag(gemeinden: pd.DataFrame, stichtag: str | dt.date | None) -> dt.date:
    return reference_date(gemeinden, stichtag)


def data_check(gemeinden: str | Path | None = None, jahr: int | None = None,
               bestand: str | Path | None = None, ohne_meldung_null: bool = False) -> dict:
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
class KeyOptions:
    """Named readings of ambiguous law (LEGAL.md § 8); defaults documented in README."""

    kappung: str = "R1"
    kappung_iteriert: bool = True
    anlage1: str = "B"
    mietpreisliste: str = "2015"
    minderung_kombination: str = "additiv"
    umverteilung_basis: str = "k0"

    def for_system(self, system: str) -> dict:
        if system == "flueag":
            return {"kappung": self.kappung, "kappung_iteriert": self.kappung_iteriert}
        return {"variante": self.anlage1, "mietpreisliste": self.mietpreisliste,
                "kombination": self.minderung_kombination,
                "umverteilung_basis": self.umverteilung_basis}


def keys(system: str, gemeinden: str | Path | None = None, jahr: int | None = None,
         stichtag: str | None = None, options: KeyOptions | None = None) -> tuple[pd.DataFrame, dict]:
    options = options or KeyOptions()
    g = load_gemeinden(gemeinden, jahr)
    when = default_stichtag(g, stichtag)
    if system == "flueag":
        k = flueag.key(g, when, options.kappung, options.kappung_iteriert)  # type: ignore[arg-type]
        cols = ["ags", "gemeinde", "einwohner", "flaeche_km2", "anteil_einwohner", "anteil_flaeche",
                "schluessel_roh", "kappungsgrenze", "gekappt", "schluessel"]
    elif system in ("awov", "wsa"):
        k = awov.key(g, when, **options.for_system("awov"))  # type: ignore[arg-type]
        cols = ["ags", "gemeinde", "einwohner", "flaeche_km2", "arbeitslose", "anteil_einwohner",
                "anteil_flaeche", "anteil_arbeitslose", "schluessel_roh",
                "minderung_mietpreisbremse", "minderung_eu_sgb2", "schluessel"]
    else:
        raise InputError(Problem("--system", f"unknown system {system!r}; choose flueag or awov"))
    k = k.rename(columns={"anteil_flaeche_km2": "anteil_flaeche", "anteil_awov_messziffer":
                          "anteil_arbeitslose", "minderung_awov_mietpreisbremse":
                          "minderung_mietpreisbremse"})
    k["einwohner"] = g["einwohner"].to_numpy()
    k["flaeche_km2"] = g["flaeche_km2"].to_numpy()
    out = k[cols].copy()
    info = {"system": system, "stichtag": when.isoformat(), "datenbasis": g.attrs["datenbasis"],
            "gemeinden": len(out), "summe_schluessel": float(out["schluessel"].sum()),
            "lesarten": k.attrs["lesarten"]}
    if system == "flueag":
        info["gekappt"] = int(out["gekappt"].sum())
    else:
        info["gemindert_mietpreisbremse"] = int((out["minderung_mietpreisbremse"] > 0).sum())
    return out, info


def status(system: str, bestand: str | Path, gemeinden: str | Path | None = None,
           jahr: int | None = None, stichtag: str | None = None, rundung: Rundung = "aufrunden",
           ohne_meldung_null: bool = False, options: KeyOptions | None = None
           ) -> tuple[pd.DataFrame, dict]:
    options = options or KeyOptions()
    if system == "wsa":
        system = "awov"
    if system not in SYSTEM_STOCK:
        raise InputError(Problem("--system", f"unknown system {system!r}; choose flueag or awov"))
    g = load_gemeinden(gemeinden, jahr)
    when = default_stichtag(g, stichtag)
    b = load_bestand(bestand, g, required=SYSTEM_STOCK[system], ohne_meldung_null=ohne_meldung_null)
    state = system_state(system, g, b, when, **options.for_system(system))
    table = verteilstatistik(state, rundung)
    info = summary(table)
    info.update(system=system, stichtag=when.isoformat(), rundung=rundung,
                datenbasis=g.attrs["datenbasis"], bestand_datei=str(bestand),
                lesarten=state.info["lesarten"])
    if b.attrs.get("synthetisch"):
        info["hinweis"] = "SYNTHETISCHE Bestandsdaten (kein amtlicher Bestand)"
    if "anrechnung_faktoren" in state.info:
        info["anrechnung_faktoren"] = {p.name: p.value for p in state.info["anrechnung_faktoren"]}
    if b["ohne_meldung"].any():
        info["ohne_meldung"] = int(b["ohne_meldung"].sum())
    if b.attrs["angenommen_null"]:
        info["angenommen_null"] = b.attrs["angenommen_null"]
    return table, info


def explain(ags: str, system: str, gemeinden: str | Path | None = None, jahr: int | None = None,
            stichtag: str | None = None, bestand: str | Path | None = None,
            rundung: Rundung = "aufrunden", options: KeyOptions | None = None) -> list[tuple[str, str]]:
    """The computation for one Gemeinde as (step, paragraph) lines, in the law's order."""
    options = options or KeyOptions()
    system = "awov" if system == "wsa" else system
    g = load_gemeinden(gemeinden, jahr)
    if ags not in set(g["ags"]):
        raise InputError(Problem("AGS", f"{ags} is not in the Gemeinde table", ags=ags))
    when = default_stichtag(g, stichtag)
    i = int(np.flatnonzero(g["ags"].to_numpy() == ags)[0])
    row = g.iloc[i]
    steps: list[tuple[str, str]] = [(f"{row['gemeinde']} (AGS {ags}), Stichtag {when.isoformat()}, "
                                     f"Daten: {g.attrs['datenbasis']}", "")]
    if system == "flueag":
        k = flueag.key(g, when, options.kappung, options.kappung_iteriert)  # type: ignore[arg-type]
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
        lesart = ("R1: z ≤ (1 + 25 %)·e" if options.kappung == "R1" else "R2: z − 0.9·e ≤ 25 %·e")
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
        k = awov.key(g, when, **options.for_system("awov"))  # type: ignore[arg-type]
        r = k.iloc[i]
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
            steps.append((f"Minderung um 10 % (Mietpreisbegrenzungsverordnung 2015): "
                          f"−{r['minderung_awov_mietpreisbremse']:.8f}", awov.PARAGRAPH_MIETE))
        else:
            steps.append(("keine Minderung nach Abs. 3 (nicht im Geltungsbereich der "
                          "Mietpreisbegrenzungsverordnung 2015)", awov.PARAGRAPH_MIETE))
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
        table, info = status(system, bestand, gemeinden, jahr, when.isoformat(), rundung,
                             options=options)
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
             zeitlimit: float = 60.0, ohne_meldung_null: bool = False, options: KeyOptions | None = None):
    """Allocate one period's arrivals within one system; every input is validated before solving."""
    from verteilung.allocate import allocate as run
    from verteilung.data.zahlen import pruefe_personen
    from verteilung.data.zugaenge import load_beschraenkungen, load_haushalte
    from verteilung.status import system_state

    options = options or KeyOptions()
    system = "awov" if system == "wsa" else system
    if system not in SYSTEM_STOCK:
        raise InputError(Problem("--system", f"unknown system {system!r}; choose flueag or awov"))
    if solver not in ("highs", "cbc"):
        raise InputError(Problem("--solver", f"unknown solver {solver!r}; choose highs or cbc"))
    if pfad not in ("auto", "referenz", "solver"):
        raise InputError(Problem("--pfad", f"unknown path {pfad!r}; choose auto, referenz or solver"))
    if personen is not None:
        personen = pruefe_personen(personen, "--personen")
    g = load_gemeinden(gemeinden, jahr)
    when = default_stichtag(g, stichtag)
    b = load_bestand(bestand, g, required=SYSTEM_STOCK[system], ohne_meldung_null=ohne_meldung_null)
    hh = load_haushalte(haushalte, g) if haushalte is not None else None
    cons = load_beschraenkungen(beschraenkungen, g) if beschraenkungen is not None else None
    state = system_state(system, g, b, when, **options.for_system(system))
    result = run(state, personen=personen, haushalte=hh, beschraenkungen=cons, solver=solver,
                 pfad=pfad, zeitlimit=zeitlimit)  # type: ignore[arg-type]
    result.summary.update(stichtag=when.isoformat(), lesarten=state.info["lesarten"])
    if b.attrs["angenommen_null"]:
        result.summary["angenommen_null"] = b.attrs["angenommen_null"]
    return result
