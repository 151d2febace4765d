"""Run a function in a child process that is stopped at a wall-clock deadline.

Why a process: a solver's own time limit starts counting only once the model is handed over, and
PuLP builds and hands over a large integer model for seconds without any way to interrupt it
(issue 25: `--zeitlimit 10` took 12 s at Germany scale). Only a process can be stopped at any
moment. The child reports each usable result as soon as it has one; the caller keeps the last
one it received, so stopping the child never loses more than the stage it was in.

Start method: ``fork`` where the platform has it (the child starts at once, with the parent's
modules and arrays; it runs only numpy, PuLP and HiGHS), else ``spawn``. The child leads its own
process group, so a solver it started as a program of its own (CBC) is stopped with it. A daemonic
process (a ``multiprocessing.Pool`` worker) may not start children: there the function runs in
the process itself and only its own time limits hold.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from typing import Any

Report = Callable[[Any, bool], None]


def _start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _child(conn: Any, target: Callable[..., None], args: tuple) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # a solver program started below dies with this process group

    def report(value: Any, final: bool) -> None:
        conn.send(("ergebnis", value, final))

    try:
        target(report, *args)
    except BaseException as exc:  # handed to the parent, which raises it
        try:
            conn.send(("fehler", exc, True))
        except Exception:  # an exception that does not pickle: its text still goes
            conn.send(("fehler", RuntimeError(f"{type(exc).__name__}: {exc}"), True))
    finally:
        conn.close()


def _stop(proc: multiprocessing.process.BaseProcess) -> None:
    if proc.is_alive():
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
        except (AttributeError, ProcessLookupError, PermissionError):
            proc.kill()  # the child had not yet made its own group (or no process groups here)
    proc.join()


def run_here(target: Callable[..., None], args: tuple) -> tuple[Any, bool, bool]:
    """`run_until` in this process: the same results, but only the function's own limits hold."""
    got: list[tuple[Any, bool]] = []
    target(lambda value, final: got.append((value, final)), *args)
    last, final = got[-1] if got else (None, False)
    return last, final, False


def run_until(target: Callable[..., None], args: tuple, ende: float) -> tuple[Any, bool, bool]:
    """Run ``target(report, *args)`` until it returns or ``time.monotonic()`` reaches ``ende``.

    ``report(value, final)`` hands a result to the caller; ``final`` marks the last one. Returns
    the last value received (None if none), whether it was final, and whether the child was
    stopped at the deadline. An exception in the child is raised here, after the child is gone.
    """
    if multiprocessing.current_process().daemon:
        return run_here(target, args)
    ctx = multiprocessing.get_context(_start_method())
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, target, args), daemon=True)
    last, final, stopped, error = None, False, False, None
    proc.start()
    send.close()
    try:
        while not final:
            wait = ende - time.monotonic()
            if wait <= 0:
                stopped = True
                break
            if not receive.poll(wait):
                continue
            try:
                kind, value, final = receive.recv()
            except EOFError:  # the child ended without a word (killed from outside, out of memory)
                break
            if kind == "fehler":
                error = value
                break
            last = value
    finally:
        _stop(proc)
        receive.close()
    if error is not None:
        raise error
    return last, final, stopped
