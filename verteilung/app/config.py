"""`verteilung app --config app.toml`: the data basis, models, address and limits of one app.

The file follows run.toml's conventions (TOML, typed values, unknown keys refused, German lines
naming the file, the key and what is expected; relative paths count from the file's folder):

```toml
jahr = 2024                      # key year (or stichtag = "2024-05-01")
bestand = "bestand_2024-05.csv"  # stock table, checked like --bestand (default: the SYNTHETIC scenario)

[modelle]
mitgelieferte = true             # offer the shipped models (the status quo is always there)
ordner = "modelle"               # every *.yaml in this folder is offered too
dateien = ["vorschlag.yaml"]     # further model files
auswahl = ["m1-gemeinsamer-bestand", "vorschlag-x"]   # ticked when a page opens

[server]
host = "127.0.0.1"
port = 8765
token_variable = "VERTEILUNG_APP_TOKEN"   # the token is read from this environment variable

[grenzen]
upload_kib = 512                 # largest stock table a visitor may upload
rechenzeit_s = 20                # longest a request waits for its computation
modellmonate = 150               # months × models of one simulation request
```

A token written into the file is accepted with a warning (such files end up in version control);
the file names the environment variable instead. Command-line options win over the file.
"""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from verteilung.errors import InputError, Problem

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
TOKEN_ENV = "VERTEILUNG_APP_TOKEN"
MODEL_SUFFIXES = (".yaml", ".yml")
MAX_MODEL_FILES = 50
# Starlette keeps multipart files up to 1 MiB in memory; the body also carries the form framing.
MAX_UPLOAD_KIB = 768
BODY_OVERHEAD = 256 * 1024
RESERVED_IDS = ("eigene-gewichte",)


class Modelle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mitgelieferte: bool = Field(default=True, strict=True)
    ordner: str | None = None
    dateien: list[str] = Field(default_factory=list, max_length=MAX_MODEL_FILES)
    auswahl: list[str] | None = Field(default=None, max_length=MAX_MODEL_FILES)


class Server(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = Field(default=DEFAULT_HOST, min_length=1, max_length=255)
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535, strict=True)
    token_variable: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    token: str | None = None


class Grenzen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upload_kib: int = Field(default=512, ge=1, le=MAX_UPLOAD_KIB, strict=True)
    rechenzeit_s: float = Field(default=20.0, ge=1, le=600)
    modellmonate: int = Field(default=150, ge=1, le=1000, strict=True)


