"""No literal system id outside the law layer: the registry (`verteilung.law.systems`) owns every
per-system fact, so a further system does not need code elsewhere.

The check reads the string constants of the code (docstrings and examples excluded). The places
that still spell an id are listed with their reason and count, so none can be added unnoticed;
each entry is work left (see docs/architecture.md, "Ein neues System").
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IDS = {"flueag", "wsa", "awov"}

# file → (count, why it still spells an id)
REMAINING = {
    "verteilung/vocab.py": (20, "the vocabulary tables (labels, input spellings) sit below the law layer; "
                               "the registry adds a further system's entries at registration"),
    "verteilung/model.py": (4, "the model-file grammar's key types `typ: flueag` / `typ: awov` and the "
                               "mixed key M2 built from them"),
    "verteilung/simulate.py": (10, "the monthly flows between FlüAG and WSA (recognition moves a person "
                                   "from one statutory stream to the other)"),
}


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


def test_the_check_finds_a_literal(tmp_path):
    probe = tmp_path / "x.py"
    probe.write_text('"""flueag in a docstring is fine."""\nX = {"wsa": 1}\n', encoding="utf-8")
    assert literals(probe) == [2]
