"""One vocabulary for everything a person reads (GLOSSAR.md): German labels and number kinds per column.

Machine formats (JSON, the machine CSV) keep the ASCII identifiers; terminal, HTML, XLSX and the
German Excel CSV show the label from here, so a column is called the same everywhere. The number
kind of a column decides both the German text format (``verteilung.io.deutsch``) and the XLSX
number format, so a Soll has two decimals in every view.

Pure standard library on purpose: the CLI imports this for option parsing and help texts, and
``verteilung --help`` must stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas only for type hints: this module stays standard library at run time
    import pandas as pd


class Kind(StrEnum):
    """How a column's values are shown."""

    INTEGER = "ganzzahl"  # persons and counts: 1.079
    DECIMAL = "dezimal"  # exact values with given decimals: 2.169,19
    PERCENT = "prozent"  # values already in percent units (94.65): 94,65 %
    FRACTION = "anteil"  # values 0..1 shown as percent (0.125): 12,50 %
    SHARE = "schluessel"  # key shares, 8 decimals: 0,01234568
    NUMBER = "nummer"  # integer codes without grouping (year, revision): 2024
    DATE = "datum"  # ISO date in data, 01.01.2024 shown
    DATETIME = "zeitpunkt"  # ISO timestamp in data, 29.11.2026 19:51:50 shown
    FLAG = "ja_nein"  # booleans: ja / nein
    TEXT = "text"


DEFAULT_DECIMALS = {Kind.DECIMAL: 2, Kind.PERCENT: 2, Kind.FRACTION: 2, Kind.SHARE: 8}


@dataclass(frozen=True)
class Column:
    """A column as a person sees it: German label, number kind, decimals, and whether changes show a sign."""

    label: str
    kind: Kind = Kind.TEXT
    decimals: int = -1  # -1: the kind's default
    signed: bool = False

    @property
    def places(self) -> int:
        return self.decimals if self.decimals >= 0 else DEFAULT_DECIMALS.get(self.kind, 0)

    @property
    def numeric(self) -> bool:
        return self.kind not in (Kind.TEXT, Kind.DATE, Kind.DATETIME, Kind.FLAG)

    @property
    def xlsx_format(self) -> str:
        """XLSX number format code. Codes are locale-neutral: German Excel shows ``#,##0.00`` as 2.169,19."""
        return xlsx_format(self)


def _c(label: str, kind: Kind = Kind.TEXT, decimals: int = -1, signed: bool = False) -> Column:
    return Column(label, kind, decimals, signed)


INT, DEC, PCT, FRAC, SHARE, NUM = Kind.INTEGER, Kind.DECIMAL, Kind.PERCENT, Kind.FRACTION, Kind.SHARE, Kind.NUMBER