class AppToml(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jahr: int | None = Field(default=None, ge=1900, le=2999, strict=True)
    stichtag: dt.date | None = None
    bestand: str | None = None
    ohne_meldung_null: bool = Field(default=False, strict=True)
    modelle: Modelle = Modelle()
    server: Server = Server()
    grenzen: Grenzen = Grenzen()

    @field_validator("stichtag", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        from verteilung.data.zahlen import config_datum

        return config_datum(value)


_KNOWN_KEYS = {(): sorted(AppToml.model_fields), ("modelle",): sorted(Modelle.model_fields),
               ("server",): sorted(Server.model_fields), ("grenzen",): sorted(Grenzen.model_fields)}
_EXPECTED = {
    ("server", "token_variable"): "den Namen einer Umgebungsvariablen (Buchstaben, Ziffern, _), "
                                  "z. B. VERTEILUNG_APP_TOKEN",
    ("server", "host"): "eine Adresse, z. B. 127.0.0.1",
    ("grenzen", "rechenzeit_s"): "Sekunden zwischen 1 und 600",
    ("grenzen", "upload_kib"): f"KiB zwischen 1 und {MAX_UPLOAD_KIB} (Uploads bleiben im Arbeitsspeicher)",
}


def _german(err: dict) -> str:
    """The German lines of every config file (verteilung.errors), with this file's expectations."""
    from verteilung.errors import validation_sentence

    loc = tuple(str(x) for x in err["loc"])
    key = ".".join(loc) or "(Datei)"
    if err["type"] == "extra_forbidden":
        allowed = _KNOWN_KEYS.get(loc[:-1], [])
        return f"{key}: unbekannter Schlüssel" + (f" (erlaubt: {', '.join(allowed)})" if allowed else "")
    if loc in _EXPECTED and err["type"] != "missing":
        given = err.get("input")
        shown = f"; erhalten {given!r}" if isinstance(given, str | int | float | bool) else ""
        return f"{key}: erwartet {_EXPECTED[loc]}{shown}"
    if err["type"] in ("list_type", "tuple_type"):
        return f"{key}: erwartet eine Liste in eckigen Klammern, z. B. [\"a.yaml\"]"
    if err["type"] in ("float_type", "float_parsing"):
        return f"{key}: erwartet eine Zahl"
    if err["type"] == "too_long":
        return f"{key}: zu viele Einträge (höchstens {err.get('ctx', {}).get('max_length')})"
    return validation_sentence(dict(err), AppToml)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one visitor can make the server do."""

    upload_bytes: int = 512 * 1024
    rechenzeit_s: float = 20.0
    modellmonate: int = 150

    @property
    def body_bytes(self) -> int:
        return self.upload_bytes + BODY_OVERHEAD


@dataclass(frozen=True)
class AppConfig:
    """The resolved settings of one app (defaults: shipped data, SYNTHETIC stocks, shipped models)."""

    quelle: Path | None = None                 # the config file, None: defaults only
    jahr: int | None = None
    stichtag: dt.date | None = None
    bestand: Path | None = None                # None: the shipped SYNTHETIC scenario
    ohne_meldung_null: bool = False
    mitgelieferte: bool = True
    modell_dateien: tuple[Path, ...] = ()
    auswahl: tuple[str, ...] | None = None     # None: every offered model
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    token_herkunft: str = ""                   # where the token came from (for messages)
    grenzen: Limits = field(default_factory=Limits)
    warnungen: tuple[str, ...] = ()


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        what = "ist ein Ordner" if path.is_dir() else "nicht gefunden"
        raise InputError(Problem(str(path), f"Konfigurationsdatei {what}; erwartet eine TOML-Datei"))
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(Problem(str(path), "kein UTF-8-Text; erwartet eine TOML-Datei in UTF-8")) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(str(path), f"kein gültiges TOML: {exc}")) from None


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


# long: one check per config key in the file's order, every problem collected before one refusal
def load_config(path: str | Path, environ: dict[str, str] | None = None) -> AppConfig:
    """Read and check an app config; every problem names the file and the key (InputError, exit 2).

    Paths are checked here (they exist, are files or folders as expected); the stock table and the
    model files themselves are checked when the app prepares its data (`Engine`), still before
    the server starts.
    """
    import os

    path = Path(path)
    env = os.environ if environ is None else environ
    data = _read(path)
    try:
        t = AppToml.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(str(path), _german(e)) for e in exc.errors()]) from None
    base = path.resolve().parent
    problems: list[Problem] = []
    warnings: list[str] = []
    where = str(path)

    bestand = None
    if t.bestand is not None:
        bestand = _resolve(base, t.bestand)
        if not bestand.is_file():
            what = "ist ein Ordner" if bestand.is_dir() else "nicht gefunden"
            problems.append(Problem(where, f"bestand: {bestand} {what}; erwartet eine Bestandstabelle (CSV oder "
                                    "XLSX), relativ zum Ordner der Konfigurationsdatei"))
        elif bestand.suffix.lower() not in (".csv", ".xlsx"):
            problems.append(Problem(where, f"bestand: {bestand.name} ist keine CSV- oder XLSX-Datei; erwartet "
                                    "eine Bestandstabelle (.csv oder .xlsx)"))

    files: list[Path] = []
    if t.modelle.ordner is not None:
        folder = _resolve(base, t.modelle.ordner)
        if not folder.is_dir():
            what = "ist eine Datei" if folder.exists() else "nicht gefunden"
            problems.append(Problem(where, f"modelle.ordner: {folder} {what}; erwartet einen Ordner mit "
                                    "Modelldateien (*.yaml)"))
        else:
            found = sorted(p for p in folder.iterdir() if p.suffix.lower() in MODEL_SUFFIXES and p.is_file())
            if not found:
                problems.append(Problem(where, f"modelle.ordner: {folder} enthält keine Modelldatei; erwartet "
                                        "mindestens eine *.yaml"))
            files += found
    for i, name in enumerate(t.modelle.dateien):
        p = _resolve(base, name)
        key = f"modelle.dateien[{i + 1}]"
        if p.suffix.lower() not in MODEL_SUFFIXES:
            problems.append(Problem(where, f"{key}: {name!r} ist keine YAML-Datei; erwartet eine Modelldatei "
                                    "(.yaml)"))
        elif not p.is_file():
            what = "ist ein Ordner" if p.is_dir() else "nicht gefunden"
            problems.append(Problem(where, f"{key}: {p} {what}; erwartet eine Modelldatei (.yaml), relativ "
                                    "zum Ordner der Konfigurationsdatei"))
        elif p.resolve() not in {f.resolve() for f in files}:
            files.append(p)
    if len(files) > MAX_MODEL_FILES:
        problems.append(Problem(where, f"modelle: {len(files)} Modelldateien; höchstens {MAX_MODEL_FILES}"))
    if not t.modelle.mitgelieferte and not files:
        problems.append(Problem(where, "modelle.mitgelieferte = false: dann erwartet modelle.ordner oder "
                                "modelle.dateien mindestens ein Modell"))

    token, herkunft = None, ""
    if t.server.token is not None:
        token, herkunft = t.server.token, f"{path}: server.token"
        warnings.append(f"{path}: server.token steht in der Datei; solche Dateien landen leicht in der "
                        "Versionsverwaltung: besser server.token_variable = \"NAME\" und den Schlüssel in "
                        "der Umgebungsvariablen NAME")
        if t.server.token_variable is not None:
            problems.append(Problem(where, "server.token und server.token_variable: erwartet nur eins von beiden"))
    elif t.server.token_variable is not None:
        value = env.get(t.server.token_variable)
        if not value:
            problems.append(Problem(where, f"server.token_variable: die Umgebungsvariable "
                                    f"{t.server.token_variable} ist nicht gesetzt; erwartet den Zugangsschlüssel "
                                    "darin (mindestens 12 Zeichen)"))
        token, herkunft = value or None, f"Umgebungsvariable {t.server.token_variable}"
    if token is not None and len(token) < 12:
        problems.append(Problem(where, f"{'server.token' if t.server.token else 'server.token_variable'}: "
                                "Zugangsschlüssel zu kurz; erwartet mindestens 12 Zeichen"))
    if problems:
        raise InputError(problems)
    return AppConfig(
        quelle=path, jahr=t.jahr, stichtag=t.stichtag, bestand=bestand, ohne_meldung_null=t.ohne_meldung_null,
        mitgelieferte=t.modelle.mitgelieferte, modell_dateien=tuple(files),
        auswahl=tuple(t.modelle.auswahl) if t.modelle.auswahl is not None else None,
        host=t.server.host, port=t.server.port, token=token, token_herkunft=herkunft,
        grenzen=Limits(upload_bytes=t.grenzen.upload_kib * 1024, rechenzeit_s=float(t.grenzen.rechenzeit_s),
                       modellmonate=t.grenzen.modellmonate),
        warnungen=tuple(warnings))


def warn(cfg: AppConfig) -> None:
    for w in cfg.warnungen:
        print(f"Warnung: {w}", file=sys.stderr, flush=True)
