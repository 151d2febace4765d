"""The app's caches: a setting recomputes only the models it touches, results equal an uncached
comparison, and every cache stays within its bound."""

from __future__ import annotations

import dataclasses
import threading

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung.app.engine import LRU, Einstellungen, Engine
from verteilung.compare import compare_models, model_part
from verteilung.law import systems

MODELLE = ("m1-gemeinsamer-bestand", "m2-mischschluessel")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def uncached(eng: Engine, e: Einstellungen):
    """The same comparison with every model computed afresh (the engine's context, no cache)."""
    ctx = eng._context(eng.bestand, e.stroeme())
    if e.anrechnung != 1.0:
        ctx.anrechnung = ctx.anrechnung * e.anrechnung
    defs = eng.definitions(e)
    return compare_models(defs, ctx, {"modelle": [d.id for d in defs], "naeherungen": list(eng.naeherungen)},
                          part=model_part)


def assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.gemeinden, b.gemeinden)
    pd.testing.assert_frame_equal(a.metriken, b.metriken)
    pd.testing.assert_frame_equal(a.systeme, b.systeme)
    pd.testing.assert_frame_equal(a.gewinner_verlierer, b.gewinner_verlierer)
    for name in a.aggregate:
        pd.testing.assert_frame_equal(a.aggregate[name], b.aggregate[name])
    assert a.befunde == b.befunde


def test_own_weights_slider_recomputes_only_the_own_model(engine):
    first = Einstellungen(modelle=MODELLE, gewichte=(("einwohner", 0.6), ("flaeche", 0.4)))
    engine.vergleich(first)
    misses = engine.teile.misses
    moved = Einstellungen(modelle=MODELLE, gewichte=(("einwohner", 0.55), ("flaeche", 0.45)))
    res = engine.vergleich(moved)
    assert engine.teile.misses == misses + 1  # status quo, M1 and M2 came from the cache
    assert_same(res, uncached(engine, moved))


def test_alpha_recomputes_only_the_mixed_key_model(engine):
    e = Einstellungen(modelle=MODELLE, alpha=0.3)
    engine.vergleich(Einstellungen(modelle=MODELLE, alpha=0.2))
    misses = engine.teile.misses
    res = engine.vergleich(e)
    assert engine.teile.misses == misses + 1  # M2 only: the status quo and M1 have no α
    assert_same(res, uncached(engine, e))


@settings(max_examples=8, deadline=None)
@given(zf=st.integers(0, 3000), zw=st.integers(0, 1000), anrechnung=st.sampled_from([0.5, 1.0, 2.0]),
       w=st.integers(1, 99))
def test_cached_comparisons_equal_fresh_ones(engine, zf, zw, anrechnung, w):
    """Arrivals and the credit factor enter every model's cache key: no stale part is reused."""
    e = Einstellungen(modelle=MODELLE, gewichte=(("einwohner", w / 100), ("flaeche", 1 - w / 100)),
                      zugaenge=(("flueag", zf), ("wsa", zw)), anrechnung=anrechnung)
    engine.vergleich(e)
    assert_same(engine.vergleich(e), uncached(engine, e))


def test_explanations_are_cached_per_gemeinde(engine):
    a = engine.schritte("05111000", None)
    hits = engine.rechenwege.hits
    assert engine.schritte("05111000", None) is a
    assert engine.rechenwege.hits == hits + 1
    assert set(a) == set(systems.ids()) and all(a.values())


def test_lru_stays_bounded_and_keeps_the_recent():
    cache = LRU(3)
    for k in range(10):
        cache.get(k, lambda k=k: k * k)
    assert len(cache) == 3
    assert cache.get(9, lambda: -1) == 81 and cache.get(0, lambda: -1) == -1


def test_lru_computes_a_value_asked_for_at_once_only_once():
    cache, calls, gate = LRU(4), [], threading.Event()

    def slow():
        calls.append(1)
        gate.wait(5)
        return "x"

    threads = [threading.Thread(target=cache.get, args=("k", slow)) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert calls == [1] and cache.get("k", lambda: "y") == "x"


@pytest.mark.parametrize("change", [{"anrechnung": 2.0}, {"zugaenge": (("flueag", 50),)},
                                    {"zugaenge": (("wsa", 7),)}])
def test_every_input_of_a_model_enters_its_cache_key(engine, change):
    base = Einstellungen(modelle=MODELLE)
    engine.vergleich(base)
    misses = engine.teile.misses
    e = dataclasses.replace(base, **change)
    assert_same(engine.vergleich(e), uncached(engine, e))
    assert engine.teile.misses == misses + 3  # status quo, M1 and M2 all depend on it


def test_worker_processes_answer_like_the_server_process(engine):
    """`--prozesse 2`: page data computed in forked workers equals the in-process answer, also on an
    uploaded stock table (it travels with the request) and for a Gemeinde's explanation."""
    import os
    import warnings

    from verteilung.app.server import create_app
    from verteilung.compare import default_bestand

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    app = create_app(engine=engine, prozesse=2)
    rechner = app.state.rechenprozesse
    try:
        assert len(rechner.pids) == 2 and os.getpid() not in rechner.pids
        client, local = TestClient(app), TestClient(create_app(engine=Engine()))
        params = {"modelle": "m1-gemeinsamer-bestand", "w_einwohner": 37, "w_flaeche": 5, "ags": "05111000"}
        for path in ("/api/ansicht/vergleich", "/api/ansicht/gemeinde"):
            a, b = client.get(path, params=params), local.get(path, params=params)
            assert a.status_code == b.status_code == 200, a.text
            assert a.json() == b.json()
        up = client.post("/api/bestand", files={"datei": ("eigen.csv", default_bestand().read_bytes(), "text/csv")})
        assert up.status_code == 200, up.text
        a = client.get("/api/ansicht/vergleich", params={**params, "bestand": up.json()["bestand"]})
        assert a.status_code == 200, a.text
        assert a.json()["info"]["bestand_datei"] == "eigen.csv"
        assert a.json()["tabellen"] == client.get("/api/ansicht/vergleich", params=params).json()["tabellen"]
    finally:
        rechner.close()


# ------------------------------------------------------------------ assembled from pieces = computed whole

def test_pieces_assemble_to_the_tables_computed_from_all_rows(engine):
    """The group tables and winners/losers assembled from the models' pieces equal those computed
    from the whole comparison's rows at once (`_aggregate`, `_winners_losers`), to the last bit."""
    from verteilung.compare import GROUPS, _aggregate, _winners_losers

    e = Einstellungen(modelle=MODELLE, gewichte=(("einwohner", 0.45), ("arbeitslose", 0.55)),
                      basis="m1-gemeinsamer-bestand")
    res = engine.vergleich(e, langfrist=False)
    for name, col in GROUPS.items():
        pd.testing.assert_frame_equal(res.aggregate[name], _aggregate(res.gemeinden, col, res.basis), check_exact=True)
    pd.testing.assert_frame_equal(res.gewinner_verlierer, _winners_losers(res.gemeinden, res.basis), check_exact=True)
