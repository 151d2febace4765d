"""Locate files shipped with the package (``inputs/``, ``models/``).

In a wheel they sit in ``verteilung/_shipped``; in a source checkout or editable install they
are the repository's top-level folders. Both layouts resolve to the same names.
"""

from __future__ import annotations

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