# Identifier -> column. Percent columns say "(%)" in the label; every label is unique (tests check both).
COLUMNS: dict[str, Column] = {
    # Gemeinde data
    "ags": _c("AGS"), "gemeinde": _c("Gemeinde"), "kreis": _c("Kreis"), "kreis_ags": _c("Kreis-AGS"),
    "regierungsbezirk": _c("Regierungsbezirk"), "gemeinde_typ": _c("Gemeindetyp"),
    "verstaedterung": _c("Verstädterung"), "einwohner": _c("Einwohner", INT),
    "flaeche_km2": _c("Fläche (km²)", DEC), "arbeitslose": _c("Arbeitslose", INT),
    "datensatz": _c("Datensatz"), "jahr": _c("Jahr", NUM), "stichtag": _c("Stichtag", Kind.DATE),
    "stichtag_bevoelkerung": _c("Stand der Bevölkerungszahl", Kind.DATE),
    "einwohner_fehlend": _c("Gemeinden ohne Einwohnerzahl", INT), "genauigkeit": _c("Genauigkeit"),
    "quelle": _c("Quelle"), "einheit": _c("Einheit (Gemeinden oder Kreise)"),
    "einheiten": _c("Zahl der Einheiten", INT),
    # key and its steps
    "schluessel": _c("Schlüssel", SHARE), "schluessel_name": _c("Schlüssel (Art)"),
    "schluessel_roh": _c("Schlüssel vor Kappung und Minderung", SHARE),
    "kappungsgrenze": _c("Kappungsgrenze", SHARE), "gekappt": _c("gekappt", Kind.FLAG),
    "schluessel_nach_kappung": _c("Schlüssel nach Kappung", SHARE),
    "anteil_einwohner": _c("Anteil Einwohner", SHARE), "anteil_flaeche": _c("Anteil Fläche", SHARE),
    "anteil_flaeche_km2": _c("Anteil Fläche (km²)", SHARE), "anteil_arbeitslose": _c("Anteil Arbeitslose", SHARE),
    "anteil_awov_messziffer": _c("Anteil Messziffer Arbeitslose", SHARE),
    "minderung_mietpreisbremse": _c("Minderung Mietpreisbremse", SHARE),
    "minderung_eu_sgb2": _c("Minderung EU-Bürger SGB II", SHARE),
    # stock and Soll
    "system": _c("System"), "modell": _c("Modell"), "titel": _c("Titel"), "systeme": _c("Systeme"),
    "bestand": _c("Bestand", INT), "anrechnung": _c("Anrechnung", DEC),
    "anrechnung_plaetze": _c("Plätze in Landeseinrichtungen", INT),
    "anrechnung_plaetze_eae": _c("Plätze mit Erstaufnahme (EAE)", INT),
    "verrechnung": _c("Verrechnung (Überhang im anderen System)", DEC),
    "gesamt": _c("Gesamtzahl (T)", DEC), "gesamt_T": _c("Gesamtzahl (T), Summe", DEC),
    # one identifier and one label per quantity (GLOSSAR.md); the plain field name `soll` is not used
    "soll_stichtag": _c("Soll (Stichtag)", DEC), "soll_gerundet": _c("Soll, gerundet", INT),
    "soll_nach_zuweisung": _c("Soll nach Zuweisung", DEC),
    "soll_gerundet_summe": _c("Soll, gerundet (Summe)", INT),
    "gesamtsoll_stichtag": _c("Gesamtsoll beider Systeme (Stichtag)", DEC),
    "gesamtsoll_nach_zuweisung": _c("Gesamtsoll beider Systeme nach Zuweisung", DEC),
    "gesamtquote_nach_zuweisung": _c("Erfüllungsquote beider Systeme nach Zuweisung (%)", PCT, 1),
    "aufnahmeverpflichtung": _c("Aufnahmeverpflichtung", INT),
    "aufnahmeverpflichtung_exakt": _c("Aufnahmeverpflichtung, exakt", DEC),
    "aufnahmeverpflichtung_summe": _c("Aufnahmeverpflichtung (Summe)", INT),
    "erfuellungsquote": _c("Erfüllungsquote (%)", PCT),
    "erfuellungsquote_vorher": _c("Erfüllungsquote vor Zuweisung (%)", PCT),  # against Soll (Stichtag)
    "erfuellungsquote_nachher": _c("Erfüllungsquote nach Zuweisung (%)", PCT),  # against Soll nach Zuweisung
    "ohne_meldung": _c("ohne Meldung", Kind.FLAG), "ueber_100_prozent": _c("Gemeinden über 100 % (Summe)", INT),
    # arrivals and allocation
    "zugaenge": _c("Zugänge", INT), "abgaenge": _c("Abgänge", INT), "anerkennungen": _c("Anerkennungen", INT),
    "zuweisung": _c("Zuweisung", INT), "zuweisungen": _c("Zuweisungen", INT),
    "obergrenze": _c("Obergrenze (Staffelung)", INT),
    "haushalt": _c("Haushalt"), "haushalt_id": _c("Haushalt-Nr."), "haushalte": _c("Haushalte", INT),
    "personen": _c("Personen", INT), "fest": _c("fest zugewiesen", Kind.FLAG),
    "pfad": _c("Verfahren"), "wasserstand": _c("Wasserstand (%)", PCT),
    "wasserstand_prozent": _c("Wasserstand der stetigen Verteilung (%)", PCT),
    # an allocation's decisions (allocate.entscheidungen_tabelle; the run's audit trail)
    "zuweisung_fest": _c("Zuweisung in fest zugewiesenen Haushalten", INT),
    "zuweisung_frei": _c("Zuweisung nach Rang", INT), "haushalte_frei": _c("Freie Haushalte, ungeteilt", INT),
    "erfuellungsquote_vor_freier_zuweisung": _c("Erfüllungsquote vor freier Zuweisung (%)", PCT),
    "entscheidung": _c("Entscheidung"), "grund": _c("Entscheidung (Kennung)"),
    "grenze": _c("Bindende Grenze", DEC),
    "lp_niveau_prozent": _c("Niveau der LP-Lösung (%)", PCT),
    "ganzzahliges_max_min_prozent": _c("Bestes ganzzahliges Mindestniveau (%)", PCT),
    "niedrigste_quote_nachher": _c("Niedrigste Erfüllungsquote nach Zuweisung, aufnahmeberechtigte Gemeinden (%)", PCT),
    "hoechste_quote_nachher": _c("Höchste Erfüllungsquote nach Zuweisung, aufnahmeberechtigte Gemeinden (%)", PCT),
    "empfangende_gemeinden": _c("Empfangende Gemeinden", INT),
    "beschraenkung_bindet": _c("Beschränkung bindet", Kind.FLAG),
    "min_zuweisung": _c("Mindestzuweisung", INT), "max_zuweisung": _c("Höchstzuweisung", INT),
    "gesperrt": _c("gesperrt", Kind.FLAG), "ags_fest": _c("AGS (fest)"),
    # comparison of models
    "gezaehlt": _c("Gezählt nach Zuweisung", DEC), "quote": _c("Quote nach Zuweisung (%)", PCT, 1),
    "last_nachher": _c("Gesamtlast nach Zuweisung", DEC), "last_je_1000": _c("Last je 1.000 Einwohner", DEC, 1),
    "last_index": _c("Lastindex (Land = 100)", DEC),
    "aenderung_je_1000": _c("Änderung je 1.000 Einwohner", DEC, 1, signed=True),
    "aenderung_zuweisung": _c("Änderung Zuweisung", INT, signed=True),
    "gemeinden": _c("Gemeinden", INT), "richtung": _c("Richtung"),
    "quote_min": _c("Quote min (%)", PCT, 1), "quote_median": _c("Quote Median (%)", PCT, 1),
    "quote_max": _c("Quote max (%)", PCT, 1),
    "ueber_100": _c("Gemeinden über 100 %", INT), "ueber_120": _c("Gemeinden über 120 %", INT),
    "ueber_150": _c("Gemeinden über 150 %", INT),
    "gini_last_je_einwohner": _c("Gini (Last je Einwohner)", DEC, 2),
    "vk_last_je_einwohner": _c("Variationskoeffizient (Last je Einwohner)", DEC, 2),
    "last_index_p10": _c("Lastindex P10", DEC), "last_index_p90": _c("Lastindex P90", DEC),
    "konflikt": _c("Konflikt", Kind.FLAG), "konflikt_personen": _c("Konflikte (Personen)", INT),
    "konflikt_gemeinden": _c("Konflikte (Gemeinden)", INT),
    "konflikt_personen_kumuliert": _c("Konflikte kumuliert (Personen)", INT),
    # transition and pacing (issue 14: uebergang.kennzahlen, staffelung)
    "uebergang_monate": _c("Übergang (Monate)", INT),
    "monate_bis_toleranz": _c("Monate bis alle Gemeinden ±10 % um ihr Soll", INT),
    "im_toleranzband_ende": _c("Gemeinden ±10 % um ihr Soll am Ende", INT),
    "groesste_zuweisung": _c("Größte Zuweisung an eine Gemeinde", INT),
    "groesste_zuweisung_monat": _c("Monat der größten Zuweisung", NUM),
    "groesste_zuweisung_ags": _c("AGS der größten Zuweisung"),
    "groesste_zuweisung_gemeinde": _c("Gemeinde der größten Zuweisung"),
    "groesste_zuweisung_anteil": _c("Anteil der größten Zuweisung an den Zugängen (%)", FRAC),
    "gemeinden_ohne_zuweisung": _c("Gemeinden ≥ 3 Monate ohne Zuweisung", INT),
    "meiste_zuweisungen_ags": _c("AGS mit den meisten Zuweisungen"),
    "meiste_zuweisungen_gemeinde": _c("Gemeinde mit den meisten Zuweisungen"),
    "meiste_zuweisungen": _c("Zuweisungen an diese Gemeinde (Summe)", INT),
    "staffelung": _c("Staffelung"), "staffelung_an_grenze": _c("Gemeinden an der Obergrenze", INT),
    "personen_je_woche": _c("Personen je Woche"),
    "parameter": _c("Parameter"), "wert": _c("Wert"), "gueltig_ab": _c("gültig ab", Kind.DATE),
    "paragraph": _c("Rechtsgrundlage"), "lesart": _c("Lesart"), "lesarten": _c("Lesarten"),
    "datenbasis": _c("Datenbasis"), "bestand_datei": _c("Bestandsdatei"), "hinweis": _c("Hinweis"),
    "eingaben": _c("Eingabedateien"), "eingabe_hinweise": _c("Hinweise zu den Eingaben"),
    "beschraenkungen_bindend": _c("Bindende Beschränkungen"),
    "rundung": _c("Rundung"), "anrechnung_faktoren": _c("Anrechnungsfaktoren"),
    "summe_schluessel": _c("Summe der Schlüssel", SHARE), "gekappt_anzahl": _c("Gemeinden gekappt", INT),
    "gemindert_mietpreisbremse": _c("Gemeinden mit Minderung Mietpreisbremse", INT),
    "ohne_meldung_anzahl": _c("Gemeinden ohne Meldung", INT),
    "angenommen_null": _c("ohne Meldung, Bestand 0 angenommen"), "naeherungen": _c("Näherungen"),
    "land": _c("Land"), "kennung": _c("Kennung"), "annahme": _c("Annahme", Kind.FLAG),
    "bestand_spalten": _c("Bestandsspalten"), "modell_titel": _c("Modelltitel"),
    "alpha_m2": _c("α (M2, FlüAG-Anteil am gemeinsamen Bestand)", DEC, 6),
    # explain as a table
    "schritt": _c("Schritt", NUM), "groesse": _c("Größe"), "rechnung": _c("Rechnung"),
    # simulation
    "monat": _c("Monat", NUM),
    "flueag_bestand_start": _c("Bestand FlüAG, Anfang", INT), "flueag_bestand_ende": _c("Bestand FlüAG, Ende", INT),
    "wsa_bestand_start": _c("Bestand WSA, Anfang", INT), "wsa_bestand_ende": _c("Bestand WSA, Ende", INT),
    "last_je_1000_start": _c("Last je 1.000 Einwohner, Anfang", DEC, 1),
    "last_je_1000_ende": _c("Last je 1.000 Einwohner, Ende", DEC, 1),
    "ende_gegen_status_quo_je_1000": _c("Ende gegen Status quo je 1.000 Einwohner", DEC, 1, signed=True),
    "ende_gegen_basis_je_1000": _c("Ende gegen Vergleichsbasis je 1.000 Einwohner", DEC, 1, signed=True),
    # sweep, sensitivity
    "szenario": _c("Szenario", NUM), "alpha": _c("Alpha (Mischungsanteil)", DEC, 4),
    "kappung": _c("Kappungsfaktor", DEC, 4), "anrechnung_faktor": _c("Anrechnungsfaktor", DEC, 4),
    "soll_anteil_laendlich": _c("Soll-Anteil ländlicher Gemeinden (%)", FRAC),
    "zuweisung_anteil_kreisfrei": _c("Zuweisungsanteil kreisfreier Städte (%)", FRAC),
    "gemeinden_entlastet": _c("Gemeinden entlastet", INT),
    "anteil_ueber_100": _c("Anteil Szenarien mit Quote > 100 (%)", FRAC),
    "anteil_entlastet": _c("Anteil Szenarien, in denen entlastet (%)", FRAC),
    "kennzahl": _c("Kennzahl"), "basis": _c("Basiswert", DEC, 4), "bei_min": _c("bei Minimum", DEC, 4),
    "bei_max": _c("bei Maximum", DEC, 4), "spanne": _c("Spanne", DEC, 4),
    "S1": _c("Sobol-Index erster Ordnung (S1)", DEC, 3), "ST": _c("Sobol-Index gesamt (ST)", DEC, 3),
    "S1_konf": _c("Konfidenz S1", DEC, 3), "ST_konf": _c("Konfidenz ST", DEC, 3),
    # run ledger
    "periode": _c("Periode"), "revision": _c("Revision", NUM), "status": _c("Status"),
    "started": _c("Beginn", Kind.DATETIME), "finished": _c("Ende", Kind.DATETIME),
    "user": _c("Benutzer"), "host": _c("Rechner"),
    "fingerprint": _c("Fingerabdruck"), "command": _c("Befehl"), "folder": _c("Ordner"),
    "input_hashes": _c("Eingaben (SHA-256)"), "summary": _c("Zusammenfassung"),
    "geaendert": _c("Geänderte Zeilen", INT), "a": _c("Lauf A"), "b": _c("Lauf B"),
}

