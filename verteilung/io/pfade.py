"""The path rules every command's outputs obey (README "Zusagen"), in one place.

A command names its outputs (``--out``, ``--haushalte-out``, an output folder) and its inputs;
`pruefe_pfade` refuses, before anything is computed or written (exit 2):

- an output that is one of the command's inputs: compared by resolved path (symlinks, ``./``
  spellings, ``..``) and by inode (hard links), so no spelling overwrites an input;
- an input inside an output folder where the command may replace it (a file the tool wrote
  there, or any file with ``--ueberschreiben``);
- two outputs of one command that are the same file (one would silently replace the other);
- any output inside a ledger root's period or revision folders (``outputs/2024-05/``,
  ``outputs/2024-05/r1/``): a published revision is immutable; only ``verteilung run`` writes
  there, through its own rules (verteilung.run).

An output folder also keeps a small manifest (`MANIFEST_NAME`: file name and SHA-256 of every file
the tool wrote there). `pruefe_ersetzen` lets a command replace only files it wrote itself and
that are unchanged since; a person's own file of the same name is refused with its path unless
``--ueberschreiben`` is given. A symbolic link in the folder that points outside it is refused,
never followed.

A single output file (``--out bericht.xlsx``, ``--haushalte-out h.csv``) follows the same rule:
after the command it is recorded in the manifest of the folder it lies in (`ausgaben_geprueft`),
so a later call may replace it while it is unchanged; any other existing file of that name is
refused before computing (exit 2). One rule for files and folders, so "no command overwrites a
file it did not write" holds without exceptions.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from verteilung.errors import InputError, Problem

LEDGER_NAME = "ledger.sqlite"
MANIFEST_NAME = "verteilung-ausgaben.json"
PERIOD_DIR = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
REVISION_DIR = re.compile(r"^r\d+$")
UEBERSCHREIBEN_HINWEIS = "anderen Ordner wählen, die Datei umbenennen oder --ueberschreiben angeben"


@dataclass(frozen=True)
class Ausgabe:
    """One output of a command: the option that names it, the path, and whether it is a folder."""

    option: str
    pfad: Path
    ordner: bool = False


def _absolute(path: Path) -> Path:
    """The path with symlinks and ``..`` resolved as far as it exists (never raises)."""
    return Path(os.path.realpath(path))


def same_file(a: Path, b: Path) -> bool:
    """Whether A and B name one file: equal resolved paths, or one inode (hard link, bind mount)."""
    if _absolute(a) == _absolute(b):
        return True
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _inside(path: Path, folder: Path) -> bool:
    try:
        _absolute(path).relative_to(_absolute(folder))
        return True
    except ValueError:
        return False


def _has_revisions(period: Path) -> bool:
    try:
        return any(r.is_dir() and REVISION_DIR.match(r.name) and (r / "manifest.json").exists()
                   for r in period.iterdir())
    except OSError:
        return False


def _is_run_period(period: Path) -> bool:
    """A ``JJJJ-MM`` folder of a ledger root: beside a ledger file (also one a later run will make),
    or holding revisions."""
    return PERIOD_DIR.match(period.name) is not None and (
        (period.parent / LEDGER_NAME).exists() or (period.is_dir() and _has_revisions(period)))


def run_folder(path: Path) -> Path | None:
    """The period folder of a ledger root that PATH is (or lies) in, or None."""
    target = _absolute(path)
    for p in (target, *target.parents):
        if _is_run_period(p):
            return p
        if REVISION_DIR.match(p.name) and (p / "manifest.json").exists() and PERIOD_DIR.match(p.parent.name):
            return p.parent
    return None


def _replaceable(p: Path, folder: Path, ueberschreiben: bool) -> bool:
    """Whether a file P inside the output FOLDER may be replaced by a command writing there: with
    ``--ueberschreiben`` any file may; otherwise only what the manifest records (and the batches a
    sweep keeps). A person's own file of an output name is refused later by `pruefe_ersetzen`."""
    if ueberschreiben:
        return True
    rel = _absolute(p).relative_to(_absolute(folder)).as_posix()
    return rel in lies_manifest(folder) or rel.startswith("batches/")


