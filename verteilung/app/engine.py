"""The computations behind the app: shipped data prepared once, one comparison per settings.

`Engine.vergleich` is `verteilung.compare` with the Gemeinde table, the stock table and the
statutory keys loaded once at start instead of on every call, plus the app's extra knobs (M2's
α, a multiplier on the credit factor). For the same settings it returns the same tables as
`verteilung.compare` (tests/test_app_api.py checks this).
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.app.config import RESERVED_IDS, AppConfig
from verteilung.compare import (
    BASELINE,
    DEFAULT_MODELS,
    AgainstBasis,
    CompareResult,
    ModelPart,
    against_basis,
    bestand_anzeige,
    compare_models,
    default_bestand,
    model_part,
)
from verteilung.data import load_bestand
from verteilung.data.tables import MAX_ROWS_TABELLE, pruefe_xlsx
from verteilung.errors import InputError, Problem
from verteilung.inputs import prepare
from verteilung.io.deutsch import fmt_int
from verteilung.law import systems
from verteilung.model import (
    CapSpec,
    Context,
    ModelDef,
    available_models,
    custom_model,
    load_model,
    parse_model,
    stock_columns_of,
)

MAX_UPLOAD_BYTES = AppConfig().grenzen.upload_bytes  # the default; a config may set another
MAX_UPLOADS = 32
# bounded caches: one model's part is about 0.4 MB (396 Gemeinden), its piece against the basis with
# its page fragments about 0.1 MB, one explanation a few kB. A piece holds its two parts, so at most
# MAX_MODEL_PARTS + MAX_GEGEN_BASIS parts are alive; the shipped models' parts, used by every slider
# move, stay the most recent and are never pushed out by the own model's.
MAX_MODEL_PARTS = 128
MAX_GEGEN_BASIS = 128
MAX_RECHENWEGE = 2048
MAX_PERIODEN = 16  # whole comparisons without the long run, about 1 MB each: a slider's page and its Gemeinde pages
ENTPACKT_FAKTOR = 16
"""An uploaded XLSX may unpack to at most 16 times the upload limit (8 MiB for 512 KiB): enough for
every Gemeinde of Germany, refused before parsing when more (docs/app.md)."""
UPLOAD_SUFFIXES = (".csv", ".xlsx")


def problem_lines(exc: InputError) -> list[str]:
    return [line for line in exc.render().splitlines() if line]


@dataclass(frozen=True)
class Einstellungen:
    """Everything one comparison depends on (the page's permalink carries exactly these)."""

    modelle: tuple[str, ...] = DEFAULT_MODELS
    gewichte: tuple[tuple[str, float], ...] = ()
    kappung: float | None = None          # cap of the own key: ≤ factor × population share
    alpha: float | None = None            # M2's α; None: FlüAG's share of the combined stock
    anrechnung: float = 1.0               # multiplier on the statutory credit factors
    zugaenge: tuple[tuple[str, int], ...] = ()  # arrivals per stream id; a stream not named: its default
    bestand: str | None = None            # id of an uploaded stock table, None: shipped scenario
    basis: str = BASELINE                 # the model every change is against (Vergleichsbasis)

    def stroeme(self) -> dict[str, int]:
        """Arrivals per stream id: the registry's defaults with the chosen counts."""
        return {**systems.standard_zugaenge(), **dict(self.zugaenge)}


class LRU:
    """Results by their inputs, bounded (least recently used out first), safe across threads.

    A value asked for twice at once is computed once: the second caller waits for the first.
    ``hits`` and ``misses`` count lookups (the tests and the load benchmark read them).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._running: dict[Hashable, threading.Lock] = {}
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable, compute: Callable[[], object]) -> object:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            running = self._running.setdefault(key, threading.Lock())
        try:
            with running:
                with self._lock:
                    if key in self._data:
                        self.hits += 1
                        return self._data[key]
                    self.misses += 1
                value = compute()
                with self._lock:
                    self._data[key] = value
                    while len(self._data) > self.size:
                        self._data.popitem(last=False)
                return value
        finally:
            with self._lock:
                self._running.pop(key, None)

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value`` (computed elsewhere, e.g. along with another value) under ``key``."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


GEMEINDE_SPALTEN = ["ags", "modell", "gesamtsoll_nach_zuweisung", "gezaehlt", "gesamtquote_nach_zuweisung",
                    "zuweisung", "aenderung_zuweisung", "last_je_1000", "aenderung_je_1000"]
"""The columns of the period comparison a Gemeinde page shows (with ``ags`` to pick its rows)."""


@dataclass(frozen=True)
class Seite:
    """The comparison page's response body (plain and gzipped) and the Gemeinde pages' rows of the
    same settings."""

    body: bytes
    gzip: bytes
    gemeinden: pd.DataFrame
    titel: dict[str, str]


@dataclass
class Upload:
    name: str
    data: bytes
    bestand: pd.DataFrame
    vorschau: pd.DataFrame


@dataclass
class Engine:
    """Data, keys and models loaded once (from an app config or the shipped defaults); uploads held
    in memory (bounded, LRU)."""

    config: AppConfig = field(default_factory=AppConfig)
    gemeinden: pd.DataFrame = field(init=False)
    stichtag: object = field(init=False)
    bestand: pd.DataFrame = field(init=False)
    modelle: dict[str, ModelDef] = field(init=False)
    uploads: OrderedDict[str, Upload] = field(init=False, default_factory=OrderedDict)

    def __post_init__(self) -> None:
        cfg = self.config
        self.max_upload = cfg.grenzen.upload_bytes
        self.modelle, self.quellen = self._load_models()
        self.auswahl, self.standard = self._selection()
        self.spalten = stock_columns_of(list(self.modelle.values()))
        self.bestand_pfad = cfg.bestand or default_bestand()
        try:
            inp = prepare(jahr=cfg.jahr, stichtag=cfg.stichtag, bestand=self.bestand_pfad,
                          bestand_spalten=self.spalten, ohne_meldung_null=cfg.ohne_meldung_null)
        except InputError as exc:
            if cfg.quelle is None:
                raise
            raise InputError([Problem(str(cfg.quelle), "bestand/jahr/stichtag: die Daten wurden nicht "
                                      "angenommen (Gründe in den folgenden Zeilen)"), *exc.problems]) from None
        self.eingaben = inp  # the explanations of the app's own stock reuse them (`schritte`)
        self.stichtag = inp.stichtag
        self.jahr = inp.jahr
        self.raw_gemeinden = inp.gemeinden  # uploads are checked against the same table
        assert inp.bestand is not None
        self.bestand = inp.bestand
        self.gemeinden = inp.gemeinden
        self.synthetisch = inp.synthetisch
        self.naeherungen = inp.naeherungen
        self.bestand_name = bestand_anzeige(cfg.bestand, Path(cfg.bestand) if cfg.bestand is not None
                                            else default_bestand())
        self._lock = threading.Lock()
        self.teile = LRU(MAX_MODEL_PARTS)  # one model's results per inputs it depends on
        self.gegen_basis = LRU(MAX_GEGEN_BASIS)  # a part against the basis's part, with its page fragments
        self.rechenwege = LRU(MAX_RECHENWEGE)  # explain's steps per Gemeinde and stock table
        self.alle_schritte = LRU(8)  # every Gemeinde's step records per system (the app's own stock)
        self.perioden = LRU(MAX_PERIODEN)  # the period pages' comparisons (no long run) by settings
        self._keys: dict[str, np.ndarray] = {}
        self._lesarten: dict[str, dict] = {}
        # warm the statutory keys once: every later comparison reuses them
        ctx = self._context(self.bestand, dict.fromkeys(systems.standard_zugaenge(), 0))
        for d in self.modelle.values():
            for s in d.systeme:
                ctx.key(s.schluessel)
        self.zahlspalten = sorted(c for c in self.gemeinden.columns
                                  if pd.api.types.is_numeric_dtype(self.gemeinden[c])
                                  and not pd.api.types.is_bool_dtype(self.gemeinden[c])
                                  and self.gemeinden[c].notna().all() and c not in ("flaeche_km2", "lat", "lon"))

    def _load_models(self) -> tuple[dict[str, ModelDef], dict[str, str]]:
        """Shipped models (or only the status quo, the baseline) and the config's model files."""
        cfg = self.config
        shipped = available_models() if cfg.mitgelieferte else [BASELINE]
        modelle = {m: load_model(m) for m in shipped}
        quellen = {m: m for m in shipped}
        where = str(cfg.quelle)
        streams = set(systems.streams())
        problems: list[Problem] = []
        for path in cfg.modell_dateien:
            try:
                d = load_model(path)
            except InputError as exc:
                problems += [Problem(where, f"modelle: {path.name} ist keine gültige Modelldatei (Gründe in den "
                                     "folgenden Zeilen)"), *exc.problems]
                continue
            if d.id in RESERVED_IDS or d.id in modelle:
                other = "die eigenen Gewichte der Seite" if d.id in RESERVED_IDS else quellen[d.id]
                problems.append(Problem(where, f"modelle: {path} hat die ID „{d.id}“, die schon {other} trägt; "
                                        "erwartet eindeutige Modell-IDs (Feld id in der Datei)"))
                continue
            fremd = sorted({s.zugaenge for s in d.systeme} - streams)
            if fremd:
                problems.append(Problem(where, f"modelle: {path.name} ({d.id}) erhält den Zugangsstrom "
                                        f"{', '.join(fremd)}; die Anwendung kennt nur {', '.join(sorted(streams))} "
                                        "(weitere Ströme: verteilung compare --zugaenge NAME=N)"))
                continue
            modelle[d.id] = d
            quellen[d.id] = str(path)
        if problems:
            raise InputError(problems)
        return modelle, quellen

    def _selection(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The models ticked when a page opens, and those an API request without ``modelle`` gets.

        Without a config: every model on the pages, the Python API's default (`compare`) in the
        API; a config's ``modelle.auswahl`` sets both (else: every offered model). The status quo
        (the baseline) leads both.
        """
        wanted = self.config.auswahl
        if wanted is None:
            pages = list(self.modelle)
            api = [m for m in DEFAULT_MODELS if m in self.modelle] if self.config.quelle is None else pages
        else:
            bad = [m for m in wanted if m not in self.modelle]
            if bad:
                raise InputError([Problem(str(self.config.quelle), f"modelle.auswahl: unbekanntes Modell „{m}“; "
                                          f"erwartet eine der IDs {', '.join(self.modelle)}") for m in bad])
            pages = api = list(dict.fromkeys(wanted))

        def lead(names: list[str]) -> tuple[str, ...]:
            return (BASELINE, *(m for m in names if m != BASELINE))

        return lead(pages), lead(api)

    @property
    def angebot(self) -> list[str]:
        """The models a visitor can tick (the status quo is always computed as the baseline)."""
        return [m for m in self.modelle if m != BASELINE]

    def hinweise(self, synthetisch: bool | None = None) -> list[str]:
        """The SYNTHETISCH / NÄHERUNG lines for what a page or download shows."""
        out = []
        if self.synthetisch if synthetisch is None else synthetisch:
            out.append("SYNTHETISCH: Bestände aus dem erzeugten Szenario, kein amtlicher Bestand")
        out += [q if q.startswith("NÄHERUNG") else f"NÄHERUNG: {q}" for q in self.naeherungen]
        return out

    # ------------------------------------------------------------------ inputs

    def _context(self, bestand: pd.DataFrame, zugaenge: dict[str, int]) -> Context:
        ctx = Context(self.gemeinden, bestand, self.stichtag, zugaenge,  # type: ignore[arg-type]
                      weitere_bestand=self.spalten)
        ctx._keys = self._keys  # shared cache: keys depend only on the Gemeinde table and date
        ctx.lesarten = self._lesarten
        return ctx

    def model(self, name: str) -> ModelDef:
        """An offered model by id only: a request never names a file."""
        if name not in self.modelle:
            raise InputError(Problem("modelle", f"unbekanntes Modell „{name}“; verfügbar: "
                                     f"{', '.join(self.modelle)}"))
        return self.modelle[name]

    def upload(self, name: str, data: bytes) -> str:
        """Validate an uploaded stock table like ``--bestand``; keep it in memory; return its id."""
        b, raw = self.check_bestand(name, data)
        key = secrets.token_urlsafe(16)
        with self._lock:
            self.uploads[key] = Upload(name, data, b, raw)
            while len(self.uploads) > MAX_UPLOADS:
                self.uploads.popitem(last=False)
        return key

    def check_bestand(self, name: str, data: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
        label = Path(name or "upload.csv").name[:80] or "upload.csv"
        suffix = Path(label).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise InputError(Problem(label, "nur CSV- oder XLSX-Dateien (.csv, .xlsx) werden angenommen"))
        if len(data) > self.max_upload:
            raise InputError(Problem(label, f"Datei zu groß ({fmt_int(len(data))} Bytes; höchstens "
                                     f"{fmt_int(self.max_upload)} Bytes)"))
        with self.temporary(data, suffix) as path:
            try:
                if suffix == ".xlsx":  # before parsing: bounded time and memory per request (docs/app.md)
                    pruefe_xlsx(path, str(path), ENTPACKT_FAKTOR * self.max_upload, MAX_ROWS_TABELLE)
                b = load_bestand(path, self.raw_gemeinden, required=self.spalten)
            except InputError as exc:
                raise InputError([Problem(label if p.file == str(path) else p.file, p.reason, p.row, p.ags)
                                  for p in exc.problems]) from None
        b.attrs["quelle"] = label
        return b, b  # the preview shows the table as read (extra columns kept as text)

    @staticmethod
    @contextlib.contextmanager
    def temporary(data: bytes, suffix: str) -> Iterator[Path]:
        """The bytes in a private temporary file (system temp folder), deleted on exit."""
        with tempfile.TemporaryDirectory(prefix="verteilung-app-") as tmp:
            path = Path(tmp) / f"bestand{suffix}"
            path.write_bytes(data)
            yield path

    def stock(self, key: str | None) -> tuple[pd.DataFrame, str, bool]:
        if key is None:
            return self.bestand, self.bestand_name, self.synthetisch
        up = self.uploads.get(key)
        if up is None:
            raise InputError(Problem("bestand", "keine hochgeladene Bestandstabelle unter dieser Kennung "
                                     "(Anwendung neu gestartet? Bitte erneut hochladen)"))
        return up.bestand, up.name, bool(up.bestand.attrs.get("synthetisch"))

    # ------------------------------------------------------------------ compare

    def definitions(self, e: Einstellungen) -> list[ModelDef]:
        defs = [self.model(m) for m in e.modelle]
        if e.alpha is not None:
            defs = [self._with_alpha(d, e.alpha) for d in defs]
        if e.gewichte:
            cap = CapSpec(komponente="einwohner", faktor=e.kappung) if e.kappung else None
            defs.append(custom_model(dict(e.gewichte), cap))
        if BASELINE not in [d.id for d in defs]:
            defs.insert(0, self.model(BASELINE))
        if e.basis not in [d.id for d in defs]:
            defs.insert(1, self.model(e.basis))
        ids = [d.id for d in defs]
        if len(set(ids)) != len(ids):
            raise InputError(Problem("modelle", "ein Modell ist doppelt genannt"))
        return defs

    @staticmethod
    def _with_alpha(d: ModelDef, alpha: float) -> ModelDef:
        data = d.model_dump()
        changed = False
        for s in data["systeme"]:
            if s["schluessel"]["typ"] == "mix":
                s["schluessel"]["alpha"] = alpha
                changed = True
        return parse_model(data, "alpha") if changed else d

    def vergleich(self, e: Einstellungen, langfrist: bool = True) -> CompareResult:
        """`verteilung.compare` on the prepared inputs (same tables for the same settings).

        ``langfrist=False`` leaves out the long run, its money and the summary: the period pages
        (comparison, Gemeinde) do not show them, and they are four fifths of a comparison's time,
        recomputed for every model on every slider move. The long run's page asks with the
        shipped models only, one key that is computed once.
        """
        streams = e.stroeme()
        if any(n < 0 for n in streams.values()):
            raise InputError(Problem("zugaenge", "Zugänge dürfen nicht negativ sein"))
        b, bestand_name, synthetisch = self.stock(e.bestand)
        defs = self.definitions(e)
        g = self.gemeinden
        ctx = self._context(b, streams)
        if e.anrechnung != 1.0:
            ctx.anrechnung = ctx.anrechnung * e.anrechnung
        info = {
            "modelle": [d.id for d in defs], "stichtag": self.stichtag.isoformat(),  # type: ignore[attr-defined]
            "datenbasis": g.attrs["datenbasis"], "bestand_datei": bestand_name, "synthetisch": synthetisch,
            "hinweise": self.hinweise(synthetisch),
            "zugaenge": streams,
            "alpha_m2": ctx.auto_alpha() if e.alpha is None else e.alpha,
            "anrechnung_faktoren": {p.name: p.value * e.anrechnung for p in ctx.anrechnung_faktoren},
            "basis": e.basis, "naeherungen": list(self.naeherungen), "jahr": self.jahr,
        }
        inputs = (e.bestand, tuple(streams.items()), e.anrechnung)

        def part(d: ModelDef, ctx: Context) -> ModelPart:
            # a model's part depends on its definition and these inputs only: moving the own-weights
            # slider recomputes the own model, never the shipped ones
            return self.teile.get((d.model_dump_json(), *inputs), lambda: model_part(d, ctx))  # type: ignore[return-value]

        def against(d: ModelDef, mp: ModelPart, basis: str, bmp: ModelPart, *args: object) -> AgainstBasis:
            # keyed by the two parts' identities: the cached value holds both, so no other object
            # can take their ids while it is kept
            return self.gegen_basis.get((id(mp), id(bmp), basis),  # type: ignore[return-value]
                                        lambda: against_basis(d, mp, basis, bmp, *args))  # type: ignore[arg-type]

        lang = self.langfrist_eingaben(b, bestand_name, synthetisch) if langfrist else None
        return compare_models(defs, ctx, info, lang, part=part, against=against)

    def periode(self, e: Einstellungen) -> CompareResult:
        """The comparison without the long run (`vergleich(e, langfrist=False)`) that the comparison
        page and the Gemeinde pages of the same settings share, cached by the settings."""
        return self.perioden.get(e, lambda: self.vergleich(e, langfrist=False))  # type: ignore[return-value]

    def vergleich_seite(self, e: Einstellungen, karte: str | None, echo: dict, modelle: dict) -> Seite:
        """The comparison page's JSON as the response sends it: built where it is computed (a
        worker process), so the server process only passes bytes on; with it the Gemeinde pages'
        rows of the same settings (`gemeinde_tabelle`), so that the server answers those pages
        opened after a slider move without asking a worker again."""
        from verteilung.app import views

        res = self.periode(e)
        body = views.vergleich_bytes(res, karte, modelle, echo)
        return Seite(body, views.gzip_bytes(body), *self._gemeinde_tabelle(res))

    def gemeinde_tabelle(self, e: Einstellungen) -> tuple[pd.DataFrame, dict[str, str]]:
        """Every Gemeinde's rows of the period comparison in the Gemeinde page's columns
        (`GEMEINDE_SPALTEN`, every model) and the model titles: what that page shows of it."""
        return self._gemeinde_tabelle(self.periode(e))

    @staticmethod
    def _gemeinde_tabelle(res: CompareResult) -> tuple[pd.DataFrame, dict[str, str]]:
        return res.gemeinden[GEMEINDE_SPALTEN], res.info["modell_titel"]

    def gemeinde_periode(self, e: Einstellungen, ags: str) -> tuple[pd.DataFrame, dict[str, str]]:
        """One Gemeinde's rows of the period comparison (every model) and the model titles: what the
        Gemeinde page shows of it, a few hundred bytes instead of the whole comparison."""
        res = self.periode(e)
        return res.gemeinden[res.gemeinden["ags"] == ags].reset_index(drop=True), res.info["modell_titel"]

    def stock_path(self, key: str | None) -> contextlib.AbstractContextManager[Path]:
        """The path of a stock table for functions that read files (an upload: a temporary copy)."""
        if key is None:
            return contextlib.nullcontext(self.bestand_pfad)
        self.stock(key)
        up = self.uploads[key]
        return self.temporary(up.data, Path(up.name).suffix.lower())

    def schritte_vorbereitet(self, bestand: str | None) -> bool:
        """Whether explanations on this stock come from the inputs prepared at start (the app's own
        stock, read as given): a few ms each once `explain.alle_schritte` is kept."""
        return bestand is None and not self.config.ohne_meldung_null

    def schritte(self, ags: str, bestand: str | None) -> dict[str, list[dict[str, str]]]:
        """`verteilung.explain`'s steps of one Gemeinde in each system (cached per Gemeinde and stock).

        On the app's own stock the steps come from the inputs prepared at start (`explain_steps`,
        the function behind `verteilung.explain`) instead of reading the files again per Gemeinde,
        and every Gemeinde's step records of a system are computed once (`explain.alle_schritte`):
        the same lines (tests/test_app_last.py compares them) at a fiftieth of the time. An uploaded
        table, or a config that reads missing rows as zero, goes through `verteilung.explain`.
        """
        from verteilung import explain
        from verteilung.explain import alle_schritte, explain_steps
        from verteilung.law.lesarten import Lesarten

        def run() -> dict[str, list[dict[str, str]]]:
            columns = set(self.stock(bestand)[0].columns)
            out = {}
            for s in systems.all_systems():  # a system without its stock column: the key's steps only
                mit_bestand = set(s.bestand) <= columns
                if self.schritte_vorbereitet(bestand):
                    inp = self.eingaben if mit_bestand else dataclasses.replace(self.eingaben, bestand=None)
                    # every Gemeinde's steps of the system once (the key and the Verteilstatistik of all
                    # Gemeinden, nine tenths of one explanation's time), then this Gemeinde's
                    alle = self.alle_schritte.get((s.id, mit_bestand), lambda inp=inp, s=s: alle_schritte(
                        inp, s, Lesarten()))
                    zeilen = explain_steps(inp, s, ags, Lesarten(), alle=alle).zeilen()  # type: ignore[arg-type]
                else:
                    with self.stock_path(bestand) as path:
                        zeilen = list(explain(ags, s.id, bestand=path if mit_bestand else None, jahr=self.jahr,
                                              stichtag=self.stichtag.isoformat()))  # type: ignore[attr-defined]
                out[s.id] = [{"schritt": a, "rechtsgrundlage": p} for a, p in zeilen]
            return out

        return self.rechenwege.get((ags, bestand), run)  # type: ignore[return-value]

    def langfrist(self, modelle: tuple[str, ...], basis: str, summen: tuple[tuple[str, float], ...] = (),
                  minimum: bool = False):
        """`verteilung.langfrist` on the app's Gemeinden: offered models by id, published totals
        unless given (real data only; no stock)."""
        from verteilung.langfrist import langfrist_modelle

        defs = [self.model(m) for m in modelle]
        if basis not in modelle:
            defs.insert(0, self.model(basis))
        meta = {"jahr": self.jahr, "datenbasis": self.gemeinden.attrs.get("datenbasis"),
                "naeherungen": list(self.naeherungen)}
        return langfrist_modelle(defs, basis, self.gemeinden, self.stichtag,  # type: ignore[arg-type]
                                 summen=dict(summen), minimum=minimum, meta=meta)

    def langfrist_eingaben(self, b: pd.DataFrame, name: str, synthetisch: bool) -> dict:
        """The long run's totals and credited places as `compare` takes them: published totals and
        the facility list on the shipped scenario, an uploaded table's own totals otherwise."""
        quelle = f"Bestandsdatei {name}"
        columns = [c for c in self.spalten if c in b.columns]  # every system's stock, a further one's too
        if synthetisch:  # published totals; a further system's stock (none published) from the table
            from verteilung.langfrist import SUMMEN_STANDARD

            own = [c for c in columns if c not in SUMMEN_STANDARD]
            return {"summen": {c: float(b[c].sum()) for c in own}, "quellen": dict.fromkeys(own, quelle)} if own else {}
        return {"summen": {c: float(b[c].sum()) for c in columns},
                "quellen": dict.fromkeys(columns, quelle), "anrechnung": b,
                "anrechnung_quelle": f"{quelle} (Spalten anrechnung_plaetze, anrechnung_plaetze_eae)"}


