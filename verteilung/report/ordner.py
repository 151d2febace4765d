"""Results folders of simulate and sensitivitaet: which tables go in, written through the format
registry (`verteilung.io.formate.schreibe_ordner`), not by hand in the command line.

The machine CSVs keep identifiers; synthetic stock puts SYNTHETISCH in the file names.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from verteilung.io import formate, to_json_bytes

if TYPE_CHECKING:
    from verteilung.compare import CompareResult
    from verteilung.sensitivity import SensitivityResult
    from verteilung.simulate import SimResult


def _label(info: dict) -> str:
    return "SYNTHETISCH_" if info.get("synthetisch") else ""


def simulation(res: SimResult, out: str | Path, vergleich: CompareResult | None = None) -> Path:
    """``monate.csv``, ``gemeinden_ende.csv``, ``simulation.json``, the transition tables, the same
    tables for people in ``simulation.xlsx`` (German headers, the marker line, a Parameter sheet) and,
    with a comparison, ``bericht.html``."""
    from verteilung.darstellung import synthetic_note
    from verteilung.report.output import parameter_table
    from verteilung.simulate import summary_lines

    label = _label(res.info)
    sheets = {"Monate": res.monate, "Gemeinden am Ende": res.gemeinden, "Übergang": res.uebergang,
              "Übergang im Verlauf": res.uebergang_verlauf, "Parameter": parameter_table(res.info)}
    dateien: dict[str, formate.Tabelle | bytes] = {
        f"{label}monate.csv": formate.Tabelle(res.monate),
        f"{label}gemeinden_ende.csv": formate.Tabelle(res.gemeinden),
        f"{label}simulation.json": to_json_bytes({"info": res.info, "befunde": summary_lines(res)}),
        f"{label}uebergang.csv": formate.Tabelle(res.uebergang),
        f"{label}uebergang_verlauf.csv": formate.Tabelle(res.uebergang_verlauf),
        f"{label}simulation.xlsx": formate.Tabelle(res.monate, blaetter=sheets, hinweis=synthetic_note(res.info)),
    }
    if vergleich is not None:
        from verteilung.report.bericht import render_report

        dateien["bericht.html"] = render_report(vergleich, res).encode("utf-8")
    return formate.schreibe_ordner(out, dateien)


def sensitivitaet(res: SensitivityResult, out: str | Path) -> Path:
    """``tornado.csv``, ``sobol.csv`` and one tornado chart (PNG) per metric."""
    from verteilung.report.charts import tornado_png
    from verteilung.sensitivity import DEFAULT_METRICS

    label = _label(res.info)
    dateien: dict[str, formate.Tabelle | bytes] = {
        f"{label}tornado.csv": formate.Tabelle(res.tornado),
        f"{label}sobol.csv": formate.Tabelle(res.sobol),
        **{f"{label}tornado_{m}.png": tornado_png(res.tornado, m) for m in DEFAULT_METRICS},
    }
    return formate.schreibe_ordner(out, dateien)
