"""File writing at the bottom of the house: atomic writes, modes, output folders, and the
serialised formats (CSV, JSON) chosen in one place.

Every module that writes a file (analysis results, run revisions, sweep batches, reports) goes
through here; nothing in this module imports anything of the project but `errors`.

Atomic: the bytes go to a temporary file in the target folder, then ``os.replace`` moves it
into place, so a crash never leaves half a file under the final name. Files and folders get the
modes the user's umask gives ordinary files (0644/0755 under umask 022), not the private 0600/0700
of ``tempfile``.

An output folder (``--out DIR``) is created if needed; only the files the command writes are
replaced, one by one, and only if the tool wrote them before (the folder's manifest,
`verteilung.io.pfade`). A folder that is a file, or that holds a run ledger or run revisions, is
refused before anything is written, as is any output inside a run's period folders. The rules
that compare a command's outputs with its inputs live in `verteilung.io.pfade`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verteilung.errors import InputError, Problem
from verteilung.io.pfade import (
    LEDGER_NAME,
    MANIFEST_NAME,
    lies_manifest,
    manifest_bytes,
    pruefe_ersetzen,
    run_folder,
    sha256_file,
    ueberschreiben_erlaubt,
)

if TYPE_CHECKING:  # heavy imports only where a table is really written
    import numpy as np
    import pandas as pd

_PERIOD_DIR = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_REVISION_DIR = re.compile(r"^r\d+$")
_RUN_FOLDER = ("liegt im Ordner {} eines Monatslaufs; veröffentlichte Läufe werden nie verändert, nur "
               "verteilung run schreibt dort. Ergebnisse bitte in einen eigenen Ordner schreiben")


def current_umask() -> int:
    """The process umask (read by setting and restoring it; the CLI is single-threaded here)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def public_mode(directory: bool = False) -> int:
    """The mode an ordinary new file (0666) or folder (0777) gets under the current umask."""
    return (0o777 if directory else 0o666) & ~current_umask()


def make_temp_dir(parent: str | Path, prefix: str = ".tmp-") -> Path:
    """``tempfile.mkdtemp`` in PARENT, but with the umask's folder mode instead of 0700.

    For callers that build a folder and rename it into place as a whole (e.g. a run revision).
    """
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(tmp, public_mode(directory=True))
    return tmp


def _holds_runs(folder: Path) -> str | None:
    """Why FOLDER must not be an output folder (a ledger or run revisions in it), or None."""
    if (folder / LEDGER_NAME).exists():
        return f"enthält ein Laufbuch ({LEDGER_NAME})"
    try:
        periods = [p for p in folder.iterdir() if p.is_dir() and _PERIOD_DIR.match(p.name)]
    except OSError:
        return None
    for period in periods:
        try:
            revisions = [r for r in period.iterdir() if r.is_dir() and _REVISION_DIR.match(r.name)]
        except OSError:
            continue
        if any((r / "manifest.json").exists() for r in revisions):
            return f"enthält Lauf-Revisionen ({period.name}/r…)"
    return None


