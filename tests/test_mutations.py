"""Seeded mutation test of the stock file (issue 11): read as written or refused, never silently wrong.

600 mutants of the valid shipped stock file, as a comma CSV and as a German semicolon CSV:
swapped digits, inserted separators (``.``, ``,`` quoted and unquoted, space), proper German
thousands points, decimal zeros, header typos, case changes, German aliases, duplicated headers,
huge values, deleted cells, rows and optional columns, signs. Each mutant must either be refused
(``InputError``; exit 2 through the CLI) or load to exactly the values a person reads in the file.

The person is the oracle below: a small strict parser written here, independent of the
production grammar. It knows plain digits, thousands groups of three (``.`` only in a semicolon
file, space in both), and decimal zeros that cannot be mistaken for a thousands group; it reads
header names case-insensitively, ignoring spaces, hyphens and underscores. Whatever it cannot
read unambiguously, the program must refuse.
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

import pytest

from verteilung.data import load_bestand, load_gemeinden
from verteilung.errors import InputError
from verteilung.resources import shipped

SEED = 20261129
N_MUTANTS = 600
G = load_gemeinden(jahr=2024)
AGS = G["ags"].tolist()
STOCK = ("flueag_bestand", "anrechnung_plaetze", "anrechnung_plaetze_eae", "wsa_bestand")
ALIASES = {"bestand flüag": "flueag_bestand", "bestand wsa": "wsa_bestand", "anrechnung": "anrechnung_plaetze",
           "gemeindeschlüssel": "ags", "quelle": "quelle", "gemeinde": "gemeinde"}
KNOWN = {"ags", "gemeinde", "quelle", *STOCK}


def _source() -> tuple[list[str], list[list[str]]]:
    with open(shipped("inputs", "nrw", "szenario", "bestand_synthetisch_2024.csv"), encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


HEADER, ROWS = _source()


# ------------------------------------------------------------------------------- the oracle


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "_", name.strip().casefold()).strip("_")


def person_reads_number(cell: str, semicolon: bool) -> int | None:
    """The count a person reads in the cell, or None if there is no single reading."""
    s = cell.strip()
    if s.isascii() and s.isdigit():
        return int(s)
    if re.fullmatch(r"[1-9][0-9]{0,2}([., ])[0-9]{3}(\1[0-9]{3})+", s):
        return int(re.sub(r"[., ]", "", s))      # two or more groups: only thousands separators
    m = re.fullmatch(r"([1-9][0-9]{0,2})([., ])([0-9]{3})", s)
    if m:                                      # one group: a point only in a German (;) file
        return int(m.group(1) + m.group(3)) if m.group(2) == " " or (semicolon and m.group(2) == ".") else None
    m = re.fullmatch(r"([0-9]+)([.,])(0+)", s)
    if m:                                      # decimal zeros: "5557,0" is 5557
        head, sep, zeros = m.groups()
        if semicolon and sep == ".":
            return None                        # a point is no decimal point in a German file
        if len(zeros) == 3 and len(head) <= 3 and head[0] != "0":
            return None                        # "5,000": a thousands group or decimals?
        return int(head)
    return None


def person_reads_file(text: str, semicolon: bool) -> dict[str, tuple[int, ...]] | None:
    """Stocks per AGS as a person reads the file, or None if it has no single reading."""
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if semicolon else ","))
    header = [_header_key(h) for h in rows[0]]
    header = [_header_key(ALIASES.get(h.replace("_", " "), h)) for h in header]
    if len(set(header)) != len(header) or not set(header) <= KNOWN:
        return None
    if "ags" not in header or not {"flueag_bestand", "wsa_bestand"} <= set(header):
        return None
    out: dict[str, tuple[int, ...]] = {}
    for row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            return None
        rec = dict(zip(header, row, strict=True))
        ags = rec["ags"].strip()
        if not re.fullmatch(r"[0-9]{8}", ags) or ags in out:
            return None
        values = []
        for col in STOCK:
            if col not in rec:
                values.append(0)                # optional column absent: "angenommen 0"
                continue
            v = person_reads_number(rec[col], semicolon)
            if v is None:
                return None
            values.append(v)
        out[ags] = tuple(values)
    if set(out) != set(AGS):
        return None
    return out


# ------------------------------------------------------------------------------- mutations


def _write(header: list[str], rows: list[list[str]], semicolon: bool, raw: dict[tuple[int, int], str]) -> str:
    """CSV text; cells in ``raw`` are written verbatim (unquoted), so an inserted comma splits them."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if semicolon else ",", lineterminator="\n")
    w.writerow(header)
    lines = [buf.getvalue()]
    sep = ";" if semicolon else ","
    for r, row in enumerate(rows):
        if any((r, c) in raw for c in range(len(row))):
            cells = []
            for c, v in enumerate(row):
                if (r, c) in raw:
                    cells.append(raw[(r, c)])
                else:
                    b = io.StringIO()
                    csv.writer(b, delimiter=sep, lineterminator="").writerow([v])
                    cells.append(b.getvalue())
            lines.append(sep.join(cells) + "\n")
        else:
            b = io.StringIO()
            csv.writer(b, delimiter=sep, lineterminator="\n").writerow(row)
            lines.append(b.getvalue())
    return "".join(lines)


