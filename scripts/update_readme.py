"""Rewrite the README's generated findings block from the default `verteilung compare` run."""

from __future__ import annotations

from pathlib import Path

from verteilung.compare import compare

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- befunde:start -->", "<!-- befunde:end -->"


def block() -> str:
    res = compare()
    lines = [f"- {line}" for line in res.befunde]
    return "\n".join([START, *lines, END])


def main() -> None:
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(head + block() + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