def check_out_dir(path: str | Path, option: str = "--out") -> Path:
    """Refuse an output folder that is a file or holds runs; nothing is created here."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(Problem(option, f"{path} ist eine Datei, erwartet wird ein Ordner"))
    folder = run_folder(path)
    if folder is not None:
        raise InputError(Problem(option, f"{path} {_RUN_FOLDER.format(folder)}"))
    if path.is_dir():
        why = _holds_runs(path)
        if why:
            raise InputError(Problem(option, f"{path} {why}; Ergebnisse bitte in einen eigenen Ordner "
                                     "schreiben (z. B. outputs/vergleich)"))
    return path


def check_out_file(path: str | Path, option: str = "--out") -> Path:
    """Refuse an output file that is an existing folder or the run ledger."""
    path = Path(path)
    if path.is_dir():
        raise InputError(Problem(option, f"{path} ist ein Ordner, erwartet wird ein Dateiname"))
    if path.name == LEDGER_NAME and path.exists():
        raise InputError(Problem(option, f"{path} ist ein Laufbuch und wird nicht überschrieben"))
    if path.parent.exists() and not path.parent.is_dir():
        raise InputError(Problem(option, f"{path.parent} ist eine Datei, erwartet wird ein Ordner"))
    folder = run_folder(path)
    if folder is not None:
        raise InputError(Problem(option, f"{path} {_RUN_FOLDER.format(folder)}"))
    return path


def atomic_write_bytes(path: str | Path, data: bytes, option: str = "--out") -> None:
    """Write DATA to PATH atomically (temp file in the same folder + ``os.replace``).

    The file gets the umask's mode (0644 under umask 022); an existing folder at PATH is refused.
    """
    path = check_out_file(path, option)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), public_mode())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: str | Path, option: str = "--out", ueberschreiben: bool | None = None) -> Iterator[Path]:
    """Stage a command's files in a hidden folder inside PATH, then move each into PATH.

    PATH is created if missing; files already in PATH that this command does not write stay as
    they are. A written file replaces an existing one only if the tool wrote that one before and
    it is unchanged (PATH's manifest, `verteilung.io.pfade.MANIFEST_NAME`) or ``ueberschreiben``
    (``--ueberschreiben``; default: what the CLI set for this call); each replacement is atomic and
    the manifest records every file written. A PATH that is a file, holds a run ledger or
    revisions, or lies in a run's period folder is refused (exit 2) before anything is written. If
    the block fails or a name is refused, nothing in PATH changes (a PATH created here is removed).
    """
    path = check_out_dir(path, option)
    allow = ueberschreiben_erlaubt() if ueberschreiben is None else ueberschreiben
    created = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(path, prefix=".verteilung-neu-")
    done = False
    try:
        yield tmp
        names = sorted(p.name for p in tmp.iterdir())
        pruefe_ersetzen(path, [n for n in names if (tmp / n).is_file()], allow, option)
        for name in names:
            if (path / name).is_dir() and not (tmp / name).is_dir():
                raise InputError(Problem(option, f"{path / name} ist ein Ordner; die Datei {name} "
                                         "kann dort nicht geschrieben werden"))
        written = lies_manifest(path)
        for name in names:
            src = tmp / name
            if src.is_file():
                os.chmod(src, public_mode())
                written[name] = sha256_file(src)
            os.replace(src, path / name)
        atomic_write_bytes(path / MANIFEST_NAME, manifest_bytes(written), option)
        done = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not done:
            for p in created:  # innermost first: only the folders this call made, and only if empty
                with contextlib.suppress(OSError):
                    p.rmdir()


def vermerke(folder: str | Path, names: list[str]) -> None:
    """Record files the tool wrote into FOLDER outside `atomic_dir` (e.g. a resumable sweep's plan)."""
    folder = Path(folder)
    written = lies_manifest(folder)
    for name in names:
        written[name] = sha256_file(folder / name)
    atomic_write_bytes(folder / MANIFEST_NAME, manifest_bytes(written))


def excel_safe_text(value: str) -> str:
    """A text cell for a CSV meant to be opened in Excel (OWASP CSV-injection rule).

    Text that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe so a spreadsheet shows it as text instead of evaluating it. Plain numbers
    (``-3``, ``+1.5``) are left alone. The machine CSV (``--format csv``) stays raw.
    """
    if not value or value[0] not in "=+-@\t\r":
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def jsonable(value: Any) -> Any:
    """Plain Python values for JSON: numpy scalars unwrapped, NaN and infinity as null."""
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if value is pd.NA:
        return None
    return value


@contextmanager
def python_strings() -> Iterator[None]:
    """pandas' ``str`` columns stored as Python objects (``mode.string_storage = "python"``) for the
    block, instead of Arrow arrays.

    The dtype and its semantics are the same (``str``, NaN for missing), so every output is the
    same byte for byte; but on tables of a few hundred rows each take, filter and concat through
    pyarrow's compute kernels costs more than the work, and ``verteilung compare`` spent 0,18 s of
    its 1,6 s CPU there (issue 25). The CLI runs its commands inside this block; the previous
    setting is restored afterwards, so an in-process caller keeps its own."""
    import pandas as pd

    with pd.option_context("mode.string_storage", "python"):
        yield


def pandas_ohne_pyarrow() -> bool:
    """Let pandas load without pyarrow for the rest of this process; True if it will.

    pandas 3 imports pyarrow as soon as it is installed (``pandas.compat.pyarrow``, and
    ``pyarrow.compute`` for its Arrow accessors), whether or not anything is stored in Arrow: 0,075 s
    CPU of a fresh ``verteilung compare`` (issue 25), most of it system time mapping the library. A
    command that runs in `python_strings` and writes no Parquet file uses none of it: pandas' ``str``
    dtype is then stored as Python objects either way, and pandas treats pyarrow as not installed
    (``PYARROW_INSTALLED`` False), so the results are the same bytes.

    The means is the import system's documented one: ``sys.modules["pyarrow"] = None`` makes
    ``import pyarrow`` raise ``ModuleNotFoundError``, which pandas reads as "not installed". It is
    irreversible for the process (pandas decides once, when it loads), so only a process that runs
    one such command and ends may call it (`verteilung.cli.entry`), and it does nothing once pandas
    or pyarrow is loaded. Writing Parquet afterwards would fail (pandas asks for pyarrow)."""
    if "pandas" in sys.modules or "pyarrow" in sys.modules:
        return False
    sys.modules["pyarrow"] = None  # type: ignore[assignment]
    return True


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as Parquet, its ``str`` columns stored as Arrow strings whatever the session's
    storage (`python_strings`): pandas records the storage in the file's metadata, so the same
    table gives the same bytes inside and outside the CLI."""
    import pandas as pd

    def arrow(t: Any) -> Any:  # the str dtype under the default (Arrow) storage, or None
        if isinstance(t, pd.StringDtype) and t.storage != "pyarrow":
            return pd.StringDtype("pyarrow", na_value=t.na_value)
        return None

    out = df
    for c, t in df.dtypes.items():
        if (a := arrow(t)) is not None:
            out = out.astype({c: a})
        elif isinstance(t, pd.CategoricalDtype) and (a := arrow(t.categories.dtype)) is not None:
            out = out.assign(**{c: df[c].cat.rename_categories(t.categories.astype(a))})
    buf = io.BytesIO()
    out.to_parquet(buf, index=False)
    return buf.getvalue()


def to_json_bytes(payload: dict) -> bytes:
    return (json.dumps(jsonable(payload), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """``df.to_csv(index=False, lineterminator="\\n")`` in UTF-8, byte for byte.

    Tables of plain columns (numpy numbers and flags, objects, ``str``; text headers) are written
    here without pandas' per-call and per-chunk machinery: each column becomes its fields' final
    text once (`_csv_fields`: numbers formatted once per distinct value, texts quoted by the
    ``csv`` module itself once per distinct text), and the rows are those fields joined by commas
    (``csv.writer`` examined every character of every field again). The 19 CSV files of
    `verteilung compare` took 0,10 s through pandas, 0,062 s through ``csv.writer`` over the
    values and 0,034 s this way (issue 25). Anything else (dates, categories, nullable numbers, a
    MultiIndex) goes through pandas. tests/test_compare_schnell.py and
    tests/test_schreiben_schnell.py hold both paths equal."""
    fields = _csv_fields(df)
    if fields is None:
        return df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(list(df.columns))  # pandas' dialect: ',', '"', QUOTE_MINIMAL
    n = len(df)
    for start in range(0, n, _CSV_CHUNK):  # rows joined a chunk at a time: a large table holds no second copy
        stop = min(start + _CSV_CHUNK, n)
        buf.write("\n".join(map(",".join, zip(*(f[start:stop] for f in fields), strict=True))))
        buf.write("\n")
    return buf.getvalue().encode("utf-8")


_CSV_CHUNK = 1 << 16


def _column_arrays(df: pd.DataFrame) -> list[Any]:
    """Each column's values as the frame stores them (a numpy array or an extension array), by
    position. pandas deep-copies the frame's ``attrs`` (a result's metadata) into every Series it
    makes, ~35 µs a column of the comparison's tables; the frame's own accessor takes 1 µs. A
    pandas without it gets the same arrays through Series."""
    import numpy as np

    get = getattr(df, "_get_column_array", None)
    if get is not None:
        return [get(j) for j in range(df.shape[1])]
    columns = [df.iloc[:, j] for j in range(df.shape[1])]
    return [s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array for s in columns]


def float_texts(values: np.ndarray, text: Callable[[float], str], infinite: bool = True) -> list[str]:
    """``[text(v) for v in values]`` for a float64 array, NaN as ``""`` (a missing value), ±inf as
    ``text(v)`` or, with ``infinite=False``, as ``""`` too; ``text`` is called once per distinct value.

    Formatting a float (``repr``, ``%.16G``) is most of the time of writing a table of numbers,
    and the comparison's columns repeat their values (five models over the same Gemeinden, many
    zeros): about a third are distinct. Values are told apart by their bits, so ``-0.0`` and
    ``0.0`` keep their own texts; the sort costs far less than the formatting it saves. ``text``
    is best a function of C (``repr``, ``"{:.16G}".format``): no Python frame per value."""
    import numpy as np

    values = np.ascontiguousarray(values, dtype=np.float64)
    if len(values) < 64:  # nothing to gain from sorting a handful
        distinct, where = values, None
    else:
        bits, where = np.unique(values.view(np.int64), return_inverse=True)
        distinct = bits.view(np.float64)
    texts = np.array(list(map(text, distinct.tolist())), dtype=object)
    texts[np.isnan(distinct) if infinite else ~np.isfinite(distinct)] = ""
    return (texts if where is None else texts[where.reshape(-1)]).tolist()


_CSV_SPECIAL = re.compile(r'[,"\r\n]')


def _csv_quoted(values: list[Any], single: bool) -> list[str]:
    """Each value as ``csv.writer`` writes it as a field (``str()``, floats by ``repr``, quoted
    where the dialect needs it), computed by the writer itself, once per distinct text; ``single``:
    the table has one column, where an empty row is written ``""``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")

    def field(v: Any) -> str:
        buf.seek(0)
        buf.truncate()
        writer.writerow((v, ""))  # a second field: an empty value stays empty, as beside other fields
        return buf.getvalue()[:-2]

    if set(map(type, values)) <= {str}:  # texts: each distinct one through the writer once
        memo = dict.fromkeys(values, "")
        for v in memo:  # a text without delimiter, quote or line break is its own field (QUOTE_MINIMAL)
            memo[v] = field(v) if _CSV_SPECIAL.search(v) else v
        out = list(map(memo.__getitem__, values))
    else:  # mixed objects one by one (1 and True are equal keys but different fields)
        out = list(map(field, values))
    if single:
        out = [t or '""' for t in out]
    return out


