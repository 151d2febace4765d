"""Build the SYNTHETIC default stock scenario ``inputs/nrw/szenario/bestand_synthetisch_2024.csv``.

The Bezirksregierung's monthly FlüAG and WSA tables per Gemeinde are not public, so the default
comparison runs on a plausible, seeded scenario built only from published figures (LEGAL.md § 4).
Every assumption is written next to its source in the README this script writes.
Run: ``python scripts/make_szenario.py`` (deterministic for the seed below).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.data import load_gemeinden
from verteilung.law import awov, flueag
from verteilung.resources import shipped

SEED = 20240101
JAHR = 2024
STICHTAG = "2024-01-01"
OUT = Path(__file__).resolve().parents[1] / "inputs" / "nrw" / "szenario"
FILE = "bestand_synthetisch_2024.csv"

# Published figures (LEGAL.md § 4); each with its source.
FLUEAG_TOTAL = 146_000  # persons in the FlüAG system, spring 2022, Ukrainians counted (WP article235001807)
GE_WSA_COUNTED, GE_WSA_SOLL = 2_800, 1_900  # Gelsenkirchen WSA ~2024 (WAZ article407637528)
WSA_QUOTAS_2022 = {  # WSA quotas 2022 (AfD KA 397, 31.08.2022)
    "05711000": 2.12,  # Bielefeld
    "05913000": 2.34,  # Dortmund
    "05113000": 2.03,  # Essen
    "05916000": 2.27,  # Herne
    "05770024": 2.86,  # Minden
}
FLUEAG_QUOTAS = {  # published FlüAG quotas used as anchors
    "05913000": (1.433, "Dortmund, Frühjahr 2022 (WP article235001807)"),
    "05513000": (0.90, "Gelsenkirchen, ~Aug 2022 (WAZ article236199557)"),
    "05978036": (1.71, "Unna, Aug 2023 (WDR)"),
    "05119000": (1.34, "Oberhausen, Aug 2023 (WDR)"),
    "05362028": (0.83, "Hürth, Aug 2023 (AfD-Antrag 21.08.2023)"),
    "05512000": (0.83, "Bottrop, Aug 2023 (AfD-Antrag 21.08.2023)"),
}
# Spread of the other Gemeinden's FlüAG quotas: on 1 Jul 2016, 110 of 396 were below 90 %
# (Landtag Drs. 16/12727). A lognormal with median 100 % and P(q < 0.9) = 110/396 gives sigma:
SHARE_BELOW_90 = 110 / 396
# WSA quotas of ordinary Gemeinden reported 2016-2019: Eschweiler 78-93 %, Finnentrop 74 %,
# Ostbevern 77 % (LEGAL.md § 4.2); spread assumed lognormal with sigma 0.25 (stated assumption).
WSA_SIGMA = 0.25
# Facilities of the shipped list counted but not yet open on the scenario's Stichtag 2024-01-01 (their
# status column says so): the scenario credits their planned places anyway, as the real credit rule
# does from opening only. Named here so that the README states it.
NOT_OPEN_ON_STICHTAG = {
    "Notunterkunft Hamm (von der Stadt übernommen)": "takeover planned January 2024",
    "ZUE Weeze II (Flughafen)": "opening early 2024",
    "NU Hagen": "to open by end of 2024",
    "NU Selm II": "to open by end of 2024",
    "EAE Bochum (neu)": "to open end of 2024",
    "ZUE Weeze II (Erweiterung)": "expansion announced 11/2024",
    "NU Paderborn (Erweiterung)": "expansion announced 11/2024",
    "ZUE Düren (Erweiterung)": "expansion announced 11/2024",
}
# Facilities from the shipped (partial) list left out, with the reason from their status column.
EXCLUDED_FACILITIES = {
    "ZUE Wegberg-Petersholz": "planned only until December 2016",
    "ZUE Bad Laasphe (Schlossbergklinik)": "to stand-by from end of 2016",
    "ZUE Niederkrüchten": "closure planned March 2020",
    "Messe Köln (Überbrückung)": "temporary, until 12 January 2024",
}


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    base = np.floor(values).astype(np.int64)
    rest = total - int(base.sum())
    order = np.lexsort((np.arange(len(values)), -(values - base)))
    base[order[:rest]] += 1
    return base


def sigma_for_share_below(q: float, share: float) -> float:
    from statistics import NormalDist

    return float(np.log(q) / NormalDist().inv_cdf(share))


def build() -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(SEED)
    g = load_gemeinden(jahr=JAHR)
    ags = g["ags"].to_numpy()
    pos = {a: i for i, a in enumerate(ags)}
    names = dict(zip(g["ags"], g["gemeinde"], strict=True))
    expected = {"05711000": "Bielefeld", "05913000": "Dortmund", "05113000": "Essen", "05916000": "Herne",
                "05770024": "Minden", "05513000": "Gelsenkirchen", "05978036": "Unna", "05119000": "Oberhausen",
                "05362028": "Hürth", "05512000": "Bottrop"}
    for a, name in expected.items():  # guard against a mistyped AGS
        assert names[a].startswith(name), (a, names[a], name)
    n = len(g)
    z = flueag.key(g, STICHTAG)["schluessel"].to_numpy()
    k = awov.key(g, STICHTAG)["schluessel"].to_numpy()

    # credited places: shipped facility list, EAE places separately
    le = pd.read_csv(shipped("inputs", "nrw", "landeseinrichtungen.csv"), dtype={"ags": str})
    used = le[~le["einrichtung"].isin(EXCLUDED_FACILITIES)]
    plaetze = np.zeros(n, dtype=np.int64)
    plaetze_eae = np.zeros(n, dtype=np.int64)
    for _, row in used.iterrows():
        target = plaetze_eae if row["typ"] == "EAE" else plaetze
        target[pos[row["ags"]]] += int(row["plaetze"])
    credit = plaetze + plaetze_eae  # factor 1.0 for both from 1 Dec 2023

    # FlüAG stock: quota q_i drawn around 100 %, anchors fixed, B_i = q_i·z_i·T − A_i, total fixed
    total_t = FLUEAG_TOTAL + int(credit.sum())
    sigma_f = sigma_for_share_below(0.9, SHARE_BELOW_90)
    q = np.exp(rng.normal(0.0, sigma_f, n))
    anchored = np.zeros(n, dtype=bool)
    for a, (quota, _) in FLUEAG_QUOTAS.items():
        q[pos[a]] = quota
        anchored[pos[a]] = True
    raw_b = np.maximum(0.0, q * z * total_t - credit)
    fixed_sum = raw_b[anchored].sum()
    free_b = raw_b * ~anchored
    free_b *= (FLUEAG_TOTAL - fixed_sum) / free_b.sum()
    b = largest_remainder(np.where(anchored, raw_b, free_b), FLUEAG_TOTAL)

    # WSA stock: total from Gelsenkirchen's Soll, anchors from the 2022 quotas
    ge = pos["05513000"]
    total_w = GE_WSA_SOLL / k[ge]
    wq = np.exp(rng.normal(0.0, WSA_SIGMA, n))
    w_anchor = np.zeros(n, dtype=bool)
    w_raw = wq * k * total_w
    w_raw[ge] = GE_WSA_COUNTED
    w_anchor[ge] = True
    for a, quota in WSA_QUOTAS_2022.items():
        w_raw[pos[a]] = quota * k[pos[a]] * total_w
        w_anchor[pos[a]] = True
    target_w = round(total_w)
    rest = w_raw * ~w_anchor
    rest *= (target_w - w_raw[w_anchor].sum()) / rest.sum()
    w = largest_remainder(np.where(w_anchor, w_raw, rest), target_w)

    df = pd.DataFrame({"ags": ags, "gemeinde": g["gemeinde"], "flueag_bestand": b, "anrechnung_plaetze": plaetze,
                       "anrechnung_plaetze_eae": plaetze_eae, "wsa_bestand": w,
                       "quelle": f"SYNTHETISCH: scripts/make_szenario.py, seed {SEED}"})
    facts = {"sigma_f": sigma_f, "total_t": total_t, "total_w": total_w, "k_ge": k[ge], "credit": int(credit.sum()),
             "eae": int(plaetze_eae.sum()), "used": used, "flueag_q": b, "z": z, "k": k, "w": w}
    return df, facts


def below_90(df: pd.DataFrame) -> int:
    """Gemeinden whose FlüAG Erfüllungsquote on the Stichtag (with credits) is below 90 %."""
    from verteilung.api import status

    table, _ = status("flueag", OUT / FILE, jahr=JAHR)
    return int((table["erfuellungsquote"] < 90).sum())


def readme(df: pd.DataFrame, f: dict) -> str:
    used = f["used"]
    not_open = used[used["einrichtung"].isin(NOT_OPEN_ON_STICHTAG)]
    n_not_open = int(not_open["plaetze"].sum())
    lines = [
        "# SYNTHETIC stock scenario (not official data)",
        "",
        f"`{FILE}` is **synthetic**: generated by `scripts/make_szenario.py` (seed {SEED}). The",
        "Bezirksregierung's monthly FlüAG and half-yearly WSA tables per Gemeinde are not public, so the",
        "default comparison runs on this scenario. Every output built on it says SYNTHETISCH. Use your",
        "real tables with `--bestand FILE`.",
        "",
        "Reference: key year 2024 (population 31.12.2023), Stichtag 2024-01-01 (credit factor 100 %).",
        "",
        "| quantity | value | source or assumption |",
        "|---|---|---|",
        f"| FlüAG counted stock, state total | {FLUEAG_TOTAL:,} | published: >146,000 persons in the FlüAG system, spring 2022, Ukrainians counted (WP article235001807) |",
        f"| credited places (`anrechnung_plaetze` + `_eae`) | {f['credit']:,} (EAE {f['eae']:,}) | shipped partial facility list `landeseinrichtungen.csv`, {len(used)} rows; left out: " + "; ".join(f"{k} ({v})" for k, v in EXCLUDED_FACILITIES.items()) + "; expansions (+N) counted as their stated N. "
        f"**{n_not_open:,} of these {f['credit']:,} places belong to facilities not open on the Stichtag 2024-01-01** "
        "(" + "; ".join(f"{k} {int(p):,} ({NOT_OPEN_ON_STICHTAG[k]})" for k, p in zip(not_open["einrichtung"], not_open["plaetze"], strict=True)) + "). "
        "The real 2023 total was about 29,680 places (rp-online 05/2023): the scenario under-states credits |",
        "| FlüAG quotas, anchors | " + ", ".join(f"{v[1].split(',')[0]} {v[0]:.1%}" for v in FLUEAG_QUOTAS.values()) + " | published quotas (sources in the script); mixed dates 2022-2023 |",
        f"| FlüAG quota spread, others | lognormal, median 100 %, σ = {f['sigma_f']:.3f} | σ chosen so that 110 of 396 Gemeinden would lie below 90 %, as on 1 Jul 2016 (Landtag Drs. 16/12727); after the anchors, the scaling to the state total and the credits, **{below_90(df)} of 396 Gemeinden are below 90 %** in the shipped file (FlüAG Erfüllungsquote at the Stichtag, `verteilung status --system flueag`) |",
        f"| WSA counted stock, state total | {round(f['total_w']):,} | derived: Gelsenkirchen WSA Soll ≈ 1,900 (~2024, WAZ article407637528) ÷ Gelsenkirchen's AWoV key {f['k_ge']:.6f} (default readings) |",
        "| WSA anchors | Gelsenkirchen 2,800 persons (≈147 %); Bielefeld 212 %, Dortmund 234 %, Essen 203 %, Herne 227 %, Minden 286 % | WAZ article407637528 (~2024); AfD KA 397 (2022 quotas) |",
        f"| WSA quota spread, others | lognormal, σ = {WSA_SIGMA} | assumption; reported ordinary quotas 74-93 % (Eschweiler, Finnentrop, Ostbevern); scaled to the total |",
        "",
        "Integer persons by largest remainder. The scenario shows the Gelsenkirchen pattern by",
        "construction (WSA far above, FlüAG below 100 %); it says nothing about any real Gemeinde",
        "beyond the anchors listed.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    df, facts = build()
    OUT.mkdir(parents=True, exist_ok=True)
    df.to_csv(OUT / FILE, index=False, lineterminator="\n")
    (OUT / "README.md").write_text(readme(df, facts), encoding="utf-8")
    print(f"wrote {OUT / FILE}: FlüAG {df.flueag_bestand.sum():,}, WSA {df.wsa_bestand.sum():,}, "
          f"places {df.anrechnung_plaetze.sum() + df.anrechnung_plaetze_eae.sum():,}")


if __name__ == "__main__":
    main()
