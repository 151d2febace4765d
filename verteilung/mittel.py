"""Money that follows the distribution: € per Gemeinde, Kreis and year under each model.

Rules are dated parameters with paragraph and source (LEGAL.md § 9.3): the § 4 FlüAG lump sum
per counted person and month (``params/flueag_pauschale_kreisfrei|kreisangehoerig.yaml``; the
rate differs for kreisfreie Städte, so the Land's total changes when persons move between the
two) and the pots in ``params/mittel/`` (Integrationspauschale 2018/2019, the pre-2017 § 4 pot,
the Kreisunterstützung). A pot's key is a rule: shares by persons of named groups (``flueag``,
``wsa``) or by a system's key, with a minimum per Gemeinde. A model file may replace a pot's
rule (``mittel: {integrationspauschale_2018: [{nach: schluessel, system: gesamt, anteil: 1}]}``),
e.g. "the Integrationspauschale under the merged key".

Long run: on the persons of `verteilung.langfrist` (real data). Month by month: on the persons
of `verteilung.simulate` (the stock it starts from: synthetic unless the user's own).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.errors import InputError, Problem
from verteilung.gruppen import group_sum_columns_or_pandas, je_schluessel, rangfolge, summe
from verteilung.law.mittel import (  # noqa: F401  (the rules, re-exported for callers of verteilung.mittel)
    GRUPPEN,
    PAUSCHALE,
    Anteil,
    Topf,
    _eur,
    fortgeschrieben,
    in_kraft,
    mit_mindestbetrag,
    parse_verteilung,
    pauschale_saetze,
    satz_je_gemeinde,
    topf,
    topf_ids,
)


def _gewichte(rule: tuple[Anteil, ...], rows: pd.DataFrame | Mapping[str, object], model_systems: list[str],
              modell: str) -> np.ndarray:
    """Each Gemeinde's share of a pot under ``rule`` for one model's rows (long run or one month)."""
    share = np.zeros(len(rows["ags"]))
    for a in rule:
        if a.nach == "personen":
            w = sum(np.asarray(rows[f"personen_{g}"], dtype=float) for g in a.gruppen)
        else:
            system = a.system if a.system in model_systems else (model_systems[0] if len(model_systems) == 1 else "")
            if not system:
                raise InputError(Problem("mittel", f"Modell „{modell}“ hat kein System „{a.system}“ für den "
                                         f"Schlüssel des Topfs; seine Systeme: {', '.join(model_systems)}"))
            w = np.asarray(rows[f"schluessel_{system}"], dtype=float)
        total = float(np.sum(w))
        if total > 0:
            share = share + a.anteil * w / total
    return share


@dataclass
class MittelResult:
    """€ per Gemeinde and year per model (long run), per Kreis, per model for the Land, winners and
    losers against ``info["basis"]``; ``verlauf`` month by month along a simulation (optional)."""

    gemeinden: pd.DataFrame
    kreise: pd.DataFrame
    modelle: pd.DataFrame
    gewinner_verlierer: pd.DataFrame
    info: dict = field(default_factory=dict)
    verlauf: pd.DataFrame | None = None
    verlauf_land: pd.DataFrame | None = None


def _regel_fuer(t: Topf, d) -> tuple[tuple[Anteil, ...], str]:
    """The pot's rule for a model: the model file's own (``mittel:``) or the statutory one."""
    own = (getattr(d, "mittel", None) or {}).get(t.id)
    if own is not None:
        return parse_verteilung(own, f"Modell {d.id}: mittel.{t.id}"), "Modelldatei"
    return t.verteilung, "Recht"


def geld(rows: pd.DataFrame | Mapping[str, object], d, toepfe: list[Topf], jahr: int,
         monate: float = 12.0) -> pd.DataFrame:
    """Money of one model's Gemeinden for ``monate`` months: the § 4 lump sum on FlüAG persons at
    the rate of the Gemeinde type, each Gemeinde pot by its rule (with minimum, pro rata)."""
    return pd.DataFrame(_geld_spalten(rows, d, toepfe, jahr, monate))


def _geld_spalten(rows: pd.DataFrame | Mapping[str, object], d, toepfe: list[Topf], jahr: int,
                  monate: float = 12.0) -> dict[str, np.ndarray]:
    """`geld`'s columns as arrays (``rows``: a frame, or its columns as arrays)."""
    systems = [s.name for s in d.systeme]
    n = len(rows["ags"])
    personen = np.asarray(rows["personen_flueag"], dtype=float)
    out: dict[str, np.ndarray] = {"modell": np.full(n, d.id, dtype=object),
                                  **{c: np.asarray(rows[c], dtype=object) for c in ("ags", "gemeinde", "kreis",
                                                                                    "gemeinde_typ")},
                                  "personen_flueag": personen}
    out["pauschale_flueag_eur"] = personen * satz_je_gemeinde(rows["gemeinde_typ"], jahr) * monate
    total = out["pauschale_flueag_eur"].copy()
    for t in toepfe:
        if t.empfaenger != "gemeinden":
            continue
        rule, _ = _regel_fuer(t, d)
        amount = mit_mindestbetrag(t.betrag_eur, _gewichte(rule, rows, systems, d.id), t.mindestbetrag_eur)
        out[f"mittel_{t.id}_eur"] = amount * monate / 12
        total = total + out[f"mittel_{t.id}_eur"]
    out["mittel_eur"] = total
    return out