def csv_bytes(df: pd.DataFrame, note: str | None = None) -> bytes:
    """The German Excel CSV of the CLI (`verteilung.io.deutsch`): one set of rules for both;
    ``note`` (the SYNTHETISCH / NÄHERUNG labels) is the first line, as in the CLI's CSV."""
    from verteilung.io.deutsch import excel_csv_bytes

    return excel_csv_bytes(df, note=note)


# ---------------------------------------------------------------------- worker processes

_ENGINE_IM_PROZESS: Engine | None = None  # the engine a worker process inherited when it was forked


def _pid() -> int:
    import os

    return os.getpid()


def _waechter(server: int) -> None:
    """Ends this worker once its server process is gone (killed, or stopped before the pool was shut
    down): a worker never outlives the app it computes for."""
    import os
    import time

    def watch() -> None:
        while os.getppid() == server:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="verteilung-waechter", daemon=True).start()


def _im_prozess(upload_key: str | None, upload: Upload | None) -> Engine:
    eng = _ENGINE_IM_PROZESS
    assert eng is not None, "Rechenprozess ohne Engine"
    if upload_key is not None and upload is not None and upload_key not in eng.uploads:
        with eng._lock:
            eng.uploads[upload_key] = upload
            while len(eng.uploads) > MAX_UPLOADS:
                eng.uploads.popitem(last=False)
    return eng


