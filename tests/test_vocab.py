"""One vocabulary: every output column has a unique German label, a number kind and an XLSX format."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from verteilung import vocab
from verteilung.vocab import Kind

DOC = Path(__file__).resolve().parents[1] / "docs" / "ausgaben.md"


def _documented_output_columns() -> dict[str, list[str]]:
    """The table "Spalten der Ausgaben" in docs/ausgaben.md: output -> identifiers."""
    section = DOC.read_text(encoding="utf-8").split("## Spalten der Ausgaben")[1].split("\n## ")[0]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[1].startswith("`"):
            out[cells[0]] = re.findall(r"`([A-Za-z0-9_]+)`", cells[1])
    return out


def test_labels_are_unique_and_percent_columns_say_so():
    seen: dict[str, str] = {}
    for ident, col in vocab.COLUMNS.items():
        assert col.label not in seen, f"{ident} and {seen[col.label]} share the label {col.label!r}"
        seen[col.label] = ident
        is_percent = col.kind in (Kind.PERCENT, Kind.FRACTION)
        assert col.label.endswith(" (%)") == is_percent, (ident, col.label)


def test_glossary_terms():
    assert vocab.label("ags") == "AGS"
    assert vocab.label("gemeinde") == "Gemeinde"
    assert vocab.label("soll_stichtag") == "Soll (Stichtag)"
    assert vocab.label("soll_nach_zuweisung") == "Soll nach Zuweisung"
    assert vocab.label("soll_gerundet") == "Soll, gerundet"
    assert vocab.label("gesamtsoll_nach_zuweisung") == "Gesamtsoll beider Systeme nach Zuweisung"
    assert vocab.column("soll") is None  # the plain field name is not used (GLOSSAR.md)
    assert vocab.label("erfuellungsquote") == "Erfüllungsquote (%)"
    assert vocab.label("last_je_1000") == "Last je 1.000 Einwohner"
    assert vocab.label("konflikt") == "Konflikt"
    # the exact Soll has decimals, the rounded one none
    assert vocab.COLUMNS["soll_stichtag"].xlsx_format == '#,##0.00;"−"#,##0.00'
    assert vocab.COLUMNS["soll_gerundet"].xlsx_format == '#,##0;"−"#,##0'


def test_every_output_column_today_has_a_label():
    outputs = _documented_output_columns()
    assert len(outputs) >= 15
    missing = {o: [c for c in cols if vocab.column(c) is None] for o, cols in outputs.items()}
    assert not {o: m for o, m in missing.items() if m}


def test_columns_of_real_outputs_have_labels():
    """Run the cheap commands in-process: a column added later without a label fails here."""
    from verteilung import api

    bestand = Path(__file__).resolve().parents[1] / "inputs" / "nrw" / "szenario" / "bestand_synthetisch_2024.csv"
    keys, key_info = api.keys("flueag")
    status, summary = api.status("flueag", bestand)
    alloc = api.allocate("flueag", bestand, personen=50)
    cols = (list(keys.columns) + list(status.columns) + list(summary) + list(alloc.table.columns)
            + list(alloc.summary) + [vocab.RENAMES["keys.summary"].get(k, k) for k in key_info])
    assert [c for c in cols if vocab.column(c) is None] == []
    vocab.labels(status.columns)  # no two alike
    vocab.labels(alloc.table.columns)


def test_composed_identifiers():
    assert vocab.label("zuweisung_flueag") == "Zuweisung FlüAG"
    assert vocab.label("bestand_wsa") == "Bestand WSA"
    assert vocab.label("zuweisung_awov") == "Zuweisung WSA"
    assert vocab.label("flueag_bestand") == "Bestand FlüAG"
    assert vocab.label("erfuellungsquote_nachher_wsa") == "Erfüllungsquote nach Zuweisung WSA (%)"
    assert vocab.label("erfuellungsquote_a") == "Erfüllungsquote Lauf A (%)"
    assert vocab.label("bestand_diff") == "Änderung Bestand"
    assert vocab.column("zuweisung_diff").signed
    assert vocab.label("anteil_einwohner") == "Anteil Einwohner"
    assert vocab.column("gewicht_arbeitslose").kind is Kind.DECIMAL
    assert vocab.label("quote_p95") == "Quote P95 (%)"
    assert vocab.column("voellig_unbekannt") is None
    assert vocab.label("voellig_unbekannt") == "voellig_unbekannt"


def test_renames_make_every_output_unambiguous():
    status_cols = ["ags", "gemeinde", "soll_stichtag", "erfuellungsquote", "soll_gerundet"]
    assert vocab.labels(status_cols) == ["AGS", "Gemeinde", "Soll (Stichtag)", "Erfüllungsquote (%)", "Soll, gerundet"]
    assert vocab.RENAMES["compare.gemeinden"]["quote_flueag"] == "erfuellungsquote_nachher_flueag"
    for output, mapping in vocab.RENAMES.items():
        for target in mapping.values():
            assert vocab.column(target) is not None, (output, target)
    with pytest.raises(ValueError, match="share the label"):
        vocab.labels(["soll_stichtag", "Soll (Stichtag)"])


@pytest.mark.parametrize("spelling", ["awov", "AWoV", "wsa", "WSA", "Wohnsitzauflage", " awov "])
def test_awov_is_an_alias_of_wsa(spelling):
    assert vocab.system_id(spelling) == "wsa"
    assert vocab.system_label(spelling) == "Wohnsitzauflage (WSA)"
    assert vocab.system_label(spelling, short=True) == "WSA"


def test_system_names():
    assert vocab.system_id("FlüAG") == "flueag"
    assert vocab.system_id("flueag") == "flueag"
    assert vocab.system_label("flueag") == "FlüAG"
    assert vocab.system_id("gesamt", known=("gesamt",)) == "gesamt"
    with pytest.raises(ValueError, match="erlaubt: flueag"):
        vocab.system_id("asyl")
    with pytest.raises(ValueError):
        vocab.system_id("gesamt")  # not a system of today's law unless the model names it


def test_xlsx_formats():
    # a negative value shows the typographic minus, as in every text a person reads (io.deutsch.MINUS)
    assert vocab.COLUMNS["einwohner"].xlsx_format == '#,##0;"−"#,##0'
    assert vocab.COLUMNS["erfuellungsquote"].xlsx_format == '0.00" %";"−"0.00" %"'
    assert vocab.COLUMNS["schluessel"].xlsx_format == '0.00000000;"−"0.00000000'
    assert vocab.COLUMNS["soll_anteil_laendlich"].xlsx_format == '0.00 %;"−"0.00 %'
    assert vocab.COLUMNS["ags"].xlsx_format == "@"
    assert vocab.COLUMNS["jahr"].xlsx_format == "0"
    assert vocab.COLUMNS["aenderung_zuweisung"].xlsx_format == '"+"#,##0;"−"#,##0;#,##0'


def test_xlsx_formats_survive_a_workbook():
    """Every format code is accepted by openpyxl and read back unchanged."""
    wb = Workbook()
    ws = wb.active
    idents = list(vocab.COLUMNS)
    ws.append([vocab.label(i) for i in idents])
    for j, ident in enumerate(idents, start=1):
        cell = ws.cell(row=2, column=j, value=1.5)
        cell.number_format = vocab.COLUMNS[ident].xlsx_format
    buf = io.BytesIO()
    wb.save(buf)
    back = load_workbook(io.BytesIO(buf.getvalue())).active
    assert [c.value for c in back[1]] == [vocab.label(i) for i in idents]
    assert [c.number_format for c in back[2]] == [vocab.COLUMNS[i].xlsx_format for i in idents]


def test_doc_table_matches_the_vocabulary():
    assert vocab.markdown_table() in DOC.read_text(encoding="utf-8"), \
        "docs/ausgaben.md is out of date: regenerate the table with vocab.markdown_table()"
