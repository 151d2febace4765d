"""verteilung: refugee allocation quotas for the Gemeinden of Nordrhein-Westfalen.

The public API mirrors the CLI one to one (DESIGN.md): every command calls these functions.

    import verteilung
    res = verteilung.compare()                      # verteilung compare
    table, info = verteilung.status("flueag", "bestand.csv")
    res = verteilung.allocate("wsa", "bestand.csv", personen=493, kappung="R2")

Readings of ambiguous law are passed as ``lesarten=verteilung.Lesarten(...)`` or as keywords;
an unknown one raises ``verteilung.errors.InputError`` (the CLI's exit 2).

The functions are loaded on first use (PEP 562), so ``import verteilung`` and the CLI's
``--help`` do not pay for pandas and the solvers.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from verteilung import vocab as _vocab
from verteilung._version import __version__

# the vocabulary's system labels come from the registry of legal systems, loaded on first need
_vocab.REGISTER_LADEN = lambda: importlib.import_module("verteilung.law.systems")

_LAZY = {
    "allocate": "verteilung.api", "data_check": "verteilung.api", "data_list": "verteilung.api",
    "explain": "verteilung.api", "keys": "verteilung.api", "status": "verteilung.api",
    "run": "verteilung.api", "runs_list": "verteilung.api", "runs_show": "verteilung.api",
    "runs_diff": "verteilung.api", "compare": "verteilung.compare", "simulate": "verteilung.simulate",
    "langfrist": "verteilung.langfrist",
    "load_bestand": "verteilung.data", "load_gemeinden": "verteilung.data",
    "prepare": "verteilung.inputs", "Inputs": "verteilung.inputs", "Lesarten": "verteilung.law.lesarten",
    "sweep": "verteilung.sweep_runner", "sensitivitaet": "verteilung.sensitivity",
    "calibrate": "verteilung.calibrate", "report": "verteilung.report.bericht",
}

if TYPE_CHECKING:
    from verteilung.api import (
        allocate,
        data_check,
        data_list,
        explain,
        keys,
        run,
        runs_diff,
        runs_list,
        runs_show,
        status,
    )
    from verteilung.calibrate import calibrate
    from verteilung.compare import compare
    from verteilung.data import load_bestand, load_gemeinden
    from verteilung.inputs import Inputs, prepare
    from verteilung.langfrist import langfrist
    from verteilung.law.lesarten import Lesarten
    from verteilung.report.bericht import report
    from verteilung.sensitivity import sensitivitaet
    from verteilung.simulate import simulate
    from verteilung.sweep_runner import sweep

__all__ = [
    "Inputs",
    "Lesarten",
    "__version__",
    "allocate",
    "calibrate",
    "compare",
    "data_check",
    "data_list",
    "explain",
    "keys",
    "langfrist",
    "load_bestand",
    "load_gemeinden",
    "prepare",
    "report",
    "run",
    "runs_diff",
    "runs_list",
    "runs_show",
    "sensitivitaet",
    "simulate",
    "status",
    "sweep",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'verteilung' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``verteilung.compare`` the function when the submodule of that name is imported.

    Importing a submodule sets it as an attribute of its package; with the eager imports this
    package had, the function was bound afterwards and won. Loaded lazily, the function must win
    explicitly; the module stays available as ``sys.modules["verteilung.compare"]``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
