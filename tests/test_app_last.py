"""The app under load keeps its answers: every shortcut taken for speed (page bytes kept per
settings, the period pages without the long run, explanations from the prepared inputs, German
number text without babel's pattern, gzip) gives exactly what the direct computation gives, and
every new cache stays within its bound."""

from __future__ import annotations

import dataclasses
import gzip
import json
import warnings
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verteilung import explain
from verteilung.app import views
from verteilung.app.engine import GEMEINDE_SPALTEN, LRU, MAX_MODEL_PARTS, MAX_PERIODEN, Einstellungen, Engine
from verteilung.app.server import create_app
from verteilung.app.state import MAX_SEITEN
from verteilung.io import deutsch
from verteilung.law import systems

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx vs httpx2
    from fastapi.testclient import TestClient

MODELLE = ("m1-gemeinsamer-bestand", "m2-mischschluessel")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.fixture(scope="module")
def app(engine):
    return create_app(engine=engine)


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app)


# ------------------------------------------------------------------ German numbers without babel's pattern

@settings(max_examples=300, deadline=None)
@given(x=st.one_of(st.floats(-1e12, 1e12, allow_nan=False), st.integers(-10**13, 10**13)),
       places=st.integers(0, 8), grouping=st.booleans())
def test_number_text_equals_babels_german_pattern(x, places, grouping):
    d = Decimal(repr(x) if isinstance(x, float) else x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    d = abs(d) if d == 0 else d
    assert deutsch._apply(d, places, grouping) == deutsch._apply_babel(d, places, grouping)


def test_number_text_examples():
    assert deutsch.fmt_dec(2169.185) == "2.169,19"
    assert deutsch.fmt_int(1079) == "1.079"
    assert deutsch.fmt_signed(-1234567, 0) == "−1.234.567"
    assert deutsch.fmt_pct(94.6512) == "94,65 %"


# ------------------------------------------------------------------ the comparison page's bytes

def fresh_page(engine: Engine, st_modelle: dict, query: dict, karte: str | None = None) -> dict:
    """The comparison page computed directly: full `compare` (with the long run), then the page's JSON."""
    e, echo = views.settings_from_query(query, list(engine.modelle), list(engine.zahlspalten), engine.auswahl)
    out = views.vergleich_json(engine.vergleich(e, langfrist=True), karte, st_modelle)
    out["einstellungen"] = echo
    return json.loads(json.dumps(views.jsonable(out)))


@settings(max_examples=6, deadline=None)
@given(w=st.integers(1, 100), f=st.integers(0, 100), a=st.integers(0, 100), zf=st.integers(0, 3000),
       karte=st.sampled_from([None, "m1-gemeinsamer-bestand", "eigene-gewichte"]))
def test_page_bytes_equal_the_full_comparison(app, client, engine, w, f, a, zf, karte):
    """Kept bytes, computed without the long run, equal a fresh comparison with it, asked twice."""
    query = {"modelle": ",".join(MODELLE), "w_einwohner": w, "w_flaeche": f, "w_arbeitslose": a, "zf": zf}
    params = {**query, **({"karte": karte} if karte else {})}
    first = client.get("/api/ansicht/vergleich", params=params)
    again = client.get("/api/ansicht/vergleich", params=params)
    assert first.status_code == again.status_code == 200, first.text
    assert first.content == again.content
    assert first.json() == fresh_page(engine, app.state.app_state.modelle_info,
                                      {k: str(v) for k, v in query.items()}, karte)


def reference_page(res, karte: str | None, modelle: dict, echo: dict) -> bytes:
    """The comparison page as rendered before the per-model fragments: every table whole, through
    `records` and `texte` row by row (the reference the model-by-model rendering is held to)."""
    ids, titel = res.info["modelle"], res.info["modell_titel"]
    if karte not in ids:
        karte = next((m for m in ids if m == "eigene-gewichte"), None) or next(
            (m for m in ids if m != "status-quo"), "status-quo")
    t = views.vergleich_tabellen(res, karte)

    def whole(df: pd.DataFrame) -> dict:
        columns = list(df.columns)
        if "modell" in columns:
            df = df.assign(modell=df["modell"].map(lambda m: titel.get(m, m)))
        return {"spalten": [views.spalte(c) for c in columns], "schluessel": columns, "zeilen": views.records(df),
                "texte": views.texte(df), "hilfe": [views.vocab.erklaerung(c) for c in columns]}

    m = t["Karte"]
    out = {"info": res.info, "karte_modell": karte, "befunde": views.befunde_de(res.befunde, titel),
           "karte": {"ags": m["ags"].tolist(), "gemeinde": m["gemeinde"].tolist(),
                     "wert": [None if v != v else round(float(v), 3) for v in m["aenderung_je_1000"]],
                     "gesamtsoll_nach_zuweisung": [round(float(v), 2) for v in m["gesamtsoll_nach_zuweisung"]],
                     "gesamtquote_nach_zuweisung": [None if v != v else round(float(v), 1)
                                                    for v in m["gesamtquote_nach_zuweisung"]],
                     "aenderung": [int(v) for v in m["aenderung_zuweisung"]]},
           "tabellen": {name: whole(df) for name, df in t.items() if name != "Karte"},
           "modelle": [modelle.get(i, {"id": i, "titel": titel.get(i, i)}) for i in ids], "einstellungen": echo}
    return views.json_bytes(views.jsonable(out))


@pytest.fixture(scope="module")
def fresh() -> Engine:
    """A second engine whose caches are emptied before each use: every model computed afresh."""
    return Engine()


@settings(max_examples=12, deadline=None)
@given(moves=st.lists(st.tuples(st.sampled_from(["einwohner", "flaeche", "arbeitslose"]), st.integers(0, 100)),
                      min_size=1, max_size=4),
       karte=st.sampled_from([None, "status-quo", "m1-gemeinsamer-bestand", "eigene-gewichte"]),
       basis=st.sampled_from(["status-quo", "m1-gemeinsamer-bestand", "m4-sperre"]),
       zf=st.sampled_from([None, 0, 1700]), modelle=st.sampled_from([None, "m1-gemeinsamer-bestand",
                                                                      "m2-mischschluessel,m3-verrechnung"]))
def test_slider_moves_render_the_same_bytes_as_the_whole_recomputation(app, engine, fresh, moves, karte, basis, zf,
                                                                         modelle):
    """A slider move recomputes and renders only the own model (pieces and page fragments kept per
    model); the page bytes equal those of a comparison computed afresh and rendered table by table."""
    info = app.state.app_state.modelle_info
    query = {"w_einwohner": "80", "w_flaeche": "10", "w_arbeitslose": "10"}
    if zf is not None:
        query["z_flueag"] = str(zf)
    if modelle is not None:
        query["modelle"] = modelle
    for spalte, wert in moves:  # one client's slider moves, each page asked twice (the second from kept pieces)
        query[f"w_{spalte}"] = str(wert)
        try:
            e, echo = views.settings_from_query(query, list(engine.modelle), list(engine.zahlspalten),
                                                engine.auswahl)
        except Exception:  # every weight at 0: refused, as on the page
            continue
        e = dataclasses.replace(e, basis=basis)
        for cache in ("teile", "gegen_basis", "perioden"):
            setattr(fresh, cache, LRU(MAX_MODEL_PARTS))
        expected = reference_page(fresh.vergleich(e, langfrist=False), karte, info, echo)
        seite = engine.vergleich_seite(e, karte, echo, info)
        assert seite.body == expected and gzip.decompress(seite.gzip) == expected
        engine.perioden = LRU(MAX_PERIODEN)  # assembled again from the kept model pieces
        assert engine.vergleich_seite(e, karte, echo, info).body == expected


def test_a_setting_asked_again_is_answered_from_the_kept_bytes(app, client):
    st_ = app.state.app_state
    params = {"modelle": MODELLE[0], "w_einwohner": 61, "w_flaeche": 39}
    client.get("/api/ansicht/vergleich", params=params)
    hits, misses = st_.seiten.hits, st_.seiten.misses
    assert client.get("/api/ansicht/vergleich", params=params).status_code == 200
    assert (st_.seiten.hits, st_.seiten.misses) == (hits + 1, misses)


def test_page_caches_are_bounded(app, engine):
    from verteilung.app.engine import MAX_GEGEN_BASIS
    from verteilung.app.state import MAX_GEMEINDE_TABELLEN, MAX_GEMEINDE_VERLAEUFE

    st_ = app.state.app_state
    assert st_.seiten.size == MAX_SEITEN and engine.perioden.size == MAX_PERIODEN
    assert (engine.teile.size, engine.gegen_basis.size) == (MAX_MODEL_PARTS, MAX_GEGEN_BASIS)
    assert (st_.gemeinde_tabellen.size, st_.gemeinde_verlaeufe.size) == (MAX_GEMEINDE_TABELLEN, MAX_GEMEINDE_VERLAEUFE)
    for piece in engine.gegen_basis._data.values():  # a piece keeps one entry per table (and map title)
        assert len(piece.seite) <= 8
    for k in range(MAX_PERIODEN + 3):
        engine.periode(Einstellungen(modelle=MODELLE[:1], zugaenge=(("flueag", 100 + k),)))
    assert len(engine.perioden) == MAX_PERIODEN


def test_lru_evicts_the_least_recently_used():
    cache = LRU(2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: -1)  # a is now the most recent
    cache.get("c", lambda: 3)
    assert cache.get("a", lambda: -1) == 1 and cache.get("b", lambda: -2) == -2


# ------------------------------------------------------------------ the Gemeinde page

def test_gemeinde_rows_equal_the_whole_comparison(engine):
    e = Einstellungen(modelle=MODELLE, gewichte=(("einwohner", 0.7), ("flaeche", 0.3)))
    rows, titel = engine.gemeinde_periode(e, "05111000")
    whole = engine.vergleich(e)
    expected = whole.gemeinden[whole.gemeinden["ags"] == "05111000"].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, expected)
    assert titel == whole.info["modell_titel"]


