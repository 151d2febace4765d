"""Locate files shipped with the package (``inputs/``, ``models/``).

In a wheel they sit in ``verteilung/_shipped``; in a source checkout or editable install they
are the repository's top-level folders. Both layouts resolve to the same names.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def shipped(*parts: str) -> Path:
    for base in (_PKG / "_shipped", _PKG.parent):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shipped file not found: {'/'.join(parts)} (broken installation?)")


def params_dir() -> Path:
    return _PKG / "params"
