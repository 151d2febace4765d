"""`verteilung app`: start the web application (the CLI registers `app_command`)."""

from __future__ import annotations

import os
import sys

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_ENV = "VERTEILUNG_APP_TOKEN"


def check_host(host: str, token: str | None) -> str | None:
    """The access token to require, or None; refuses a non-local address without a token."""
    token = token or os.environ.get(TOKEN_ENV) or None
    if host not in LOCAL_HOSTS and not token:
        raise SystemExit2(
            f"Die Anwendung bindet nur mit Zugangsschlüssel an {host}: --token WERT oder "
            f"Umgebungsvariable {TOKEN_ENV} setzen (ohne Schlüssel nur 127.0.0.1)")
    if token is not None and len(token) < 12:
        raise SystemExit2("Der Zugangsschlüssel ist zu kurz (mindestens 12 Zeichen)")
    return token


class SystemExit2(Exception):
    """Refusal to start: the CLI prints the message and exits with code 2."""


def app_command(host: str = "127.0.0.1", port: int = 8765, token: str | None = None) -> int:
    """Start the app and serve until interrupted; 2 if refused (other host without token)."""
    try:
        required = check_host(host, token)
    except SystemExit2 as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from verteilung.app.server import create_app

    app = create_app(token=required, warm=True)
    shown = "localhost" if host in LOCAL_HOSTS else host
    print(f"verteilung app: http://{shown}:{port}/" + ("?token=…" if required else ""), file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    return 0