# Long-run load and money (verteilung.langfrist, issue 23)
COLUMNS.update({
    "groessenklasse": _c("Größenklasse (Einwohner)"),
    "last_langfristig": _c("Langfristige Last", INT),
    "last_langfristig_je_1000": _c("Langfristige Last je 1.000 Einwohner", DEC, 1),
    "last_langfristig_flueag": _c("Langfristige Last FlüAG", INT),
    "last_langfristig_wsa": _c("Langfristige Last WSA", INT),
    "last_langfristig_gesamt": _c("Langfristige Last Gesamtsystem", INT),
    "aenderung_langfristig": _c("Änderung langfristig (Personen)", INT, signed=True),
    "aenderung_langfristig_je_1000": _c("Änderung langfristig je 1.000 Einwohner", DEC, 1, signed=True),
    "langfrist": _c("Langfristig bestimmt durch"), "grundlage": _c("Grundlage"),
    "vergleichsbasis": _c("Vergleichsbasis"), "landessummen": _c("Landessummen"),
    "lesart_anlage1": _c("Lesart Anlage 1"), "jahr_mittel": _c("Jahr der Mittel", NUM),
    "regeln": _c("Regeln (Paragraph, Quelle)"), "eigene_regeln": _c("Eigene Regeln der Modelldatei"),
    "last_kreisfrei": _c("Langfristige Last kreisfreier Städte", INT),  # persons: shown whole (docs/ausgaben.md)
    "last_kreisfrei_je_1000": _c("Langfristige Last je 1.000 Einwohner, kreisfreie Städte", DEC),
    "last_kreisangehoerig_je_1000": _c("Langfristige Last je 1.000 Einwohner, kreisangehörige Gemeinden", DEC),
    "verschiebung_zu_staedten": _c("Verschiebung zu den kreisfreien Städten (Personen)", DEC, 0, signed=True),
    "verschiebung_zu_staedten_anteil": _c("Verschiebung zu den kreisfreien Städten, Anteil an ihrer Last (%)", FRAC,
                                         signed=True),
    "pauschale_flueag_eur": _c("Pauschale § 4 FlüAG (€)", DEC, 0), "mittel_eur": _c("Mittel zusammen (€)", DEC, 0),
    "aenderung_mittel_eur": _c("Änderung Mittel (€)", DEC, 0, signed=True),
    "mittel_eur_kumuliert": _c("Mittel seit Beginn (€)", DEC, 0),
    "aenderung_mittel_eur_kumuliert": _c("Änderung Mittel seit Beginn (€)", DEC, 0, signed=True),
    "monat_beginn": _c("Monatsbeginn", Kind.DATE), "mittel_kennzeichen": _c("Kennzeichen der Mittel"),
    "aenderung_pauschale_flueag_eur": _c("Änderung Pauschale § 4 FlüAG (€)", DEC, 0, signed=True),
    "pauschale_flueag_land_eur": _c("Pauschale § 4 FlüAG, Land (€)", DEC, 0),
    "mittel_land_eur": _c("Mittel zusammen, Land (€)", DEC, 0),
    "mittel_kreisfrei_eur": _c("Mittel kreisfreier Städte (€)", DEC, 0),
    "mittel_kreisangehoerig_eur": _c("Mittel kreisangehöriger Gemeinden (€)", DEC, 0),
    "aenderung_pauschale_flueag_land_eur": _c("Änderung Pauschale § 4 FlüAG, Land (€)", DEC, 0, signed=True),
    "aenderung_mittel_land_eur": _c("Änderung Mittel, Land (€)", DEC, 0, signed=True),
    "aenderung_mittel_kreisfrei_eur": _c("Änderung Mittel kreisfreier Städte (€)", DEC, 0, signed=True),
    "mittel_integrationspauschale_2018_eur": _c("Integrationspauschale 2018 (€)", DEC, 0),
    "mittel_integrationspauschale_2019_eur": _c("Integrationspauschale 2019 (€)", DEC, 0),
    "mittel_flueag_pauschale_2016_eur": _c("Landeszuweisung § 4 FlüAG 2016 (€)", DEC, 0),
    "mittel_kreisunterstuetzung_eur": _c("Kreisunterstützung (€)", DEC, 0),
})

