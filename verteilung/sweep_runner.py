"""Run a sweep in batches: one process, local worker processes, or a Dask cluster.

Batches, not one task per scenario. Each finished batch is written to ``<out>/batches/`` at
once as one file (atomic: one fsync per batch), by the local worker that computed it, so Ctrl-C
or a killed process keeps what is done and ``--fortsetzen`` resumes with the missing batches
only. The plan (`plan_id`) covers the model, the scenarios and the input numbers, so a folder of
another sweep or of other input files is never resumed.
Random perturbations are seeded per scenario id, so results do not depend on batch size,
worker count or engine; batch results are combined in batch order.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from verteilung.errors import InputError, Problem
from verteilung.io import atomic_write_bytes, to_json_bytes, vermerke
from verteilung.io.pfade import pruefe_ersetzen, pruefe_unterordner, ueberschreiben_erlaubt
from verteilung.law.lesarten import Lesarten
from verteilung.staffelung import Staffelung
from verteilung.sweep import Base, GemeindeStats, Scratch, SweepModel, evaluate_batch

_WORKER: dict = {}


@dataclass
class SweepResult:
    """A sweep: one row per scenario (parameters + metrics), per-Gemeinde aggregates, metadata."""

    szenarien: pd.DataFrame
    gemeinden: pd.DataFrame
    info: dict
    model: SweepModel | None = None   # the swept model (for one-at-a-time swings after the sweep)
    base: Base | None = None


BATCH = 10_000  # scenarios per batch file: a fraction of a second of work, one fsync each
BATCH_FORMAT = 2  # one .npz per batch (scenario columns and sparse per-Gemeinde counts); part of the plan


def base_digest(base: Base) -> str:
    """The numbers a sweep reads from its inputs: the stock (every stock column, the credited
    places), the Gemeinde table's numeric columns and flags, the status-quo baseline, the date,
    the readings and the arrivals. Two plans over different stock files never match, even with
    the same model and scenarios (reviewer finding: a changed stock was resumed as the old plan)."""
    h = hashlib.sha256()
    arrays = {"flueag_bestand": base.flueag_bestand, "wsa_bestand": base.wsa_bestand, "plaetze": base.plaetze,
              "einwohner": base.einwohner, "baseline_load": base.baseline_load, "rural": base.rural,
              "kreisfrei": base.kreisfrei, **{f"bestand:{k}": v for k, v in base.weitere_bestand.items()},
              **{f"spalte:{k}": v for k, v in base.columns.items()},
              **{f"merkmal:{k}": v for k, v in base.flags.items()}}
    for name in sorted(arrays):
        values = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{values.dtype.str}:{values.shape}".encode())
        h.update(values.tobytes())
    h.update(pd.util.hash_pandas_object(base.gemeinden["ags"].astype(str), index=False).to_numpy().tobytes())
    h.update(repr((base.zugaenge, sorted(base.zugaenge_strom.items()), sorted(
        (k, repr(v)) for k, v in base.info.items()))).encode())
    return h.hexdigest()


def plan_id(model: SweepModel, scenarios: pd.DataFrame, stoerung: dict, seed: int, batch: int,
            base: Base | None = None) -> str:
    """What a resumable sweep folder belongs to: model, scenarios, perturbation, seed, batch size,
    batch file format and the input numbers (`base_digest`)."""
    h = hashlib.sha256()
    h.update(repr((model, sorted(stoerung.items()), seed, batch, BATCH_FORMAT)).encode())
    h.update(pd.util.hash_pandas_object(scenarios, index=False).to_numpy().tobytes())
    if base is not None:
        h.update(base_digest(base).encode())
    return h.hexdigest()[:16]


def _batch_bytes(base: Base, model: SweepModel, part: pd.DataFrame, stoerung: dict, seed: int,
                 buf: Scratch | None = None) -> bytes:
    """One batch evaluated and packed as one file: its scenario rows column by column and its
    per-Gemeinde counts (sparse). The S × n matrices stay in the chunk (``keep=False``)."""
    stats = GemeindeStats(len(base.einwohner))
    res = evaluate_batch(base, model, part, stoerung, seed, stats=stats, keep=False, buf=buf)
    frame = res.scenarios
    arrays = {f"spalte_{i}": frame[c].to_numpy() for i, c in enumerate(frame.columns)}
    out = io.BytesIO()
    np.savez(out, spalten=np.array(frame.columns, dtype=str), **arrays, **stats.sparse())
    return out.getvalue()


def _batch_path(folder: Path, k: int) -> Path:
    return folder / f"batch_{k:06d}.npz"


def _compute_and_save(k: int, part: pd.DataFrame, folder: Path) -> tuple[int, int]:
    """A local worker's task: evaluate batch K and write its file (atomic, one fsync), so only
    a count travels back to the parent and nothing of the batch is held there."""
    atomic_write_bytes(_batch_path(folder, k), _batch_bytes(_WORKER["base"], _WORKER["model"], part,
                                                            _WORKER["stoerung"], _WORKER["seed"], _WORKER["buf"]))
    return k, len(part)


def _init_worker(base: Base, model: SweepModel, stoerung: dict, seed: int) -> None:
    _WORKER.update(base=base, model=model, stoerung=stoerung, seed=seed, buf=Scratch())


def _dask_task(k: int, part: pd.DataFrame, base: Base, model: SweepModel, stoerung: dict, seed: int):
    return k, len(part), _batch_bytes(base, model, part, stoerung, seed)


def _assemble(folder: Path, keys: list[int], total: int, n: int) -> tuple[pd.DataFrame | None, GemeindeStats]:
    """The scenario table and the per-Gemeinde counts from the batch files, read one at a time
    into columns allocated once (no list of frames and no concatenated copy: peak memory is the
    table plus one batch)."""
    stats = GemeindeStats(n)
    columns: dict[str, np.ndarray] = {}
    names: list[str] = []
    row = 0
    for k in keys:
        with np.load(_batch_path(folder, k)) as data:
            if not names:
                names = [str(c) for c in data["spalten"]]
                columns = {c: np.empty(total, dtype=data[f"spalte_{i}"].dtype) for i, c in enumerate(names)}
            size = len(data["spalte_0"])
            for i, c in enumerate(names):
                columns[c][row : row + size] = data[f"spalte_{i}"]
            stats.add_sparse(data)
            row += size
    if not names:
        return None, stats
    return pd.DataFrame(columns, copy=False), stats


def _clean_temporaries(folder: Path) -> None:
    """Half-written batch files of a killed run (atomic writes leave only these hidden names)."""
    for tmp in folder.glob(".batch_*.tmp"):
        tmp.unlink(missing_ok=True)


def run_sweep(base: Base, model: SweepModel, scenarios: pd.DataFrame, out: Path, stoerung: dict | None = None,
              seed: int = 0, batch: int = BATCH, workers: int = 1, dask: bool = False,
              dask_scheduler: str | None = None, fortsetzen: bool = False,
              progress: Callable[[int, int], None] | None = None) -> SweepResult:
    stoerung = stoerung or {}
    started = time.perf_counter()
    folder = out / "batches"
    plan = plan_id(model, scenarios, stoerung, seed, batch, base)
    plan_file = out / "plan.json"
    pruefe_unterordner(out, "batches")
    # a person's file of one of these names is refused before the first batch is written
    pruefe_ersetzen(out, ["plan.json", *result_names(base.info)], ueberschreiben_erlaubt())
    if folder.exists() and any(folder.iterdir()):
        old = json.loads(plan_file.read_text()) if plan_file.exists() else {}
        if old.get("plan") != plan:
            raise InputError(Problem(str(out), "enthält Stapel eines anderen Sweeps (anderes Modell, andere "
                                     "Szenarien oder andere Eingabedaten); einen anderen Ordner --out wählen "
                                     "(oder denselben Befehl wie damals mit --fortsetzen)"))
        complete = len(list(folder.glob("batch_*.npz"))) >= -(-len(scenarios) // batch)
        if not fortsetzen and not complete:
            raise InputError(Problem(str(out), "enthält einen abgebrochenen Lauf dieses Sweeps; mit --fortsetzen "
                                     "fortsetzen oder einen anderen Ordner --out wählen"))
        if not fortsetzen:  # the same sweep again, finished before: computed afresh, same files
            for old_batch in folder.glob("batch_*"):
                old_batch.unlink()
        _clean_temporaries(folder)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(plan_file, to_json_bytes({"plan": plan, "szenarien": len(scenarios), "batch": batch}))
    vermerke(out, ["plan.json"])
    parts = {k: scenarios.iloc[i:i + batch] for k, i in enumerate(range(0, len(scenarios), batch))}
    done = {k for k in parts if _batch_path(folder, k).exists()}
    todo = [k for k in parts if k not in done]
    finished = sum(len(parts[k]) for k in done)
    if progress:
        progress(finished, len(scenarios))

    def consume(results: Iterable[tuple[int, int]]) -> None:
        nonlocal finished
        for _k, rows in results:
            finished += rows
            if progress:
                progress(finished, len(scenarios))

    def saved(results: Iterable[tuple[int, int, bytes]]) -> Iterator[tuple[int, int]]:
        for k, rows, data in results:
            atomic_write_bytes(_batch_path(folder, k), data)
            yield k, rows

    engine = "dask" if (dask or dask_scheduler) else (f"{workers} Prozesse" if workers > 1 else "1 Prozess")
    try:
        if dask or dask_scheduler:
            consume(saved(_run_dask(base, model, parts, todo, stoerung, seed, workers, dask_scheduler)))
        elif workers > 1 and len(todo) > 1:
            with ProcessPoolExecutor(min(workers, len(todo)), initializer=_init_worker,
                                     initargs=(base, model, stoerung, seed)) as ex:
                consume(ex.map(_compute_and_save, todo, [parts[k] for k in todo], [folder] * len(todo)))
        else:
            _init_worker(base, model, stoerung, seed)
            try:
                consume(_compute_and_save(k, parts[k], folder) for k in todo)
            finally:
                _WORKER.clear()
    except KeyboardInterrupt:
        n_done = len(list(folder.glob("batch_*.npz")))
        print(f"\nabgebrochen: {n_done} von {len(parts)} Stapeln gespeichert in {folder}; fortsetzen mit "
              "demselben Befehl und --fortsetzen", file=sys.stderr)
        raise
    frame, stats = _assemble(folder, sorted(parts), len(scenarios), len(base.einwohner))
    table = frame if frame is not None else scenarios.iloc[0:0]
    info = {"modell": model.name, "szenarien": len(table), "stapel": len(parts), "stapelgroesse": batch,
            "seed": seed, "stoerung": stoerung, "engine": engine, "sekunden": time.perf_counter() - started,
            **base.info}
    return SweepResult(table, stats.table(base), info)


def _run_dask(base, model, parts, todo, stoerung, seed, workers, address):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise InputError(Problem("--dask", "Dask ist nicht installiert: pip install „.[distributed]“")) from exc
    cluster = None
    if address:
        client = Client(address)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        shared = client.scatter([base, model], broadcast=True)
        futures = [client.submit(_dask_task, k, parts[k], shared[0], shared[1], stoerung, seed, pure=False)
                   for k in todo]
        for fut in as_completed(futures):
            yield fut.result()  # (k, rows, file bytes): the parent writes, the workers may be elsewhere
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    from verteilung.io import parquet_bytes

    return parquet_bytes(df)


RESULT_FILES = ("szenarien.parquet", "szenarien.csv", "gemeinden.parquet", "gemeinden.csv", "sweep.json")


def result_names(info: dict) -> list[str]:
    """The result files' names (SYNTHETISCH_ in front when the stock is synthetic)."""
    label = "SYNTHETISCH_" if info.get("synthetisch") else ""
    return [f"{label}{name}" for name in RESULT_FILES]


