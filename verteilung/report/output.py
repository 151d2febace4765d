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


OUT_SUFFIXES = (".csv", ".json", ".xlsx", ".parquet")


def emit(df: pd.DataFrame, fmt: Format, out: str | Path | None, summary: dict | None = None,
         title: str = "", max_rows: int | None = 40) -> None:
    """Print or write one table with its summary in the chosen format.

    ``--out FILE`` without ``--format`` chooses by the extension (docs/ausgaben.md): ``.csv`` the
    German Excel CSV, ``.xlsx`` a workbook with the table and a ``Parameter`` sheet, ``.json``,
    ``.parquet``; only a one-line note goes to the terminal. An explicit ``--format csv|json``
    writes that machine format whatever the name.
    """
    summary = summary or {}
    if fmt == "table" and out is not None:
        _write_by_extension(df, Path(out), summary, title)
        return
    if fmt == "json":
        data = to_json_bytes({"summary": summary, "rows": records(df)})
    elif fmt == "csv":
        data = to_csv_bytes(df)
    elif fmt == "table":
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


def _write_by_extension(df: pd.DataFrame, out: Path, summary: dict, title: str) -> None:
    import sys

    from verteilung.errors import InputError, Problem
    from verteilung.io import check_out_file

    check_out_file(out)  # a folder or a path below a file is refused before the name is judged
    suffix = out.suffix.lower()
    if suffix == ".csv":
        from verteilung.io.deutsch import excel_csv_bytes

        note = "SYNTHETISCH: " + str(summary["hinweis"]) if "SYNTHETISCH" in str(summary.get("hinweis", "")) else None
        data = excel_csv_bytes(df, note=note)
    elif suffix == ".json":
        data = to_json_bytes({"summary": summary, "rows": records(df)})
    elif suffix == ".xlsx":
        import pandas as pd

        from verteilung.io.xlsx import workbook_bytes

        name = (title or "Tabelle")[:31]
        if "SYNTHETISCH" in str(summary.get("hinweis", "")) and "SYNTHETISCH" not in name:
            name = ("SYNTHETISCH " + name)[:31]
        params = pd.DataFrame({"angabe": [str(k) for k in summary],
                               "wert": [str(jsonable(v)) for v in summary.values()]})
        data = workbook_bytes({name: df, "Parameter": params})
    elif suffix == ".parquet":
        import io as _io

        buf = _io.BytesIO()
        plain = df.copy()
        plain.attrs = {}  # the computation's metadata is not table data
        plain.to_parquet(buf, index=False)
        data = buf.getvalue()
    else:
        raise InputError(Problem("--out", f"unbekannte Dateiendung {out.suffix or '(keine)'!r}; erlaubt: "
                                 f"{', '.join(OUT_SUFFIXES)} (oder --format csv|json)"))
    atomic_write_bytes(out, data)
    print(f"geschrieben: {out} ({len(df)} Zeilen)", file=sys.stderr)
