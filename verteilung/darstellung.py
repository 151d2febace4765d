"""Results as a person reads them, before any rendering: labels, markers and the Parameter table.

Analysis (`run`) and report (`report.output`, `report.vergleich`, the app) share these helpers, so
they sit below both: the glossary's column view of a table (`person_view`), the SYNTHETISCH and
NÄHERUNG markers (`synthetic_note`, `with_marker`), the Land's unit words (`einheit_text`), the
reading and parameter texts and THE Parameter sheet of every workbook (`parameter_table`).
Nothing here prints or writes a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SYNTHETISCH = ("SYNTHETISCH: Bestandsdaten aus dem synthetischen Szenario (inputs/nrw/szenario/README.md), "
               "kein amtlicher Bestand")


SYNTHETISCH_KURZ = "SYNTHETISCH"  # the machine-safe marker (a `hinweis` column of machine CSVs)


# Each Erfüllungsquote and the exact Soll it is computed from: the quota is shown right after it.
QUOTE_OF = {"erfuellungsquote": "soll_stichtag", "erfuellungsquote_vorher": "soll_stichtag",
            "erfuellungsquote_nachher": "soll_nach_zuweisung",
            "gesamtquote_nach_zuweisung": "gesamtsoll_nach_zuweisung"}


def system_short(system: str) -> str:
    """A system's short name for sheet names and titles: the vocabulary's (FlüAG, WSA; ``awov``
    accepted), else the registry's, else a model's own system name as it is."""
    from verteilung.errors import InputError
    from verteilung.law import systems
    from verteilung.vocab import SYSTEM_ALIASES, system_label

    if system.strip().lower() in SYSTEM_ALIASES:
        return system_label(system, short=True)
    try:
        return systems.get(system).kurz
    except InputError:
        return system


def is_synthetic(info: dict | None) -> bool:
    """Did synthetic stock go into the result this metadata describes?"""
    if not info:
        return False
    return info.get("synthetisch") is True or "SYNTHETISCH" in str(info.get("hinweis", ""))


def synthetic_note(info: dict | None) -> str | None:
    """The label line above every table, sheet and Excel CSV of a result: SYNTHETISCH when synthetic
    stock went in, then each approximation (NÄHERUNG, with its source) the result used; else None."""
    parts = [SYNTHETISCH] if is_synthetic(info) else []
    for note in (info or {}).get("naeherungen") or []:
        parts.append(note if str(note).startswith("NÄHERUNG") else f"NÄHERUNG: {note}")
    return " · ".join(parts) or None


def with_marker(df: pd.DataFrame, info: dict | None) -> pd.DataFrame:
    """A machine table (machine CSV, JSON rows, Parquet) carrying its markers machine-safely: a last
    column ``hinweis`` with ``SYNTHETISCH`` in every row when synthetic stock went in, joined by
    ``NÄHERUNG`` on the rows that carry an approximated figure (the column `inputs.mit_naeherung`
    added); unchanged otherwise."""
    if not is_synthetic(info):
        return df
    if "hinweis" not in df.columns:
        return df.assign(hinweis=SYNTHETISCH_KURZ)
    own = df["hinweis"].fillna("").astype(str).tolist()  # a list: iterating a Series of str is per element
    if all(h.startswith(SYNTHETISCH_KURZ) for h in own):
        return df
    return df.assign(hinweis=[f"{SYNTHETISCH_KURZ}; {h}" if h else SYNTHETISCH_KURZ for h in own])


def einheit_text(text: str, summary: dict | None) -> str:
    """A German label in the Land's unit words: "Gemeinden" reads "Kreise" where the Land distributes
    to Kreise (``summary["einheit"]``, set by `Inputs.land_angaben`); unchanged for NRW."""
    einheit = (summary or {}).get("einheit")
    if not einheit or einheit == "Gemeinde":
        return text
    from verteilung import land

    unit = land.get((summary or {}).get("land")).einheit
    return (text.replace("Gemeinden", unit.plural).replace("Gemeindetyp", f"{unit.singular}typ")
            .replace("Gemeinde", unit.singular).replace("AGS", unit.schluessel))


def _einheit_spalten(df: pd.DataFrame, summary: dict | None) -> pd.DataFrame:
    """The unit's text columns under the Land's own words (Kreis, Kreistyp, Kreisschlüssel)."""
    if not (summary or {}).get("einheit") or summary.get("einheit") == "Gemeinde":  # type: ignore[union-attr]
        return df
    from verteilung.vocab import label

    out = df.drop(columns=[c for c in ("kreis",) if c in df.columns and "gemeinde" in df.columns])
    return out.rename(columns={c: einheit_text(label(c), summary) for c in ("ags", "gemeinde", "gemeinde_typ")
                               if c in out.columns})


def person_view(df: pd.DataFrame, ausgabe: str | None = None, summary: dict | None = None) -> pd.DataFrame:
    """The table as a person gets it (terminal, XLSX, Excel CSV): the glossary's identifiers for
    this output (``vocab.RENAMES[ausgabe]``), every Erfüllungsquote placed right after the exact
    Soll it was computed from (``QUOTE_OF``), and the unit columns in the Land's words
    (``summary``: "Kreis" in Baden-Württemberg)."""
    from verteilung.vocab import renamed

    out = _einheit_spalten(renamed(df, ausgabe), summary)
    cols = [str(c) for c in out.columns]
    placed = {q: s for q, s in QUOTE_OF.items() if q in cols and s in cols}
    if not placed:
        return out
    order: list[str] = []
    for c in cols:
        if c in placed:
            continue
        order.append(c)
        order += [q for q, s in placed.items() if s == c]
    return out[order]


def _date_text(value: Any) -> str:
    from verteilung.io.deutsch import fmt_date

    return fmt_date(value)


# names under which a system's state reports a reading (state.info["lesarten"]) -> the reading
LESART_NAMES = {"minderung_kombination": "minderung", "umverteilung_basis": "umverteilung",
                "anlage1_variante": "anlage1"}


def lesart_text(name: str, value: Any) -> str:
    """A reading with what it means: ``R1 – z ≤ 1,25·e (Standard)``; the meaning alone for switches."""
    from verteilung.law.lesarten import ERLAUBT

    meaning = ERLAUBT.get(LESART_NAMES.get(name, name), {}).get(value)
    if isinstance(value, bool):
        return meaning or ("ja" if value else "nein")
    return f"{value} – {meaning}" if meaning else str(value)


def parameter_value_text(value: Any) -> str:
    from verteilung.io.deutsch import fmt_exact

    if isinstance(value, list | tuple):
        return f"Liste ({len(value)} Einträge)"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int | float):
        return fmt_exact(value)
    return str(value)


SKIP_IN_SUMMARY = {"erklaerung", "synthetisch", "modell_titel", "land_name", "einheit", "quellen"}


EINGABE_ART = {"bestand": "Bestandsdatei", "gemeinden": "Gemeindedatei", "haushalte": "Haushaltsdatei",
               "beschraenkungen": "Beschränkungsdatei"}


def eingabe_text(e: dict, mit_hash: bool = True) -> str:
    """One input file as a person reads it: path, encoding, data rows (and its SHA-256)."""
    from verteilung.io.deutsch import fmt_int

    text = f"{e['datei']} ({e['kodierung']}, {fmt_int(e['zeilen'])} Datenzeilen"
    if e.get("ags_ergaenzt"):
        text += f", {fmt_int(e['ags_ergaenzt'])} AGS um die führende 0 ergänzt"
    return text + (f", SHA-256 {e['sha256']})" if mit_hash else ")")


def parameter_table(info: dict, extra: list[dict] | None = None) -> pd.DataFrame:
    """THE Parameter sheet of every workbook (``--out F.xlsx`` of each table command, the compare and
    run folders): data basis, reference date, readings, the legal parameters in force on the
    reference date with paragraph, start date and ``(Annahme)``, then the result's other metadata.

    Columns ``parameter`` (German name), ``wert``, ``paragraph``, ``gueltig_ab``, ``hinweis``,
    ``quelle``, ``kennung`` (identifier in JSON, params/*.yaml, run.toml). ``extra`` rows (dicts
    with those keys) follow the data basis, e.g. a comparison's arrivals.
    """
    import pandas as pd

    from verteilung import land
    from verteilung.vocab import label, lesart_label, parameter_label, system_label

    rows: list[dict] = []
    paket = land.get(info.get("land"))

    def add(parameter: str, wert: Any, kennung: str = "", **more: Any) -> None:
        rows.append({"parameter": parameter, "wert": wert, "kennung": kennung, **more})

    if is_synthetic(info):
        add("Hinweis", SYNTHETISCH, "hinweis", hinweis=SYNTHETISCH_KURZ)
    if isinstance(info.get("system"), str):
        add("System", system_label(info["system"]), "system")
    if isinstance(info.get("modell"), str):
        add("Modell", info["modell"], "modell")
    if info.get("land_name"):
        add("Land", info["land_name"], "land", quelle=info.get("quellen", ""))
    if info.get("datenbasis"):
        add(f"Datenbasis {paket.einheit.plural}", info["datenbasis"], "datenbasis",
            quelle=paket.anzeige_pfad(paket.quellen))
    if info.get("bestand_datei"):
        add("Bestandsdatei", info["bestand_datei"], "bestand_datei",
            hinweis=SYNTHETISCH_KURZ if is_synthetic(info) else "",
            quelle=paket.anzeige_pfad("szenario", "README.md") if is_synthetic(info) else "Nutzerdatei")
    files = info.get("eingaben")
    files = files if isinstance(files, list) and all(isinstance(e, dict) and "sha256" in e for e in files) else []
    for e in files:  # the input files an allocation read (not runs diff's sentence of changed inputs)
        add(f"Eingabedatei ({EINGABE_ART.get(e['art'], e['art'])})", e["datei"], f"eingaben.{e['art']}",
            hinweis=f"Kodierung {e['kodierung']}; {e['zeilen']} Datenzeilen"
            + (f"; {e['ags_ergaenzt']} AGS um die führende 0 ergänzt" if e.get("ags_ergaenzt") else ""),
            quelle=f"SHA-256 {e['sha256']}")
    bindend = info.get("beschraenkungen_bindend")
    if isinstance(bindend, list):
        for b in bindend:
            add("Bindende Beschränkung", f"{b['gemeinde']} ({b['ags']})", "beschraenkungen_bindend",
                hinweis=b["beschraenkung"])
    elif bindend:
        add("Bindende Beschränkung", bindend, "beschraenkungen_bindend")
    for note in info.get("naeherungen") or []:
        add("Näherung", note, "naeherungen", hinweis="NÄHERUNG")
    if info.get("stichtag"):
        add("Stichtag", _date_text(info["stichtag"]), "stichtag",
            quelle="Stichtag der Verteilstatistik; Parameter in der am Stichtag geltenden Fassung")
    for r in extra or []:
        rows.append({"kennung": "", **r})
    for name, value in (info.get("lesarten") or {}).items():
        add(lesart_label(name), lesart_text(name, value), f"lesarten.{name}",
            quelle="Lesart (docs/recht.md Abschnitt 3)")
    parameters = info.get("parameter")
    if parameters is None and info.get("stichtag"):
        from verteilung.params import in_force

        parameters = in_force(info["stichtag"], info.get("land"))
    for p in parameters or []:
        value = p["wert"]
        add(parameter_label(p["name"]), f"Liste ({len(value)} Einträge)" if isinstance(value, list) else value,
            p["name"], paragraph=p["paragraph"], gueltig_ab=p["gueltig_ab"],
            hinweis="(Annahme)" + _param_note(p) if p.get("annahme") else "",
            quelle=f"{p['quelle']} ({p['href']})" if p.get("href") else p.get("quelle", ""))
    shown = {"hinweis", "system", "modell", "datenbasis", "bestand_datei", "naeherungen", "stichtag", "lesarten",
             "parameter", "beschraenkungen_bindend", *SKIP_IN_SUMMARY, *(("land",) if info.get("land_name") else ()),
             *(("eingaben",) if files else ())}
    for key, value in info.items():
        if key in shown or value is None or isinstance(value, dict):
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
            if not value:
                continue
        add(label(key), value, key)
    cols = ["parameter", "wert", "paragraph", "gueltig_ab", "hinweis", "quelle", "kennung"]
    return pd.DataFrame(rows, columns=cols, dtype=object).fillna("")  # mixed values: no float column to fill with text


def _param_note(p: dict) -> str:
    """The YAML's note on an assumed value (why it is one), when it has one."""
    from verteilung import params

    try:
        note = params.get(p["name"], p["gueltig_ab"]).note
    except Exception:  # a parameter no longer known: the flag alone
        return ""
    return f": {' '.join(note.split())}" if note else ""
