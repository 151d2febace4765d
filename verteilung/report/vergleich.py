"""The comparison's output folder: machine CSVs, the JSON summary and the officer's workbook.

Report layer: the comparison itself (`verteilung.compare`) knows nothing of files or sheets.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from verteilung.compare import CompareResult, summary_payload
from verteilung.report.output import parameter_table as build_parameter_table
from verteilung.report.output import person_view, synthetic_note, system_short


def parameter_table(res: CompareResult) -> pd.DataFrame:
    """The Parameter sheet of the comparison (``report.output.parameter_table``, the one builder of
    every workbook): data basis, reference date, arrivals, models, legal parameters in force."""

    info = res.info
    further = [{"parameter": f"Zugänge {name}", "wert": n, "quelle": "--zugaenge", "kennung": f"zugaenge.{name}"}
               for name, n in info.get("zugaenge_weitere", {}).items()]
    extra = [
        {"parameter": "Zugänge FlüAG", "wert": info["zugaenge_flueag"], "kennung": "zugaenge_flueag",
         "quelle": "Standard: Monatsmittel 2021 (15.122 / 12), AfD KA 397"},
        {"parameter": "Zugänge WSA", "wert": info["zugaenge_wsa"], "kennung": "zugaenge_wsa",
         "quelle": "Standard: Monatsmittel 2021 (5.916 / 12), AfD KA 397"},
        *further,
        {"parameter": "α (M2)", "wert": round(info["alpha_m2"], 6), "kennung": "alpha_m2",
         "quelle": "FlüAG-Anteil am gemeinsamen Bestand"},
        *({"parameter": f"Modell {m}", "wert": info["modell_titel"][m], "quelle": f"models/{m}.yaml",
           "kennung": "modelle"} for m in info["modelle"]),
    ]
    rest = {k: v for k, v in info.items() if k not in {"zugaenge_flueag", "zugaenge_wsa", "zugaenge_weitere",
                                                       "alpha_m2", "modelle", "anrechnung_faktoren"}}
    return build_parameter_table(rest, extra)


def workbook_sheets(res: CompareResult) -> dict[str, pd.DataFrame]:
    """The officer's workbook: tables with the glossary's columns, sheets named as in `run`'s workbook."""

    return {
        **{f"Verteilstatistik {_kurz(name)}": person_view(table, "status")
           for name, table in res.verteilstatistik.items()},
        "Vergleich": person_view(res.gemeinden, "compare.gemeinden"), "Metriken": res.metriken,
        "Systeme": person_view(res.systeme, "compare.systeme"),
        "Kreise": res.aggregate["kreise"], "Regierungsbezirke": res.aggregate["regierungsbezirke"],
        "Gemeindetypen": res.aggregate["gemeindetypen"], "Verstädterung": res.aggregate["verstaedterung"],
        "Gewinner und Verlierer": res.gewinner_verlierer, "Parameter": parameter_table(res),
    }


def write_outputs(res: CompareResult, out_dir: str | Path, extra: dict[str, bytes] | None = None) -> Path:
    """All tables as CSV, a JSON summary and an XLSX workbook (and EXTRA files, e.g. the report),
    swapped into place atomically; only files the tool wrote before are replaced (`atomic_dir`).

    The machine CSVs keep identifiers and carry the SYNTHETISCH marker in their file names; the
    workbook has it as the first row of every sheet.
    """
    from verteilung.io import atomic_dir, to_csv_bytes, to_json_bytes
    from verteilung.io.xlsx import workbook_bytes

    out_dir = Path(out_dir)
    label = "SYNTHETISCH_" if res.info["synthetisch"] else ""
    tables = {"gemeinden": res.gemeinden, "metriken": res.metriken, "systeme": res.systeme,
              "gewinner_verlierer": res.gewinner_verlierer, "parameter": parameter_table(res), **res.aggregate}
    with atomic_dir(out_dir) as tmp:
        for name, df in tables.items():
            (tmp / f"{label}{name}.csv").write_bytes(to_csv_bytes(df))
        (tmp / f"{label}vergleich.json").write_bytes(to_json_bytes(summary_payload(res)))
        (tmp / f"{label}vergleich.xlsx").write_bytes(workbook_bytes(workbook_sheets(res),
                                                                    note=synthetic_note(res.info)))
        for name, data in (extra or {}).items():
            (tmp / name).write_bytes(data)
    return out_dir


def _kurz(system: str) -> str:
    """Short shown name of a system for sheet names, as in `run`'s workbook (FlüAG, WSA)."""
    return system_short(system)