def pruefe_pfade(ausgaben: Iterable[Ausgabe], eingaben: Iterable[tuple[str, Path]],
                 ueberschreiben: bool = False, einzeldateien: bool = True) -> None:
    """Refuse outputs that would overwrite an input, each other, a published run, or a file the
    tool did not write (exit 2).

    An input inside an output folder is refused where the command may replace it (a file the tool
    wrote there before, or any file with ``ueberschreiben``). With EINZELDATEIEN, an existing single
    output file is refused unless its folder's manifest records it unchanged (or ``ueberschreiben``);
    a command with a stricter rule of its own (``data vorlage``) turns that off. Nothing is created
    or written here; every problem is listed at once.
    """
    from verteilung.io import check_out_dir, check_out_file  # io imports this module

    outs = [a for a in ausgaben if a.pfad is not None]
    ins = [(option, Path(p)) for option, p in eingaben if p is not None]
    problems: list[Problem] = []
    for a in outs:  # a folder for a file, a file for a folder, a ledger, a folder holding runs
        try:
            (check_out_dir if a.ordner else check_out_file)(a.pfad, a.option)
        except InputError as exc:
            problems += exc.problems
    for a in outs:
        if einzeldateien and not a.ordner and not any(same_file(a.pfad, p) for _, p in ins):
            try:
                pruefe_ersetzen(a.pfad.parent, [a.pfad.name], ueberschreiben, a.option)
            except InputError as exc:
                problems += exc.problems
        for option, p in ins:
            if same_file(a.pfad, p):
                problems.append(Problem(a.option, f"{a.pfad} ist dieselbe Datei wie die Eingabe {option} {p}; "
                                        "eine Eingabe wird nie überschrieben, bitte einen anderen Namen wählen"))
            elif a.ordner and _inside(p, a.pfad) and _replaceable(p, a.pfad, ueberschreiben):
                problems.append(Problem(a.option, f"die Eingabe {option} {p} liegt im Ausgabeordner {a.pfad}, "
                                        "dessen Dateien ersetzt werden können; bitte einen anderen Ordner wählen"))
    for i, a in enumerate(outs):
        for b in outs[i + 1:]:
            if same_file(a.pfad, b.pfad) or (a.ordner and _inside(b.pfad, a.pfad)) or \
                    (b.ordner and _inside(a.pfad, b.pfad)):
                problems.append(Problem(a.option, f"{a.pfad} und {b.option} {b.pfad} sind dieselbe Datei oder "
                                        "liegen ineinander; eine Ausgabe würde die andere ersetzen"))
    if problems:
        raise InputError(problems)


# --- the manifest of an output folder ------------------------------------------------------------

_UEBERSCHREIBEN: ContextVar[bool] = ContextVar("verteilung_ueberschreiben", default=False)


def ueberschreiben_erlaubt() -> bool:
    """Whether this call may replace files it did not write (``--ueberschreiben``)."""
    return _UEBERSCHREIBEN.get()


@contextmanager
def ueberschreiben(erlaubt: bool) -> Iterator[None]:
    """Allow (or not) replacing foreign files in output folders for the calls within the block.

    The CLI sets it once per command, so the folder writers of compare, simulate, sweep and
    sensitivitaet need no extra argument.
    """
    token = _UEBERSCHREIBEN.set(erlaubt)
    try:
        yield
    finally:
        _UEBERSCHREIBEN.reset(token)



