"""``python -m verteilung.app [--host H] [--port N] [--token T]``: the same as ``verteilung app``."""

from __future__ import annotations

import argparse
import sys

from verteilung.app.cli import app_command


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m verteilung.app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--token", default=None)
    a = p.parse_args(argv)
    return app_command(a.host, a.port, a.token)


if __name__ == "__main__":
    sys.exit(main())
