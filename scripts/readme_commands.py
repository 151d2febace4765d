"""Print the README quick-start commands, so CI runs exactly what the README shows.

The quick start is the first ```bash block after the heading "## Schnellstart" (the README is
German; "## Quick start" is still found); it holds two commands: the main job, then the tests.
``python scripts/readme_commands.py test`` prints the
second, ``run`` the first.
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def quickstart(readme: Path = README) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    heading = "## Schnellstart" if "## Schnellstart" in text else "## Quick start"
    section = text.split(heading, 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()
            if line.strip() and not line.strip().startswith("#")]


if __name__ == "__main__":
    commands = quickstart()
    if len(commands) != 2:
        sys.exit(f"README quick start must hold exactly two commands, found {len(commands)}")
    print(commands[{"run": 0, "test": 1}[sys.argv[1]]])
