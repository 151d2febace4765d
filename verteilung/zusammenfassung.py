"""A plain German summary of a comparison, generated from the result objects (never per model by hand).

Sections per model against the baseline: the five largest long-run shifts by Kreis, city vs
rural (long run, and this period), money (when a `MittelResult` is given), how long the
transition takes (when a `SimResult` is given; else the one figure a single period has), and
which assumptions carry the result (readings, NÄHERUNG, SYNTHETISCH, Land totals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from verteilung.io.deutsch import fmt_dec, fmt_int, fmt_pct, fmt_signed

ABSCHNITTE = ("Verschiebungen nach Kreis", "Stadt und Land", "Geld", "Übergang", "Annahmen")


@dataclass
class Zusammenfassung:
    """Sentences per section and model (``"Annahmen"`` is shared: key ``""``)."""

    basis: str
    abschnitte: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def saetze(self) -> list[str]:
        return [s for sec in self.abschnitte.values() for lines in sec.values() for s in lines]

    def text(self) -> str:
        """Markdown-like plain text: a heading per section, one paragraph per model."""
        out = [f"Zusammenfassung (Vergleichsbasis: {self.basis})"]
        for name, sec in self.abschnitte.items():
            if not any(sec.values()):
                continue
            out.append(f"\n{name}")
            for modell, lines in sec.items():
                if lines:
                    out.append((f"{modell}: " if modell else "") + " ".join(lines))
        return "\n".join(out) + "\n"

    def payload(self) -> dict:
        return {"basis": self.basis, "abschnitte": self.abschnitte, "text": self.text()}


def _mehr_weniger(x: float, einheit: str = "Personen") -> str:
    return f"{fmt_int(abs(round(x)))} {einheit} {'mehr' if x > 0 else 'weniger'}"


def _je_modell(table, key: str = "modell") -> dict[str, dict]:
    """A table's rows by model, as dicts (looked up once per summary, not filtered per sentence)."""
    return {row[key]: row for row in table.to_dict("records")}


@dataclass
class _Zeilen:
    """The rows the sentences read, taken from the result tables once per summary (filtering a
    frame per model and sentence was most of the summary's time, issue 25)."""

    lf_modelle: dict[str, dict]
    kreise: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # kreis, change, change per 1,000
    zuweisung_kreisfrei: dict[str, int]
    mittel_modelle: dict[str, dict]
    metriken: dict[str, dict]

    @classmethod
    def aus(cls, cmp, lf, mittel) -> _Zeilen:
        k = lf.aggregate["kreise"]
        modell = k["modell"].to_numpy()
        cols = [k[c].to_numpy() for c in ("kreis", "aenderung_langfristig", "aenderung_langfristig_je_1000")]
        kreise = {m: tuple(c[modell == m] for c in cols) for m in pd.unique(modell)}
        typ = cmp.aggregate["gemeindetypen"]
        kreisfrei = {m: int(z) for m, t, z in zip(typ["modell"], typ["gemeinde_typ"], typ["zuweisung"], strict=True)
                     if t == "kreisfreie Stadt"}
        return cls(_je_modell(lf.modelle), kreise, kreisfrei,  # type: ignore[arg-type]
                   _je_modell(mittel.modelle) if mittel is not None else {}, _je_modell(cmp.metriken))


def _kreise(z: _Zeilen, m: str) -> list[str]:
    kreis, change, per_1000 = z.kreise.get(m, (np.array([], dtype=object), np.array([]), np.array([])))
    betrag = np.abs(change)
    # the order of sort_values(["betrag", "kreis"], ascending=[False, True]): largest first, NaN last
    top = np.lexsort((kreis, -betrag))[:5]
    shown = betrag[top][~np.isnan(betrag[top])]
    if len(top) == 0 or (len(shown) and shown.max() < 0.5):
        return ["Langfristig ändert sich die Last keines Kreises."]
    bits = [f"{kreis[i]} {fmt_signed(change[i], 0)} Personen "
            f"({fmt_signed(per_1000[i], 1)} je 1.000 Einwohner)" for i in top]
    return [f"Die fünf größten langfristigen Verschiebungen nach Kreis und kreisfreier Stadt: {'; '.join(bits)}."]