def test_gemeinde_page_after_a_slider_move_needs_no_worker(engine):
    """The comparison page's computation brings every Gemeinde's rows along; the server keeps them,
    so the Gemeinde pages of the same settings are answered without computing (same rows)."""
    from verteilung.app.state import AppState

    st_ = AppState(engine)
    query = {"w_einwohner": "35", "w_flaeche": "65", "w_arbeitslose": "0"}
    e, echo = views.settings_from_query(query, list(engine.modelle), list(engine.zahlspalten), engine.auswahl)
    st_.vergleich_seite(e, None, echo)
    calls: list = []
    st_.rechne_gemeinden = lambda *a: calls.append(a)  # a worker asked would show here
    for ags in ("05111000", "05974040"):
        rows, titel = st_.gemeinde_periode(e, ags)
        whole, titel_ = engine.gemeinde_periode(e, ags)
        pd.testing.assert_frame_equal(rows, whole[GEMEINDE_SPALTEN])
        assert titel == titel_
    assert calls == []


def test_gemeinde_simulation_is_kept_as_the_same_bytes(app, client):
    st_ = app.state.app_state
    params = {"ags": "05111000", "w_einwohner": 10, "w_flaeche": 90}
    first = client.get("/api/ansicht/gemeinde-simulation", params=params)
    hits = st_.gemeinde_verlaeufe.hits
    moved = client.get("/api/ansicht/gemeinde-simulation", params={**params, "w_flaeche": 5})
    assert first.status_code == moved.status_code == 200, first.text
    assert st_.gemeinde_verlaeufe.hits == hits + 1 and moved.content == first.content
    assert client.get("/api/ansicht/gemeinde-simulation", params={"ags": "05111001"}).status_code == 422