# Systems: identifier -> label shown in text; short form for sheet names, column suffixes and tight tables.
# The legal systems' entries come from their registry (`verteilung.law.systems.register` calls
# `register_system`), so no system is spelled here; only the merged system of a model is.
SYSTEMS: dict[str, str] = {"gesamt": "Gesamtsystem"}
SYSTEMS_SHORT: dict[str, str] = {"gesamt": "Gesamt"}
# Spellings accepted on input (lower-case, compared case-insensitively) -> identifier.
SYSTEM_ALIASES: dict[str, str] = {"gesamt": "gesamt", "gesamtsystem": "gesamt"}
# Registered system identifiers (in registration order) and the identifier-like aliases that name
# them in column names (``quote_awov``), for `column`.
PRIMARY_SYSTEMS: list[str] = []
_KENNUNGEN: dict[str, str] = {}
# Loads the registry, whose registration enters the systems here. The package sets it
# (`verteilung/__init__.py`): this module sits below the law layer and never imports it.
REGISTER_LADEN: Callable[[], object] | None = None


def _systeme() -> None:
    """Make sure the registered systems' labels are here before a system is looked up."""
    if not PRIMARY_SYSTEMS and REGISTER_LADEN is not None:
        REGISTER_LADEN()


def register_system(ident: str, anzeige: str, kurz: str, schreibweisen: Iterable[str] = (),
                    kennungen: Iterable[str] = ()) -> None:
    """Enter a registered system's labels and accepted spellings (called by the registry)."""
    SYSTEMS[ident], SYSTEMS_SHORT[ident] = anzeige, kurz
    for spelling in (ident, *schreibweisen):
        SYSTEM_ALIASES.setdefault(spelling.strip().lower(), ident)
    if ident not in PRIMARY_SYSTEMS:
        PRIMARY_SYSTEMS.append(ident)
    for k in kennungen:
        _KENNUNGEN[k] = ident
    RENAMES["compare.gemeinden"][f"quote_{ident}"] = f"erfuellungsquote_nachher_{ident}"


