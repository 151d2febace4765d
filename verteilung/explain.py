"""The computation for one Gemeinde, step by step, from the step records of the computation itself.

The key builders (`verteilung.law.flueag.key_with_steps`, `verteilung.law.awov.key_with_steps`,
any model key through `verteilung.law.key.compute_key_with_steps`) emit `Schritt` records with
formulas over the weights and rates actually in force, the paragraph of each parameter value (as
numbered on the reference date), the list or ordinance of the chosen reading and the source of
approximated data (NÄHERUNG). The Verteilstatistik steps (Anrechnung, T, Soll, Aufnahme-
verpflichtung, Erfüllungsquote) are built here from the status table's columns. This module only
selects one Gemeinde and renders the records: in German number format for people
(`Erklaerung.zeilen`, `Erklaerung.text`), with plain numbers for machines (`Erklaerung.as_dict`).
No number, paragraph or ordinance is written here by hand.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from verteilung import params, vocab
from verteilung.errors import InputError, Problem
from verteilung.inputs import Inputs
from verteilung.io import deutsch
from verteilung.law import systems
from verteilung.law.key import KeyResult, KeySpec, Schritt, compute_key_with_steps
from verteilung.law.lesarten import ERLAUBT, Lesarten

SYNTHETISCH = "SYNTHETISCH: Bestandsdaten aus dem synthetischen Szenario (kein amtlicher Bestand)"


# --- formatting of the records (German for people) --------------------------------------------

def _percent(value: Any) -> str:
    return f"{deutsch.fmt_exact(round(float(value) * 100.0, 6))} %"


def fmt_soll(value: Any, places: int = 2, most: int = 9) -> str:
    """A Soll with the digits that show how it rounds: two decimals, more where two would hide it.

    1900.0004 shown as "1.900,00" then "gerundet → 1.901" would look wrong; it is shown as
    "1.900,0004". Digits are added while the shown value sits on a rounding boundary (a whole
    number or a half) the exact value is not on (within the rounding slack of `verteilung.status`).
    """
    from decimal import Decimal

    from verteilung.status import ROUNDING_SLACK

    if value is None or not np.isfinite(float(value)):
        return ""
    v = float(value)
    for p in range(places, most + 1):
        shown = round(Decimal(repr(v)), p)
        fraction = shown - shown.to_integral_value(rounding="ROUND_FLOOR")
        if fraction not in (Decimal(0), Decimal("0.5")) or abs(float(shown) - v) <= ROUNDING_SLACK:
            return deutsch.fmt_dec(v, p)
    return deutsch.fmt_dec(v, most)


FORMAT = {
    "int": deutsch.fmt_int,
    "dec1": lambda v: deutsch.fmt_dec(v, 1),
    "dec2": lambda v: deutsch.fmt_dec(v, 2),
    "genau": fmt_soll,                          # a Soll: two decimals, more where they decide the rounding
    "exakt": deutsch.fmt_exact,
    "anteil": deutsch.fmt_share,
    "anteil_vz": lambda v: deutsch.fmt_signed(v, 8),
    "prozent": _percent,                        # a fraction shown as percent: 0.1 -> "10 %"
    "quote": deutsch.fmt_pct,                   # a value already in percent: 89.99 -> "89,99 %"
    "flag": lambda v: deutsch.YES if bool(v) else deutsch.NO,
}


def fmt(value: Any, kind: str) -> str:
    """One number of a record in German format; unknown kinds show the value with all its digits."""
    if isinstance(value, str):
        return value
    return FORMAT.get(kind, deutsch.fmt_exact)(value)


class _German(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        return fmt(value, format_spec or "exakt")


def render_formula(template: str, zahlen: dict[str, Any]) -> str:
    """Fill a record's formula template (``{name:kind}``) with its numbers, German format."""
    return _German().format(template, **zahlen) if template else ""


