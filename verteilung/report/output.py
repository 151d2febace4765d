"""Write tables as terminal table, CSV or JSON; files are written atomically.

Atomic: the bytes go to a temporary file in the target folder, then ``os.replace`` moves it
into place, so a crash never leaves half a file under the final name.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

Format = Literal["table", "csv", "json"]


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Build a folder's content in a sibling temp folder, then swap it in as a whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def wide_console() -> Console:
    """A terminal keeps its width; a pipe or file gets room for every column."""
    import sys

    return Console() if sys.stdout.isatty() else Console(width=160)


def jsonable(value: Any) -> Any:
    """Plain Python values for JSON: numpy scalars unwrapped, NaN and infinity as null."""
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


def to_json_bytes(payload: dict) -> bytes:
    return (json.dumps(jsonable(payload), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def records(df: pd.DataFrame) -> list[dict]:
    return [jsonable(r) for r in df.to_dict(orient="records")]


def render_table(df: pd.DataFrame, title: str = "", max_rows: int | None = None,
                 console: Console | None = None) -> None:
    console = console or wide_console()
    table = Table(title=title or None, show_lines=False)
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
        table.add_column(str(col), justify="right" if numeric else "left")
    shown = df if max_rows is None else df.head(max_rows)
    for row in shown.itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    console.print(table)
    if max_rows is not None and len(df) > max_rows:
        console.print(f"... {len(df) - max_rows} more rows (use --format csv or --out FILE)")


def _fmt(v: Any) -> str:
    if v is pd.NA or v is None:
        return ""
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return ""
        if abs(v) < 1 and v != 0:
            return f"{v:.6f}"
        return f"{v:,.2f}"
    if isinstance(v, bool | np.bool_):
        return "ja" if v else ""
    return str(v)


def emit(df: pd.DataFrame, fmt: Format, out: str | Path | None, summary: dict | None = None,
         title: str = "", max_rows: int | None = 40) -> None:
    """Print or write one table with its summary in the chosen format."""
    summary = summary or {}
    if fmt == "json":
        data = to_json_bytes({"summary": summary, "rows": records(df)})
    elif fmt == "csv":
        data = to_csv_bytes(df)
    elif fmt == "table":
        if out is not None:
            atomic_write_bytes(out, to_csv_bytes(df))
        console = wide_console()
        render_table(df, title, max_rows, console)
        for k, v in summary.items():
            console.print(f"[bold]{k}[/bold]: {_fmt(v) if not isinstance(v, dict) else v}")
        return
    else:
        raise ValueError(fmt)
    if out is not None:
        atomic_write_bytes(out, data)
    else:
        import sys

        sys.stdout.buffer.write(data)
        sys.stdout.flush()
