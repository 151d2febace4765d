"""Build the SYNTHETIC default stock scenario ``inputs/nrw/szenario/bestand_synthetisch_2024.csv``.

The Bezirksregierung's monthly FlüAG and WSA tables per Gemeinde are not public, so the default
comparison runs on a plausible, seeded scenario built only from published figures (LEGAL.md § 4).
Every assumption is written next to its source in the README this script writes.
Run: ``python scripts/make_szenario.py`` (deterministic for the seed below).
"""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist

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
# Spread of the other Gemeinden's FlüAG quotas, two published targets checked on the written file:
# (A) across the Land: on 1 Jul 2016, 110 of 396 were below 90 % (Landtag Drs. 16/12727);
# (B) within a Kreis: Rhein-Kreis Neuss, May 2017, 8 Gemeinden from 53 % to 145 %
#     (shared/data/nrw_veroeffentlichte_quoten.csv): standard deviation of ln(quota) 0.320.
# Quotas are drawn as exp(b_Kreis + e_Gemeinde), then scaled to the Land total: b ~ N(0, SIGMA_KREIS)
# (assumption: Kreise differ less than Gemeinden within them; Neuss' mean is 95 %); e = σ_w·U1 for most
# Gemeinden and −TAIL_FACTOR·σ_w·|U1| for a share p (U1 ~ N(0, 1)): a normal spread that matches (B)
# puts far too many Gemeinden below 90 % (about 210 of 396); real quotas bunch near 100 % (who is
# below receives first, so the bulk is tight) with part of the Gemeinden far below (a new Soll not
# yet filled). σ_w is fitted to (B) as the median over
# Kreise with ≥ 5 Gemeinden, p to (A), both on the quotas of the final file.
SHARE_BELOW_90 = 110 / 396
NEUSS_QUOTEN = (94, 108, 83, 75, 78, 53, 145, 126)  # Dormagen … Rommerskirchen, May 2017
SIGMA_KREIS = 0.03
TAIL_FACTOR = 10.0  # assumption: the far-off Gemeinden spread ten times as wide as the bulk
# WSA quotas of ordinary Gemeinden reported 2016-2019: Eschweiler 78-93 %, Finnentrop 74 %,
# Ostbevern 77 % (LEGAL.md § 4.2); spread assumed lognormal with sigma 0.25 (stated assumption).
WSA_SIGMA = 0.25
# Facilities of the shipped list counted but not yet open on the scenario's Stichtag 2024-01-01 (their
# status column says so): the scenario credits their planned places anyway, as the real credit rule
# does from opening only. Named here so that the README states it.
NOT_OPEN_ON_STICHTAG = {
    "Notunterkunft Hamm (von der Stadt übernommen)": "Übernahme für Januar 2024 geplant",
    "ZUE Weeze II (Flughafen)": "Eröffnung Anfang 2024",
    "NU Hagen": "Eröffnung bis Ende 2024",
    "NU Selm II": "Eröffnung bis Ende 2024",
    "EAE Bochum (neu)": "Eröffnung Ende 2024",
    "ZUE Weeze II (Erweiterung)": "Erweiterung angekündigt 11/2024",
    "NU Paderborn (Erweiterung)": "Erweiterung angekündigt 11/2024",
    "ZUE Düren (Erweiterung)": "Erweiterung angekündigt 11/2024",
}
# Facilities from the shipped (partial) list left out, with the reason from their status column.
EXCLUDED_FACILITIES = {
    "ZUE Wegberg-Petersholz": "nur bis Dezember 2016 geplant",
    "ZUE Bad Laasphe (Schlossbergklinik)": "ab Ende 2016 in Bereitschaft",
    "ZUE Niederkrüchten": "Schließung für März 2020 geplant",
    "Messe Köln (Überbrückung)": "vorübergehend, bis 12. Januar 2024",
}


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    base = np.floor(values).astype(np.int64)
    rest = total - int(base.sum())
    order = np.lexsort((np.arange(len(values)), -(values - base)))
    base[order[:rest]] += 1
    return base


