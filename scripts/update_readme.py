"""Rewrite the README's generated findings blocks: the default `verteilung compare` run, and the
paced and phased-in models against the unpaced ones (`compare` for the first month, `simulate`
for the months after)."""

from __future__ import annotations

from pathlib import Path

from verteilung.compare import compare, de

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- befunde:start -->", "<!-- befunde:end -->"
PACED_START, PACED_END = "<!-- staffelung:start -->", "<!-- staffelung:end -->"
PACED_MODELS = ("status-quo", "m1-gemeinsamer-bestand", "m1-gemeinsamer-bestand-gestaffelt",
                "m1-gemeinsamer-bestand-uebergang", "m2-mischschluessel", "m2-mischschluessel-gestaffelt")
PACED_MONTHS = 6
LF_START, LF_END = "<!-- langfrist:start -->", "<!-- langfrist:end -->"


def block() -> str:
    res = compare()
    lines = [f"- {line}" for line in res.befunde]
    return "\n".join([START, *lines, END])


def _share(x: float) -> str:
    return f"{x * 100:.1f}".replace(".", ",") + " %"


def paced_block() -> str:
    """Per model: the first month (largest assignment, its share, receiving Gemeinden) and the
    transition figures of a simulation over `PACED_MONTHS` months (`verteilung.uebergang`)."""
    from verteilung.simulate import simulate

    cmp = compare(list(PACED_MODELS))
    met = cmp.metriken.set_index("modell")
    names = cmp.gemeinden.drop_duplicates("ags").set_index("ags")["gemeinde"]
    top = cmp.gemeinden.sort_values(["zuweisung", "ags"], ascending=[False, True]).drop_duplicates("modell")
    top = top.set_index("modell")["ags"]
    receiving = cmp.gemeinden[cmp.gemeinden["zuweisung"] > 0].groupby("modell").size()
    sim = simulate(PACED_MONTHS, list(PACED_MODELS))
    lines = []
    for m in PACED_MODELS:
        r = met.loc[m]
        f = sim.kennzahlen[m]
        reached = (f"alle Gemeinden nach {f.monate_bis_toleranz} Monaten innerhalb ±10 % ihres Solls"
                   if f.monate_bis_toleranz is not None else
                   f"nach {PACED_MONTHS} Monaten {de(f.im_toleranzband_ende)} von {de(f.gemeinden_bewertet)} "
                   "Gemeinden innerhalb ±10 % ihres Solls")
        lines.append(
            f"- {m}: im ersten Monat größte Zuweisung {de(int(r['groesste_zuweisung']))} an "
            f"{names[top[m]]} ({_share(r['groesste_zuweisung_anteil'])} der {de(int(r['zuweisungen']))} Zugänge), "
            f"{de(int(receiving.get(m, 0)))} Gemeinden erhalten jemanden; in {PACED_MONTHS} Monaten größte "
            f"Monatszuweisung {de(f.groesste_zuweisung)} ({f.groesste_zuweisung_gemeinde}, Monat "
            f"{f.groesste_zuweisung_monat}), {de(f.gemeinden_ohne_zuweisung)} Gemeinden drei oder mehr Monate "
            f"hintereinander ohne Zuweisung, {reached}; Konflikte kumuliert {de(int(f.konflikte_kumuliert or 0))}.")
    return "\n".join([PACED_START, *lines, PACED_END])


def langfrist_block() -> str:
    """Two German sentences per shipped model on its long run on real data (`verteilung.langfrist`,
    `verteilung.mittel`), and the weighting with the least city→rural shift."""
    from verteilung.io.deutsch import fmt_dec
    from verteilung.langfrist import MINIMUM_ID, langfrist
    from verteilung.mittel import mittel_aus
    from verteilung.model import available_models, load_model
    from verteilung.zusammenfassung import langfrist_saetze

    names = ["status-quo", *(m for m in available_models() if m != "status-quo")]
    lf = langfrist(names)
    defs = [load_model(m) for m in names]
    money = mittel_aus(lf, defs, 2024)
    lines = [f"- {m}: " + " ".join(langfrist_saetze(lf, money, m)) for m in names]
    row = lf.modelle.set_index("modell").loc[MINIMUM_ID]
    lines.append(f"- Gewichtung mit der geringsten Verschiebung (verteilung calibrate --ziel stadt_land): "
                 f"{row['titel'].split('(')[1].rstrip(')')}; die kreisfreien Städte trügen dann "
                 f"{fmt_dec(row['last_kreisfrei_je_1000'], 2)} Personen je 1.000 Einwohner.")
    return "\n".join([LF_START, *lines, LF_END])


def _replace(text: str, start: str, end: str, new: str) -> str:
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + new + tail


def main() -> None:
    text = README.read_text(encoding="utf-8")
    text = _replace(text, START, END, block())
    text = _replace(text, PACED_START, PACED_END, paced_block())
    text = _replace(text, LF_START, LF_END, langfrist_block())
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