def _typo(rng: random.Random, name: str) -> str:
    i = rng.randrange(len(name))
    op = rng.choice(["delete", "swap", "replace", "insert"])
    letters = "abcdefghijklmnopqrstuvwxyz"
    if op == "delete" and len(name) > 2:
        return name[:i] + name[i + 1:]
    if op == "swap" and i < len(name) - 1 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if op == "insert":
        return name[:i] + rng.choice(letters) + name[i:]
    c = rng.choice([ch for ch in letters if ch != name[i]])
    return name[:i] + c + name[i + 1:]


def mutate(rng: random.Random, semicolon: bool) -> tuple[str, str]:
    """One mutant: (kind, CSV text)."""
    header = list(HEADER)
    rows = [list(r) for r in ROWS]
    raw: dict[tuple[int, int], str] = {}
    num_cols = [header.index(c) for c in STOCK]
    kind = rng.choice(["swap", "separator", "separator", "thousands", "decimal_zero", "header_typo",
                       "header_case", "header_alias", "header_duplicate", "huge", "delete_cell",
                       "delete_row", "delete_column", "sign", "swap_ags"])
    r = rng.randrange(len(rows))
    c = rng.choice(num_cols)
    v = rows[r][c]
    if kind == "swap" and len(v) >= 2:
        i = rng.randrange(len(v) - 1)
        rows[r][c] = v[:i] + v[i + 1] + v[i] + v[i + 2:]
    elif kind == "separator":
        sep = rng.choice([".", ",", " "])
        i = rng.randrange(len(v) + 1)
        new = v[:i] + sep + v[i:]
        if sep == ("," if not semicolon else ";") and rng.random() < 0.5:
            raw[(r, c)] = new                    # unquoted: splits the cell
        rows[r][c] = new
    elif kind == "thousands":
        big = str(int(v) * 1000 + rng.randrange(1000))
        grouped = f"{int(big):,}"
        rows[r][c] = grouped.replace(",", ".") if rng.random() < 0.5 else grouped
    elif kind == "decimal_zero":
        rows[r][c] = v + rng.choice([".", ","]) + "0" * rng.choice([1, 2, 3])
    elif kind == "header_typo":
        j = rng.randrange(len(header))
        header[j] = _typo(rng, header[j])
    elif kind == "header_case":
        j = rng.randrange(len(header))
        header[j] = rng.choice([str.upper, str.title, str.capitalize])(header[j]) + rng.choice(["", " "])
    elif kind == "header_alias":
        alias = rng.choice(list(ALIASES))
        if ALIASES[alias] in header:
            header[header.index(ALIASES[alias])] = rng.choice([alias, alias.title(), alias.upper()])
    elif kind == "header_duplicate":
        j, k = rng.sample(range(len(header)), 2)
        header[k] = header[j].upper() if rng.random() < 0.5 else header[j]
    elif kind == "huge":
        rows[r][c] = rng.choice(["1e30", "1E6", "99999999999999999999", "9223372036854775808", "10000000000",
                                 str(int(G["einwohner"].iloc[AGS.index(rows[r][0])]) + 1), "inf", "NaN"])
    elif kind == "delete_cell":
        if rng.random() < 0.5:
            del rows[r][c]
        else:
            rows[r][c] = ""
    elif kind == "delete_row":
        del rows[r]
    elif kind == "delete_column":
        j = header.index(rng.choice(["anrechnung_plaetze", "anrechnung_plaetze_eae"]))
        del header[j]
        for row in rows:
            del row[j]
    elif kind == "sign":
        rows[r][c] = rng.choice(["-", "+", "\u2212"]) + v
    elif kind == "swap_ags":
        a = rows[r][0]
        i = rng.randrange(7)
        rows[r][0] = a[:i] + a[i + 1] + a[i] + a[i + 2:]
    return kind, _write(header, rows, semicolon, raw)