def _kreise(col: dict[str, np.ndarray], money_cols: list[str], pots: list[Topf],
            basis: str) -> pd.DataFrame:
    """Money per model and Kreis: the Gemeinden's sums, the Kreis pots of the Landkreise (Kreise
    without a kreisfreie Stadt) and the change against the basis's Kreis (``col``: the rows as arrays)."""
    kf = col["gemeinde_typ"] == "kreisfreie Stadt"
    kreise = pd.DataFrame(group_sum_columns_or_pandas({**col, "_kreisfrei": kf.astype(np.int64)}, ["modell", "kreis"],
                                                      [*money_cols, "_kreisfrei"]))
    landkreis = kreise.pop("_kreisfrei").to_numpy() == 0  # no kreisfreie Stadt among its Gemeinden
    for t in pots:
        if t.empfaenger == "kreise":
            kreise[f"mittel_{t.id}_eur"] = np.where(landkreis, t.betrag_je_kreis_eur, 0.0)
            kreise["mittel_eur"] = kreise["mittel_eur"] + kreise[f"mittel_{t.id}_eur"]
    k_modell, k_kreis, k_mittel = (kreise[c].to_numpy() for c in ("modell", "kreis", "mittel_eur"))
    kreise["aenderung_mittel_eur"] = k_mittel - je_schluessel(k_kreis[k_modell == basis],
                                                             k_mittel[k_modell == basis], k_kreis)
    return kreise


