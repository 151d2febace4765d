"""`verteilung app`: start the web application (the CLI registers `app_command`)."""

from __future__ import annotations

import dataclasses
import errno
import os
import socket
import sys
from pathlib import Path

from verteilung.app.config import TOKEN_ENV, AppConfig, load_config, warn
from verteilung.errors import InputError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
__all__ = ["LOCAL_HOSTS", "TOKEN_ENV", "SystemExit2", "app_command", "check_host", "settings"]


def check_host(host: str, token: str | None, herkunft: str = "") -> str | None:
    """The access token to require, or None; refuses a non-local address without a token."""
    if not token and os.environ.get(TOKEN_ENV):
        token, herkunft = os.environ[TOKEN_ENV], f"Umgebungsvariable {TOKEN_ENV}"
    token = token or None
    if host not in LOCAL_HOSTS and not token:
        raise SystemExit2(
            f"Die Anwendung bindet nur mit Zugangsschlüssel an {host}: --token WERT oder "
            f"Umgebungsvariable {TOKEN_ENV} setzen (ohne Schlüssel nur 127.0.0.1)")
    if token is not None and len(token) < 12:
        raise SystemExit2("Der Zugangsschlüssel ist zu kurz (mindestens 12 Zeichen)"
                          + (f": {herkunft}" if herkunft else ""))
    return token


class SystemExit2(Exception):
    """Refusal to start: the CLI prints the message and exits with code 2."""


def settings(host: str | None = None, port: int | None = None, token: str | None = None,
             config: str | Path | None = None) -> AppConfig:
    """The app's settings: the config file (if any), then the command-line options over it."""
    cfg = load_config(config) if config is not None else AppConfig()
    changes: dict = {}
    if host is not None:
        changes["host"] = host
    if port is not None:
        changes["port"] = port
    if token is not None:
        changes.update(token=token, token_herkunft="--token")
    return dataclasses.replace(cfg, **changes) if changes else cfg


def app_command(host: str | None = None, port: int | None = None, token: str | None = None,
                config: str | Path | None = None, prozesse: int = 2) -> int:
    """Start the app and serve until interrupted; 2 if refused (bad config, other host without
    token). Options given here win over the config file; everything is checked before the server
    starts. ``prozesse`` worker processes compute the comparisons (`engine.Rechenprozesse`)."""
    try:
        cfg = settings(host, port, token, config)
        required = check_host(cfg.host, cfg.token, cfg.token_herkunft)
        warn(cfg)
        check_address(cfg.host, cfg.port)  # a busy port is said at once, before the data are loaded
        from verteilung.app.engine import Engine

        engine = Engine(cfg)  # the data, the stock table and the models: refused before serving
    except SystemExit2 as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        for line in exc.render().splitlines():
            print(f"Fehler: {line}", file=sys.stderr)
        print("Die Anwendung wurde nicht gestartet.", file=sys.stderr)
        return 2
    import uvicorn

    from verteilung.app.server import create_app

    app = create_app(token=required, engine=engine, warm=True, prozesse=prozesse)
    shown = "localhost" if cfg.host in LOCAL_HOSTS else cfg.host
    print(f"verteilung app: http://{shown}:{cfg.port}/" + ("?token=…" if required else ""), file=sys.stderr,
          flush=True)
    try:
        uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning", server_header=False)
    except SystemExit as exc:  # uvicorn could not bind after all (taken since the check): exit 2, not 3
        if exc.code in (0, None):
            return 0
        print(f"Fehler: Port {cfg.port} an {cfg.host} kann nicht verwendet werden (belegt?)", file=sys.stderr)
        return 2
    return 0


def check_address(host: str, port: int) -> None:
    """Bind the address once as uvicorn will, so that a busy port or a foreign address is one German
    line and exit 2 before anything is loaded (uvicorn says it in English and exits 3, which here
    means "infeasible")."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SystemExit2(f"Port {port} an {host} ist belegt (läuft die Anwendung schon? Einen anderen "
                              "Port mit --port wählen)") from None
        if exc.errno == errno.EACCES:
            raise SystemExit2(f"Port {port} an {host}: keine Berechtigung (Ports unter 1024 brauchen "
                              "Administratorrechte; z. B. --port 8765)") from None
        raise SystemExit2(f"Adresse {host}:{port} kann nicht verwendet werden ({exc.strerror or exc})") from None
    sock.close()