def unregister_system(ident: str) -> None:
    """Remove what `register_system` entered (a test's further system cleans up with it)."""
    SYSTEMS.pop(ident, None)
    SYSTEMS_SHORT.pop(ident, None)
    for spelling in [k for k, v in SYSTEM_ALIASES.items() if v == ident]:
        del SYSTEM_ALIASES[spelling]
    if ident in PRIMARY_SYSTEMS:
        PRIMARY_SYSTEMS.remove(ident)
    for k in [k for k, v in _KENNUNGEN.items() if v == ident]:
        del _KENNUNGEN[k]
    RENAMES["compare.gemeinden"].pop(f"quote_{ident}", None)

# Today's output columns whose meaning differs from the canonical identifier (GLOSSAR.md): rename them
# with ``df.rename(columns=RENAMES[output])`` before presenting, so that e.g. a rounded Soll is never
# labelled as the exact one. Keys name the output (command, or command.table).
RENAMES: dict[str, dict[str, str]] = {
    "runs.show": {"soll": "soll_gerundet"},  # the ledger's column holds the rounded Soll (Stichtag)
    "compare.gemeinden": {f"quote_{s}": f"erfuellungsquote_nachher_{s}" for s in SYSTEMS},
    "compare.systeme": {"schluessel": "schluessel_name"},
    "keys.summary": {"gekappt": "gekappt_anzahl"},
    "status.summary": {"ohne_meldung": "ohne_meldung_anzahl"},
    "sweep.szenarien": {"einwohner": "gewicht_einwohner", "flaeche_km2": "gewicht_flaeche_km2",
                        "flaeche": "gewicht_flaeche", "arbeitslose": "gewicht_arbeitslose",
                        "awov_messziffer": "gewicht_awov_messziffer", "anrechnung": "anrechnung_faktor"},
}
RENAMES["runs.diff"] = {f"soll{s}": f"soll_gerundet{s}" for s in ("_a", "_b", "_diff")}