def mittel_aus(lf, defs: list, jahr: int, toepfe: list[str] | None = None, sim=None) -> MittelResult:
    """Money of a long-run result (`LangfristResult`) for the models ``defs`` in year ``jahr``:
    the core behind `mittel`, `compare`'s summary and the app. ``toepfe``: pot ids applied in
    addition to those in force in ``jahr`` (a past rule applied today, e.g. the Integrationspauschale
    2018); ``sim``: a `SimResult` with ``verlauf`` for month by month."""
    basis = lf.info["basis"]
    in_force = in_kraft(jahr)
    names = list(dict.fromkeys([*in_force, *(toepfe or [])]))
    pots = [topf(n, jahr) if n in in_force else topf(n) for n in names]
    by_id = {d.id: d for d in defs}
    g = lf.gemeinden
    wanted = ["ags", "gemeinde", "kreis", "gemeinde_typ",
              *(c for c in g.columns if c.startswith(("personen_", "schluessel_")))]
    spalten = {c: g[c].to_numpy() for c in ["modell", *wanted]}
    parts = []
    for m in lf.info["modelle"]:
        if m in by_id:  # the model's rows of the long run, as arrays (a filtered frame per model cost more)
            of_m = spalten["modell"] == m
            parts.append(_geld_spalten({c: spalten[c][of_m] for c in wanted}, by_id[m], pots, jahr))
    if all(list(p) == list(parts[0]) for p in parts):
        col = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    else:  # columns that differ between models: pandas aligns them
        long = pd.concat([pd.DataFrame(p) for p in parts], ignore_index=True)
        col = {c: long[c].to_numpy() for c in long.columns}
    of_basis = col["modell"] == basis
    for c in ("mittel_eur", "pauschale_flueag_eur"):  # minus the basis's amount of the same AGS
        col[f"aenderung_{c}"] = col[c] - je_schluessel(col["ags"][of_basis], col[c][of_basis], col["ags"])
    long = pd.DataFrame(col)
    money_cols = [c for c in long.columns if c.endswith("_eur") and not c.startswith("aenderung")]
    kf = col["gemeinde_typ"] == "kreisfreie Stadt"
    kreise = _kreise(col, money_cols, pots, basis)
    k_modell, k_mittel = kreise["modell"].to_numpy(), kreise["mittel_eur"].to_numpy()
    rows = []
    for m in pd.unique(col["modell"]):  # the models in their order, as groupby(sort=False)
        of_m = col["modell"] == m
        rows.append({"modell": m, "pauschale_flueag_land_eur": summe(col["pauschale_flueag_eur"][of_m]),
                     "mittel_land_eur": summe(k_mittel[k_modell == m]),
                     "mittel_kreisfrei_eur": summe(col["mittel_eur"][of_m & kf]),
                     "mittel_kreisangehoerig_eur": summe(col["mittel_eur"][of_m & ~kf])})
    modelle = pd.DataFrame(rows)
    mb = modelle.set_index("modell").loc[basis]
    for c in ("pauschale_flueag_land_eur", "mittel_land_eur", "mittel_kreisfrei_eur"):
        modelle[f"aenderung_{c}"] = modelle[c] - mb[c]
    gv = rangfolge(col, "aenderung_mittel_eur", basis, ("verliert", "gewinnt"),
                   ("ags", "gemeinde", "kreis", "aenderung_mittel_eur"))
    saetze = pauschale_saetze(jahr)
    typ = {"kreisfrei": "kreisfreie Stadt", "kreisangehoerig": "kreisangehörige Gemeinde"}
    regeln = [{"name": f"Pauschale § 4 FlüAG, {typ[k]}", "wert": f"{_eur(p.value)} je Person und Monat",
               "paragraph": p.paragraph, "quelle": p.title, "href": p.href, "gueltig_ab": p.start.isoformat(),
               "annahme": p.uncertain} for k, p in saetze.items()]
    regeln += [{"name": t.id, "wert": t.regel(), "paragraph": t.paragraph, "quelle": t.quelle, "href": t.href,
                "gueltig_ab": t.gueltig_ab.isoformat(),
                "gueltig_bis": t.gueltig_bis.isoformat() if t.gueltig_bis else None, "annahme": t.annahme}
               for t in pots]
    eigene = {d.id: sorted(set(getattr(d, "mittel", None) or {}) & set(names)) for d in defs}
    info = {"basis": basis, "jahr": jahr, "modelle": [m for m in lf.info["modelle"] if m in by_id],
            "toepfe": names, "regeln": regeln, "eigene_regeln": {k: v for k, v in eigene.items() if v},
            "grundlage": "langfristige Last (echte Strukturdaten und Landessummen, verteilung langfrist); "
                         "Personen eines zusammengeführten Systems im Landesverhältnis FlüAG : WSA",
            "langfrist": {k: lf.info[k] for k in ("summen", "stichtag", "datenbasis") if k in lf.info},
            "synthetisch": False}
    from verteilung.inputs import NAEHERUNG_KURZ

    geschaetzt = [f"NÄHERUNG: {grund}" for grund in fortgeschrieben(jahr, pots)]
    if lf.info.get("naeherungen") or geschaetzt:
        info["naeherungen"] = [*lf.info.get("naeherungen", []), *geschaetzt]
    tables = [long, kreise, modelle, pd.DataFrame(gv)]
    if geschaetzt:  # every money figure of the year rests on the carried-forward rule: each row says so
        tables = [t.assign(hinweis=NAEHERUNG_KURZ) for t in tables]
    res = MittelResult(*tables, info)
    if sim is not None:
        res.verlauf, res.verlauf_land = verlauf(sim, defs, pots, jahr, lf)
        res.info["verlauf_synthetisch"] = bool(sim.info.get("synthetisch"))
    return res