def _plain(value: Any) -> Any:
    """A JSON-able scalar (numpy scalars to Python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# --- the explanation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Erklaerung:
    """The explanation for one Gemeinde: a header, notes (SYNTHETISCH, NÄHERUNG) and the steps."""

    ags: str
    gemeinde: str
    system: str
    stichtag: dt.date
    datenbasis: str
    schritte: tuple[Schritt, ...]      # reduced to this Gemeinde (scalar values)
    hinweise: tuple[str, ...] = ()
    lesarten: dict | None = None
    kennung: str = "AGS"               # the unit's identifier as the Land names it ("Kreisschlüssel")

    def kopf(self) -> str:
        return (f"{self.gemeinde} ({self.kennung} {self.ags}), {systems.get(self.system).anzeige}, "
                f"Stichtag {deutsch.fmt_date(self.stichtag)}, Daten: {self.datenbasis}")

    def zeilen(self) -> list[tuple[str, str]]:
        """(step text, paragraph and source) lines, the header first: the shape `api.explain` returns."""
        out = [(self.kopf(), "")] + [(h, "") for h in self.hinweise]
        out += [(step_text(s), step_basis(s)) for s in self.schritte]
        return out

    def text(self) -> str:
        """The numbered text as `explain` prints it."""
        lines = []
        rows = self.zeilen()
        first = len(rows) - len(self.schritte)  # header and notes unnumbered; steps from 1, as in files
        for n, (text, basis) in enumerate(rows):
            lines.append(f"{n - first + 1}. {text}" if n >= first else text)
            if basis:
                lines.append(f"   {basis}")
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict:
        """JSON form: every step with its formula template, numbers, value, rendered text and basis."""
        return {
            "ags": self.ags, "gemeinde": self.gemeinde, "system": self.system,
            "stichtag": self.stichtag.isoformat(), "datenbasis": self.datenbasis,
            "hinweise": list(self.hinweise), "lesarten": self.lesarten or {},
            "schritte": [{
                "id": s.id, "groesse": s.groesse, "formel": s.formel,
                "zahlen": {k: _plain(v) for k, v in s.zahlen.items()},
                "wert": _plain(s.wert), "art": s.art, "text": step_text(s),
                "paragraph": s.paragraph, "quelle": s.quelle, "annahme": s.annahme,
            } for s in self.schritte],
        }


def step_text(s: Schritt) -> str:
    """'Einwohneranteil e: e = 265.885 / 18.190.422 = 0,01461676' for one Gemeinde's step."""
    if s.art == "text":  # a decision in words (the allocation's reason)
        return f"{s.groesse}: {s.wert}"
    if s.art == "minderung":
        liste = s.zahlen.get("liste", "")
        if not bool(s.zahlen.get("betroffen")):
            return f"keine {s.groesse}: Gemeinde nicht betroffen ({liste})"
        return f"{s.groesse}: {render_formula(s.formel, dict(s.zahlen))}"
    formula = render_formula(s.formel, dict(s.zahlen))
    value = fmt(s.wert, s.art)
    if not formula:
        return f"{s.groesse} = {value}"
    arrow = "→" if s.formel.endswith("gerundet") else "="
    symbol = s.groesse.rsplit(" ", 1)[-1]
    if formula.startswith(f"{symbol} = "):  # "Einwohneranteil e = 265.885 / … = 0,0146…"
        return f"{s.groesse} = {formula[len(symbol) + 3:]} {arrow} {value}"
    return f"{s.groesse}: {formula} {arrow} {value}"


def step_basis(s: Schritt) -> str:
    """Paragraph and source of a step: '§ 4 Abs. 3 AWoV — Mieterschutzverordnung NRW …'."""
    return " — ".join(x for x in (s.paragraph, s.quelle) if x)


# --- Verteilstatistik steps from the status table's columns --------------------------------------

