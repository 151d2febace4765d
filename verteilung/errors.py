"""Errors that carry their exit code, so the CLI maps them without knowing each one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

MAX_LISTED = 20


@dataclass(frozen=True)
class Problem:
    """One defect in an input file: where it is and why it is refused."""

    file: str
    reason: str
    row: int | None = None
    ags: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.ags:
            parts.append(f"AGS {self.ags}")
        return f"{', '.join(parts)}: {self.reason}"


class VerteilungError(Exception):
    exit_code = 1


class InputError(VerteilungError):
    """Bad input: refused before anything is written (exit code 2)."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="input", reason=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(p) for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            more = len(self.problems) - MAX_LISTED
            lines.append(f"… und {more} weitere Fehler (die ersten {MAX_LISTED} stehen oben)")
        return "\n".join(lines)


class InfeasibleError(VerteilungError):
    """The allocation cannot satisfy its constraints (exit code 3)."""

    exit_code = 3


class SolverError(VerteilungError):
    """The solver stopped without a usable solution (time limit, numerical trouble).

    Exit code 4: not the user's input (2), not a proven infeasibility (3), not a bug (1); the
    message says what to change (time limit, constraints) and the run can be retried.
    """

    exit_code = 4


EXIT_DISK_FULL = 74  # EX_IOERR: the disk or quota is full; make room and run again


class DiskFullError(VerteilungError):
    """No space left on the disk (or quota): not bad input (2), not a bug (1), exit code 74.

    Whatever was half written is removed; a run publishes no revision and leaves its ledger as it
    was, so the same command can simply be repeated once there is room.
    """

    exit_code = EXIT_DISK_FULL


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether EXC (or what caused it) is a full disk or quota, including SQLite's own message."""
    import errno

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "database or disk is full" in str(exc) or "No space left on device" in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def disk_full_text(exc: BaseException | None = None) -> str:
    """The German line for a full disk, naming the file when the error knows it."""
    name = getattr(exc, "filename", None)
    where = f" ({name})" if name else ""
    return (f"kein Speicherplatz mehr auf dem Datenträger{where}; nichts Unvollständiges wurde hinterlassen. "
            "Platz schaffen und den Befehl erneut starten")


# --- validation errors of config and model files (pydantic) as German sentences -----------------

_KIND_TEXT = {
    "int_type": "erwartet eine ganze Zahl",
    "int_parsing": "erwartet eine ganze Zahl",
    "int_from_float": "erwartet eine ganze Zahl",
    "float_type": "erwartet eine Zahl",
    "float_parsing": "erwartet eine Zahl",
    "finite_number": "erwartet eine endliche Zahl",
    "bool_type": "erwartet true oder false",
    "bool_parsing": "erwartet true oder false",
    "string_type": "erwartet Text in Anführungszeichen",
    "list_type": "erwartet eine Liste (Einträge mit - oder [ ... ])",
    "dict_type": "erwartet einen Abschnitt mit Schlüsseln, keinen Einzelwert",
    "model_type": "erwartet einen Abschnitt mit Schlüsseln, keinen Einzelwert",
    "model_attributes_type": "erwartet einen Abschnitt mit Schlüsseln, keinen Einzelwert",
    "date_type": "erwartet ein Datum JJJJ-MM-TT, z. B. 2024-05-01",
    "date_parsing": "erwartet ein Datum JJJJ-MM-TT, z. B. 2024-05-01",
    "date_from_datetime_parsing": "erwartet ein Datum JJJJ-MM-TT, z. B. 2024-05-01",
    "frozen_instance": "darf nicht geändert werden",
}
_BOUNDS = {"greater_than": ("gt", "größer als"), "greater_than_equal": ("ge", "mindestens"),
           "less_than": ("lt", "kleiner als"), "less_than_equal": ("le", "höchstens")}
_NAME_PATTERN = "^[a-z][a-z0-9_]*$"


def _number(value: object) -> str:
    """A bound as a German reads it: 10.000.000, 0,5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:g}".replace(".", ",")


def _choices(text: object) -> str:
    """pydantic's ``'R1' or 'R2'`` / ``'A', 'B' or 'C'`` as ``R1 oder R2`` / ``A, B oder C``."""
    return str(text).replace("'", "").replace(" or ", " oder ")


def _unwrap(tp: object) -> list[object]:
    """The model classes, list and dict types a (possibly Optional/Annotated/Union) annotation can be."""
    import types
    import typing

    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [x for arg in typing.get_args(tp) for x in _unwrap(arg)]
    return [tp]


def _models(candidates: list[object]) -> list[type]:
    from pydantic import BaseModel

    return [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]


