"""`verteilung app`: the interactive application and JSON web API (FastAPI, Jinja2, Plotly)."""

from __future__ import annotations


def create_app(token: str | None = None):
    from verteilung.app.server import create_app as make

    return make(token=token)


__all__ = ["create_app"]