def _csv_fields(df: pd.DataFrame) -> list[list[str]] | None:
    """Each column as the field texts pandas' CSV writer writes (the values of `pandas.core.indexes.
    base.get_values_for_csv` with ``na_rep=""``, through ``csv.writer``); None where a column needs
    pandas' own formatting."""
    import numpy as np
    import pandas as pd

    if df.shape[1] == 0 or not all(type(c) is str for c in df.columns):
        return None
    single = df.shape[1] == 1
    out = []
    for values in _column_arrays(df):
        dtype = values.dtype
        if isinstance(dtype, np.dtype):
            if dtype == np.float64:  # the shortest repr (numpy's str is Python's repr), missing empty
                texts = float_texts(values, repr)
            elif dtype.kind == "f":  # float32 and friends: numpy's own shortest digits
                text = values.astype(str).astype(object)
                text[np.isnan(values)] = ""
                texts = text.tolist()
            elif dtype.kind in "iub":  # Python ints and bools, written with str()
                texts = list(map(str, values.tolist()))
            elif dtype.kind == "O":
                objects = values.copy()
                objects[pd.isna(objects)] = ""
                texts = _csv_quoted(objects.tolist(), single)
            else:
                return None
        elif isinstance(dtype, pd.StringDtype):
            objects = np.array(values, dtype=object)  # a copy: the frame's own array stays as it is
            objects[pd.isna(objects)] = ""
            texts = _csv_quoted(objects.tolist(), single)
        else:
            return None
        if single and dtype.kind == "f":
            texts = [t or '""' for t in texts]
        out.append(texts)
    return out


def records(df: pd.DataFrame) -> list[dict]:
    """The rows as JSON-ready dicts: ``df.to_dict(orient="records")`` through `jsonable`.

    Columns of numbers, flags, objects and ``str`` are read as lists (`_column_arrays`): pandas'
    own route made a Series per column and row tuple, copying the result's attrs into each, which
    cost more than the values (issue 25); `jsonable` turns both routes' values into the same JSON
    values. Other columns (dates, categories, nullable numbers) keep pandas' route."""
    import numpy as np
    import pandas as pd

    if df.columns.has_duplicates:  # pandas' route warns that it keeps only one of them
        return [jsonable(r) for r in df.to_dict(orient="records")]
    lists = []
    for values in _column_arrays(df):
        if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiubO":
            lists.append(values.tolist())
        elif isinstance(values.dtype, pd.StringDtype):
            lists.append(np.asarray(values, dtype=object).tolist())
        else:
            return [jsonable(r) for r in df.to_dict(orient="records")]
    names = list(df.columns)
    return [jsonable(dict(zip(names, row, strict=True))) for row in zip(*lists, strict=True)] if names else \
        [{} for _ in range(len(df))]