def neuss_sigma() -> float:
    """Target (B): standard deviation of ln(quota) of the published Rhein-Kreis Neuss quotas."""
    return float(np.std(np.log(np.array(NEUSS_QUOTEN) / 100), ddof=1))


def quota_spread(b: np.ndarray, credit: np.ndarray, z: np.ndarray, kreis: np.ndarray) -> tuple[int, float]:
    """The two checked figures of a FlüAG stock: Gemeinden below 90 % (Erfüllungsquote with credits,
    as `verteilung status` computes it at the Stichtag, factor 1.0) and the median over Kreise with
    at least 5 Gemeinden of the standard deviation of ln(quota) within the Kreis."""
    q = (b + credit) / (z * (b.sum() + credit.sum()))
    below = int((q < 0.9).sum())
    frame = pd.DataFrame({"kreis": kreis, "l": np.log(np.maximum(q, 1e-9))})
    sizes = frame.groupby("kreis")["l"].agg(["std", "count"])
    return below, float(sizes.loc[sizes["count"] >= 5, "std"].median())


def flueag_stock(shape: tuple[np.ndarray, np.ndarray, np.ndarray], kreis_idx: np.ndarray, delta: float,
                 sigma_w: float, z: np.ndarray, credit: np.ndarray, anchors: dict[int, float]) -> np.ndarray:
    """FlüAG stock for quota parameters: B_i = q_i·z_i·T − A_i, anchors fixed, the rest scaled to the total."""
    n_kreis, u0, u1 = shape
    tail = u0 < NormalDist().inv_cdf(delta)  # the share ``delta`` of Gemeinden in the wide tail
    e = sigma_w * np.where(tail, -TAIL_FACTOR * np.abs(u1), u1)  # the far-off Gemeinden lie below
    q = np.exp(SIGMA_KREIS * n_kreis[kreis_idx] + e)
    anchored = np.zeros(len(z), dtype=bool)
    for i, quota in anchors.items():
        q[i] = quota
        anchored[i] = True
    total_t = FLUEAG_TOTAL + int(credit.sum())
    raw_b = np.maximum(0.0, q * z * total_t - credit)
    free_b = raw_b * ~anchored
    free_b *= (FLUEAG_TOTAL - raw_b[anchored].sum()) / free_b.sum()
    return largest_remainder(np.where(anchored, raw_b, free_b), FLUEAG_TOTAL)


def fit_spread(shape, kreis_idx, kreise, z, credit, anchors) -> tuple[float, float]:
    """σ_w to target (B), then the tail share p to target (A), by bisection on the final stock (deterministic)."""
    target_sd, target_below = neuss_sigma(), round(SHARE_BELOW_90 * len(z))

    def figures(delta: float, sigma_w: float) -> tuple[int, float]:
        return quota_spread(flueag_stock(shape, kreis_idx, delta, sigma_w, z, credit, anchors), credit, z, kreise)

    delta = 0.2
    for _ in range(6):  # the two targets interact a little; a few rounds settle both
        lo, hi = 0.05, 1.5
        for _ in range(30):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if figures(delta, mid)[1] < target_sd else (lo, mid)
        sigma_w = (lo + hi) / 2
        a, b = 0.001, 0.5
        for _ in range(30):  # a larger tail share: more Gemeinden far below
            mid = (a + b) / 2
            a, b = (a, mid) if figures(mid, sigma_w)[0] > target_below else (mid, b)
        delta = (a + b) / 2
    return delta, sigma_w


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

    # credited places: the shipped facility list, as the long run counts them (verteilung.langfrist)
    from verteilung.langfrist import LE_AUSGESCHLOSSEN, plaetze_landeseinrichtungen

    le = pd.read_csv(shipped("inputs", "nrw", "landeseinrichtungen.csv"), dtype={"ags": str})
    used = le[~le["einrichtung"].isin(LE_AUSGESCHLOSSEN)]
    places = plaetze_landeseinrichtungen(g)
    plaetze = places["anrechnung_plaetze"].to_numpy()
    plaetze_eae = places["anrechnung_plaetze_eae"].to_numpy()
    credit = plaetze + plaetze_eae  # factor 1.0 for both from 1 Dec 2023

    # FlüAG stock: quota q_i = exp(μ + b_Kreis + e_i), anchors fixed, B_i = q_i·z_i·T − A_i, total fixed
    kreise = g["kreis"].to_numpy()
    kreis_names, kreis_idx = np.unique(kreise, return_inverse=True)
    shape = (rng.normal(0.0, 1.0, len(kreis_names)), rng.normal(0.0, 1.0, n), rng.normal(0.0, 1.0, n))
    anchors = {pos[a]: quota for a, (quota, _) in FLUEAG_QUOTAS.items()}
    delta, sigma_w = fit_spread(shape, kreis_idx, kreise, z, credit, anchors)
    b = flueag_stock(shape, kreis_idx, delta, sigma_w, z, credit, anchors)
    below, within_sd = quota_spread(b, credit, z, kreise)

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
    n_kreise = int((pd.Series(kreise).value_counts() >= 5).sum())
    facts = {"delta": delta, "sigma_w": sigma_w, "below": below, "within_sd": within_sd, "n_kreise": n_kreise,
             "total_t": FLUEAG_TOTAL + int(credit.sum()), "total_w": total_w, "k_ge": k[ge], "credit": int(credit.sum()),
             "eae": int(plaetze_eae.sum()), "used": used, "flueag_q": b, "z": z, "k": k, "w": w}
    return df, facts


