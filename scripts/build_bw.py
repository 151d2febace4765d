"""Build the Baden-Württemberg package's Kreis tables from the shared Gemeinde list.

Run once by a developer: ``python scripts/build_bw.py ../shared/data`` (the package never reads
``../shared`` at run time). It sums population and area of the 1,103 rows of Land 08 (1,101
Gemeinden and 2 uninhabited gemeindefreie Gebiete) by ``kreis_ags`` into the 44 Stadt- und
Landkreise; nothing is estimated. The numbers are checked against ``inputs/de/gemeinden_2023.csv``
(the same GV-ISys edition, already shipped) so the result is reproducible from the repository.
Provenance and licence: ``inputs/bw/README.md``.

Kreis key: the 5-digit Kreisschlüssel padded with ``000`` to the 8 digits every table of this
tool uses as ``ags`` (for the 9 Stadtkreise this is the AGS of their only Gemeinde).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REGIERUNGSBEZIRKE = {"1": "Stuttgart", "2": "Karlsruhe", "3": "Freiburg", "4": "Tübingen"}
STICHTAG = "2023-12-31"
QUELLE = ("Destatis GV-ISys, Gebietsstand 31.12.2024, Fläche und Bevölkerung 31.12.2023 (Bevölkerung auf "
          "Grundlage des Zensus 2011); Summe der Gemeinden je Kreis (scripts/build_bw.py)")


def build(src: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    de = pd.read_csv(src / "de_gemeinden.csv", dtype={"ags": str, "kreis_ags": str, "land_code": str})
    bw = de[de["land_code"] == "08"].copy()
    if (bw["kreis_ags"] != bw["ags"].str[:5]).any():
        raise SystemExit("kreis_ags weicht von den ersten 5 Stellen des AGS ab")
    shipped = pd.read_csv(ROOT / "inputs" / "de" / "gemeinden_2023.csv", dtype={"ags": str})
    check = bw.merge(shipped, on="ags", how="left", validate="one_to_one")
    if not ((check["population_2023_12_31"] == check["einwohner"])
            & (check["area_km2"].round(2) == check["flaeche_km2"].round(2))).all():
        raise SystemExit("Abweichung zu inputs/de/gemeinden_2023.csv")
    grouped = bw.groupby("kreis_ags", sort=True)
    k = pd.DataFrame({
        "kreis_ags": grouped.size().index,
        "kreis_name": grouped["kreis_name"].first().to_numpy(),
        "gemeinden": grouped.size().to_numpy(),
        "einwohner": grouped["population_2023_12_31"].sum().to_numpy(),
        "flaeche_km2": grouped["area_km2"].sum().round(2).to_numpy(),
        "einwohner_zensus2022": grouped["population_zensus2022"].sum().to_numpy(),
    })
    typ = ["Stadtkreis" if "Stadtkreis" in n else "Landkreis" for n in k["kreis_name"]]
    ags = k["kreis_ags"] + "000"
    kreise = pd.DataFrame({
        "ags": ags, "gemeinde": k["kreis_name"], "gemeinde_typ": typ, "kreis_ags": k["kreis_ags"],
        "kreis": k["kreis_name"], "regierungsbezirk": [REGIERUNGSBEZIRKE[a[2]] for a in k["kreis_ags"]],
        "gemeinden_im_kreis": k["gemeinden"],
        "einwohner_zensus2022": k["einwohner_zensus2022"].astype("int64"),
    })
    bevoelkerung = pd.DataFrame({
        "ags": ags, "stichtag": STICHTAG, "einwohner": k["einwohner"].astype("int64"),
        "flaeche_km2": k["flaeche_km2"], "genauigkeit": "exact", "quelle": QUELLE, "anmerkung": "",
    })
    if len(kreise) != 44:
        raise SystemExit(f"erwartet 44 Stadt- und Landkreise, gefunden {len(kreise)}")
    return kreise, bevoelkerung


def main(src: Path) -> None:
    kreise, bevoelkerung = build(src)
    out = ROOT / "inputs" / "bw"
    kreise.to_csv(out / "gemeinden.csv", index=False, lineterminator="\n")
    bevoelkerung.to_csv(out / "bevoelkerung.csv", index=False, lineterminator="\n")
    print(f"{len(kreise)} Kreise, {int(bevoelkerung['einwohner'].sum()):,} Einwohner, "
          f"{bevoelkerung['flaeche_km2'].sum():,.2f} km²")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
