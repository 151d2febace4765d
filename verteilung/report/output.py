"""Write tables as terminal table, CSV or JSON for the command line.

The file writing itself (atomic writes, modes, output folders, CSV/JSON bytes) lives one layer
down in `verteilung.io`; its names are re-exported here for callers not yet switched.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from verteilung.io import (  # re-exported: import them from verteilung.io
    LEDGER_NAME,
    atomic_dir,
    atomic_write_bytes,
    check_out_dir,
    check_out_file,
    current_umask,
    excel_safe_text,
    jsonable,
    make_temp_dir,
    public_mode,
    records,
    to_csv_bytes,
    to_json_bytes,
)

if TYPE_CHECKING:  # heavy imports only where a table is really written
    import pandas as pd
    from rich.console import Console

__all__ = ["LEDGER_NAME", "Format", "atomic_dir", "atomic_write_bytes", "check_out_dir", "check_out_file",
           "current_umask", "emit", "excel_safe_text", "jsonable", "make_temp_dir", "public_mode", "records",
           "render_table", "to_csv_bytes", "to_json_bytes", "wide_console"]

Format = Literal["table", "csv", "json"]


def wide_console() -> Console:
    """A terminal keeps its width; a pipe or file gets room for every column.

    Markup is off: text from input data (names, AGS, file names) is printed as it is.
    """
    import sys

    from rich.console import Console

    if sys.stdout.isatty():
        return Console(markup=False, highlight=False)
    return Console(width=160, markup=False, highlight=False)












def render_table(df: pd.DataFrame, title: str = "", max_rows: int | None = None,
                 console: Console | None = None) -> None:
    import pandas as pd
    from rich.table import Table

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
        console.print(f"... {len(df) - max_rows} weitere Zeilen (alle mit --format csv oder --out DATEI)")


def _fmt(v: Any) -> str:
    import numpy as np
    import pandas as pd

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
            from rich.text import Text

            console.print(Text.assemble((str(k), "bold"), f": {_fmt(v) if not isinstance(v, dict) else v}"))
        return
    else:
        raise ValueError(fmt)
    if out is not None:
        atomic_write_bytes(out, data)
    else:
        import sys

        sys.stdout.buffer.write(data)
        sys.stdout.flush()
