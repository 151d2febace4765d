"""verteilung: refugee allocation quotas for the Gemeinden of Nordrhein-Westfalen.

The public API mirrors the CLI one to one (DESIGN.md): every command calls these functions.

    import verteilung
    res = verteilung.compare()                      # verteilung compare
    table, info = verteilung.status("flueag", "bestand.csv")
"""

__version__ = "0.1.0"

from verteilung.api import allocate, data_check, explain, keys, status
from verteilung.compare import compare
from verteilung.data import load_bestand, load_gemeinden

__all__ = ["__version__", "allocate", "compare", "data_check", "explain", "keys", "load_bestand",
           "load_gemeinden", "status"]
