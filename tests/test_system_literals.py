"""No literal system id outside the law layer: the registry (`verteilung.law.systems`) owns every
per-system fact, so a further system does not need code elsewhere.

The check reads the string constants of the code (docstrings and examples excluded), and the app's
JavaScript and the HTML templates of app and report as text (an id as a whole word). A place that
still spelled an id would be listed in REMAINING with its reason and count; none is left: the
vocabulary tables are filled at registration, the model file's key types (`typ: flueag`) and the
simulation's recognition flow are registry facts (`LegalSystem.modell_typ`, `anerkennung_nach`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IDS = {"flueag", "wsa", "awov"}

# file → (count, why it still spells an id); empty: no literal system id outside the law layer
REMAINING: dict[str, tuple[int, str]] = {}
# JavaScript and templates: an id as a whole word (``"wsa"``, ``d.flueag``), not inside a longer name
WORD = re.compile(r"(?<![A-Za-z0-9_])(?:" + "|".join(sorted(IDS)) + r")(?![A-Za-z0-9_])")
TEXT_FILES = ("verteilung/app/static/*.js", "verteilung/app/templates/*.j2", "verteilung/report/templates/*.j2")


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def literals(path: Path) -> list[int]:
    """Lines where a string constant is exactly a system id."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in IDS
            and id(node) not in skip]


def test_no_system_id_outside_the_law_layer():
    found = {}
    for path in sorted((ROOT / "verteilung").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("verteilung/law/"):
            continue
        lines = literals(path)
        if lines:
            found[rel] = lines
    unexpected = {f: lines for f, lines in found.items() if f not in REMAINING}
    assert not unexpected, f"system ids spelled outside verteilung/law/: {unexpected}"
    for f, (count, why) in REMAINING.items():
        assert len(found.get(f, [])) <= count, f"{f}: more literal system ids than before ({found.get(f)}); {why}"


def test_no_system_id_in_javascript_or_templates():
    found = {path.relative_to(ROOT).as_posix(): [n for n, line in enumerate(path.read_text(encoding="utf-8")
                                                                                .splitlines(), 1) if WORD.search(line)]
             for pattern in TEXT_FILES for path in sorted(ROOT.glob(pattern))}
    assert len(found) >= 3, "the app's JavaScript and the templates were not found"
    assert not {f: lines for f, lines in found.items() if lines}, "system ids in JavaScript or templates"


def test_the_check_finds_a_literal(tmp_path):
    probe = tmp_path / "x.py"
    probe.write_text('"""flueag in a docstring is fine."""\nX = {"wsa": 1}\n', encoding="utf-8")
    assert literals(probe) == [2]
    assert WORD.search('q.set("wsa", 1)') and WORD.search("d.flueag") and not WORD.search("z_flueag, quote_wsa")
