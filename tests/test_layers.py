"""The layers of docs/architecture.md hold: no module imports one above it.

The order is read from the ``layers`` block of the document, so the check and the description
cannot drift apart; a module that fits no layer fails too (place it in the document first).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "verteilung"


def layers() -> list[tuple[str, set[str]]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no ```layers block"
    out = []
    for line in block.group(1).strip().splitlines():
        name, _, members = line.partition(":")
        out.append((name.strip(), set(members.split())))
    return out


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _head(module: str, members: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The layer member a dotted name belongs to: the longest dotted member listed (``run.konfig``),
    else the top-level member of ``verteilung`` (``__init__`` for the package itself)."""
    parts = module.split(".")
    if parts[0] != "verteilung":
        return None
    for k in range(len(parts) - 1, 1, -1):
        if ".".join(parts[1:k + 1]) in members:
            return ".".join(parts[1:k + 1])
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every project module an import statement names, with its line (function-level imports too)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = [f"{node.module}.{a.name}" for a in node.names]
            real = [m for m in subs if (ROOT / (m.replace(".", "/") + ".py")).exists()
                    or (ROOT / m.replace(".", "/")).is_dir()]
            out += [(m, node.lineno) for m in (real or [node.module])]
    return out


def test_every_module_has_a_layer_and_imports_only_downwards():
    order = layers()
    rank = {member: i for i, (_, members) in enumerate(order) for member in members}
    assert len(rank) == sum(len(m) for _, m in order), "a module is listed in two layers"
    problems = []
    for path in sorted(PKG.rglob("*.py")):
        module = _module(path)
        me = _head(module if module != "verteilung" else "verteilung.__init__", set(rank))
        if me not in rank:
            problems.append(f"{module}: in keiner Schicht von docs/architecture.md")
            continue
        for name, line in _imports(path):
            head = _head(name, set(rank))
            if head is not None and head in rank and rank[head] > rank[me]:
                problems.append(f"{module}:{line} importiert {name} ({order[rank[head]][0]} über "
                                f"{order[rank[me]][0]})")
    assert not problems, "\n".join(problems)


def test_the_check_sees_an_upward_import(tmp_path):
    """The checker is not vacuous: the run importing report/output.py (the old arrow) is found."""
    fake = tmp_path / "x.py"
    fake.write_text("def f():\n    from verteilung.report.output import emit\n", encoding="utf-8")
    assert ("verteilung.report.output", 2) in _imports(fake)
    order = layers()
    rank = {member: i for i, (_, members) in enumerate(order) for member in members}
    assert rank["report"] > rank["run"] and rank["darstellung"] < rank["run"]


def test_the_run_steps_are_ordered():
    """The monthly run's modules each have their own line: preparation never imports the writer,
    the writer never the repair, and none of them the package that runs them in order."""
    order = layers()
    rank = {member: i for i, (_, members) in enumerate(order) for member in members}
    steps = ["run.konfig", "run.vorbereitung", "run.schreiben", "run.reparatur", "run"]
    assert [rank[s] for s in steps] == sorted(rank[s] for s in steps) and len({rank[s] for s in steps}) == 5
    assert _head("verteilung.run.schreiben", set(rank)) == "run.schreiben"
    assert _head("verteilung.run", set(rank)) == "run"
    for step in steps[:-1]:
        assert (PKG / (step.replace(".", "/") + ".py")).is_file(), step
