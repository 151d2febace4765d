"""The German frame of the command line: help pages and usage errors.

typer (0.29) draws its help pages and usage errors with English stock phrases ("Usage:",
"Options", "Show this message and exit.", "[default: …]", "Error: Missing option …", "Try …").
The command and group classes here keep typer's layout and behaviour (plain text, exit code 2 on a
usage error) and say the same in German for an allocation officer:

    Aufruf: verteilung status [OPTIONEN]
    Fehler: Die Option --system fehlt (Pflichtangabe).
    Hilfe: verteilung status --help

``Typer`` is ``typer.Typer`` whose commands and groups are these classes by default.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

try:  # newer typer carries its own copy of click; older ones use click itself
    from typer._click.exceptions import (
        BadOptionUsage,
        BadParameter,
        MissingParameter,
        NoArgsIsHelpError,
        NoSuchOption,
        UsageError,
    )
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import (  # type: ignore[assignment]
        BadOptionUsage,
        BadParameter,
        MissingParameter,
        NoArgsIsHelpError,
        NoSuchOption,
        UsageError,
    )

HILFE = "Diese Hilfe zeigen und beenden."
OPTIONEN = "[OPTIONEN]"
BEFEHL = "BEFEHL [ARGUMENTE]..."

# value placeholders after an option, by the type typer shows (<str>, <int>, …)
_METAVARS = {"<str>": "<text>", "<int>": "<ganzzahl>", "<float>": "<zahl>", "<path>": "<pfad>",
             "<bool>": "<ja/nein>"}
_EXTRA = re.compile(r"^(?P<help>.*?)\s*\[(?P<extra>[^\[\]]*)\]$", re.S)


def _extra_de(item: str) -> str:
    """One item of typer's ``[default: x; required]`` suffix in German."""
    if item.startswith("default: "):
        return "Standard: " + item[len("default: "):]
    if item == "required":
        return "Pflichtangabe"
    if item.startswith("env var: "):
        return "Umgebungsvariable: " + item[len("env var: "):]
    return item


def _record_de(param: Any, record: tuple[str, str]) -> tuple[str, str]:
    """A help row (``--opt <str>``, ``help  [default: x]``) with German placeholder and suffix."""
    name, text = record
    for english, german in _METAVARS.items():
        name = name.replace(english, german)
    own = param.help or ""
    if text != own and text.startswith(own):
        m = _EXTRA.match(text[len(own):])
        if m is not None:
            extra = "; ".join(_extra_de(i.strip()) for i in m.group("extra").split(";"))
            text = f"{own}  [{extra}]" if own else f"[{extra}]"
    return name, text


class _Deutsch:
    """Help page parts and usage errors in German; mixed into typer's command and group classes."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc]
        except UsageError as exc:
            raise Aufruffehler.aus(exc, ctx) from None

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HILFE
        return option

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="Aufruf: ")

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)  # type: ignore[misc]
        return [OPTIONEN if p == "[OPTIONS]" else BEFEHL if p == "COMMAND [ARGS]..." else p for p in pieces]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            record = param.get_help_record(ctx)
            if record is None:
                continue
            (args if param.param_type_name == "argument" else opts).append(_record_de(param, record))
        if args:
            with formatter.section("Argumente"):
                formatter.write_dl(args)
        if opts:
            with formatter.section("Optionen"):
                formatter.write_dl(opts)
        if isinstance(self, TyperGroup):
            self.format_commands(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        names = [n for n in self.list_commands(ctx)]  # type: ignore[attr-defined]
        commands = [(n, self.get_command(ctx, n)) for n in names]  # type: ignore[attr-defined]
        commands = [(n, c) for n, c in commands if c is not None and not c.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(n) for n, _ in commands)
            rows = [(n, c.get_short_help_str(limit)) for n, c in commands]
            with formatter.section("Befehle"):
                formatter.write_dl(rows)


class DeutschCommand(_Deutsch, TyperCommand):
    """A typer command with a German help page."""


class DeutschGroup(_Deutsch, TyperGroup):
    """A typer group with a German help page; usage errors of it and its commands in German."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except UsageError as exc:
            raise Aufruffehler.aus(exc) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise Aufruffehler.aus(exc) from None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            if args and not args[0].startswith("-"):
                known = sorted(self.commands)
                close = get_close_matches(args[0], known)
                hint = (f" Meinten Sie {' oder '.join(close)}?" if close
                        else f" Befehle: {', '.join(known)}.")
                raise Aufruffehler(f"Unbekannter Befehl {args[0]}.{hint}", ctx) from None
            raise Aufruffehler.aus(exc) from None