def _mutants() -> list[tuple[str, bool, str]]:
    rng = random.Random(SEED)
    out = []
    for n in range(N_MUTANTS):
        semicolon = n % 2 == 1
        kind, text = mutate(rng, semicolon)
        out.append((kind, semicolon, text))
    return out


MUTANTS = _mutants()


def _loaded(path: Path) -> dict[str, tuple[int, ...]] | None:
    try:
        b = load_bestand(path, G)
    except InputError:
        return None
    return {a: tuple(int(x) for x in vals) for a, *vals in b[["ags", *STOCK]].itertuples(index=False)}


def test_every_mutant_is_read_as_written_or_refused(tmp_path):
    outcome: dict[str, list[int]] = {}
    accepted_reading = refused = 0
    for n, (kind, semicolon, text) in enumerate(MUTANTS):
        path = tmp_path / f"m{n}.csv"
        path.write_text(text, encoding="utf-8")
        expected = person_reads_file(text, semicolon)
        got = _loaded(path)
        if got is None:
            refused += 1
        else:
            assert expected is not None, f"mutant {n} ({kind}) accepted, but a person has no single reading"
            assert got == expected, f"mutant {n} ({kind}) read differently than written"
            accepted_reading += 1
        outcome.setdefault(kind, [0, 0])[got is None] += 1
    assert len(MUTANTS) >= 500
    # not a test that refuses everything: the readable mutants are read
    assert accepted_reading >= 150, outcome
    for kind in ("swap", "thousands", "header_case", "header_alias", "delete_column"):
        assert outcome[kind][0] > 0, (kind, outcome)
    for kind in ("huge", "sign", "delete_row", "header_duplicate", "header_typo"):
        assert outcome[kind][0] == 0, (kind, outcome)


@pytest.mark.parametrize("n", range(0, N_MUTANTS, 24))
def test_cli_sample_agrees(cli, tmp_path, n):
    """A sample through the real CLI: exit 2 exactly when refused, else the person's sums."""
    kind, semicolon, text = MUTANTS[n]
    path = tmp_path / "bestand.csv"
    path.write_text(text, encoding="utf-8")
    expected = person_reads_file(text, semicolon)
    r = cli("data", "check", "--bestand", path, "--format", "json")
    assert r.code in (0, 2), r.stderr
    if r.code == 0:
        assert expected is not None, (kind, r.stdout)
        got = r.json()["bestand"]
        for i, col in enumerate(STOCK):
            assert got[col] == sum(v[i] for v in expected.values()), (kind, col)
    else:
        assert str(path) in r.stderr and "Traceback" not in r.stderr
