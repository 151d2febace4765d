"""The Python API that the CLI calls one to one (sqlite-utils style): data, keys, status, explain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from verteilung.data import available_years, load_bestand, load_gemeinden
from verteilung.data.tables import eingaben_info
from verteilung.errors import InputError, Problem
from verteilung.inputs import Inputs, mit_naeherung, prepare
from verteilung.law import systems
from verteilung.law.lesarten import Lesarten
from verteilung.params import in_force
from verteilung.staffelung import Staffelung, staffelung_aus
from verteilung.status import Rundung, summary, system_state, verteilstatistik


def data_check(gemeinden: str | Path | None = None, jahr: int | None = None,
               bestand: str | Path | None = None, ohne_meldung_null: bool = False, land: str = "nrw") -> dict:
    """Validate inputs: rows, population, area, reference date (``verteilung data check``).

    >>> verteilung.data_check(bestand="bestand.csv")["bestand"]["flueag_bestand"]
    """
    from verteilung import land as laender

    g = load_gemeinden(gemeinden, jahr, land=land)
    blank = g[g["einwohner"].isna()]
    paket = laender.get(land)
    out = {
        "quelle": g.attrs["datenbasis"],
        "land": paket.name,
        "jahr": g.attrs.get("jahr"),
        "stichtag_bevoelkerung": g.attrs.get("stichtag"),
        "einheit": paket.einheit.plural,  # what the Land distributes to: Gemeinden (NRW), Kreise (BW)
        "einheiten": len(g),
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
            "synthetisch": bool(b.attrs.get("synthetisch")),
            **{k: v for k, v in b.attrs["eingabe"].items() if k in ("sha256", "kodierung", "zeilen")},
        }
        if b.attrs.get("ags_hinweis"):
            out["bestand"]["ags_hinweis"] = b.attrs["ags_hinweis"]
    if g.attrs.get("eingabe"):
        out["gemeinden_datei"] = {k: v for k, v in g.attrs["eingabe"].items() if k != "art"}
    return out


GENAUIGKEIT = {"exact": "exakt (amtlich)", "rounded_10": "auf 10 gerundet (NÄHERUNG)", "SYNTHETISCH": "SYNTHETISCH"}
"""The accuracy codes of inputs/nrw/bevoelkerung.csv as a person reads them."""


def data_list(land: str | None = None) -> pd.DataFrame:
    """Shipped datasets and the key years they cover (``verteilung data list``): every Land's
    package (or only LAND), each row naming the unit it counts (Gemeinden in NRW, Kreise in BW).

    >>> verteilung.data_list()[["datensatz", "jahr", "stichtag", "einheit", "einheiten"]]
    """
    from verteilung import land as laender

    rows = []
    for land_id in [land] if land else laender.ids():
        paket = laender.get(land_id)
        for y in available_years(land_id):
            g = load_gemeinden(jahr=y, land=land_id)
            rows.append({"datensatz": land_id, "land": paket.name, "jahr": y, "stichtag": g.attrs["stichtag"],
                         "einheit": paket.einheit.plural, "einheiten": len(g),
                         "einwohner": int(g["einwohner"].sum()),
                         "einwohner_fehlend": int(g["einwohner"].isna().sum()),
                         "genauigkeit": ", ".join(GENAUIGKEIT.get(x, x)
                                                  for x in sorted(g["genauigkeit"].dropna().unique()))})
        szenarien = paket.datei("szenario")
        for path in sorted(szenarien.glob("*.csv")) if szenarien.is_dir() else []:
            rows.append({"datensatz": f"{land_id}/szenario/{path.name}", "land": paket.name, "jahr": None,
                         "stichtag": None, "einheit": paket.einheit.plural, "einheiten": None, "einwohner": None,
                         "einwohner_fehlend": None, "genauigkeit": "SYNTHETISCH"})
    return pd.DataFrame(rows).astype({"jahr": "Int64", "einheiten": "Int64", "einwohner": "Int64",
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


def _prepare(gemeinden, jahr, stichtag, bestand=None, spalten=(), ohne_meldung_null=False,
             land: str = "nrw") -> Inputs:
    return prepare(land=land, jahr=jahr, stichtag=stichtag, gemeinden=gemeinden, bestand=bestand,
                   bestand_spalten=tuple(spalten), ohne_meldung_null=ohne_meldung_null)


def keys(system: str, gemeinden: str | Path | None = None, jahr: int | None = None,
         stichtag: str | None = None, lesarten: Lesarten | None = None, land: str = "nrw",
         **readings: Any) -> Result:
    """Distribution key per Gemeinde (``verteilung keys``).

    >>> table, info = verteilung.keys("flueag", jahr=2024, kappung="R2")
    >>> round(table["schluessel"].sum(), 9)
    1.0
    """
    sysdef = systems.get(system, land)
    chosen = lesarten_aus(lesarten, **readings)
    inp = _prepare(gemeinden, jahr, stichtag, land=land)
    g = inp.gemeinden
    when = inp.stichtag
    k = sysdef.key(g, when, chosen)
    k = k.rename(columns={"anteil_flaeche_km2": "anteil_flaeche", "anteil_awov_messziffer":
                          "anteil_arbeitslose", "minderung_awov_mietpreisbremse":
                          "minderung_mietpreisbremse"})
    k["einwohner"] = g["einwohner"].to_numpy()
    k["flaeche_km2"] = g["flaeche_km2"].to_numpy()
    cols = [c for c in (sysdef.schluessel_spalten or list(k.columns)) if c in k.columns]
    out = mit_naeherung(k[cols].copy(), inp, sysdef.arbeitslose)
    info = {"system": sysdef.id, "stichtag": when.isoformat(), "datenbasis": inp.datenbasis,
            "gemeinden": len(out), "summe_schluessel": float(out["schluessel"].sum()),
            "lesarten": k.attrs.get("lesarten", {}), "parameter": in_force(when, inp.land),
            **inp.land_angaben(), **inp.kennzeichnung(nutzt_arbeitslose=sysdef.arbeitslose)}
    if "gekappt" in out.columns:
        info["gekappt"] = int(out["gekappt"].sum())
    if "minderung_mietpreisbremse" in out.columns:
        info["gemindert_mietpreisbremse"] = int((out["minderung_mietpreisbremse"] > 0).sum())
    return Result(out, info, inp)


def _model_state(modell: str | Path, system: str, gemeinden, jahr, stichtag, bestand, ohne_meldung_null: bool,
                 chosen: Lesarten, land: str = "nrw"):
    """A system defined in a model file, through the path `compare` takes (model.Context)."""
    from verteilung.model import Context, load_model, model_system, stock_columns_of

    m = load_model(modell, land)
    sdef = model_system(m, system)
    columns = stock_columns_of([m], land)
    inp = _prepare(gemeinden, jahr, stichtag, bestand, columns, ohne_meldung_null, land)
    assert inp.bestand is not None
    ctx = Context(inp.gemeinden, inp.bestand, inp.stichtag, {}, weitere_bestand=columns, lesarten=chosen)
    return m, sdef, inp, ctx


def _model_info(state, sdef, ctx, inp) -> None:
    if sdef.anrechnung:
        state.info["anrechnung_faktoren"] = ctx.anrechnung_faktoren
    if "ohne_meldung" in inp.bestand.columns:
        state.info["ohne_meldung"] = inp.bestand["ohne_meldung"].to_numpy()


def status(system: str, bestand: str | Path, gemeinden: str | Path | None = None,
           jahr: int | None = None, stichtag: str | None = None, rundung: Rundung | None = None,
           ohne_meldung_null: bool = False, lesarten: Lesarten | None = None,
           modell: str | Path | None = None, land: str = "nrw", **readings: Any) -> Result:
    """Verteilstatistik of one system (``verteilung status``).

    ``system`` is a registered system (``flueag``, ``wsa``) or, with ``modell`` (a shipped model
    or a YAML path), the name of a system that model defines, e.g. a further system over its own
    stock column; it is then computed exactly as `compare` computes it.

    >>> table, info = verteilung.status("wsa", "bestand.csv", minderung="multiplikativ")
    >>> info["aufnahmeverpflichtung_summe"]
    >>> table, info = verteilung.status("drittes", "bestand.csv", modell="drei.yaml")
    """
    if rundung is not None:
        readings["rundung"] = rundung
    chosen = lesarten_aus(lesarten, **readings)
    extra: dict = {}
    if modell is not None:
        from verteilung.model import system_states

        m, sdef, inp, ctx = _model_state(modell, system, gemeinden, jahr, stichtag, bestand,
                                         ohne_meldung_null, chosen, land)
        state = system_states(m, ctx)[0][sdef.name]
        _model_info(state, sdef, ctx, inp)
        system_id = sdef.name
        extra = {"modell": m.id}
    else:
        sysdef = systems.get(system, land)
        inp = _prepare(gemeinden, jahr, stichtag, bestand, sysdef.bestand, ohne_meldung_null, land)
        assert inp.bestand is not None
        state = system_state(sysdef, inp.gemeinden, inp.bestand, inp.stichtag, chosen)
        system_id = sysdef.id
    b = inp.bestand
    assert b is not None
    table = verteilstatistik(state, chosen.rundung)  # type: ignore[arg-type]
    info = summary(table)
    table = mit_naeherung(table, inp, systems.nutzt_arbeitslose(system_id))
    info.update(system=system_id, **extra, stichtag=inp.stichtag.isoformat(), rundung=chosen.rundung,
                datenbasis=inp.datenbasis, bestand_datei=str(bestand),
                lesarten=state.info["lesarten"], parameter=in_force(inp.stichtag, inp.land), **inp.land_angaben())
    info.update(inp.kennzeichnung(nutzt_arbeitslose=systems.nutzt_arbeitslose(system_id)))
    if "anrechnung_faktoren" in state.info:
        info["anrechnung_faktoren"] = {p.name: p.value for p in state.info["anrechnung_faktoren"]}
    if b["ohne_meldung"].any():
        info["ohne_meldung"] = int(b["ohne_meldung"].sum())
    if inp.angenommen_null:
        info["angenommen_null"] = list(inp.angenommen_null)
    info.update(eingaben_info(inp.gemeinden, b))
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
            rundung: Rundung | None = None, lesarten: Lesarten | None = None, land: str = "nrw",
            *, zuweisung: bool = False, personen: int | None = None, haushalte: str | Path | None = None,
            beschraenkungen: str | Path | None = None, staffelung: Staffelung | dict | str | None = None,
            **readings: Any) -> ExplainResult:
    """The computation for one Gemeinde as (step, paragraph) lines, in the law's order.

    ``ags`` is the AGS (8 digits, or 7 with the leading zero lost) or the Gemeinde's name.
    ``zuweisung=True`` adds this period's allocation (``personen`` or ``haushalte``, optionally
    ``beschraenkungen`` and ``staffelung``; computed by `allocate` with the same inputs): how many
    persons this Gemeinde got, why, and the bound that was tight (a pacing bound among them).

    >>> for text, paragraph in verteilung.explain("05513000", "flueag", jahr=2024):
    ...     print(text, paragraph)
    >>> steps = verteilung.explain("Köln", "flueag", bestand="bestand.csv", zuweisung=True, personen=1260)
    """
    from verteilung.explain import explain_steps, finde_gemeinde

    sysdef = systems.get(system, land)
    if (personen is not None or haushalte is not None or beschraenkungen is not None
            or staffelung is not None) and not zuweisung:
        raise InputError(Problem("--zuweisung", "--personen, --haushalte, --beschraenkungen und --staffelung "
                                 "gelten nur zusammen mit --zuweisung"))
    if zuweisung and bestand is None:
        raise InputError(Problem("--bestand", "die Zuweisung braucht eine Bestandsdatei (--bestand)"))
    if rundung is not None:
        readings["rundung"] = rundung
    chosen = lesarten_aus(lesarten, **readings)
    inp = _prepare(gemeinden, jahr, stichtag, bestand, sysdef.bestand, land=land)
    unit = inp.paket.einheit
    ags = finde_gemeinde(inp.gemeinden, ags, unit.schluessel, unit.singular)
    alloc = None
    if zuweisung:
        alloc = allocate(sysdef.id, bestand, personen=personen, haushalte=haushalte,  # type: ignore[arg-type]
                         beschraenkungen=beschraenkungen, gemeinden=gemeinden, jahr=jahr, stichtag=stichtag,
                         lesarten=chosen, land=land, staffelung=staffelung)
    erklaerung = explain_steps(inp, sysdef, ags, chosen, zuweisung=alloc)
    extra = {}
    if alloc is not None:
        extra["zuweisung"] = {k: alloc.summary.get(k) for k in ("personen", "haushalte", "pfad",
                                                                "wasserstand_prozent", "beschraenkung_bindet")}
    return ExplainResult(erklaerung.zeilen(), {"system": sysdef.id, **inp.info(), "lesarten": chosen.as_dict(),
                                               "erklaerung": erklaerung.as_dict(),
                                               "parameter": in_force(inp.stichtag, inp.land),
                                               **inp.land_angaben(), **extra})


def allocate(system: str, bestand: str | Path, personen: int | None = None, haushalte: str | Path | None = None,
             beschraenkungen: str | Path | None = None, gemeinden: str | Path | None = None,
             jahr: int | None = None, stichtag: str | None = None, solver: str = "highs", pfad: str = "auto",
             zeitlimit: float = 60.0, ohne_meldung_null: bool = False, lesarten: Lesarten | None = None,
             modell: str | Path | None = None, staffelung: Staffelung | dict | str | None = None,
             land: str = "nrw", **readings: Any):
    """Allocate one period's arrivals within one system (``verteilung allocate``).

    Every input is validated before solving. Returns an `Allocation` (``table``, ``summary``,
    ``households``). Without ``modell`` the system follows the rules the status-quo model gives it,
    through the function `run` uses (`model.sperre`; FlüAG: only Gemeinden with an open obligation
    receive), so one constraints file gets one answer in both. With ``modell``, ``system`` names a
    system of that model file and the allocation runs through `model.evaluate` (as in `compare`;
    the model's other systems receive nobody this period, their rules such as a lock still apply).

    >>> res = verteilung.allocate("flueag", "bestand.csv", personen=1260)
    >>> int(res.table["zuweisung"].sum())
    1260
    >>> res = verteilung.allocate("drittes", "bestand.csv", personen=120, modell="drei.yaml")

    ``staffelung`` paces the allocation (`verteilung.staffelung`: a `Staffelung`, a mapping as in a
    model file, or ``"max_anteil_soll=0.02,wochen=4"``); with ``modell`` it replaces the model's
    own pacing. Bounds that cannot hold are refused before solving (`InfeasibleError`, exit 3).

    >>> res = verteilung.allocate("flueag", "bestand.csv", personen=1260, staffelung={"max_personen": 40})
    """
    from verteilung.allocate import allocate as run
    from verteilung.data.zahlen import pruefe_personen
    from verteilung.data.zugaenge import load_beschraenkungen, load_haushalte

    chosen = lesarten_aus(lesarten, **readings)
    if solver not in ("highs", "cbc"):
        raise InputError(Problem("--solver", f"unbekannter Solver „{solver}“; erlaubt: highs oder cbc"))
    if pfad not in ("auto", "referenz", "solver"):
        raise InputError(Problem("--pfad", f"unbekannter Rechenweg „{pfad}“; erlaubt: auto, referenz oder solver"))
    if personen is not None:
        personen = pruefe_personen(personen, "--personen")
    pacing = staffelung_aus(staffelung)
    if modell is not None:
        from verteilung.model import evaluate

        m, sdef, inp, ctx = _model_state(modell, system, gemeinden, jahr, stichtag, bestand,
                                         ohne_meldung_null, chosen, land)
        if pacing is not None:
            m = m.model_copy(update={"staffelung": pacing.as_dict()})
        ctx.zugaenge_system = {s.name: 0 for s in m.systeme}
        ctx.zugaenge_system[sdef.name] = personen or 0
        hh = {sdef.name: load_haushalte(haushalte, inp.gemeinden)} if haushalte is not None else None
        cons = ({sdef.name: load_beschraenkungen(beschraenkungen, inp.gemeinden)}
                if beschraenkungen is not None else None)
        res = evaluate(m, ctx, haushalte=hh, beschraenkungen=cons, solver=solver, zeitlimit=zeitlimit, pfad=pfad)
        result = res[sdef.name].allocation
        result.table = mit_naeherung(result.table, inp, systems.nutzt_arbeitslose(sdef.name))
        result.summary.update(modell=m.id, stichtag=inp.stichtag.isoformat(),
                              lesarten=res[sdef.name].state.info["lesarten"],
                              parameter=in_force(inp.stichtag, inp.land), **inp.land_angaben(),
                              **inp.kennzeichnung())
        if inp.angenommen_null:
            result.summary["angenommen_null"] = list(inp.angenommen_null)
        _trace(result, inp, hh and hh[sdef.name], cons and cons[sdef.name])
        return result
    sysdef = systems.get(system, land)
    inp = _prepare(gemeinden, jahr, stichtag, bestand, sysdef.bestand, ohne_meldung_null, land)
    g = inp.gemeinden
    b = inp.bestand
    assert b is not None
    hh = load_haushalte(haushalte, g) if haushalte is not None else None
    cons = load_beschraenkungen(beschraenkungen, g) if beschraenkungen is not None else None
    state = system_state(sysdef, g, b, inp.stichtag, chosen)
    _status_quo_rules(sysdef.id, state, personen if hh is None else int(hh["personen"].sum()))
    result = run(state, personen=personen, haushalte=hh, beschraenkungen=cons, solver=solver,
                 pfad=pfad, zeitlimit=zeitlimit, staffelung=pacing)  # type: ignore[arg-type]
    result.table = mit_naeherung(result.table, inp, sysdef.arbeitslose)
    result.summary.update(stichtag=inp.stichtag.isoformat(), lesarten=state.info["lesarten"],
                          parameter=in_force(inp.stichtag, inp.land), **inp.land_angaben(),
                          **inp.kennzeichnung(nutzt_arbeitslose=sysdef.arbeitslose))
    if inp.angenommen_null:
        result.summary["angenommen_null"] = list(inp.angenommen_null)
    _trace(result, inp, hh, cons)
    return result


def bindende_beschraenkungen(table: pd.DataFrame, cons: pd.DataFrame | None) -> list[dict]:
    """For each Gemeinde where a constraint of ``cons`` binds, which one: a lock (nobody assigned),
    the maximum reached, or the minimum that set the count. One dict per Gemeinde (AGS order)."""
    if cons is None:
        return []
    import math

    from verteilung.io.deutsch import fmt_int

    by_ags = cons.set_index("ags")
    out = []
    for ags, name, n in zip(table["ags"], table["gemeinde"], table["zuweisung"], strict=True):
        if ags not in by_ags.index:
            continue
        c = by_ags.loc[ags]
        hi, lo = float(c["max_zuweisung"]), float(c["min_zuweisung"])
        if bool(c["gesperrt"]):
            what = "gesperrt (keine Zuweisung)"
        elif not math.isnan(hi) and n >= hi:
            what = f"Höchstzahl {fmt_int(hi)} erreicht"
        elif lo > 0 and n <= lo:
            what = f"Mindestzahl {fmt_int(lo)} zugewiesen"
        else:
            continue
        out.append({"ags": ags, "gemeinde": name, "beschraenkung": what})
    return out


def _trace(result: Any, inp: Inputs, hh: pd.DataFrame | None, cons: pd.DataFrame | None) -> None:
    """Make an allocation traceable (issue 20): every input file with SHA-256, encoding and rows,
    the constraint file, and for each Gemeinde where a constraint binds, which one."""
    result.summary.update(eingaben_info(inp.gemeinden, inp.bestand, hh, cons))
    if cons is not None:
        binding = bindende_beschraenkungen(result.table, cons)
        result.summary["beschraenkungen_bindend"] = binding or "keine"


def _status_quo_rules(system: str, state, arrivals: int) -> None:
    """``allocate --system X`` follows the rules the status-quo model gives system X (e.g. FlüAG:
    only Gemeinden with an open obligation), through the one function `run` uses (`model.sperre`)."""
    from verteilung.model import load_model, sperre

    sdef = next((s for s in load_model("status-quo").systeme if s.name == system), None)
    if sdef is not None:
        sperre(sdef, state, arrivals)


def run(periode: str, config: str | Path, warten: bool = True, befehl: list[str] | None = None,
        bestand_unveraendert: bool = False):
    """The monthly run of one period from a run.toml (``verteilung run``); idempotent.

    Returns the outcome (``status``: neu/unveraendert, ``periode``, ``revision``, ``folder``).

    >>> out = verteilung.run("2024-05", "run.toml")
    >>> out.folder
    """
    from verteilung.run import run_period

    return run_period(periode, config, warten=warten, command=befehl or ["verteilung.run", periode],
                      bestand_unveraendert=bestand_unveraendert)


def _ledger(ledger: str | None, config: str | Path | None):
    from verteilung.ledger import Ledger, default_url
    from verteilung.run import open_ledger

    if ledger:  # read only: a missing SQLite ledger is refused, never created empty
        return Ledger(ledger, anlegen=False)
    if config:
        return open_ledger(Path(config), anlegen=False)[0]  # a relative sqlite:/// path counts from the config
    return Ledger(default_url(Path("outputs")), "outputs", anlegen=False)


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

    wanted = parse_ref(ref)  # a malformed reference is refused before the ledger is looked for
    record, rows = _ledger(ledger, config).get(*wanted)
    return Result(rows, {k: v for k, v in record.items() if k != "id"} | _run_label(record))


def _run_label(record: dict) -> dict:
    """The SYNTHETISCH label of a recorded run, from its revision's manifest (the ledger keeps
    numbers, the manifest what went in); nothing when the folder is gone or the stock was real."""
    import json

    try:
        manifest = json.loads((Path(record["folder"]) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    hinweis = manifest.get("hinweis")
    return {"hinweis": hinweis} if isinstance(hinweis, str) and "SYNTHETISCH" in hinweis else {}


def runs_diff(a: str, b: str, ledger: str | None = None, config: str | Path | None = None) -> Result:
    """What changed between two runs, per Gemeinde and system (``verteilung runs diff``): the rows
    that differ in any value, and in the info the changed inputs (``eingaben``: files by hash,
    model, arrivals).

    >>> table, info = verteilung.runs_diff("2024-05/1", "2024-05/2", config="run.toml")
    """
    from verteilung.ledger import parse_ref

    ref_a, ref_b = parse_ref(a), parse_ref(b)
    led = _ledger(ledger, config)
    diff = led.diff(ref_a, ref_b)
    labels = [_run_label(led.get(*ref)[0]) for ref in (ref_a, ref_b)]
    label = next((x for x in labels if x), {})  # one synthetic run makes the comparison synthetic
    return Result(diff, {"geaendert": len(diff), "a": a, "b": b, "eingaben": led.input_changes(ref_a, ref_b)}
                  | label)