def _hint(exc: BadParameter) -> str:
    """The option or argument a usage error is about (``--system``, ``AGS``)."""
    if exc.param_hint is not None:
        hint = exc.param_hint
        return " / ".join(hint) if isinstance(hint, list | tuple) else str(hint).strip("'")
    param = exc.param
    if param is None:
        return ""
    if param.param_type_name == "argument":
        return str(param.name or "").upper()
    return " / ".join(param.opts)


def _value_problem(exc: BadParameter) -> str:
    """typer's reason for a refused value, in German where it is one of its stock sentences."""
    from verteilung.errors import validation_reason

    cause = exc.__cause__
    if hasattr(cause, "errors") and callable(cause.errors) and cause.errors():  # typer coerces with pydantic
        text = validation_reason(cause.errors()[0])
    else:
        text = exc.message
    text = text.removeprefix("Value error, ")
    m = re.match(r"^(?P<v>.*) is not one of (?P<c>.*)\.$", text, re.S)
    if m:
        return f"{_zitat(m.group('v'))} ist nicht erlaubt; erlaubt: {m.group('c').replace(chr(39), '')}"
    m = re.match(r"^(?P<v>.*) is not a valid (?P<t>integer|float|boolean)( range)?\.?$", text, re.S)
    if m:
        kind = {"integer": "keine ganze Zahl", "float": "keine Zahl", "boolean": "kein Ja/Nein-Wert"}
        return f"{_zitat(m.group('v'))} ist {kind[m.group('t')]}"
    m = re.match(r"^(?P<v>.*) is not in the range (?P<r>.*)\.$", text, re.S)
    if m:
        return f"{_zitat(m.group('v'))} liegt nicht im Bereich {m.group('r')}"
    return text


class Aufruffehler(UsageError):
    """A usage error told in German; ``show`` prints three plain lines, exit code 2 as before."""

    @classmethod
    def aus(cls, exc: UsageError, ctx: Any = None) -> UsageError:
        """The German counterpart of one of typer's usage errors (the help page request passes);
        ``ctx`` is the command's context where typer's parser left the error without one."""
        if isinstance(exc, Aufruffehler | NoArgsIsHelpError):
            return exc
        return cls(_german(exc), exc.ctx or ctx)

    def show(self, file: Any = None) -> None:
        lines = [f"Fehler: {self.message}"]
        if self.ctx is not None:
            lines.append(self.ctx.get_usage())
            if self.ctx.command.get_help_option(self.ctx) is not None:
                lines.append(f"Hilfe: {self.ctx.command_path} {self.ctx.help_option_names[0]}")
        typer.echo("\n".join(lines), err=True, file=file)


def _german(exc: UsageError) -> str:
    """One German sentence for a typer usage error."""
    if isinstance(exc, MissingParameter):
        hint = _hint(exc)
        what = "Das Argument" if (exc.param_type or getattr(exc.param, "param_type_name", "")) == "argument" \
            else "Die Option"
        return f"{what} {hint} fehlt (Pflichtangabe)."
    if isinstance(exc, BadParameter):
        return f"Ungültiger Wert für {_hint(exc)}: {_value_problem(exc)}."
    if isinstance(exc, NoSuchOption):
        close = sorted(exc.possibilities or [])
        hint = f" Meinten Sie {' oder '.join(close)}?" if close else ""
        return f"Unbekannte Option {exc.option_name}.{hint}"
    if isinstance(exc, BadOptionUsage):
        if "requires an argument" in exc.message:
            return f"Die Option {exc.option_name} braucht einen Wert."
        if "does not take a value" in exc.message:
            return f"Die Option {exc.option_name} nimmt keinen Wert."
        return exc.message
    m = re.match(r"^Got unexpected extra argument(?:\(s\)|s)? \((?P<a>.*)\)$", exc.message, re.S)
    if m:
        return f"Überzählige Angabe(n): {m.group('a')}."
    if exc.message == "Missing command.":
        return "Befehl fehlt."
    return exc.message


class Typer(typer.Typer):
    """``typer.Typer`` whose commands and groups have German help pages and usage errors."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", DeutschGroup)
        kwargs.setdefault("rich_markup_mode", None)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("cls") is None:
            kwargs["cls"] = DeutschCommand
        return super().command(*args, **kwargs)


def _zitat(value: str) -> str:
    """click's ``'xml'`` (Python quotes) as the German „xml“; a value without quotes stays as it is."""
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return f"„{v[1:-1]}“"
    return v