def below_90(df: pd.DataFrame) -> int:
    """Gemeinden whose FlüAG Erfüllungsquote on the Stichtag (with credits) is below 90 %."""
    from verteilung.api import status

    table, _ = status("flueag", OUT / FILE, jahr=JAHR)
    return int((table["erfuellungsquote"] < 90).sum())


def readme(df: pd.DataFrame, f: dict) -> str:
    """The scenario's README in German (a user document), every figure from the file as written."""
    from verteilung.io.deutsch import fmt_dec, fmt_int, fmt_pct

    used = f["used"]
    not_open = used[used["einrichtung"].isin(NOT_OPEN_ON_STICHTAG)]
    n_not_open = int(not_open["plaetze"].sum())
    lines = [
        "# SYNTHETISCHES Bestandsszenario (keine amtlichen Daten)",
        "",
        f"`{FILE}` ist **synthetisch**: erzeugt von `scripts/make_szenario.py` (Startwert {SEED}). Die",
        "monatlichen FlüAG- und halbjährlichen WSA-Tabellen der Bezirksregierung je Gemeinde sind nicht",
        "öffentlich; der Standardvergleich rechnet daher auf diesem Szenario. Jede Ausgabe, die darauf",
        "beruht, sagt SYNTHETISCH. Eigene Tabellen mit `--bestand DATEI` (Vorlage:",
        "`verteilung data vorlage bestand --out bestand.xlsx`). Die langfristigen Werte",
        "(`verteilung langfrist`, Seite *Überblick* der Anwendung) ruhen nicht auf diesem Szenario.",
        "",
        "Bezug: Schlüsseljahr 2024 (Einwohner 31.12.2023), Stichtag 01.01.2024 (Anrechnungsfaktor 100 %).",
        "",
        "| Größe | Wert | Quelle oder Annahme |",
        "|---|---|---|",
        f"| FlüAG, gezählter Bestand, Landessumme | {fmt_int(FLUEAG_TOTAL)} | veröffentlicht: mehr als 146.000 Personen im FlüAG-System, Frühjahr 2022, Ukrainer mitgezählt (WP article235001807) |",
        f"| angerechnete Plätze (`anrechnung_plaetze` + `_eae`) | {fmt_int(f['credit'])} (EAE {fmt_int(f['eae'])}) | mitgelieferte, unvollständige Liste `landeseinrichtungen.csv`, {len(used)} Zeilen; nicht gezählt: " + "; ".join(f"{k} ({v})" for k, v in EXCLUDED_FACILITIES.items()) + "; Erweiterungen (+N) mit ihrem genannten N. "
        f"**{fmt_int(n_not_open)} dieser {fmt_int(f['credit'])} Plätze gehören zu Einrichtungen, die am Stichtag 01.01.2024 noch nicht offen waren** "
        "(" + "; ".join(f"{k} {fmt_int(int(p))} ({NOT_OPEN_ON_STICHTAG[k]})" for k, p in zip(not_open["einrichtung"], not_open["plaetze"], strict=True)) + "). "
        "Wirklich gab es 2023 etwa 29.680 Plätze (rp-online 05/2023): das Szenario unterschätzt die Anrechnung |",
        "| FlüAG-Quoten, Ankerwerte | " + ", ".join(f"{v[1].split(',')[0]} {fmt_pct(v[0] * 100, 1)}" for v in FLUEAG_QUOTAS.values()) + " | veröffentlichte Quoten (Quellen im Skript); gemischte Daten 2022–2023 |",
        f"| FlüAG-Quoten, Streuung der übrigen | exp(b_Kreis + e_Gemeinde), b ~ N(0; {fmt_dec(SIGMA_KREIS, 2)}), e ~ N(0; σ_w), für einen Anteil p der Gemeinden −{fmt_int(TAIL_FACTOR)}·σ_w·abs(N(0; 1)) (Annahme: ein Teil der Gemeinden liegt weit darunter, ein neues Soll ist noch nicht gefüllt), auf die Summe skaliert; angepasst σ_w = {fmt_dec(f['sigma_w'], 3)}, p = {fmt_dec(f['delta'], 3)} | zwei veröffentlichte Ziele, an dieser Datei geprüft (`verteilung status --system flueag`, tests/test_szenario.py): (A) im Land 110 von 396 Gemeinden unter 90 % (01.07.2016, Landtag Drs. 16/12727) – **{below_90(df)} von 396 Gemeinden liegen unter 90 %** in der mitgelieferten Datei; (B) innerhalb eines Kreises: Rhein-Kreis Neuss, Mai 2017, 53 % bis 145 % (8 Gemeinden, ../shared/data/nrw_veroeffentlichte_quoten.csv), Standardabweichung von ln(Quote) {fmt_dec(neuss_sigma(), 3)} – **hier ist der Median über die {f['n_kreise']} Kreise mit mindestens 5 Gemeinden {fmt_dec(f['within_sd'], 3)}**. Das σ {fmt_dec(SIGMA_KREIS, 2)} des Kreiseffekts ist eine Annahme (Kreise unterscheiden sich weniger als Gemeinden in ihnen) |",
        f"| WSA, gezählter Bestand, Landessumme | {fmt_int(round(f['total_w']))} | abgeleitet: Soll Gelsenkirchens in der Wohnsitzauflage ≈ 1.900 (~2024, WAZ article407637528) ÷ Integrationsschlüssel Gelsenkirchens {fmt_dec(f['k_ge'], 6)} (Lesarten Standard) |",
        "| WSA-Ankerwerte | Gelsenkirchen 2.800 Personen (≈ 147 %); Bielefeld 212 %, Dortmund 234 %, Essen 203 %, Herne 227 %, Minden 286 % | WAZ article407637528 (~2024); AfD KA 397 (Quoten 2022) |",
        f"| WSA-Quoten, Streuung der übrigen | logarithmische Normalverteilung, σ = {fmt_dec(WSA_SIGMA, 2)} | Annahme; berichtete gewöhnliche Quoten 74–93 % (Eschweiler, Finnentrop, Ostbevern); auf die Summe skaliert |",
        "",
        "Ganze Personen nach dem Verfahren der größten Reste. Das Szenario zeigt das Muster Gelsenkirchens",
        "durch seine Bauart (WSA weit darüber, FlüAG unter 100 %); über eine wirkliche Gemeinde sagt es",
        "nichts außer den genannten Ankerwerten.",
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
