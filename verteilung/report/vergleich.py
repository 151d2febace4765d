"""The comparison's output folder: machine CSVs, the JSON summary and the officer's workbook.

Report layer: the comparison itself (`verteilung.compare`) knows nothing of files or sheets.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from verteilung.compare import CompareResult, summary_payload
from verteilung.darstellung import with_marker
from verteilung.report.output import einheit_text, person_view, synthetic_note, system_short
from verteilung.report.output import parameter_table as build_parameter_table


def parameter_table(res: CompareResult) -> pd.DataFrame:
    """The Parameter sheet of the comparison (``report.output.parameter_table``, the one builder of
    every workbook): data basis, reference date, arrivals, models, legal parameters in force."""

    info = res.info
    streams = [zugaenge_zeile(name, n, info.get("land")) for name, n in info.get("zugaenge", {}).items()]
    alpha = [{"parameter": "α (M2)", "wert": round(info["alpha_m2"], 6), "kennung": "alpha_m2",
              "quelle": "FlüAG-Anteil am gemeinsamen Bestand"}] if "alpha_m2" in info else []
    from verteilung import land

    paket = land.get(info.get("land"))
    extra = [
        *streams, *alpha,
        *({"parameter": f"Modell {m}", "wert": info["modell_titel"][m],
           "quelle": "/".join((*(("inputs", paket.id, paket.modelle) if paket.modelle else ("models",)), f"{m}.yaml")),
           "kennung": "modelle"} for m in info["modelle"]),
    ]
    rest = {k: v for k, v in info.items() if k not in {"zugaenge", "alpha_m2", "modelle", "anrechnung_faktoren"}}
    return build_parameter_table(rest, extra)


def zugaenge_zeile(stream: str, n: int, land: str | None = None) -> dict:
    """One arrival stream's row of the Parameter sheet: a registered stream under its system's
    short name, with the registry's source where the count is its default; a further one by name."""
    from verteilung.law import systems

    system = systems.strom_system(stream, land or "nrw")
    if system is None:
        return {"parameter": f"Zugänge {stream}", "wert": n, "quelle": "--zugaenge", "kennung": f"zugaenge.{stream}"}
    quelle = (f"Standard: {system.standard_quelle}" if n == system.standard_zugaenge and system.standard_quelle
              else "--zugaenge")
    return {"parameter": f"Zugänge {system.kurz}", "wert": n, "kennung": f"zugaenge_{stream}", "quelle": quelle}


