"""verteilung: refugee allocation quotas for the Gemeinden of Nordrhein-Westfalen.

The public API mirrors the CLI one to one (DESIGN.md): every command calls these functions.
"""

__version__ = "0.1.0"
