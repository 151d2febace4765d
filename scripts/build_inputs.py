"""Copy the shared source data into ``inputs/`` under the project's canonical column names.

Run once by a developer (``python scripts/build_inputs.py ../shared/data``); the package never
reads ``../shared`` at run time. Numbers are copied verbatim: this script only renames columns,
reshapes long/wide and drops columns the tool does not use. Provenance: ``inputs/nrw/README.md``.
``inputs/nrw/arbeitslose_land.csv`` (the BA's NRW totals after 2015, each with its source URL) is
entered by hand and is neither read nor written here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main(src: Path) -> None:
    nrw = ROOT / "inputs" / "nrw"
    de = ROOT / "inputs" / "de"
    nrw.mkdir(parents=True, exist_ok=True)
    de.mkdir(parents=True, exist_ok=True)

    g = pd.read_csv(src / "nrw_gemeinden.csv", dtype={"ags": str, "kreis_ags": str, "rb_code": str})
    gemeinden = pd.DataFrame(
        {
            "ags": g["ags"],
            "gemeinde": g["name"],
            "gemeinde_typ": g["gemeinde_typ"].replace({"Stadt": "kreisangehörige Stadt"}),
            "kreis_ags": g["kreis_ags"],
            "kreis": g["kreis_name"],
            "regierungsbezirk": g["rb_name"],
            "verstaedterung": g["verstaedterung"],
            "lon": g["lon"],
            "lat": g["lat"],
            "kappungsgrenze_2014": g["kappungsgrenze_2014"],
            "mietpreisbremse_2015": g["mietpreisbremse_2015"],
            "mieterschutzvo_2020": g["mieterschutzvo_2020"],
            "mieterschutzvo_2025": g["mieterschutzvo_2025"],
            "einwohner_zensus2022": g["population_zensus2022"],
        }
    )
    gemeinden.to_csv(nrw / "gemeinden.csv", index=False)

    h = pd.read_csv(src / "nrw_gemeinden_history.csv", dtype={"ags": str})
    bev = pd.DataFrame(
        {
            "ags": h["ags"],
            "stichtag": h["reference_date"],
            "einwohner": h["population"].astype("Int64"),
            "flaeche_km2": h["area_km2"],
            "genauigkeit": h["precision"],
            "quelle": h["gv_edition"],
            "anmerkung": h["note"],
        }
    ).sort_values(["stichtag", "ags"])
    bev.to_csv(nrw / "bevoelkerung.csv", index=False)

    a = pd.read_csv(src / "nrw_arbeitslose_gemeinden.csv", dtype={"ags": str})
    alo = pd.DataFrame(
        {
            "ags": a["ags"],
            "jahr": a["year"],
            "arbeitslose": a["unemployed_total"],
            "arbeitslose_sgb2": a["unemployed_sgb2"],
            "arbeitslose_sgb3": a["unemployed_sgb3"],
            "arbeitslose_auslaender": a["unemployed_foreigners"],
            "quelle": a["ba_table"],
        }
    ).sort_values(["jahr", "ags"])
    alo.to_csv(nrw / "arbeitslose.csv", index=False)

    k = pd.read_csv(src / "nrw_kreise.csv", dtype={"kreis_ags": str})
    rows = []
    for year in (2019, 2020, 2021):
        col = f"unemployment_rate_{year}_inkar"
        for _, r in k.iterrows():
            rows.append({"kreis_ags": r["kreis_ags"], "kreis": r["kreis_name"], "jahr": year,
                         "alo_quote_prozent": r[col], "quelle": "INKAR (BBSR) q_alo via GERDA"})
    pd.DataFrame(rows).to_csv(nrw / "kreise_arbeitslosenquote.csv", index=False)

    le = pd.read_csv(src / "nrw_landeseinrichtungen.csv", dtype={"ags": str})
    for col in ("places_regular", "places_standby"):
        le[col] = le[col].astype("Int64")
    le.rename(columns={"name": "einrichtung", "type": "typ", "places": "plaetze",
                       "places_regular": "plaetze_regel", "places_standby": "plaetze_standby",
                       "reference_date": "stand", "source_url": "quelle"}).to_csv(
        nrw / "landeseinrichtungen.csv", index=False)

    shutil.copyfile(src / "nrw_mietrecht_gebiete.csv", nrw / "mietrecht_gebiete.csv")
    shutil.copyfile(src / "nrw_gemeinden.geojson", nrw / "gemeinden.geojson")
    shutil.copyfile(src / "nrw_kreise.geojson", nrw / "kreise.geojson")

    d = pd.read_csv(src / "de_gemeinden.csv", dtype={"ags": str, "land_code": str})
    pd.DataFrame(
        {
            "ags": d["ags"],
            "gemeinde": d["name"],
            "land": d["land"],
            "einwohner": d["population_2023_12_31"],
            "flaeche_km2": d["area_km2"],
        }
    ).to_csv(de / "gemeinden_2023.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"))