def _vergleich(e: Einstellungen, langfrist: bool, upload: Upload | None) -> CompareResult:
    return _im_prozess(e.bestand, upload).vergleich(e, langfrist)


def _vergleich_seite(e: Einstellungen, karte: str | None, echo: dict, modelle: dict, upload: Upload | None) -> Seite:
    return _im_prozess(e.bestand, upload).vergleich_seite(e, karte, echo, modelle)


def _gemeinde_tabelle(e: Einstellungen, upload: Upload | None) -> tuple[pd.DataFrame, dict[str, str]]:
    return _im_prozess(e.bestand, upload).gemeinde_tabelle(e)


def _schritte(ags: str, bestand: str | None, upload: Upload | None) -> dict[str, list[dict[str, str]]]:
    return _im_prozess(bestand, upload).schritte(ags, bestand)


class Rechenprozesse:
    """Comparisons and explanations in ``n`` worker processes, so that a server uses every core
    (one Python process computes on one core at a time).

    The workers are forked from the server process once its engine is ready and before the server
    starts any thread: each inherits the prepared data, keys and cached model parts and keeps its
    own caches. Each worker has its own queue, and a request goes to the worker its settings (or
    its Gemeinde, for an explanation) are assigned to, unless the other has fewer tasks waiting
    (`waehle`): the comparison page of a slider position and the Gemeinde pages opened with it
    meet the same worker's cache while the load is even, and no request waits behind a busy
    worker while the other is idle. Explanations on the app's own stock take a few ms from the step
    records prepared at start and are answered in the server process, not queued behind
    comparisons. An uploaded stock table travels with each request that uses it. If a worker dies,
    the workers are given up and the engine computes in the server process again (slower, never
    wrong).
    """

    def __init__(self, engine: Engine, n: int) -> None:
        global _ENGINE_IM_PROZESS
        _ENGINE_IM_PROZESS = engine
        self.engine = engine
        self.n = n
        self.offen = [0] * n  # tasks sent to each worker and not yet answered
        self.laufend: dict[Hashable, list[int]] = {}  # key in flight → [its worker, its open tasks]
        self._offen_lock = threading.Lock()
        fork = multiprocessing.get_context("fork")
        self.pools: list[ProcessPoolExecutor] | None = [
            ProcessPoolExecutor(1, mp_context=fork, initializer=_waechter, initargs=(os.getpid(),)) for _ in range(n)]
        # fork every worker now (a pool forks on its first task, which would come from a threaded server)
        self.pids = sorted({f.result() for f in [pool.submit(_pid) for pool in self.pools]})

    def _upload(self, key: str | None) -> Upload | None:
        return self.engine.uploads.get(key) if key is not None else None

    def waehle(self, key: Hashable) -> int:
        """The worker for ``key``: the one its settings are assigned to (its caches hold what they
        computed), unless another has fewer tasks waiting. Under a committee's load a fixed
        assignment let one worker's queue grow while the other idled (two queues of one server
        each); this way the two share one queue, and a busy worker's key goes to the idle one.
        A key already in flight goes where it runs (review r56): the page of a slider position, its
        Gemeinde table and its API comparison meet that worker's cache instead of computing the
        same model parts on both. `frei` gives the slot back."""
        own = hash(key) % self.n
        with self._offen_lock:
            running = self.laufend.get(key)
            if running is not None:
                chosen = running[0]
                running[1] += 1
            else:
                least = min(range(self.n), key=lambda i: (self.offen[i], i != own))
                chosen = own if self.offen[own] <= self.offen[least] else least
                self.laufend[key] = [chosen, 1]
            self.offen[chosen] += 1
        return chosen

    def frei(self, key: Hashable, i: int) -> None:
        """A task of ``key`` on worker ``i`` is answered (or failed)."""
        with self._offen_lock:
            self.offen[i] -= 1
            running = self.laufend.get(key)
            if running is not None:
                running[1] -= 1
                if running[1] <= 0:
                    del self.laufend[key]

    def _run(self, key: Hashable, fn: Callable, *args: object, fallback: Callable[[], object]) -> object:
        """``fn(*args)`` in a worker (`waehle`); in this process if the workers are gone."""
        pools = self.pools
        if pools is not None:
            i = self.waehle(key)
            try:
                return pools[i].submit(fn, *args).result()
            except BrokenProcessPool:
                self.close()
            finally:
                self.frei(key, i)
        return fallback()

    def vergleich(self, e: Einstellungen, langfrist: bool = True) -> CompareResult:
        self.engine.stock(e.bestand)  # an unknown upload is refused here, in German
        return self._run(e, _vergleich, e, langfrist, self._upload(e.bestand),  # type: ignore[return-value]
                         fallback=lambda: self.engine.vergleich(e, langfrist))

    def vergleich_seite(self, e: Einstellungen, karte: str | None, echo: dict, modelle: dict) -> Seite:
        self.engine.stock(e.bestand)
        return self._run(e, _vergleich_seite, e, karte, echo, modelle, self._upload(e.bestand),  # type: ignore[return-value]
                         fallback=lambda: self.engine.vergleich_seite(e, karte, echo, modelle))

    def gemeinde_tabelle(self, e: Einstellungen) -> tuple[pd.DataFrame, dict[str, str]]:
        self.engine.stock(e.bestand)
        return self._run(e, _gemeinde_tabelle, e, self._upload(e.bestand),  # type: ignore[return-value]
                         fallback=lambda: self.engine.gemeinde_tabelle(e))

    def schritte(self, ags: str, bestand: str | None) -> dict[str, list[dict[str, str]]]:
        self.engine.stock(bestand)
        if self.engine.schritte_vorbereitet(bestand):  # a few ms here, rather than queueing behind comparisons
            return self.engine.schritte(ags, bestand)
        return self.engine.rechenwege.get(  # type: ignore[return-value]
            (ags, bestand), lambda: self._run(ags, _schritte, ags, bestand, self._upload(bestand),
                                              fallback=lambda: self.engine.schritte(ags, bestand)))

    def close(self) -> None:
        pools, self.pools = self.pools, None
        for pool in pools or []:
            pool.shutdown(wait=False, cancel_futures=True)