def write_results(res: SweepResult, out: Path, extra: dict[str, bytes] | None = None) -> None:
    """The result files (and EXTRA, e.g. the report) into OUT through `atomic_dir`: only files the
    tool wrote before are replaced. The JSON leaves out the run time, so equal inputs give
    byte-identical files."""
    from verteilung.io import atomic_dir, to_csv_bytes

    data = [_parquet_bytes(res.szenarien), to_csv_bytes(res.szenarien), _parquet_bytes(res.gemeinden),
            to_csv_bytes(res.gemeinden), to_json_bytes({k: v for k, v in res.info.items() if k != "sekunden"})]
    with atomic_dir(out) as tmp:
        for name, content in zip(result_names(res.info), data, strict=True):
            (tmp / name).write_bytes(content)
        for name, data in (extra or {}).items():
            (tmp / name).write_bytes(data)


def _model_stock_columns(modell: str | Path) -> tuple[str, ...]:
    """The stock columns a swept model file counts (its own system's column is read too)."""
    from verteilung.model import load_model
    from verteilung.sweep import CUSTOM

    if str(modell) in CUSTOM:
        return ()
    try:
        return tuple(c for s in load_model(modell).systeme for c in s.bestand)
    except InputError:
        return ()  # sweep_model names the problem


def _sweep_streams(modell: str | Path, zugaenge: int | None) -> dict[str, int] | None:
    """``--zugaenge N`` (each scenario's count) as arrivals per stream: N on the swept model's
    stream (for a merged model the first stream of ALLE), the other registered streams 0; None:
    the registry's defaults."""
    from verteilung.law import systems
    from verteilung.model import load_model
    from verteilung.sweep import CUSTOM

    if zugaenge is None:
        return None
    stream = systems.ALLE
    if str(modell) not in CUSTOM:
        with contextlib.suppress(InputError):  # sweep_model names the problem
            stream = load_model(modell).systeme[0].zugaenge
    target = systems.alle_stroeme()[0] if stream == systems.ALLE else stream
    return {**dict.fromkeys(systems.standard_zugaenge(), 0), target: zugaenge}