def verlauf(sim, defs: list, pots: list[Topf], jahr: int, lf) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Month by month along a simulation: each month's money on that month's persons (one twelfth
    of the yearly pots, the monthly lump sum), per Gemeinde and for the Land."""
    if sim.verlauf is None or "flueag_bestand" not in sim.verlauf.columns:
        raise InputError(Problem("--monate", "die Simulation hat keinen Verlauf je Gemeinde (verlauf=True)"))
    by_id = {d.id: d for d in defs}
    g = lf.gemeinden
    frames = []
    for (m, monat), part in sim.verlauf.groupby(["modell", "monat"], sort=True):
        if m not in by_id or monat == 0:
            continue
        keys = g[g["modell"] == m].set_index("ags")
        rows = part.set_index("ags").join(keys[["gemeinde", "kreis", "gemeinde_typ",
                                                *[c for c in keys.columns if c.startswith("schluessel_")]]])
        rows = rows.reset_index().rename(columns={"flueag_bestand": "personen_flueag", "wsa_bestand": "personen_wsa"})
        money = geld(rows, by_id[m], pots, jahr, monate=1.0)
        frames.append(money.assign(monat=int(monat)))
    out = pd.concat(frames, ignore_index=True)
    cols = [c for c in out.columns if c.endswith("_eur")]
    land = out.groupby(["modell", "monat"], sort=True)[cols].sum().reset_index()
    start = dt.date.fromisoformat(sim.info["stichtag"])
    land = land_monate(land, lf.info["basis"], start, jahr, [str(m) for m in sim.info["modelle"]])
    return out[["modell", "monat", "ags", "gemeinde", "kreis", "personen_flueag", *cols]], land


def monat_datum(start: dt.date, monat: int) -> dt.date:
    """The first day of simulated month ``monat``: month 1 is the calendar month after the Stichtag
    (the stock is counted on the Stichtag; the first arrivals come after it)."""
    index = start.year * 12 + start.month - 1 + monat
    return dt.date(index // 12, index % 12 + 1, 1)


def land_monate(land: pd.DataFrame, basis: str, start: dt.date, jahr: int, order: list[str]) -> pd.DataFrame:
    """The Land's money month by month per model (`mittel --monate N --ebene monate`, the app's money
    chart): each month and cumulative, and both against the Vergleichsbasis in the same month.

    The rules are those in force on 1 January of ``jahr``; a month in another calendar year gets
    them carried forward and is marked NÄHERUNG (``mittel_kennzeichen``): no rate is known for the
    years after the last dated rule, and a later rule is not applied along the months."""
    land = land.copy()
    land["modell"] = pd.Categorical(land["modell"], [m for m in order if m in set(land["modell"])], ordered=True)
    land = land.sort_values(["modell", "monat"]).reset_index(drop=True)
    land["modell"] = land["modell"].astype(str)
    land["mittel_eur_kumuliert"] = land.groupby("modell", sort=False)["mittel_eur"].cumsum()
    base = land[land["modell"] == basis].set_index("monat")
    for col in ("mittel_eur", "mittel_eur_kumuliert"):
        land[f"aenderung_{col}"] = land[col] - land["monat"].map(base[col]) if len(base) else np.nan
    datum = [monat_datum(start, int(m)) for m in land["monat"]]
    land.insert(2, "monat_beginn", [d.isoformat() for d in datum])
    land["mittel_kennzeichen"] = ["NÄHERUNG" if d.year != jahr else "" for d in datum]
    return land


def mittel(modelle: list[str | Path] | None = None, basis: str | Path = "status-quo", *,
           jahr_mittel: int | None = None,
           toepfe: list[str] | None = None, summen: dict[str, float] | None = None, monate: int = 0,
           bestand: str | Path | None = None, szenario: str | Path | None = None,
           gemeinden: str | Path | None = None, stichtag: str | dt.date | None = None,
           seed: int | None = None) -> MittelResult:
    """€ per Gemeinde, Kreis and year for each model against ``basis``: long run on real data;
    with ``monate`` > 0 also month by month along `simulate` (its stock: synthetic by default).

    ``jahr_mittel``: the money year (rates and pots in force on its 1 January; default the Stichtag's
    year); ``toepfe``: pot ids in addition to those in force (e.g. ``["integrationspauschale_2018"]``).

    >>> res = verteilung.mittel(["status-quo", "m1-gemeinsamer-bestand"])
    >>> res.modelle[["modell", "pauschale_flueag_land_eur"]]
    """
    from verteilung.langfrist import langfrist
    from verteilung.model import load_model

    lf = langfrist(modelle, basis, summen=summen, stichtag=stichtag, gemeinden=gemeinden, minimum=False)
    defs = [load_model(m) for m in (modelle or [])] or None
    if defs is None:
        from verteilung.langfrist import DEFAULT_MODELS

        defs = [load_model(m) for m in DEFAULT_MODELS]
    base = load_model(basis)
    if base.id not in [d.id for d in defs]:
        defs.insert(0, base)
    year = jahr_mittel if jahr_mittel is not None else dt.date.fromisoformat(lf.info["stichtag"]).year
    sim = None
    if monate > 0:
        from verteilung.simulate import simulate

        sim = simulate(monate, [str(m) for m in (modelle or [d.id for d in defs])], szenario, bestand, gemeinden,
                       stichtag=stichtag, seed=seed, verlauf=True, basis=basis)
    return mittel_aus(lf, defs, year, toepfe, sim)


def summary(res: MittelResult) -> dict:
    """What the money figures rest on, per summary key (terminal lines, Parameter sheet, JSON)."""
    from verteilung.darstellung import SYNTHETISCH

    info = res.info
    out: dict = {"grundlage": info["grundlage"], "vergleichsbasis": info["basis"], "jahr_mittel": info["jahr"],
                 "regeln": "; ".join(f"{r['name']}: {r['wert']} ({r['paragraph']}, {r['quelle']})"
                                     + (" (Annahme)" if r.get("annahme") else "") for r in info["regeln"])}
    if info.get("eigene_regeln"):
        out["eigene_regeln"] = "; ".join(f"{m}: {', '.join(t)}" for m, t in info["eigene_regeln"].items())
    if info.get("verlauf_synthetisch"):
        out["hinweis"] = f"{SYNTHETISCH} (nur die Monate entlang der Simulation; langfristig echte Daten)"
    if info.get("naeherungen"):
        out["naeherungen"] = info["naeherungen"]
    return out