def _stadt_land(cmp, lf, z: _Zeilen, m: str) -> list[str]:
    row = z.lf_modelle[m]
    base = z.lf_modelle[lf.info["basis"]]
    shift = float(row["verschiebung_zu_staedten"])  # persons the kreisfreie Städte carry more
    if abs(shift) < 0.5:
        first = "Langfristig tragen die kreisfreien Städte dieselbe Last wie in der Vergleichsbasis."
    else:
        first = (f"Langfristig trügen die kreisfreien Städte {_mehr_weniger(shift)} "
                 f"({fmt_signed(row['verschiebung_zu_staedten_anteil'] * 100, 1)} % ihrer Last): "
                 f"{fmt_dec(row['last_kreisfrei_je_1000'], 1)} statt {fmt_dec(base['last_kreisfrei_je_1000'], 1)} "
                 "je 1.000 Einwohner, die kreisangehörigen Gemeinden "
                 f"{fmt_dec(row['last_kreisangehoerig_je_1000'], 1)} "
                 f"statt {fmt_dec(base['last_kreisangehoerig_je_1000'], 1)}.")
    out = [first]
    if m in z.zuweisung_kreisfrei and cmp.basis in z.zuweisung_kreisfrei:
        label = " (SYNTHETISCHER Bestand)" if cmp.info.get("synthetisch") else ""
        out.append(f"In dieser Periode erhielten die kreisfreien Städte {fmt_int(z.zuweisung_kreisfrei[m])} "
                   f"statt {fmt_int(z.zuweisung_kreisfrei[cmp.basis])} Zuweisungen{label}.")
    return out


def _geld(mittel, z: _Zeilen, m: str) -> list[str]:
    if mittel is None or m not in z.mittel_modelle:
        return []
    row = z.mittel_modelle[m]
    d = float(row["aenderung_pauschale_flueag_land_eur"])
    out = [f"Die Pauschale nach § 4 FlüAG ({mittel.info['jahr']}) kostete das Land langfristig "
           f"{fmt_int(round(row['pauschale_flueag_land_eur']))} € im Jahr"
           + (f", {_mehr_weniger(d, '€')} als in der Vergleichsbasis." if abs(d) >= 0.5 else ", so viel wie heute.")]
    k = float(row["aenderung_mittel_kreisfrei_eur"])
    if abs(k) >= 0.5:
        out.append(f"Die kreisfreien Städte erhielten zusammen {_mehr_weniger(k, '€')} im Jahr.")
    return out


def _uebergang(cmp, sim, z: _Zeilen, m: str) -> list[str]:
    label = "; SYNTHETISCHER Bestand" if cmp.info.get("synthetisch") else ""
    if sim is not None and m in getattr(sim, "kennzahlen", {}):
        f = sim.kennzahlen[m]
        monate = sim.info.get("monate")
        if f.monate_bis_toleranz is not None:
            return [f"Nach {fmt_int(f.monate_bis_toleranz)} Monaten liegen alle Gemeinden innerhalb von "
                    f"±{fmt_dec(f.toleranz_prozent, 0)} Prozentpunkten ihres Solls ({label[2:] or 'Simulation'})."]
        return [f"In den {fmt_int(monate)} simulierten Monaten liegen am Ende {fmt_int(f.im_toleranzband_ende)} von "
                f"{fmt_int(f.gemeinden_bewertet)} Gemeinden innerhalb von ±{fmt_dec(f.toleranz_prozent, 0)} "
                f"Prozentpunkten ihres Solls; der Übergang ist nicht abgeschlossen ({label[2:] or 'Simulation'})."]
    met = z.metriken.get(m)
    if met is not None and "groesste_zuweisung" in met:
        share = met["groesste_zuweisung_anteil"]
        parts = [f"{fmt_pct(share * 100, 1)} der Zugänge"] if share is not None and share == share else []
        parts += [label[2:]] if label else []
        paren = f" ({'; '.join(parts)})" if parts else ""
        return [f"Wie lange der Übergang dauert, zeigt die Simulation (verteilung simulate); in dieser Periode "
                f"erhält eine Gemeinde höchstens {fmt_int(int(met['groesste_zuweisung']))} Personen{paren}."]
    return []


