"""One output-format registry (`verteilung.io.formate`) for single files and folders, and the
recipe "Ein neues Ausgabeformat": one `register(...)` adds a suffix everywhere."""

from __future__ import annotations

import pandas as pd
import pytest

from verteilung.io import formate


def _markdown(t: formate.Tabelle) -> bytes:
    """A Markdown table with the German headers and numbers a person reads."""
    from verteilung.io.deutsch import present

    shown = present(t.fuer_personen)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    head = [f"> {t.hinweis}", ""] if t.hinweis else []
    return ("\n".join([*head, *lines]) + "\n").encode("utf-8")


@pytest.fixture
def markdown(monkeypatch):
    """Recipe "Ein neues Ausgabeformat": the writer and one registration, nothing else."""
    monkeypatch.setattr(formate, "FORMATE", dict(formate.FORMATE))  # restored afterwards
    formate.register(formate.Format(".md", "Markdown-Tabelle", _markdown))


def test_unknown_suffix_is_refused_before_anything_is_written(cli, tmp_path):
    for args in (["data", "check"], ["keys", "--system", "flueag"]):
        r = cli(*args, "--out", tmp_path / "x.md")
        assert r.code == 2 and "unbekannte Dateiendung „.md“; erlaubt: .csv, .json, .xlsx, .parquet" in r.stderr
        assert not (tmp_path / "x.md").exists()


def test_data_check_out_writes_the_format_of_the_name_never_json(cli, tmp_path):
    r = cli("data", "check", "--jahr", "2024", "--out", tmp_path / "pruefung.csv")
    assert r.code == 0, r.stderr
    text = (tmp_path / "pruefung.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("Parameter;Wert") and "Einwohner;18.190.422" in text and "{" not in text
    assert cli("data", "check", "--out", tmp_path / "p.json").code == 0
    assert (tmp_path / "p.json").read_text(encoding="utf-8").lstrip().startswith("{")


def test_recipe_ein_neues_ausgabeformat(markdown, cli, tmp_path):
    assert ".md" in formate.suffixes()
    r = cli("keys", "--system", "flueag", "--jahr", "2024", "--out", tmp_path / "schluessel.md")
    assert r.code == 0, r.stderr
    lines = (tmp_path / "schluessel.md").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("| AGS | Gemeinde | Einwohner |") and len(lines) == 2 + 396
    assert "| 05315000 | Köln, Stadt | 1.087.353 |" in "\n".join(lines)
    check = cli("data", "check", "--jahr", "2024", "--out", tmp_path / "pruefung.md")
    assert check.code == 0, check.stderr
    assert (tmp_path / "pruefung.md").read_text(encoding="utf-8").startswith("| Parameter | Wert |")
    # folders take the same registry: a results folder member with the new suffix
    formate.schreibe_ordner(tmp_path / "ordner", {"t.md": formate.Tabelle(pd.DataFrame({"ags": ["05315000"]}))})
    assert (tmp_path / "ordner" / "t.md").read_text(encoding="utf-8").startswith("| AGS |")