# Parameters (verteilung/params/*.yaml) by a short German name for Parameter sheets and summaries;
# the identifier (file name) is shown beside it.
PARAMETERS: dict[str, str] = {
    "flueag_gewicht_einwohner": "Gewicht Einwohner (FlüAG)",
    "flueag_gewicht_flaeche": "Gewicht Fläche (FlüAG)",
    "flueag_kappung": "Kappung der Flächenkomponente (FlüAG)",
    "flueag_anrechnung_aufnahmeeinrichtung": "Anrechnung der Plätze in Landeseinrichtungen (FlüAG)",
    "flueag_anrechnung_eae": "Anrechnung der Plätze in Erstaufnahmeeinrichtungen (FlüAG)",
    "flueag_umverteilung": "Umverteilung der gekappten Anteile (FlüAG)",
    "flueag_zaehldauer_24": "Anrechnungsdauer § 24 AufenthG in Jahren (FlüAG)",
    "flueag_personenkreis_24": "Personenkreis § 24 AufenthG (FlüAG)",
    "flueag_pauschale_kreisangehoerig": "Pauschale je Person und Monat in Euro, kreisangehörige Gemeinde (§ 4 FlüAG)",
    "flueag_pauschale_kreisfrei": "Pauschale je Person und Monat in Euro, kreisfreie Stadt (§ 4 FlüAG)",
    "awov_gewicht_einwohner": "Gewicht Einwohner (AWoV)",
    "awov_gewicht_flaeche": "Gewicht Fläche (AWoV)",
    "awov_gewicht_arbeitslose": "Gewicht Arbeitslose (AWoV)",
    "awov_mietpreisbremse_liste": "Gemeinden mit Mietpreisbremse (AWoV)",
    "awov_minderung_mietpreisbremse": "Minderung Mietpreisbremse (AWoV)",
    "awov_minderung_eu_sgb2": "Minderung EU-Bürger SGB II (AWoV)",
    # the bounds of a Staffelung (verteilung.staffelung, --staffelung)
    "max_personen": "höchstens Personen je Gemeinde (Staffelung)",
    "max_anteil_soll": "höchstens Anteil am Soll (Staffelung)",
    "max_je_1000_einwohner": "höchstens Personen je 1.000 Einwohner (Staffelung)",
    "wochen": "Wochen (Staffelung)", "min_gemeinden": "mindestens empfangende Gemeinden (Staffelung)",
}

# Readings (verteilung.law.lesarten) by their German name.
LESARTEN: dict[str, str] = {
    "kappung": "Lesart Kappung (FlüAG)", "kappung_iteriert": "Kappung wiederholt",
    "anlage1": "Lesart Anlage 1 (AWoV)", "mietpreisliste": "Liste Mietpreisbremse (AWoV)",
    "minderung": "Verknüpfung der Minderungen (AWoV)", "umverteilung": "Umverteilung der Minderungen (AWoV)",
    "rundung": "Rundung",
    # the names a system's state reports its readings under
    "anlage1_variante": "Lesart Anlage 1 (AWoV)", "arbeitslose_quelle": "Quelle der Arbeitslosenzahlen (AWoV)",
    "minderung_kombination": "Verknüpfung der Minderungen (AWoV)",
    "umverteilung_basis": "Umverteilung der Minderungen (AWoV)", "empfaenger": "Empfänger der Umverteilung (AWoV)",
    "eu_sgb2_daten": "Daten EU-Bürger SGB II (AWoV)", "schluessel": "Schlüssel (Art)",
}

_DIFF_SUFFIXES = {"_a": ("A", False), "_b": ("B", False), "_diff": ("Änderung", True)}


def _with_suffix(label: str, suffix: str) -> str:
    """Insert a qualifier before a trailing unit: ("Erfüllungsquote (%)", "FlüAG") -> "Erfüllungsquote FlüAG (%)"."""
    if label.endswith(" (%)"):
        return f"{label[:-4]} {suffix} (%)"
    return f"{label} {suffix}"


def column(ident: str) -> Column | None:
    """The column for an identifier, including the composed ones (``quote_flueag``, ``bestand_a``, ...).

    None when the identifier is unknown: the caller then falls back to its dtype, and a test lists
    every output column so unknown ones are caught before they reach a user.
    """
    if ident in COLUMNS:
        return COLUMNS[ident]
    for suffix, (word, signed) in _DIFF_SUFFIXES.items():  # runs diff: bestand_a, bestand_b, bestand_diff
        base = column(ident[: -len(suffix)]) if ident.endswith(suffix) else None
        if base is not None:
            label = f"Änderung {base.label}" if word == "Änderung" else _with_suffix(base.label, f"Lauf {word}")
            return Column(label, base.kind, base.decimals, signed or base.signed)
    _systeme()
    for sid in (*PRIMARY_SYSTEMS, *_KENNUNGEN, "gesamt"):  # identifiers and input aliases (awov)
        short = system_label(sid, short=True)
        base = None
        if ident.endswith(f"_{sid}"):
            base = column(ident[: -len(sid) - 1])
        elif ident.startswith(f"{sid}_"):
            base = column(ident[len(sid) + 1:])
        if base is not None:
            return Column(_with_suffix(base.label, short), base.kind, base.decimals, base.signed)
    for prefix, word, kind in (("anteil_", "Anteil", Kind.SHARE), ("minderung_", "Minderung", Kind.SHARE),
                               ("gewicht_", "Gewicht", Kind.DECIMAL)):
        if ident.startswith(prefix):
            base = column(ident[len(prefix):])
            rest = base.label if base else ident[len(prefix):]
            return Column(f"{word} {rest}", kind, 4 if kind is Kind.DECIMAL else -1)
    if ident.startswith("quote_p") and ident[7:].isdigit():  # quote_p05, quote_p10, ... quote_p95
        return Column(f"Quote P{ident[7:]} (%)", Kind.PERCENT, 1)
    return None