def _walk(root: type, loc: tuple) -> tuple[str, list[type]]:
    """The key as shown (``systeme[1].schluessel.kappung``: list entries counted from 1, the union
    tag pydantic inserts dropped) and the model classes that hold the last key."""
    import typing

    shown = ""
    candidates: list[object] = [root]
    holders: list[type] = [root]
    skip_tag = False
    for item in loc:
        models = _models(candidates)
        holders = models
        if skip_tag and isinstance(item, str):
            skip_tag = False
            candidates = [m for m in models if item in _tags(m)] or models
            continue
        if isinstance(item, int):
            shown += f"[{item + 1}]"
            candidates = [a for c in candidates if typing.get_origin(c) in (list, tuple, set)
                          for a in _unwrap(typing.get_args(c)[0])]
            continue
        shown += f".{item}" if shown else str(item)
        field = next((m.model_fields[item] for m in models if item in m.model_fields), None)
        if field is None:  # a free dict key (e.g. zugaenge.flueag) or an unknown key
            candidates = [a for c in candidates if typing.get_origin(c) is dict
                          for a in _unwrap(typing.get_args(c)[1])]
            continue
        candidates = _unwrap(field.annotation)
        tagged = [m for m in _models(candidates) if _tags(m)]
        skip_tag = len(tagged) > 1
    return shown, holders


def _tags(model: type) -> set[str]:
    """The literal values of a discriminated model's ``typ`` field."""
    import typing

    field = getattr(model, "model_fields", {}).get("typ")
    if field is None or typing.get_origin(field.annotation) is not typing.Literal:
        return set()
    return {str(a) for a in typing.get_args(field.annotation)}


def _allowed(root: type | None, loc: tuple) -> list[str]:
    """The keys allowed where the unknown key ``loc`` was found (empty if not known)."""
    if root is None:
        return []
    _, holders = _walk(root, loc)
    return sorted(holders[0].model_fields) if len(holders) == 1 else []


def validation_sentence(err: dict, root: type | None = None, expected: dict[str, str] | None = None) -> str:
    """One pydantic error as a German sentence: the key, what is expected, what was given.

    ``root`` is the validated model class (for the allowed keys next to an unknown one and to drop
    the union tag from the key); ``expected`` maps a key's last name to a custom expectation.
    """
    loc = tuple(err.get("loc", ()))
    key, _ = _walk(root, loc) if root is not None else (".".join(str(x) for x in loc), None)
    if err["type"] == "union_tag_invalid":  # the tag's own key, e.g. schluessel.typ
        key = f"{key}.{_choices((err.get('ctx') or {}).get('discriminator', 'typ'))}"
    return f"{key or '(ganze Datei)'}: {validation_reason(err, root, expected)}"


def validation_reason(err: dict, root: type | None = None, expected: dict[str, str] | None = None) -> str:
    """What is wrong with the value of one pydantic error, in German (without the key)."""
    loc = tuple(err.get("loc", ()))
    kind, given, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    shown = (f"; erhalten „{given}“" if isinstance(given, str) else f"; erhalten {given}"
             if isinstance(given, int | float | bool) else "")
    last = str(loc[-1]) if loc else ""
    if kind == "missing":
        return "Pflichtangabe fehlt"
    if kind == "extra_forbidden":
        allowed = _allowed(root, loc)
        return "unbekannter Schlüssel" + (f" (erlaubt: {', '.join(allowed)})" if allowed else "")
    if expected and last in expected:
        return f"erwartet {expected[last]}{shown}"
    if kind == "literal_error":
        return f"erwartet {_choices(ctx.get('expected', ''))}{shown}"
    if kind == "union_tag_invalid":
        tags = _choices(ctx.get("expected_tags", ""))
        return f"erwartet einen der Werte {tags}; erhalten „{ctx.get('tag')}“"
    if kind == "union_tag_not_found":
        return f"Pflichtangabe {_choices(ctx.get('discriminator', 'typ'))} fehlt"
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        return f"muss {words} {_number(ctx.get(name))} sein{shown}"
    if kind == "too_short":
        return f"braucht mindestens {ctx.get('min_length', 1)} Eintrag/Einträge"
    if kind == "too_long":
        return f"höchstens {ctx.get('max_length')} Einträge erlaubt"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == _NAME_PATTERN:
            return f"erwartet einen Namen aus Kleinbuchstaben a-z, Ziffern und _, mit Buchstaben vorn{shown}"
        return f"passt nicht zum Muster {ctx.get('pattern')}{shown}"
    if kind in _KIND_TEXT:
        return f"{_KIND_TEXT[kind]}{shown}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err.get("msg", "")))
    return f"ungültiger Wert{shown}"


def validation_problems(exc: ValidationError, file: str, root: type | None = None,
                        expected: dict[str, str] | None = None) -> list[Problem]:
    """A pydantic ``ValidationError`` of ``file`` as one German Problem per defect (file named).

    >>> validation_problems(exc, "run.toml", RunConfig)   # doctest: +SKIP
    [Problem(file='run.toml', reason='farbe: unbekannter Schlüssel (erlaubt: ausgabe, bestand, …)')]
    """
    return [Problem(str(file), validation_sentence(dict(e), root, expected)) for e in exc.errors()]
