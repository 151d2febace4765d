"""Load and validate inputs: Gemeinden, stocks, households, constraints.

The loaders are imported on first use (PEP 562): the CLI imports `verteilung.data.zahlen` (the
number grammar of its options) at start, and that must not pull in pandas before a command
needs it (issue 25: a command decides its thread settings before numpy loads)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verteilung.data.bestand import load_bestand
    from verteilung.data.gemeinden import available_years, load_gemeinden, require_complete

__all__ = ["available_years", "load_bestand", "load_gemeinden", "require_complete"]
_WO = {"load_bestand": "verteilung.data.bestand", "available_years": "verteilung.data.gemeinden",
       "load_gemeinden": "verteilung.data.gemeinden", "require_complete": "verteilung.data.gemeinden"}


def __getattr__(name: str) -> Any:
    if name in _WO:
        value = getattr(importlib.import_module(_WO[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'verteilung.data' has no attribute {name!r}")
