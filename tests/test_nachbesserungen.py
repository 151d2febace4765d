"""Findings of the reviewer's day-one trial that the officer meets first (session 4)."""

from __future__ import annotations


def test_stichtag_in_german_format_is_the_same_day(cli):
    german = cli("explain", "05913000", "--system", "flueag", "--stichtag", "30.06.2018")
    iso = cli("explain", "05913000", "--system", "flueag", "--stichtag", "2018-06-30")
    assert german.code == 0, german.stderr
    assert german.stdout == iso.stdout and "30.06.2018" in german.stdout


def test_impossible_or_ambiguous_date_is_refused(cli):
    for text in ("31.02.2018", "06/30/2018", "30.06.18"):
        r = cli("keys", "--system", "flueag", "--stichtag", text)
        assert r.code == 2, (text, r.stdout)
        assert "kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT)" in r.stderr and text in r.stderr


def test_no_arrivals_names_nobody_as_relieved_or_burdened(cli, tmp_path):
    r = cli("compare", "--modelle", "status-quo,m1-gemeinsamer-bestand", "--zugaenge-flueag", "0",
            "--zugaenge-wsa", "0", "--out", tmp_path / "v")
    assert r.code == 0, r.stderr
    assert "am stärksten entlastet" not in r.stdout and "am stärksten belastet" not in r.stdout