def status_schritte(table: pd.DataFrame, system: systems.LegalSystem, stichtag: dt.date, rundung: str,
                    bestand: pd.DataFrame | None = None) -> tuple[Schritt, ...]:
    """Anrechnung, T, Soll exact and rounded, Aufnahmeverpflichtung, Erfüllungsquote (per Gemeinde).

    ``table`` is the Verteilstatistik (`verteilung.status.verteilstatistik`), rows aligned with the
    key table; ``bestand`` (optional) adds the planned places to the Anrechnung formula.
    """
    para = system.paragraphen.get("status", "")
    lesart = f"Lesart Rundung: {rundung}: {ERLAUBT['rundung'].get(rundung, rundung)}"
    b = table["bestand"].to_numpy(dtype=float)
    a = table["anrechnung"].to_numpy(dtype=float)
    soll = table["soll_stichtag"].to_numpy(dtype=float)
    total = float(b.sum() + a.sum())
    t_kind = "dec1" if system.anrechnung else "int"
    steps: list[Schritt] = []
    if system is systems.FLUEAG:  # its counting rule (who counts, for how long) is a dated parameter
        # who counts and for how long is the reporting Gemeinde's business (the stock file); the rule
        # in force on the reference date is named, the 10.12.2024 amendment included
        dauer = params.get("flueag_zaehldauer_24", stichtag)
        kreis = params.get("flueag_personenkreis_24", stichtag)
        wer = "mit Aufenthaltserlaubnis oder Antrag" if kreis.value == "erteilt_oder_beantragt" else \
            "mit Aufenthaltserlaubnis"
        steps.append(Schritt(
            "bestand", "Bestand B", f"gemeldete Personen nach § 2 FlüAG; Personen nach § 24 AufenthG ({wer}) "
            "zählen höchstens {jahre:int} Jahre ab Einreise", b,
            f"{kreis.paragraph}; {dauer.paragraph}", "; ".join(dict.fromkeys((kreis.cite(), dauer.cite()))),
            {"jahre": dauer.value}, art="int", annahme=dauer.uncertain or kreis.uncertain))
    if system.anrechnung:
        f_ae = params.get("flueag_anrechnung_aufnahmeeinrichtung", stichtag)
        f_eae = params.get("flueag_anrechnung_eae", stichtag)
        zahlen: dict[str, Any] = {"f_ae": float(f_ae.value), "f_eae": float(f_eae.value)}
        if bestand is not None and {"anrechnung_plaetze", "anrechnung_plaetze_eae"} <= set(bestand.columns):
            formel = "A = {f_ae:exakt} × {plaetze:int} Plätze + {f_eae:exakt} × {plaetze_eae:int} EAE-Plätze"
            zahlen.update(plaetze=bestand["anrechnung_plaetze"].to_numpy(dtype=float),
                          plaetze_eae=bestand["anrechnung_plaetze_eae"].to_numpy(dtype=float))
        else:
            formel = "A = {f_ae:exakt} × Plätze + {f_eae:exakt} × EAE-Plätze"
        steps.append(Schritt(
            "anrechnung", "Anrechnung A", formel, a,
            "; ".join(dict.fromkeys((f_ae.paragraph, f_eae.paragraph))),
            "; ".join(dict.fromkeys((f_ae.cite(), f_eae.cite()))), zahlen, art="dec1",
            annahme=f_ae.uncertain or f_eae.uncertain))
    steps += [
        Schritt("landessumme", "Landessumme T",
                "T = Σ(Bestand + Anrechnung) = {b:int} + {a:dec1}" if system.anrechnung else "T = Σ Bestand",
                total,
                para, "", {"b": float(b.sum()), "a": float(a.sum())},
                art=t_kind),
        Schritt("soll_stichtag", vocab.label("soll_stichtag"),
                f"Soll = Schlüssel × T = {{k:anteil}} × {{t:{t_kind}}}", soll, para, "",
                {"k": table["schluessel"].to_numpy(dtype=float), "t": total}, art="genau"),
        Schritt("soll_gerundet", vocab.label("soll_gerundet"), "{s:genau} gerundet", table["soll_gerundet"].to_numpy(),
                para, lesart, {"s": soll}, art="int"),
        Schritt("aufnahmeverpflichtung", "Aufnahmeverpflichtung",
                ("max(0, Soll − Bestand − Anrechnung) = max(0, {s:genau} − {b:int} − {a:dec1})"
                 if system.anrechnung else "max(0, Soll − Bestand) = max(0, {s:genau} − {b:int})")
                + " = {v:genau}, gerundet", table["aufnahmeverpflichtung"].to_numpy(), para, lesart,
                {"s": soll, "b": b, "a": a, "v": table["aufnahmeverpflichtung_exakt"].to_numpy(dtype=float)},
                art="int"),
        Schritt("erfuellungsquote", "Erfüllungsquote",
                "(Bestand + Anrechnung) / Soll (Stichtag) = ({b:int} + {a:dec1}) / {s:genau}" if system.anrechnung
                else "Bestand / Soll (Stichtag) = {b:int} / {s:genau}",
                table["erfuellungsquote"].to_numpy(dtype=float), para, "", {"b": b, "a": a, "s": soll},
                art="quote"),
    ]
    return tuple(steps)