def workbook_sheets(res: CompareResult, parameter: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The officer's workbook: tables with the glossary's columns, sheets named as in `run`'s workbook
    (``parameter``: the comparison's `parameter_table`, when the caller has built it already)."""

    info = res.info  # the Land's unit words (Kreis in Baden-Württemberg) in headers and sheet names
    return {
        **{f"Verteilstatistik {_kurz(name)}": person_view(table, "status", info)
           for name, table in res.verteilstatistik.items()},
        "Vergleich": person_view(res.gemeinden, "compare.gemeinden", info), "Metriken": res.metriken,
        "Systeme": person_view(res.systeme, "compare.systeme"),
        "Kreise": res.aggregate["kreise"], "Regierungsbezirke": res.aggregate["regierungsbezirke"],
        einheit_text("Gemeindetypen", info): res.aggregate["gemeindetypen"],
        "Verstädterung": res.aggregate["verstaedterung"],
        "Gewinner und Verlierer": person_view(res.gewinner_verlierer, None, info),
        "Parameter": parameter_table(res) if parameter is None else parameter,
    }


def write_outputs(res: CompareResult, out_dir: str | Path, extra: dict[str, bytes] | None = None,
                  alles: bool = False) -> Path:
    """All tables as CSV, a JSON summary and the officer's XLSX workbook (and EXTRA files, e.g. the
    report), swapped into place atomically; only files the tool wrote before are replaced (`atomic_dir`).

    ``alles`` adds the long-run and money workbooks (``langfrist.xlsx``, ``langfrist_mittel.xlsx``).
    They hold the same tables as the ``langfrist_*.csv`` files beside them but cost a third of the
    command's output time, so the default leaves them out (issue 25, numbers in docs/handbuch.md).
    The machine CSVs keep identifiers and carry the SYNTHETISCH marker in their file names; the
    workbook has it as the first row of every sheet.
    """
    from verteilung.io import formate, to_json_bytes

    label = "SYNTHETISCH_" if res.info["synthetisch"] else ""
    parameter = parameter_table(res)
    tables = {"gemeinden": res.gemeinden, "metriken": res.metriken, "systeme": res.systeme,
              "gewinner_verlierer": res.gewinner_verlierer, "parameter": parameter, **res.aggregate}
    # machine CSVs carry their markers in a last column hinweis (SYNTHETISCH; NÄHERUNG per row)
    dateien: dict[str, formate.Tabelle | bytes] = {
        f"{label}{name}.csv": formate.Tabelle(df if name == "parameter" else with_marker(df, res.info))
        for name, df in tables.items()}
    dateien[f"{label}vergleich.json"] = to_json_bytes(summary_payload(res))
    dateien[f"{label}vergleich.xlsx"] = formate.Tabelle(res.gemeinden, blaetter=workbook_sheets(res, parameter),
                                                        hinweis=synthetic_note(res.info))
    if res.langfrist is not None:  # real data only: its own files, without the SYNTHETISCH label
        lf = res.langfrist
        for name, df in langfrist_tabellen(lf).items():
            dateien[f"langfrist_{name}.csv"] = formate.Tabelle(df)
        if alles:
            dateien["langfrist.xlsx"] = formate.Tabelle(lf.modelle, blaetter=langfrist_sheets(lf),
                                                        hinweis=synthetic_note(lf.info))
    if res.mittel is not None:  # on the long run: real data
        m = res.mittel
        from verteilung.mittel import summary as mittel_summary

        for name, df in (("modelle", m.modelle), ("kreise", m.kreise), ("gemeinden", m.gemeinden)):
            dateien[f"langfrist_mittel_{name}.csv"] = formate.Tabelle(df)
        if alles:
            sheets = {"Land": m.modelle, "Kreise": m.kreise, "Gemeinden": m.gemeinden,
                      "Gewinner und Verlierer": m.gewinner_verlierer,
                      "Parameter": build_parameter_table(mittel_summary(m))}
            dateien["langfrist_mittel.xlsx"] = formate.Tabelle(m.modelle, blaetter=sheets,
                                                               hinweis=synthetic_note(m.info))
    if res.zusammenfassung is not None:  # speaks of this period too: labelled like the comparison
        dateien[f"{label}zusammenfassung.txt"] = res.zusammenfassung.text().encode("utf-8")
    dateien.update(extra or {})
    return formate.schreibe_ordner(out_dir, dateien)


def langfrist_tabellen(lf) -> dict[str, pd.DataFrame]:
    """The long-run tables by file name (CSV) in the comparison folder and `langfrist --out`."""
    return {"modelle": lf.modelle, "gemeinden": lf.gemeinden, "gewinner_verlierer": lf.gewinner_verlierer,
            **lf.aggregate}


def langfrist_sheets(lf) -> dict[str, pd.DataFrame]:
    """The long-run workbook: one sheet per table and what the numbers rest on."""
    from verteilung.langfrist import summary

    names = {"modelle": "Stadt-Land", "gemeinden": "Gemeinden", "gewinner_verlierer": "Gewinner und Verlierer",
             "kreise": "Kreise", "regierungsbezirke": "Regierungsbezirke", "gemeindetypen": "Gemeindetypen",
             "groessenklassen": "Größenklassen"}
    sheets = {names[k]: v for k, v in langfrist_tabellen(lf).items()}
    sheets["Parameter"] = build_parameter_table(summary(lf))
    return sheets


def _kurz(system: str) -> str:
    """Short shown name of a system for sheet names, as in `run`'s workbook (FlüAG, WSA)."""
    return system_short(system)
