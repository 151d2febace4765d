"""Search form of Gemeinde names, shared by the static report and the app's search (the app imports it
from here: report sits below app in the layers, docs/architecture.md)."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Search form of a name: lower case, umlauts as ae/oe/ue/ss, no accents, no \"Stadt\" suffix.

    The static report's search box folds the typed text the same way in JavaScript
    (`verteilung/report/templates/bericht.html.j2`, function ``fold``)."""
    t = text.casefold().split(",")[0].strip()  # official suffixes: ", Stadt", ", Kupferstadt", ...
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        t = t.replace(a, b)
    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"\s+stadt$", "", t)
    t = re.sub(r"^stadt\s+", "", t)
    return re.sub(r"[^a-z0-9]+", " ", t).strip()