# --- the entry point ----------------------------------------------------------------------------

def key_steps(inputs: Inputs, system: systems.LegalSystem, lesarten: Lesarten) -> KeyResult:
    """The system's key with its step records, by the same builder the status uses."""
    g, when = inputs.gemeinden, inputs.stichtag
    if system.key_steps is not None:  # the registry's builder with step records
        return system.key_steps(g, when, lesarten)
    table = system.key(g, when, lesarten)
    spec = table.attrs.get("spec")
    if isinstance(spec, KeySpec):
        return compute_key_with_steps(g, spec)
    return KeyResult(table, (Schritt("schluessel", system.schluessel_name, "", table["schluessel"].to_numpy(),
                                     system.paragraphen.get("schluessel", "")),))


def _verteilstatistik(inputs: Inputs, system: systems.LegalSystem, key: pd.DataFrame,
                      rundung: str) -> pd.DataFrame:
    """The status table of one system from the key above (as `verteilung.status` computes it)."""
    from verteilung.status import SystemState, anrechnung, verteilstatistik

    b = inputs.bestand
    assert b is not None
    missing = [c for c in system.bestand if c not in b.columns]
    if missing:
        raise InputError(Problem(inputs.bestand_quelle or "--bestand",
                                 f"Spalte(n) fehlen: {', '.join(missing)}"))
    stock = b[list(system.bestand)].to_numpy(dtype=float).sum(axis=1)
    credit = anrechnung(b, inputs.stichtag)[0] if system.anrechnung else np.zeros(len(b))
    state = SystemState(system.id, inputs.gemeinden, key["schluessel"].to_numpy(), stock, credit)
    return verteilstatistik(state, rundung)  # type: ignore[arg-type]


def _fold(text: str) -> str:
    """A name as compared: NFC, case-folded, umlauts and ß spelled out, spaces collapsed."""
    import unicodedata

    t = unicodedata.normalize("NFC", text).casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        t = t.replace(a, b)
    return " ".join(t.split())


def finde_gemeinde(g: pd.DataFrame, eingabe: str, schluessel: str = "AGS", singular: str = "Gemeinde") -> str:
    """The AGS a person means: 8 digits as given; 7 digits with the leading zero Excel dropped
    (``5315000`` → ``05315000``); otherwise a name, case-insensitive and with umlauts spelled either
    way (``koeln``, ``Köln``, ``Köln, Stadt``). A name matches the full name or the name before its
    first comma; failing that, names that begin with it. More than one match is refused with every
    candidate and its AGS, so the wrong Gemeinde is never explained."""
    text = str(eingabe).strip()
    ags = g["ags"].astype(str).to_numpy()
    if text.isascii() and text.isdigit():
        wanted = text.zfill(8) if len(text) == 7 else text
        if wanted in set(ags):
            return wanted
        raise InputError(Problem(schluessel, f"{text} ist nicht in der {singular}-Tabelle"
                                 + (" (erwartet 8 Ziffern, z. B. 05315000)" if len(text) not in (7, 8) else ""),
                                 ags=text))
    query = _fold(text)
    names = g["gemeinde"].astype(str).to_numpy()
    folded = [_fold(n) for n in names]
    base = [f.split(",")[0].strip() for f in folded]
    hits = [i for i, (f, b) in enumerate(zip(folded, base, strict=True)) if query in (f, b)]
    if not hits and query:
        hits = [i for i, f in enumerate(folded) if f.startswith(query)]
    if len(hits) == 1:
        return str(ags[hits[0]])
    if not hits:
        raise InputError(Problem(schluessel, f"„{text}“: weder ein {schluessel} (8 Ziffern) noch der Name einer "
                                 f"{singular} in der {singular}-Tabelle"))
    shown = "; ".join(f"{names[i]} ({ags[i]})" for i in hits[:12]) + (" …" if len(hits) > 12 else "")
    raise InputError(Problem(schluessel, f"„{text}“ ist mehrdeutig ({len(hits)} Treffer): {shown}; bitte den "
                             f"{schluessel} oder den vollen Namen angeben"))