@pytest.mark.parametrize("ags", ["05111000", "05362036", "05566012", "05974040"])
def test_explanations_from_prepared_inputs_equal_verteilung_explain(engine, ags):
    steps = engine.schritte(ags, None)
    for s in systems.all_systems():
        direct = explain(ags, s.id, bestand=engine.bestand_pfad, jahr=engine.jahr,
                         stichtag=engine.stichtag.isoformat())
        assert steps[s.id] == [{"schritt": a, "rechtsgrundlage": p} for a, p in direct]


def test_gemeinde_page_long_run_is_kept_per_gemeinde(app, client):
    st_ = app.state.app_state
    a = client.get("/api/ansicht/gemeinde", params={"ags": "05111000", "w_einwohner": 20, "w_flaeche": 80})
    hits = st_.langfrist_gemeinden.hits
    b = client.get("/api/ansicht/gemeinde", params={"ags": "05111000", "w_einwohner": 90, "w_flaeche": 10})
    assert a.status_code == b.status_code == 200, a.text
    assert st_.langfrist_gemeinden.hits == hits + 1
    assert a.json()["langfristig"] == b.json()["langfristig"]
    assert a.json()["modelle"] != b.json()["modelle"]  # the period moved with the sliders


# ------------------------------------------------------------------ on the wire