def parameter_label(name: str) -> str:
    """German name of a legal parameter; its identifier when none is defined."""
    return PARAMETERS.get(name, name)


def lesart_label(name: str) -> str:
    """German name of a reading (``kappung`` -> "Lesart Kappung (FlüAG)")."""
    return LESARTEN.get(name, name)


def renamed(df: pd.DataFrame, ausgabe: str | None) -> pd.DataFrame:
    """``df`` with the glossary's identifiers for ``ausgabe`` (``RENAMES``); unchanged without one."""
    _systeme()
    mapping = RENAMES.get(ausgabe or "", {})
    present = {k: v for k, v in mapping.items() if k in df.columns}
    return df.rename(columns=present) if present else df


def label(ident: str) -> str:
    """German label of a column or summary key; the identifier itself when none is defined."""
    col = column(ident)
    return col.label if col else ident


def labels(idents: Iterable[str]) -> list[str]:
    """Labels for a table's columns; refuses duplicates, which would make a table ambiguous."""
    out = [label(i) for i in idents]
    dup = sorted({x for x in out if out.count(x) > 1})
    if dup:
        raise ValueError(f"two columns share the label {', '.join(dup)}: rename with vocab.RENAMES first")
    return out


def xlsx_format(col: Column) -> str:
    """Excel number format code for a column (codes use '.' and ','; Excel localises the display)."""
    places = col.places
    frac = "." + "0" * places if places else ""
    if col.kind in (Kind.INTEGER, Kind.DECIMAL):
        code = f"#,##0{frac}"
    elif col.kind is Kind.PERCENT:
        code = f'0{frac}" %"'
    elif col.kind is Kind.FRACTION:
        code = f"0{frac} %"
    elif col.kind is Kind.SHARE:
        code = f"0{frac}"
    elif col.kind is Kind.NUMBER:
        return "0"
    elif col.kind is Kind.DATE:
        return "dd.mm.yyyy"
    elif col.kind is Kind.DATETIME:
        return "dd.mm.yyyy hh:mm:ss"
    elif col.kind is Kind.TEXT:
        return "@"
    else:
        return "General"
    if col.signed:
        return f'"+"{code};"−"{code};{code}'
    return f'{code};"−"{code}'  # one minus sign in every output a person reads (io.deutsch.MINUS)


def system_id(name: str, known: Iterable[str] | None = None) -> str:
    """Canonical system identifier for a spelling a user may type: ``system_id("awov") == "wsa"``.

    Case-insensitive; names of a model's own systems pass when listed in ``known``. Unknown names are
    refused with a German message naming the accepted spellings, never guessed.
    """
    _systeme()
    key = name.strip().lower()
    ident = SYSTEM_ALIASES.get(key, key)
    allowed = list(PRIMARY_SYSTEMS if known is None else known)
    if ident not in allowed:
        shown = ", ".join(f"{a} ({SYSTEMS_SHORT.get(a, a)})" for a in allowed)
        also = [f"{k} wird als {v} angenommen" for k, v in _KENNUNGEN.items() if v in allowed]
        raise ValueError(f"unbekanntes System „{name}“; erlaubt: {shown}"
                         + (f" ({'; '.join(also)})" if also else ""))
    return ident


def system_label(ident: str, short: bool = False) -> str:
    """How a system is named where a person reads it (FlüAG, Wohnsitzauflage (WSA)); aliases accepted."""
    _systeme()
    key = SYSTEM_ALIASES.get(ident.strip().lower(), ident)
    table = SYSTEMS_SHORT if short else SYSTEMS
    return table.get(key, ident)


def markdown_table(idents: Iterable[str] | None = None) -> str:
    """The vocabulary as a Markdown table (docs/ausgaben.md embeds it; a test keeps both in step)."""
    rows = ["| Bezeichner (JSON, maschinelle CSV) | Anzeige (Terminal, HTML, XLSX, Excel-CSV) | Art | "
            "Stellen | XLSX-Format |", "|---|---|---|---|---|"]
    for ident in idents if idents is not None else COLUMNS:
        col = column(ident)
        if col is None:
            continue
        sign = ", mit Vorzeichen" if col.signed else ""
        places = str(col.places) if col.numeric and col.kind is not Kind.NUMBER else ""
        fmt = col.xlsx_format.replace("|", "\\|")
        rows.append(f"| `{ident}` | {col.label} | {col.kind.value}{sign} | {places} | `{fmt}` |")
    return "\n".join(rows) + "\n"