def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def lies_manifest(folder: Path) -> dict[str, str]:
    """The files the tool recorded as written in FOLDER (name → SHA-256); empty if none or unreadable."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("dateien") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def manifest_bytes(files: dict[str, str]) -> bytes:
    """The manifest's bytes: sorted, no time stamps, so equal outputs give equal bytes."""
    payload = {"hinweis": "Dateien, die verteilung in diesem Ordner geschrieben hat (Name und SHA-256). "
                          "Nur diese ersetzt verteilung bei einem neuen Aufruf; andere Dateien gleichen Namens "
                          "nur mit --ueberschreiben.",
               "dateien": dict(sorted(files.items()))}
    return (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def pruefe_ersetzen(folder: Path, names: Iterable[str], ueberschreiben: bool = False,
                    option: str = "--out") -> None:
    """Refuse writing NAMES into FOLDER where that would replace what the tool did not write.

    A name may replace a file only if the manifest records it with the file's current SHA-256 (the
    tool wrote it and nobody changed it since), or with ``ueberschreiben``. A symbolic link that
    points outside FOLDER, and a folder where a file is to go, are refused in any case.
    """
    recorded = lies_manifest(folder)
    root = _absolute(folder)
    problems: list[Problem] = []
    manifest = folder / MANIFEST_NAME
    if os.path.lexists(manifest) and not recorded and not ueberschreiben:  # a person's file of that name
        try:
            ours = isinstance(json.loads(manifest.read_text(encoding="utf-8")).get("dateien"), dict)
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours or manifest.is_symlink():
            problems.append(Problem(option, f"{manifest}: eine eigene Datei unter dem Namen, unter dem verteilung "
                                    "seine Ausgaben verzeichnet, wird nicht überschrieben; "
                                    f"{UEBERSCHREIBEN_HINWEIS}"))
    for name in sorted(set(names)):
        target = folder / name
        if target.is_symlink() and not _inside(target, root):
            problems.append(Problem(option, f"{target} ist ein symbolischer Link nach außerhalb des Ordners "
                                    f"({os.readlink(target)}); er wird nicht verfolgt"))
            continue
        if not os.path.lexists(target):
            continue
        if target.is_dir():
            problems.append(Problem(option, f"{target} ist ein Ordner; die Datei {name} kann dort nicht "
                                    "geschrieben werden"))
            continue
        if ueberschreiben or target.is_symlink():
            continue
        if recorded.get(name) != sha256_file(target):
            what = "seit dem letzten Aufruf geändert" if name in recorded else "nicht von verteilung geschrieben"
            problems.append(Problem(option, f"{target}: vorhandene Datei ({what}) wird nicht überschrieben; "
                                    f"{UEBERSCHREIBEN_HINWEIS}"))
    if problems:
        raise InputError(problems)


def pruefe_unterordner(folder: Path, name: str, option: str = "--out") -> Path:
    """A subfolder the tool keeps in FOLDER (e.g. ``batches``): refused if it is a link outside FOLDER."""
    sub = folder / name
    if sub.is_symlink() and not _inside(sub, folder):
        raise InputError(Problem(option, f"{sub} ist ein symbolischer Link nach außerhalb des Ordners "
                                 f"({os.readlink(sub)}); er wird nicht verfolgt"))
    return sub


# --- a command's options as outputs and inputs ---------------------------------------------------

AUSGABE_OPTIONEN = {"out": "--out", "haushalte_out": "--haushalte-out"}
_MODELL_OPTIONEN = ("modell", "modelle")


def aufruf_pfade(werte: dict[str, object], ordner: bool = False) -> tuple[list[Ausgabe], list[tuple[str, Path]]]:
    """A command's outputs and inputs from its argument values (the CLI's parameter names).

    Outputs are ``out`` (a folder when ORDNER) and ``haushalte_out``; inputs are every other path
    argument, model arguments that name a file (``--modell``, ``--modelle a.yaml,b``), and the file
    of a ``sqlite:///`` ledger URL.
    """
    outs: list[Ausgabe] = []
    ins: list[tuple[str, Path]] = []
    for name, value in werte.items():
        if value is None:
            continue
        option = "--" + name.replace("_", "-")
        if name in AUSGABE_OPTIONEN:
            outs.append(Ausgabe(AUSGABE_OPTIONEN[name], Path(str(value)), ordner and name == "out"))
        elif isinstance(value, Path):
            ins.append((option, value))
        elif isinstance(value, list):
            ins += [(option, v) for v in value if isinstance(v, Path)]
        elif name in _MODELL_OPTIONEN and isinstance(value, str):
            ins += [(option, Path(part.strip())) for part in value.split(",")
                    if Path(part.strip()).suffix and Path(part.strip()).is_file()]
        elif name == "ledger" and isinstance(value, str) and value.startswith("sqlite:///"):
            ins.append((option, Path(value[len("sqlite:///"):])))
    return outs, ins


def pruefe_aufruf(werte: dict[str, object], ordner: bool = False, einzeldateien: bool = True) -> None:
    """`pruefe_pfade` for one CLI call: before anything is computed, refuse outputs onto inputs,
    onto each other, into a published run, or onto a file the tool did not write (exit 2)."""
    pruefe_pfade(*aufruf_pfade(werte, ordner), ueberschreiben=bool(werte.get("ueberschreiben", False)),
                 einzeldateien=einzeldateien)


def _kennung(path: Path) -> tuple[int, int, int, int] | None:
    """What changes when a file is (atomically) written: inode, size, modification time; None if absent."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@contextmanager
def ausgaben_geprueft(werte: dict[str, object], ordner: bool = False,
                      einzeldateien: bool = True) -> Iterator[None]:
    """One CLI call under the path rules: check before (`pruefe_aufruf`), allow ``--ueberschreiben``
    for the folder writers within, and afterwards record every single output file the call wrote
    in its folder's manifest, so the next call may replace it (and nothing else)."""
    pruefe_aufruf(werte, ordner, einzeldateien)
    dateien = [a.pfad for a in aufruf_pfade(werte, ordner)[0] if not a.ordner] if einzeldateien else []
    vorher = {p: _kennung(p) for p in dateien}
    try:
        with ueberschreiben(bool(werte.get("ueberschreiben", False))):
            yield
    finally:
        vermerke_dateien([p for p in dateien if _kennung(p) not in (None, vorher[p])])


def vermerke_dateien(dateien: Iterable[Path]) -> None:
    """Record single files the tool wrote in the manifest of their folders (name → SHA-256)."""
    from verteilung.io import vermerke  # io imports this module

    folders: dict[Path, list[str]] = {}
    for p in dateien:
        if p.is_file() and not p.is_symlink():
            folders.setdefault(p.parent, []).append(p.name)
    for folder, names in folders.items():
        vermerke(folder, names)
