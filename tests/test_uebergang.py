"""Übergang: phase-in of a key and the transition figures (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.allocate import allocate
from verteilung.errors import InputError
from verteilung.resources import shipped
from verteilung.status import SystemState, quote
from verteilung.uebergang import (
    Uebergang,
    ausrichten,
    effektiver_schluessel,
    kennzahlen,
    mischen,
    schluessel_im_monat,
    zustand_im_monat,
)

ALT = np.array([0.5, 0.3, 0.2])
NEU = np.array([0.2, 0.5, 0.3])


def test_golden_three_month_phase_in():
    # T = 3, linear: w = 1/3, 2/3, 1.
    # Month 1: 2/3 · (0.5, 0.3, 0.2) + 1/3 · (0.2, 0.5, 0.3) = (0.4, 0.3667, 0.2333)
    # Month 2: 1/3 · alt + 2/3 · neu = (0.3, 0.4333, 0.2667); month 3 and later: neu exactly.
    u = Uebergang(3)
    assert u.gewichte().tolist() == pytest.approx([1 / 3, 2 / 3, 1])
    assert schluessel_im_monat(ALT, NEU, 1, u) == pytest.approx([0.4, 0.3 + 0.2 / 3, 0.2 + 0.1 / 3])
    assert schluessel_im_monat(ALT, NEU, 2, u) == pytest.approx([0.3, 0.3 + 0.4 / 3, 0.2 + 0.2 / 3])
    assert schluessel_im_monat(ALT, NEU, 3, u).tolist() == NEU.tolist()
    assert schluessel_im_monat(ALT, NEU, 7, u).tolist() == NEU.tolist()
    # a stated schedule: half-way for two months, then the new key
    s = Uebergang(3, (0.5, 0.5, 1))
    assert schluessel_im_monat(ALT, NEU, 1, s) == pytest.approx([0.35, 0.4, 0.25])
    assert schluessel_im_monat(ALT, NEU, 2, s) == pytest.approx([0.35, 0.4, 0.25])


def test_golden_three_month_allocation():
    # Stock (30, 30, 30), T = 90, 9 arrivals a month, the phase-in above.
    # Month 1: key (0.4, 0.3667, 0.2333) · 99 = Soll (39.6, 36.3, 23.1); r = (0.758, 0.826, 1.299).
    #   A 30→31→32→33 (r before: 0.758, 0.783, 0.808), then 33/39.6 = 0.833 > B's 0.826: B 30→31
    #   (0.854); A →34 (0.859); B →32 (0.882); A →35 (0.884); B →33 (0.909); A 0.884 < 0.909 → A 36.
    #   Month 1: A 6, B 3, C 0.
    # Month 2: stock (36, 33, 30), key (0.3, 0.4333, 0.2667) · 108 = (32.4, 46.8, 28.8);
    #   r = (1.111, 0.705, 1.042): B takes all 9 (41/46.8 = 0.876 before the ninth < 1.042).
    # Month 3: stock (36, 42, 30), the new key · 117 = (23.4, 58.5, 35.1); r = (1.538, 0.718, 0.855).
    #   B takes 8 (42 → 50, r before the eighth 49/58.5 = 0.838); then B 50/58.5 and C 30/35.1 are
    #   both 100/117, a tie: B's remaining obligation 8.5 > C's 5.1 → B. Month 3: B 9.
    g = pd.DataFrame({"ags": ["05000001", "05000002", "05000003"], "gemeinde": ["A", "B", "C"]})
    state = SystemState("gesamt", g, NEU, np.array([30, 30, 30]), np.zeros(3))
    u = Uebergang(3)
    got = []
    for t in (1, 2, 3):
        a = allocate(zustand_im_monat(state, ALT, t, u), 9)
        got.append(a.zuweisung.tolist())
        state = SystemState("gesamt", g, NEU, state.bestand + a.zuweisung, np.zeros(3))
    assert got == [[6, 3, 0], [0, 9, 0], [0, 9, 0]]


def test_zero_months_is_the_new_model_bit_for_bit():
    rng = np.random.default_rng(1)
    alt, neu = rng.random(50), rng.random(50)
    for u in (Uebergang(0), None, Uebergang(0, ())):
        for t in (1, 2, 12):
            out = schluessel_im_monat(alt, neu, t, u)
            assert out.tobytes() == neu.tobytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12), st.integers(1, 20))
def test_blend_stays_between_and_sums_to_one(ws, t):
    ws = [*sorted(ws)[:-1], 1.0]
    u = Uebergang(len(ws), tuple(ws))
    alt, neu = ALT, NEU
    k = schluessel_im_monat(alt, neu, t, u)
    assert k.sum() == pytest.approx(1)
    assert (k >= np.minimum(alt, neu) - 1e-12).all() and (k <= np.maximum(alt, neu) + 1e-12).all()
    # weights never fall: month by month the key moves towards the new one
    assert u.gewicht(t) <= u.gewicht(t + 1)


@pytest.mark.parametrize("bad", [dict(monate=-1), dict(monate=2, verlauf=(0.5, 0.9)),
                                 dict(monate=2, verlauf=(0.6, 0.5, 1)),
                                 dict(monate=2, verlauf=(0.7, 0.5)), dict(monate=2, verlauf=(-0.1, 1)),
                                 dict(monate=3, verlauf="stufen"), dict(monate=True)])
def test_invalid_schedules_are_refused(bad):
    with pytest.raises(InputError, match="uebergang"):
        Uebergang(**bad)


def test_from_dict():
    assert Uebergang.from_dict({"monate": 6, "verlauf": "linear"}) == Uebergang(6)
    assert Uebergang.from_dict({"verlauf": [0.25, 0.5, 0.75, 1]}) == Uebergang(4, (0.25, 0.5, 0.75, 1.0))
    assert Uebergang.from_dict(None) is None
    assert Uebergang.from_dict({"monate": 3, "von": "m4-sperre"}).von == "m4-sperre"
    with pytest.raises(InputError, match="unbekannte Angabe"):
        Uebergang.from_dict({"monate": 6, "art": "linear"})
    with pytest.raises(ValueError):
        mischen(ALT, NEU[:2], 0.5)


def test_ausrichten_by_ags():
    g1 = pd.DataFrame({"ags": ["b", "a"], "gemeinde": ["B", "A"]})
    g2 = pd.DataFrame({"ags": ["a", "b"], "gemeinde": ["A", "B"]})
    s1 = SystemState("flueag", g1, np.array([0.7, 0.3]), np.zeros(2), np.zeros(2))
    s2 = SystemState("gesamt", g2, np.array([0.5, 0.5]), np.zeros(2), np.zeros(2))
    assert ausrichten(s1, s2).tolist() == [0.3, 0.7]
    # two systems: Soll (0.7 · 10, 0.3 · 10) + (0.5 · 30, 0.5 · 30) = (22, 18) in s1's order
    s1.bestand = np.array([5.0, 5.0])
    s3 = SystemState("awov", g2, np.array([0.5, 0.5]), np.array([10.0, 20.0]), np.zeros(2))
    assert effektiver_schluessel([s1, s3], s2).tolist() == pytest.approx([18 / 40, 22 / 40])
    with pytest.raises(InputError, match="fehlen"):
        ausrichten(s1, SystemState("gesamt", pd.DataFrame({"ags": ["c"], "gemeinde": ["C"]}), np.ones(1),
                                   np.zeros(1), np.zeros(1)))


def test_golden_figures():
    # 4 months × 3 Gemeinden (Gelsenkirchen, X, Y). Fulfilment in % of the new Soll.
    ags = np.array(["05513000", "05000002", "05000003"])
    z = np.array([[0, 60, 40],
                  [0, 50, 50],
                  [0, 10, 90],
                  [5, 45, 50]])
    q = np.array([[130.0, 70, 85],
                  [125, 85, 95],
                  [120, 88, 105],
                  [109, 91, 104]])
    f = kennzahlen(z, q, ags, np.array(["Gelsenkirchen", "X", "Y"]), konflikte=np.array([1, 0, 2, 0]))
    assert f.monate_bis_toleranz == 4          # month 4: 109, 91, 104 all within ±10
    assert (f.im_toleranzband_ende, f.gemeinden_bewertet) == (3, 3)
    assert f.groesste_zuweisung_gemeinde == "Y"
    assert (f.groesste_zuweisung, f.groesste_zuweisung_ags, f.groesste_zuweisung_monat) == (90, "05000003", 3)
    assert f.groesste_zuweisung_anteil == pytest.approx(0.9)
    assert f.gemeinden_ohne_zuweisung == 1     # Gelsenkirchen: nobody in months 1–3
    assert f.konflikte_kumuliert == 3
    assert f.verfolgt.zuweisung == [0, 0, 0, 5] and f.verfolgt.kumuliert == [0, 0, 0, 5]
    assert f.groesster_gewinner.ags == "05000003"  # 230 persons over the four months
    assert f.groesster_gewinner.kumuliert == [40, 90, 180, 230]
    never = kennzahlen(z[:2], q[:2], ags, np.array(["G", "X", "Y"]), monate_ohne=3)
    assert never.monate_bis_toleranz is None and never.gemeinden_ohne_zuweisung == 0
    assert never.im_toleranzband_ende == 1      # month 2: 125, 85, 95: only Y within ±10
    assert never.konflikte_kumuliert is None


def test_figures_on_an_allocated_path():
    g = pd.DataFrame({"ags": ["05513000", "05000002", "05000003"], "gemeinde": ["Gelsenkirchen", "B", "C"]})
    state = SystemState("gesamt", g, NEU, np.array([60, 20, 10]), np.zeros(3))
    u = Uebergang(2)
    zs, qs = [], []
    for t in range(1, 7):
        a = allocate(zustand_im_monat(state, ALT, t, u), 12)
        state = SystemState("gesamt", g, NEU, state.bestand + a.zuweisung, np.zeros(3))
        zs.append(a.zuweisung)
        qs.append(quote(state.last, NEU * state.total))
    f = kennzahlen(np.array(zs), np.array(qs), g["ags"].to_numpy(), g["gemeinde"].to_numpy())
    assert sum(map(sum, zs)) == 72
    assert f.verfolgt.gemeinde == "Gelsenkirchen"
    assert f.groesste_zuweisung <= 12 and 0 < f.groesste_zuweisung_anteil <= 1


def test_month_of_a_period_counts_from_beginn():
    u = Uebergang.from_dict({"monate": 6, "beginn": "2024-11"})
    assert [u.monat_der_periode(p) for p in ("2024-11", "2024-12", "2025-01", "2025-09")] == [1, 2, 3, 11]
    assert u.gewicht(u.monat_der_periode("2025-01")) == pytest.approx(0.5)
    with pytest.raises(InputError, match="liegt vor dem Beginn"):
        u.monat_der_periode("2024-10")
    with pytest.raises(InputError, match="beginn: JJJJ-MM"):
        Uebergang.from_dict({"monate": 6}).monat_der_periode("2024-05")
    assert Uebergang.from_dict({"monate": 0}).monat_der_periode("1999-01") == 1
    for bad in ("2024-13", "24-01", "2024-1", 202401):
        with pytest.raises(InputError, match="beginn"):
            Uebergang.from_dict({"monate": 6, "beginn": bad})


def _phase_in_run(tmp_path: Path, beginn: str | None) -> Path:
    model = yaml.safe_load(shipped("models", "m1-gemeinsamer-bestand-uebergang.yaml").read_text(encoding="utf-8"))
    model["id"] = "m1-test-uebergang"
    model["uebergang"] = {k: v for k, v in {**model["uebergang"], "beginn": beginn}.items() if v is not None}
    (tmp_path / "modell.yaml").write_text(yaml.safe_dump(model, allow_unicode=True), encoding="utf-8")
    scenario = shipped("inputs", "nrw", "szenario", "bestand_synthetisch_2024.csv")
    (tmp_path / "bestand.csv").write_bytes(scenario.read_bytes())
    (tmp_path / "run.toml").write_text("\n".join([
        'modell = "modell.yaml"', 'bestand = "bestand.csv"', "[zugaenge.gesamt]", "personen = 1753",
        "[ausgabe]", 'ordner = "out"', ""]), encoding="utf-8")
    return tmp_path / "run.toml"


def test_monthly_run_computes_the_month_of_the_phase_in(cli, tmp_path):
    """A monthly run with a phased-in model uses the month its period is (beginn = month 1)."""
    config = _phase_in_run(tmp_path, "2024-03")
    before = cli("run", "--periode", "2024-02", "--config", config)
    assert before.code == 2 and "liegt vor dem Beginn des Übergangs" in before.stderr
    assert not (tmp_path / "out").exists()                     # refused before anything is written
    r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 0, r.stderr
    assert "Periode 2024-05 ist Monat 3" in r.stdout + r.stderr and "50 %" in r.stdout + r.stderr
    folder = tmp_path / "out" / "2024-05" / "r1"
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["uebergang"]["monat"] == 3
    assert "Monat 3 von 6 (Beginn 2024-03), Schlüssel zu 50 % neu" in (folder / "erlaeuterung.txt").read_text("utf-8")
    (tmp_path / "ohne").mkdir()
    config_no_start = _phase_in_run(tmp_path / "ohne", None)
    r = cli("run", "--periode", "2024-05", "--config", config_no_start)
    assert r.code == 2 and "beginn: JJJJ-MM" in r.stderr