def test_page_data_is_sent_gzipped_and_reads_the_same(client):
    plain = client.get("/api/ansicht/vergleich", headers={"Accept-Encoding": "identity"})
    packed = client.get("/api/ansicht/vergleich", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200
    assert packed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert packed.json() == plain.json()
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    assert packed.headers["content-security-policy"] == plain.headers["content-security-policy"]


def test_precomputed_start_answers_the_first_screens_from_cache():
    """`warm`: the long run and the default comparison page are there before the first request."""
    app = create_app(warm=True)
    st_ = app.state.app_state
    misses = st_.seiten.misses
    client = TestClient(app)
    assert client.get("/api/ansicht/vergleich").status_code == 200
    assert st_.seiten.misses == misses  # the default page was kept at start
    assert client.get("/api/ansicht/ueberblick").status_code == 200
    assert len(st_._cmp_cache) == 2  # long run and default period: nothing new computed


def test_workers_end_when_their_server_dies(tmp_path):
    """A server killed without shutting down its pool (SIGKILL, a crash) leaves no worker behind."""
    import os
    import subprocess
    import sys
    import time

    script = ("import os; from verteilung.app.engine import Engine, Rechenprozesse; "
              "r = Rechenprozesse(Engine(), 2); print(*r.pids, flush=True); os._exit(0)")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=tmp_path)
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]  # not to EOF: a surviving worker holds the pipe
    proc.wait(60)
    assert len(pids) == 2

    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 15
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in pids if alive(p)]
    for p in left:  # never leave them running, even when the test fails
        os.kill(p, 9)
    assert left == []


def test_a_busy_workers_settings_go_to_the_idle_one():
    """`Rechenprozesse.waehle`: settings go to their own worker (its caches) while the load is even,
    to the worker with fewer open tasks otherwise; a task's slot is given back when it is answered,
    also when it failed."""
    import threading
    from concurrent.futures import Future

    from verteilung.app.engine import Rechenprozesse

    class Pool:
        def __init__(self, fail: bool = False) -> None:
            self.fail, self.seen = fail, []

        def submit(self, fn, *args):
            self.seen.append(list(r.offen))  # the open tasks while this one runs
            f: Future = Future()
            if self.fail:
                f.set_exception(ValueError("kaputt"))
            else:
                f.set_result(fn(*args))
            return f

    r = Rechenprozesse.__new__(Rechenprozesse)
    r.n, r.offen, r.laufend, r._offen_lock = 2, [0, 0], {}, threading.Lock()
    e = Einstellungen(gewichte=(("einwohner", 1.0),))
    own = hash(e) % 2
    others = (Einstellungen(gewichte=(("einwohner", 1.0 - k / 100), ("flaeche", k / 100))) for k in range(1, 99))
    f = next(x for x in others if hash(x) % 2 == own)  # other settings assigned to the same worker
    assert r.waehle(e) == own and r.offen[own] == 1  # even load: its own worker
    assert r.waehle(f) == 1 - own  # its own is busy, the other idle: the other
    assert r.waehle(e) == own  # in flight on its own worker: there, whatever the load (review r56)
    assert r.waehle(f) == 1 - own  # likewise where it runs
    assert r.offen == [2, 2] and r.laufend == {e: [own, 2], f: [1 - own, 2]}
    for key, i in ((e, own), (e, own), (f, 1 - own), (f, 1 - own)):
        r.frei(key, i)
    assert r.offen == [0, 0] and r.laufend == {}
    r.pools = [Pool(), Pool()]
    assert r._run(e, lambda x: x + 1, 1, fallback=lambda: None) == 2
    assert r.pools[own].seen == [[1, 0] if own == 0 else [0, 1]] and r.offen == [0, 0]
    r.pools = [Pool(fail=True), Pool(fail=True)]
    with pytest.raises(ValueError):
        r._run(e, lambda: None, fallback=lambda: None)
    assert r.offen == [0, 0] and r.laufend == {}


def test_cheap_requests_do_not_queue_behind_waiting_comparisons(app, monkeypatch):
    """45 comparison pages waiting for their worker (more than the server's 40 threads) leave the
    other routes their threads: the model list answers at once (before, it waited for a thread)."""
    import asyncio
    import threading
    import time

    import httpx

    st_ = app.state.app_state
    release = threading.Event()

    def waiting_comparison(e, karte, echo):
        release.wait(20)
        return b"{}", b""

    monkeypatch.setattr(st_, "vergleich_seite", waiting_comparison)

    async def run():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            waiting = [asyncio.create_task(c.get("/api/ansicht/vergleich", params={"w_einwohner": str(i + 1)}))
                       for i in range(45)]
            try:
                await asyncio.sleep(0.5)
                t = time.perf_counter()
                cheap = await asyncio.wait_for(c.get("/api/modelle"), 10)
                took = time.perf_counter() - t
            finally:
                release.set()
            return cheap, took, await asyncio.gather(*waiting)

    cheap, took, done = asyncio.run(run())
    assert cheap.status_code == 200 and took < 2
    assert [d.status_code for d in done] == [200] * 45
