"""Effect and cost of pacing and phase-in on the shipped data (issue 14): M1's month, with and
without Staffelung, and a 6-month linear phase-in from the status quo. Run:
    python benchmarks/staffelung_shipped.py
Timings are printed, never asserted."""

from __future__ import annotations

import time

import numpy as np

from verteilung.allocate import allocate
from verteilung.compare import default_bestand
from verteilung.errors import InfeasibleError
from verteilung.inputs import prepare
from verteilung.law import systems
from verteilung.model import Context, evaluate, load_model
from verteilung.staffelung import Staffelung
from verteilung.status import SystemState, quote
from verteilung.uebergang import Uebergang, effektiver_schluessel, kennzahlen, zustand_im_monat


def main() -> None:
    inp = prepare(bestand=default_bestand(), bestand_spalten=("flueag_bestand", "wsa_bestand"))
    g, b, when = inp.gemeinden, inp.bestand, inp.stichtag
    ctx = Context(g, b, when, systems.standard_zugaenge())
    m1 = evaluate(load_model("m1-gemeinsamer-bestand"), ctx)["gesamt"]
    sq = [r.state for r in evaluate(load_model("status-quo"), ctx).values()]
    st, n = m1.state, int(m1.zuweisung.sum())
    names = st.gemeinden["gemeinde"].to_numpy()
    print(f"M1, {n} Zugänge: größte Zuweisung {m1.zuweisung.max()} ({names[m1.zuweisung.argmax()]}), "
          f"{(m1.zuweisung > 0).sum()} Gemeinden erhalten jemanden")
    for s in (Staffelung(max_anteil_soll=0.02), Staffelung(max_anteil_soll=0.01),
              Staffelung(max_personen=20, wochen=4), Staffelung(max_anteil_soll=0.005, wochen=4),
              Staffelung(max_anteil_soll=0.02, min_gemeinden=100)):
        t0 = time.perf_counter()
        try:
            a = allocate(st, n, staffelung=s)
        except InfeasibleError as e:
            print(f"{s.as_dict()}: abgelehnt: {e}")
            continue
        print(f"{s.as_dict()}: größte Zuweisung {a.zuweisung.max()} ({names[a.zuweisung.argmax()]}), "
              f"{(a.zuweisung > 0).sum()} Gemeinden, {a.summary['staffelung_an_grenze']} an der Grenze, "
              f"{time.perf_counter() - t0:.3f} s")
    # phase-in over 6 months, 12 months simulated, each month's assignments added to the stock
    alt = effektiver_schluessel(sq, st)
    u = Uebergang(6)
    state = SystemState(st.name, st.gemeinden, st.schluessel, st.bestand.astype(float), st.anrechnung)
    zs, qs = [], []
    t0 = time.perf_counter()
    for t in range(1, 13):
        a = allocate(zustand_im_monat(state, alt, t, u), n, staffelung=Staffelung(max_anteil_soll=0.02))
        state = SystemState(st.name, st.gemeinden, st.schluessel, state.bestand + a.zuweisung, st.anrechnung)
        zs.append(a.zuweisung)
        qs.append(quote(state.last, st.schluessel * state.total))
    f = kennzahlen(np.array(zs), np.array(qs), st.gemeinden["ags"].to_numpy(), names)
    print(f"Übergang 6 Monate linear, 2 % des Solls je Monat, 12 Monate ({time.perf_counter() - t0:.2f} s): "
          f"innerhalb ±10 % nach {f.monate_bis_toleranz} Monaten; größte Monatszuweisung {f.groesste_zuweisung} "
          f"({f.groesste_zuweisung_ags}, {f.groesste_zuweisung_anteil:.1%}); {f.gemeinden_ohne_zuweisung} Gemeinden "
          f"≥ 3 Monate ohne Zuweisung; Gelsenkirchen {f.verfolgt.zuweisung if f.verfolgt else '–'}; "
          f"meiste Personen: {f.groesster_gewinner.gemeinde} {f.groesster_gewinner.kumuliert[-1]}")


if __name__ == "__main__":
    main()