# One-line explanations of the figures a reader meets in the app and the report (hover and legend).
ERKLAERUNGEN: dict[str, str] = {
    "last_je_1000": "Alle gezählten Personen beider Systeme und angerechnete Plätze je 1.000 Einwohner: "
                    "der gemeinsame Maßstab für alle Modelle.",
    "last_langfristig_je_1000": "Personen je 1.000 Einwohner, die eine Gemeinde trägt, sobald ihr Bestand in "
                                "jedem System ihrem Soll entspricht (Schlüssel × heutige Landessumme); "
                                "hängt nur von Schlüssel und amtlichen Strukturdaten ab, nicht vom Bestand.",
    "aenderung_je_1000": "Unterschied zur Vergleichsbasis (Status quo) in Personen je 1.000 Einwohner; "
                         "plus: mehr Last, minus: weniger.",
    "aenderung_langfristig": "Langfristige Last unter dem Modell minus unter der Vergleichsbasis, in Personen.",
    "aenderung_langfristig_je_1000": "Langfristige Last unter dem Modell minus unter der Vergleichsbasis, je 1.000 "
                                     "Einwohner; plus: mehr, minus: weniger.",
    "mittel_eur": "Geld des Landes je Jahr, das den gezählten Personen folgt (Pauschale nach § 4 FlüAG und weitere "
                  "Töpfe), langfristig.",
    "aenderung_mittel_eur": "Mittel unter dem Modell minus unter der Vergleichsbasis, Euro je Jahr.",
    "mittel_eur_kumuliert": "Mittel aller Monate der Simulation bis zu diesem Monat zusammen, in Euro.",
    "aenderung_mittel_eur_kumuliert": "Mittel seit Beginn unter dem Modell minus unter der Vergleichsbasis, in Euro.",
    "mittel_kennzeichen": "NÄHERUNG: der Monat liegt in einem anderen Jahr als dem Jahr der Mittel; dessen Sätze "
                          "und Töpfe sind fortgeschrieben.",
    "aenderung_zuweisung": "So viele Personen mehr (plus) oder weniger (minus) erhält die Gemeinde in dieser "
                           "Periode als im Status quo.",
    "soll": "Schlüssel × Gesamtzahl am Stichtag: so viele Personen soll die Gemeinde aufnehmen.",
    "gezaehlt": "Bestand, angerechnete Plätze und Zuweisungen dieser Periode zusammen.",
    "quote": "Gezählte Personen im Verhältnis zum Soll, in Prozent: 100 % = genau erfüllt.",
    "gesamtsoll_nach_zuweisung": "Summe der Soll-Werte aller Systeme des Modells nach den Zuweisungen dieser Periode.",
    "gesamtquote_nach_zuweisung": "Gezählte Personen beider Systeme im Verhältnis zum Gesamtsoll, in Prozent: "
                                  "100 % = genau erfüllt.",
    "zuweisung": "Personen, die die Gemeinde in dieser Periode zugewiesen bekommt.",
    "zuweisungen": "Personen, die in dieser Periode insgesamt verteilt werden.",
    "quote_min": "Niedrigste Quote einer Gemeinde.", "quote_max": "Höchste Quote einer Gemeinde.",
    "quote_p10": "10 % der Gemeinden liegen unter diesem Wert (10. Perzentil).",
    "quote_median": "Die Hälfte der Gemeinden liegt darunter, die Hälfte darüber.",
    "quote_p90": "90 % der Gemeinden liegen unter diesem Wert (90. Perzentil).",
    "ueber_100": "Zahl der Gemeinden, die mehr als ihr Soll tragen.",
    "ueber_120": "Zahl der Gemeinden, die mehr als 120 % ihres Solls tragen.",
    "ueber_150": "Zahl der Gemeinden, die mehr als 150 % ihres Solls tragen.",
    "gini_last_je_einwohner": "Gini der Last je Einwohner: 0 = überall gleich, 1 = alles an einem Ort.",
    "vk_last_je_einwohner": "Variationskoeffizient der Last je Einwohner: Streuung im Verhältnis zum Mittel; "
                            "0 = überall gleich.",
    "last_index": "Last je Einwohner im Verhältnis zum Landesmittel (Land = 100).",
    "konflikt_personen": "Personen, die einem System nach in eine Gemeinde kommen, die im anderen System "
                         "schon über 100 % liegt.",
    "konflikt_gemeinden": "Gemeinden, die trotz über 100 % im einen System im anderen Zuweisungen erhalten.",
    "konflikt_personen_kumuliert": "Konflikte (Personen) über alle bisherigen Monate zusammengezählt.",
    "groesste_zuweisung": "Die meisten Personen, die eine einzelne Gemeinde in einer Periode erhält.",
    "groesste_zuweisung_anteil": "Anteil dieser größten Zuweisung an allen Zugängen der Periode.",
    "last_index_p10": "Lastindex, unter dem 10 % der Gemeinden liegen.",
    "last_index_p90": "Lastindex, unter dem 90 % der Gemeinden liegen.",
    "last_je_1000_start": "Last je 1.000 Einwohner zu Beginn der Simulation.",
    "last_je_1000_ende": "Last je 1.000 Einwohner am Ende der Simulation.",
    "ende_gegen_status_quo_je_1000": "Last am Ende gegenüber dem Status quo am Ende, je 1.000 Einwohner.",
    "ende_gegen_basis_je_1000": "Last am Ende gegenüber der gewählten Vergleichsbasis am Ende, je 1.000 Einwohner.",
    "einwohner": "Amtliche Einwohnerzahl zum Stichtag der Datenbasis.",
    "gemeinden": "Zahl der Gemeinden.",
    "richtung": "entlastet: weniger als im Status quo; belastet: mehr.",
}


def erklaerung(ident: str) -> str:
    """The one-line explanation of a figure (hover and legend); empty when none is written."""
    return ERKLAERUNGEN.get(ident, "")
