"""AWoV § 4: the Integrationsschlüssel of the Wohnsitzauflage (continued as an Erlass since 2021).

K0 = 0.8 e + 0.1 f + 0.1 a, then −10 % for the rent-cap Gemeinden (§ 4 Abs. 3) and −10 % for
Gemeinden with a high share of SGB-II recipients from the Anlage-2 EU states (§ 4 Abs. 4),
the cut amounts redistributed to the other Gemeinden.

The unemployment component a follows Anlage 1, whose text was not found (LEGAL.md Q12). It is
a_i = m_i / Σ m_j ("Messziffer", Finnentrop council 2016) with three candidate m_i:
- "A": P_i · (1 − u_i)        (labour-market participation; barely differs from population)
- "B": P_i · ū / u_i          (default: population weighted by relative labour-market strength)
- "C": U_i                    (literal reading: share of the state's registered unemployed)
with U_i registered unemployed (BA), u_i = U_i / P_i, ū = ΣU / ΣP. README explains the default.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from verteilung import params
from verteilung.errors import InputError, Problem
from verteilung.law.key import KeyResult, KeySpec, Reduction, Schritt, compute_key_with_steps

Variante = Literal["A", "B", "C"]
Mietpreisliste = Literal["2015", "mieterschutzvo_2020", "mieterschutzvo_2025"]

VARIANTEN = {
    "A": "m = P·(1−u): Erwerbsbeteiligung",
    "B": "m = P·ū/u: Bevölkerung gewichtet mit relativer Arbeitsmarktlage (Standard)",
    "C": "m = U: Anteil an den Arbeitslosen des Landes (Wortlaut)",
}
PARAGRAPH_KEY = "§ 4 Abs. 2 AWoV"
PARAGRAPH_ANLAGE1 = "§ 4 Abs. 2 Nr. 3 AWoV i.V.m. Anlage 1"
PARAGRAPH_MIETE = "§ 4 Abs. 3 AWoV"
PARAGRAPH_EU = "§ 4 Abs. 4 AWoV"
PARAGRAPH_REDISTRIBUTION = "§ 4 Abs. 3 S. 2, Abs. 4 S. 2 AWoV (übersteigender Anteil auf alle übrigen Gemeinden)"

# The rent-cap list of each `mietpreisliste` reading: the name shown with the § 4 Abs. 3 cut. The
# full title and source come from the dated parameter (2015, the AWoV's static reference) or from
# the shipped list file inputs/nrw/mietrecht_gebiete.csv (the later ordinances).
MIETPREISLISTEN: dict[str, str] = {
    "2015": "Mietpreisbegrenzungsverordnung 2015",
    "mieterschutzvo_2020": "Mieterschutzverordnung 2020",
    "mieterschutzvo_2025": "Mieterschutzverordnung 2025",
}
# the Anlage-1 measure of each reading as a formula over the Gemeinde's figures
MESSZIFFER_FORMEL = {
    "A": "m = P·(1 − u) = {P:int}·(1 − {u:prozent})",
    "B": "m = P·ū/u = {P:int}·{ubar:prozent} / {u:prozent}",
    "C": "m = U = {U:int}",
}


LAND = "nrw"  # the AWoV is NRW's regulation: its lists and figures are in NRW's package


def _paket():
    from verteilung import land

    return land.get(LAND)


@lru_cache(maxsize=1)
def _gemeinde_unemployed() -> pd.DataFrame:
    return pd.read_csv(_paket().datei("arbeitslose.csv"), dtype={"ags": str})


@lru_cache(maxsize=1)
def _kreis_rates() -> pd.DataFrame:
    return pd.read_csv(_paket().datei("kreise_arbeitslosenquote.csv"),
                       dtype={"kreis_ags": str})


@lru_cache(maxsize=1)
def _land_totals() -> pd.DataFrame:
    """Registered unemployed in NRW per year (annual average, BA), each with its source URL."""
    return pd.read_csv(_paket().datei("arbeitslose_land.csv"))


@lru_cache(maxsize=1)
def _land_ags() -> frozenset[str]:
    return frozenset(pd.read_csv(_paket().datei(_paket().gemeinden), dtype={"ags": str})["ags"])


def land_total(datenjahr: int) -> tuple[int, int, str] | None:
    """(year, registered unemployed, source) of the newest sourced Land total for a year ≤ datenjahr."""
    t = _land_totals()
    t = t[t["jahr"] <= datenjahr]
    if t.empty:
        return None
    row = t.sort_values("jahr").iloc[-1]
    return int(row["jahr"]), int(row["arbeitslose"]), f"{row['quelle']}, {row['url']}"


def _scaled_rate_approximation(gemeinden: pd.DataFrame, rates: pd.Series, rate_year: int,
                               datenjahr: int) -> tuple[np.ndarray, str]:
    """Kreis rate × population, scaled so that the Land sum is the Land's registered unemployed.

    The INKAR rate is relative to the civilian labour force, not to the population, so rate ×
    population alone gives about 1.8 times the registered count; the scaling keeps the Kreis
    rates' distribution and takes the level from the BA's Land total (inputs/nrw/arbeitslose_land.csv).
    """
    from verteilung.io.deutsch import fmt_int

    raw = (rates.to_numpy(dtype=float) / 100.0) * gemeinden["einwohner"].to_numpy(dtype=float)
    method = f"NÄHERUNG: Arbeitslose je Gemeinde = INKAR-Arbeitslosenquote des Kreises {rate_year} × Einwohner"
    total = land_total(datenjahr)
    covers_land = set(gemeinden["ags"]) == _land_ags()
    if total is None or not covers_land or not raw.sum() > 0:
        why = ("die Tabelle umfasst nicht alle Gemeinden des Landes" if not covers_land
               else "keine belegte Landessumme")
        return raw, f"{method} (nicht skaliert: {why}; keine Gemeindedaten der BA für dieses Jahr)"
    year, count, source = total
    which = (f"{year}" if year == datenjahr
             else f"{year} (neuestes belegtes Jahr; für {datenjahr} keine belegte Landessumme)")
    label = (f"{method}, skaliert auf die registrierten Arbeitslosen des Landes im Jahresdurchschnitt "
             f"{which}: {fmt_int(count)} (Quelle: {source}); keine Gemeindedaten der BA für dieses Jahr")
    return raw * (count / raw.sum()), label


def unemployed(gemeinden: pd.DataFrame, datenjahr: int) -> tuple[np.ndarray, str]:
    """Registered unemployed per Gemeinde and a label saying where the figures come from.

    A user column ``arbeitslose`` wins. Otherwise the newest year ≤ datenjahr of either BA
    Gemeinde counts or INKAR Kreis rates (Gemeinde counts on a tie). Kreis rates are applied to
    each Gemeinde's population, scaled to the Land's registered unemployed of the year (a sourced
    BA figure), and labelled as an approximation (NÄHERUNG) with method and sources.
    """
    if "arbeitslose" in gemeinden.columns and gemeinden["arbeitslose"].notna().all():
        source = gemeinden.attrs.get("arbeitslose_quelle", "Nutzerdatei (Spalte arbeitslose)")
        return gemeinden["arbeitslose"].to_numpy(dtype=float), source
    bg = _gemeinde_unemployed()
    kr = _kreis_rates()
    g_years = [y for y in sorted(bg["jahr"].unique()) if y <= datenjahr]
    k_years = [y for y in sorted(kr["jahr"].unique()) if y <= datenjahr]
    best_g = g_years[-1] if g_years else None
    best_k = k_years[-1] if k_years else None
    known = set(bg["ags"])
    if best_g is not None and (best_k is None or best_g >= best_k) and set(gemeinden["ags"]) <= known:
        counts = bg[bg["jahr"] == best_g].set_index("ags")["arbeitslose"]
        label = f"BA Arbeitslose nach Gemeinden, Jahresdurchschnitt {best_g}"
        if best_g != datenjahr:  # an older year's counts stand in for the year asked for
            label = f"NÄHERUNG: {label} (neuestes verfügbares Jahr; gesucht {datenjahr})"
        return counts.reindex(gemeinden["ags"]).to_numpy(dtype=float), label
    if best_k is not None and "kreis_ags" in gemeinden.columns:
        rates = kr[kr["jahr"] == best_k].set_index("kreis_ags")["alo_quote_prozent"]
        r = gemeinden["kreis_ags"].map(rates)
        if r.notna().all():
            return _scaled_rate_approximation(gemeinden, r, int(best_k), datenjahr)
    raise InputError(Problem(
        gemeinden.attrs.get("datei", "Gemeindetabelle"),
        "no unemployment figures for the AWoV key: add a column 'arbeitslose' "
        "(registered unemployed per Gemeinde) to the Gemeinde file"))


def messziffer(einwohner: np.ndarray, arbeitslose: np.ndarray, variante: Variante) -> np.ndarray:
    if variante not in VARIANTEN:
        raise InputError(Problem("AWoV", f"unbekannte Variante der Anlage 1 „{variante}“; erlaubt: A, B oder C"))
    if variante == "C":
        return arbeitslose.astype(float)
    u = arbeitslose / einwohner
    if variante == "A":
        return einwohner * (1.0 - u)
    if (arbeitslose <= 0).any():
        raise InputError(Problem("AWoV", "Variante B braucht in jeder Gemeinde mehr als 0 Arbeitslose"))
    ubar = arbeitslose.sum() / einwohner.sum()
    return einwohner * ubar / u


def rent_cap_flags(gemeinden: pd.DataFrame, stichtag: dt.date | str, liste: Mietpreisliste) -> pd.Series:
    if liste == "2015":
        ags = set(params.value("awov_mietpreisbremse_liste", stichtag))
        return gemeinden["ags"].isin(ags)
    if liste not in gemeinden.columns:
        raise InputError(Problem(gemeinden.attrs.get("datei", "Gemeindetabelle"),
                                 f"die Spalte der Mietpreisliste „{liste}“ gibt es nicht"))
    return gemeinden[liste].astype(bool)


@lru_cache(maxsize=1)
def _list_titles() -> dict[str, str]:
    """Title of each shipped rent-law list (column name → ordinance with its validity and source)."""
    t = pd.read_csv(_paket().datei("mietrecht_gebiete.csv"), dtype=str)
    return dict(t.drop_duplicates("regulation").set_index("regulation")["regulation_title"])


def mietpreisliste_name(liste: str) -> str:
    """The name of the list a `mietpreisliste` reading uses (a user column is named as itself)."""
    return MIETPREISLISTEN.get(liste, f"Spalte {liste}")


def mietpreisliste_quelle(liste: str, stichtag: dt.date | str) -> str:
    """Where the list of that reading comes from: the dated parameter or the shipped list file."""
    if liste == "2015":
        return params.get("awov_mietpreisbremse_liste", stichtag).cite()
    title = _list_titles().get(liste)
    if not title:
        return f"Gemeinde-Tabelle, Spalte {liste}"
    return f"{title} ({_paket().anzeige_pfad('mietrecht_gebiete.csv')})"


def spec(stichtag: dt.date | str, kombination: str = "additiv", umverteilung_basis: str = "k0",
         empfaenger: str = "nicht_betroffen", mietpreisliste: str = "2015") -> KeySpec:
    p_e = params.get("awov_gewicht_einwohner", stichtag)
    p_f = params.get("awov_gewicht_flaeche", stichtag)
    p_a = params.get("awov_gewicht_arbeitslose", stichtag)
    p_m = params.get("awov_minderung_mietpreisbremse", stichtag)
    p_eu = params.get("awov_minderung_eu_sgb2", stichtag)
    return KeySpec(
        name="AWoV-Integrationsschlüssel",
        weights={"einwohner": p_e.value, "flaeche_km2": p_f.value, "awov_messziffer": p_a.value},
        reductions=(
            Reduction("awov_mietpreisbremse", p_m.value, p_m.paragraph, mietpreisliste_name(mietpreisliste),
                      p_m, mietpreisliste_quelle(mietpreisliste, stichtag)),
            Reduction("eu_sgb2", p_eu.value, p_eu.paragraph, "SGB-II-Bezug EU-Staaten Anlage 2", p_eu,
                      "Gemeinde-Tabelle, Spalte eu_sgb2"),
        ),
        kombination=kombination,  # type: ignore[arg-type]
        umverteilung_basis=umverteilung_basis,  # type: ignore[arg-type]
        empfaenger=empfaenger,  # type: ignore[arg-type]
        paragraphs={"weights": PARAGRAPH_KEY, "umverteilung_minderung": PARAGRAPH_REDISTRIBUTION},
        symbol="K0",
        bezeichnung="Integrationsschlüssel",
        weight_params={"einwohner": p_e, "flaeche_km2": p_f, "awov_messziffer": p_a},
    )


def prepare(gemeinden: pd.DataFrame, stichtag: dt.date | str, variante: Variante = "B",
            mietpreisliste: Mietpreisliste = "2015", datenjahr: int | None = None) -> pd.DataFrame:
    """Gemeinde table with the columns the Integrationsschlüssel needs."""
    stichtag = dt.date.fromisoformat(stichtag) if isinstance(stichtag, str) else stichtag
    g = gemeinden.copy()
    g.attrs = dict(gemeinden.attrs)
    if datenjahr is None:
        datenjahr = (g.attrs.get("jahr") or stichtag.year) - 1
    alo, quelle = unemployed(g, datenjahr)
    g["arbeitslose_verwendet"] = alo
    g["awov_messziffer"] = messziffer(g["einwohner"].to_numpy(dtype=float), alo, variante)
    g["awov_mietpreisbremse"] = rent_cap_flags(g, stichtag, mietpreisliste).to_numpy()
    if "eu_sgb2" not in g.columns:
        g["eu_sgb2"] = False
    g.attrs.update(arbeitslose_quelle=quelle)
    return g


def key(gemeinden: pd.DataFrame, stichtag: dt.date | str, variante: Variante = "B",
        mietpreisliste: Mietpreisliste = "2015", kombination: str = "additiv",
        umverteilung_basis: str = "k0", empfaenger: str = "nicht_betroffen") -> pd.DataFrame:
    return key_with_steps(gemeinden, stichtag, variante, mietpreisliste, kombination,
                          umverteilung_basis, empfaenger).table


def _unemployment_steps(g: pd.DataFrame, variante: Variante) -> list[Schritt]:
    """Anlage 1: the unemployed used (with their source, NÄHERUNG where approximated) and the measure m."""
    P = g["einwohner"].to_numpy(dtype=float)
    U = g["arbeitslose_verwendet"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = U / P
    quelle = str(g.attrs.get("arbeitslose_quelle", ""))
    return [
        Schritt("arbeitslose", "Arbeitslose U", "", U, PARAGRAPH_ANLAGE1, quelle, art="int"),
        Schritt("messziffer", "Messziffer m (Anlage 1)", MESSZIFFER_FORMEL[variante],
                g["awov_messziffer"].to_numpy(dtype=float), PARAGRAPH_ANLAGE1,
                f"Lesart Anlage 1 {variante}: {VARIANTEN[variante]}; Text der Anlage 1 nicht verfügbar "
                "(docs/recht.md Abschnitt 4)",
                {"P": P, "U": U, "u": u, "ubar": float(U.sum() / P.sum())}, art="dec2"),
    ]


def key_with_steps(gemeinden: pd.DataFrame, stichtag: dt.date | str, variante: Variante = "B",
                   mietpreisliste: Mietpreisliste = "2015", kombination: str = "additiv",
                   umverteilung_basis: str = "k0", empfaenger: str = "nicht_betroffen") -> KeyResult:
    """The Integrationsschlüssel and the step records of its computation (for `explain`)."""
    g = prepare(gemeinden, stichtag, variante, mietpreisliste)
    result = compute_key_with_steps(g, spec(stichtag, kombination, umverteilung_basis, empfaenger,
                                            mietpreisliste))
    steps = list(result.schritte)
    at = next(i for i, st in enumerate(steps) if st.id == "anteil_awov_messziffer")
    steps[at:at] = _unemployment_steps(g, variante)
    out = result.table
    out.insert(2, "arbeitslose", g["arbeitslose_verwendet"].to_numpy())
    out.attrs["lesarten"] = {
        "anlage1_variante": f"{variante}: {VARIANTEN[variante]}",
        "arbeitslose_quelle": g.attrs["arbeitslose_quelle"],
        "mietpreisliste": mietpreisliste,
        "minderung_kombination": kombination,
        "umverteilung_basis": umverteilung_basis,
        "empfaenger": empfaenger,
        "eu_sgb2_daten": "keine Daten: keine Gemeinde markiert" if not g["eu_sgb2"].any()
        else f"{int(g['eu_sgb2'].sum())} Gemeinden markiert (Nutzerdaten)",
    }
    return KeyResult(out, tuple(steps))