AlleSchritte = tuple[list[Schritt], list[str], dict[str, Any]]
"""Every Gemeinde's step records of one system, the NÄHERUNG/SYNTHETISCH notes and the readings used."""


def alle_schritte(inputs: Inputs, sys: systems.LegalSystem, lesarten: Lesarten,
                  verteilstatistik: pd.DataFrame | None = None) -> AlleSchritte:
    """What `explain_steps` computes for all Gemeinden at once before it picks one (the key, and
    the Verteilstatistik when there is a stock): kept by a caller that explains many Gemeinden."""
    result = key_steps(inputs, sys, lesarten)
    steps = list(result.schritte)
    hinweise: list[str] = []
    if verteilstatistik is None and inputs.bestand is not None:
        verteilstatistik = _verteilstatistik(inputs, sys, result.table, lesarten.rundung)
    if verteilstatistik is not None:
        steps += status_schritte(verteilstatistik, sys, inputs.stichtag, lesarten.rundung, inputs.bestand)
        if inputs.synthetisch:
            hinweise.append(SYNTHETISCH)
    # NÄHERUNG of the data this explanation uses: the key year and the population always, the
    # unemployment approximation only for a key that uses unemployment (not the FlüAG key)
    hinweise += inputs.kennzeichnung(nutzt_arbeitslose=sys.arbeitslose).get("naeherungen", [])
    used = {name: getattr(lesarten, name) for name in sys.lesarten}
    if verteilstatistik is not None:
        used["rundung"] = lesarten.rundung
    return steps, hinweise, used


def explain_steps(inputs: Inputs, system: str | systems.LegalSystem, ags: str,
                  lesarten: Lesarten | None = None,
                  verteilstatistik: pd.DataFrame | None = None,
                  zuweisung: Any = None, alle: AlleSchritte | None = None) -> Erklaerung:
    """The computation for one Gemeinde as step records, in the law's order.

    Key steps always; the Verteilstatistik steps when ``inputs.bestand`` is given (or a status
    table is passed as ``verteilstatistik``, rows in the order of ``inputs.gemeinden``); the
    allocation's step records (`allocate.zuweisung_schritte`) when an `Allocation` is passed as
    ``zuweisung``. ``ags`` may be 7 digits or a name (`finde_gemeinde`). ``alle``: `alle_schritte` of
    the same inputs, system and readings, computed once for many Gemeinden (the app's pages).

    >>> from verteilung.inputs import prepare
    >>> e = explain_steps(prepare(jahr=2024), "wsa", "05362036",
    ...                   Lesarten(mietpreisliste="mieterschutzvo_2020"))
    >>> any("Mieterschutzverordnung 2020" in text for text, _ in e.zeilen())
    True
    """
    sys = systems.get(system) if isinstance(system, str) else system
    lesarten = lesarten or Lesarten()
    g = inputs.gemeinden
    unit = inputs.paket.einheit
    ags = finde_gemeinde(g, ags, unit.schluessel, unit.singular)
    i = int(np.flatnonzero(g["ags"].astype(str).to_numpy() == ags)[0])
    steps, hinweise, used = alle_schritte(inputs, sys, lesarten, verteilstatistik) if alle is None else alle
    mine = [s.bei(i) for s in steps]
    if zuweisung is not None:  # its rows are in AGS order
        from verteilung.allocate import zuweisung_schritte

        j = int(np.flatnonzero(zuweisung.table["ags"].astype(str).to_numpy() == ags)[0])
        mine += [s.bei(j) for s in zuweisung_schritte(zuweisung, dict(sys.paragraphen))]
    return Erklaerung(ags=ags, gemeinde=str(g["gemeinde"].iloc[i]), system=sys.id,
                      stichtag=inputs.stichtag, datenbasis=inputs.datenbasis,
                      schritte=tuple(mine), hinweise=tuple(hinweise), lesarten=dict(used),  # a copy of the cached one
                      kennung=unit.schluessel)