def _annahmen(cmp, lf) -> list[str]:
    out = []
    lesarten = lf.info.get("lesarten", {})
    anlage = next((v["anlage1_variante"] for v in lesarten.values() if "anlage1_variante" in v), None)
    kappung = next((v["kappung"] for v in lesarten.values() if "kappung" in v), None)
    if kappung or anlage:
        out.append("Das Ergebnis ruht auf den Lesarten " + ", ".join(
            x for x in (f"Kappung {kappung}" if kappung else "", f"Anlage 1 AWoV {anlage}" if anlage else "") if x)
            + ".")
    from verteilung.langfrist import grundlage_zeilen

    out.append(f"Die langfristigen Zahlen ruhen auf echten Strukturdaten und den Landessummen: "
               f"{grundlage_zeilen(lf.info)['landessummen']}.")
    for n in lf.info.get("naeherungen", []):
        out.append(n.split(" (Quelle")[0].rstrip(".") + ".")
    if cmp.info.get("synthetisch"):
        out.append("SYNTHETISCH: Die Zahlen dieser Periode und des Übergangs ruhen auf dem synthetischen "
                   "Bestandsszenario, die langfristigen nicht.")
    return out


def zusammenfassung(cmp, mittel=None, sim=None) -> Zusammenfassung:
    """The summary of a `CompareResult` (with its long run), optionally with money
    (`MittelResult`) and the transition of a simulation (`SimResult`)."""
    lf = cmp.langfrist
    if lf is None:
        raise ValueError("the comparison has no long run (compare_models without langfrist)")
    z = _Zeilen.aus(cmp, lf, mittel)
    models = [m for m in cmp.info["modelle"] if m != cmp.basis and m in z.lf_modelle]
    out = Zusammenfassung(cmp.basis, {name: {} for name in ABSCHNITTE})
    for m in models:
        out.abschnitte["Verschiebungen nach Kreis"][m] = _kreise(z, m)
        out.abschnitte["Stadt und Land"][m] = _stadt_land(cmp, lf, z, m)
        out.abschnitte["Geld"][m] = _geld(mittel, z, m)
        out.abschnitte["Übergang"][m] = _uebergang(cmp, sim, z, m)
    out.abschnitte["Annahmen"][""] = _annahmen(cmp, lf)
    return out


def langfrist_saetze(lf, mittel, m: str) -> list[str]:
    """Two sentences on a model's long run on real data against the baseline (README findings):
    where the load goes (cities vs the rest, the largest Kreis), and what it does to the money."""
    row = lf.modelle.set_index("modell").loc[m]
    if m == lf.info["basis"]:
        first = (f"Als Vergleichsbasis trügen langfristig die kreisfreien Städte "
                 f"{fmt_dec(row['last_kreisfrei_je_1000'], 2)} und die kreisangehörigen Gemeinden "
                 f"{fmt_dec(row['last_kreisangehoerig_je_1000'], 2)} Personen je 1.000 Einwohner.")
    else:
        shift = float(row["verschiebung_zu_staedten"])
        k = lf.aggregate["kreise"]
        part = k[k["modell"] == m]
        top = part.loc[part["aenderung_langfristig"].abs().idxmax()] if len(part) else None
        where = ("" if top is None or abs(top["aenderung_langfristig"]) < 0.5 else
                 f"; am stärksten ändert sich {top['kreis']} ({fmt_signed(top['aenderung_langfristig'], 0)} Personen)")
        first = ("Langfristig trügen die kreisfreien Städte dieselbe Last wie im Status quo" if abs(shift) < 0.5
                 else f"Langfristig trügen die kreisfreien Städte {_mehr_weniger(shift)} als im Status quo "
                      f"({fmt_dec(row['last_kreisfrei_je_1000'], 2)} statt "
                      f"{fmt_dec(lf.modelle.set_index('modell').loc[lf.info['basis'], 'last_kreisfrei_je_1000'], 2)}"
                      " je 1.000 Einwohner)") + where + "."
    second = ""
    if mittel is not None and m in set(mittel.modelle["modell"]):
        mr = mittel.modelle.set_index("modell").loc[m]
        d = float(mr["aenderung_pauschale_flueag_land_eur"])
        verb = "kostet das Land" if m == lf.info["basis"] else "kostete das Land dann"
        tail = (f", {_mehr_weniger(d, '€')} als im Status quo." if abs(d) >= 0.5 else
                "." if m == lf.info["basis"] else ", so viel wie im Status quo.")
        second = (f"Die Pauschale nach § 4 FlüAG {verb} {fmt_int(round(mr['pauschale_flueag_land_eur']))} € im Jahr "
                  f"({mittel.info['jahr']}er Sätze){tail}")
    return [s for s in (first, second) if s]
