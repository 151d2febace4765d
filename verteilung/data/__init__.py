"""Load and validate inputs: Gemeinden, stocks, households, constraints."""

from verteilung.data.bestand import load_bestand
from verteilung.data.gemeinden import available_years, load_gemeinden, require_complete

__all__ = ["available_years", "load_bestand", "load_gemeinden", "require_complete"]
