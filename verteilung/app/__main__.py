"""``python -m verteilung.app [--host H] [--port N] [--token T] [--config F]``: the same as ``verteilung app``."""

from __future__ import annotations

import argparse
import sys

from verteilung.app.cli import app_command


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m verteilung.app")
    p.add_argument("--host", default=None, help="Adresse (Standard 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="Port (Standard 8765)")
    p.add_argument("--token", default=None)
    p.add_argument("--config", default=None, help="TOML-Datei der Anwendung (docs/app.md)")
    a = p.parse_args(argv)
    return app_command(a.host, a.port, a.token, a.config)


if __name__ == "__main__":
    sys.exit(main())
