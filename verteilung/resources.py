"""Locate files shipped with the package (``inputs/``, ``models/``).

In a wheel they sit in ``verteilung/_shipped``; in a source checkout or editable install they
are the repository's top-level folders. Both layouts resolve to the same names.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

_PKG = Path(__file__).resolve().parent


def shipped(*parts: str) -> Path:
    for base in (_PKG / "_shipped", _PKG.parent):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shipped file not found: {'/'.join(parts)} (broken installation?)")


def params_dir() -> Path:
    return _PKG / "params"


def lade_yaml(text: Any) -> Any:
    """A YAML document (text or open file) with PyYAML's safe constructors, parsed by libyaml where
    PyYAML was built with it: the same values, about ten times faster on the ~30 parameter and
    model files every comparison reads (issue 25)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def glob_gemerkt(folder: Path, pattern: str) -> tuple[Path, ...]:
    """``sorted(folder.glob(pattern))``, scanned again only when ``folder``'s modification time
    changes, or, for a pattern into subfolders (``*/land.yaml``), one of theirs (a file added to
    an existing subfolder changes only its own): a comparison asks for the Länder and the money
    pots some sixty times (issue 25). Two changes within one tick of the file system's clock look
    the same; no command changes its inputs while it runs. A missing folder has no files."""
    try:
        stamp: tuple = (folder.stat().st_mtime_ns,)
        if "/" in pattern:
            with os.scandir(folder) as entries:
                stamp += tuple(sorted((e.name, e.stat().st_mtime_ns) for e in entries if e.is_dir()))
    except OSError:
        return ()
    return _glob(folder, pattern, stamp)


@cache
def _glob(folder: Path, pattern: str, stamp: tuple) -> tuple[Path, ...]:
    return tuple(sorted(folder.glob(pattern)))