def progress_bar() -> Callable[[int, int], None] | None:
    """Scenarios per second and time left on a terminal; silent when output is redirected."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("Szenarien"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                   TimeRemainingColumn(), transient=True)
    task = bar.add_task("sweep", total=1, rate="")
    bar.start()
    t0 = time.perf_counter()

    def update(done: int, total: int) -> None:
        rate = done / max(1e-9, time.perf_counter() - t0)
        bar.update(task, total=total, completed=done, rate=f"{rate:,.0f}/s")
        if done >= total:
            bar.stop()

    return update


def parse_ranges(specs: list[str] | str | None) -> dict[str, tuple[float, float]]:
    """``NAME=LOW:HIGH[,NAME=LOW:HIGH]`` (repeatable) → {name: (low, high)}; ``NAME=X`` fixes X."""
    if isinstance(specs, str):
        specs = [specs]
    out: dict[str, tuple[float, float]] = {}
    for spec in specs or []:
        for part in spec.split(","):
            name, _, rng = part.partition("=")
            lo, _, hi = rng.partition(":")
            try:
                out[name.strip()] = (float(lo), float(hi or lo))
            except ValueError as exc:
                raise InputError(Problem("--parameter", f"erwartet NAME=VON:BIS, erhalten „{part}“")) from exc
    return out


def sweep(modell: str | Path, parameter: dict[str, tuple[float, float]] | None = None, *,
          raster: int | None = None, stichprobe: int | None = None, seed: int = 0,
          stoerung: dict[str, float] | None = None, zugaenge: int | None = None,
          gewichte: dict[str, float] | None = None, lesarten: Lesarten | None = None,
          bestand: str | Path | None = None, gemeinden: str | Path | None = None, jahr: int | None = None,
          stichtag: str | None = None, out: str | Path | None = None, workers: int = 1, dask: bool = False,
          dask_scheduler: str | None = None, batch: int = BATCH, fortsetzen: bool = False,
          progress: Callable[[int, int], None] | None = None,
          staffelung: Staffelung | dict | str | None = None) -> SweepResult:
    """Stress-test a one-system model: many scenarios of its parameters, vectorised and batched.

    ``modell`` is a shipped one-system model (``m1-gemeinsamer-bestand``, ``m2-mischschluessel``),
    a model YAML path, or ``gewichtet`` with ``gewichte``. ``parameter`` maps a weight of the model's
    key or one of kappung, alpha, anrechnung, zugaenge to its range; give ``raster`` (K points per
    parameter) or ``stichprobe`` (S uniform draws). Finished batches are kept in ``out/batches``
    (a temporary folder when ``out`` is None) so ``fortsetzen=True`` resumes an interrupted sweep.
    The result carries one row per scenario (``szenarien``), per-Gemeinde quantiles (``gemeinden``)
    and ``info`` (stichtag, datenbasis, synthetisch, model, engine, parameters).
    ``staffelung`` bounds each Gemeinde's allocation per scenario (``max_personen``,
    ``max_anteil_soll``, ``max_je_1000_einwohner``; `verteilung.staffelung`), replacing the model
    file's; a scenario whose bounds cannot take its arrivals is refused (exit 3).

    >>> import verteilung
    >>> res = verteilung.sweep("m1", {"kappung": (1.05, 1.5)}, raster=5)  # doctest: +SKIP
    >>> res.szenarien[["kappung", "gini_last_je_einwohner"]]  # doctest: +SKIP
    """
    import datetime as dt
    import tempfile
    from dataclasses import replace

    from verteilung.staffelung import staffelung_aus
    from verteilung.sweep import build_scenarios, prepare_base, sweep_model, sweep_staffelung

    if (raster is None) == (stichprobe is None):
        raise InputError(Problem("sweep", "give exactly one of --raster K or --stichprobe S"))
    ranges = dict(parameter or {})
    base = prepare_base(gemeinden, bestand, jahr, stichtag, _sweep_streams(modell, zugaenge), lesarten,
                        weitere_spalten=_model_stock_columns(modell))
    model = sweep_model(modell, dt.date.fromisoformat(base.info["stichtag"]), gewichte, lesarten=lesarten)
    if staffelung is not None:
        model = replace(model, staffelung=sweep_staffelung(staffelung_aus(staffelung)))
    scenarios = build_scenarios(model, base, ranges, raster, stichprobe, seed)
    pert = dict(stoerung or {})

    def run(folder: Path) -> SweepResult:
        return run_sweep(base, model, scenarios, folder, pert, seed, batch, workers, dask, dask_scheduler,
                         fortsetzen, progress)

    if out is None:
        with tempfile.TemporaryDirectory(prefix="verteilung-sweep-") as tmp:
            res = run(Path(tmp))
    else:
        res = run(Path(out))
    res.info.update(parameter={k: list(v) for k, v in ranges.items()}, titel=model.titel)
    if model.staffelung is not None:
        res.info["staffelung"] = model.staffelung.as_dict()
    res.model, res.base = model, base
    return res
