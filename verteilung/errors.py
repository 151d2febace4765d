"""Errors that carry their exit code, so the CLI maps them without knowing each one."""

from __future__ import annotations

from dataclasses import dataclass

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
            lines.append(f"... and {len(self.problems) - MAX_LISTED} more problems")
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
