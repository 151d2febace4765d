"""`verteilung app`: the interactive application and JSON web API (FastAPI, Jinja2, Plotly)."""

from __future__ import annotations


def create_app(token: str | None = None, config=None):
    """The FastAPI application; ``config`` is an `AppConfig` or the path of an app TOML file."""
    from verteilung.app.config import AppConfig, load_config
    from verteilung.app.server import create_app as make

    if config is not None and not isinstance(config, AppConfig):
        config = load_config(config)
    return make(token=token, config=config)


__all__ = ["create_app"]
