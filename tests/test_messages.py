"""Error messages are plain text: brackets from user data are printed verbatim, exit 2, never a
traceback, with the German prefix "Fehler: ".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write
from verteilung.data import load_gemeinden

AGS = list(load_gemeinden(jahr=2024)["ags"])
MARKUP = ["[/x]", "[red]", "[bold]"]
G = "tests/data/modelle_gemeinden.csv"
B = "tests/data/modelle_bestand.csv"


def stock(tmp_path: Path, first_row: str, header: str = "ags,flueag_bestand,anrechnung_plaetze,wsa_bestand",
          name: str = "bestand.csv") -> Path:
    rows = [first_row, *[f"{a},10,0,5" for a in AGS[1:]]]
    return write(tmp_path / name, "\n".join([header, *rows]) + "\n")


def cases(tmp_path: Path, tag: str) -> dict[str, list]:
    """Each error path with TAG in the user's data, and the CLI arguments that reach it."""
    sub = tmp_path / "f"
    sub.mkdir(exist_ok=True)
    (sub / f"ordner{tag}").mkdir(parents=True, exist_ok=True)  # "[/x]" makes "ordner[" / "x]"
    hh = write(sub / "haushalte.csv", f"haushalt_id,personen\n{tag}h1,x{tag}\n")
    toml = write(sub / "run.toml", f'bestand = "b.csv"\n"{tag}" = 1\n[zugaenge.flueag]\npersonen = 1\n')
    return {
        "cell value": ["status", "--system", "flueag", "--bestand",
                       stock(sub, f"{AGS[0]},1{tag},0,5")],
        "ags in file": ["status", "--system", "flueag", "--bestand", stock(sub, f"{tag}05,10,0,5")],
        "ags argument": ["explain", tag, "--system", "flueag"],
        "household id": ["allocate", "--system", "flueag", "--bestand", B, "--gemeinden", G,
                         "--stichtag", "2024-01-01", "--haushalte", hh],
        "file name": ["status", "--system", "flueag", "--bestand", sub / f"fehlt{tag}.csv"],
        "header": ["status", "--system", "flueag", "--bestand",
                   stock(sub, f"{AGS[0]},10,0,5", header=f"ags,flueag_bestand{tag},anrechnung_plaetze",
                         name="kopf.csv")],
        "period": ["runs", "show", f"2024-05/{tag}", "--ledger", f"sqlite:///{sub / 'l.sqlite'}"],
        "period of run": ["run", "--periode", f"2024-{tag}", "--config", toml],
        "model name": ["compare", "--modelle", f"m9{tag}", "--out", sub / "v"],
        "toml key": ["run", "--periode", "2024-05", "--config", toml],
        "weights": ["compare", "--gewichte", f"einwohner{tag}=1", "--out", sub / "v"],
        "out file": ["keys", "--system", "flueag", "--format", "csv", "--out", sub / f"ordner{tag}"],
    }


@pytest.mark.parametrize("tag", MARKUP)
def test_brackets_in_user_data_are_printed_verbatim(cli, tmp_path, tag):
    failures = []
    for what, args in cases(tmp_path, tag).items():
        r = cli(*args)
        ok = (r.code == 2 and tag in r.stderr and "Traceback" not in r.stderr
              and r.stderr.startswith("Fehler: "))
        if not ok:
            failures.append((what, r.code, r.stderr[-400:]))
    assert not failures, failures


def test_internal_error_is_german_and_plain(cli, monkeypatch):
    import verteilung.api

    def boom(*_a, **_k):
        raise RuntimeError("[/x] kaputt [red]")

    monkeypatch.setattr(verteilung.api, "data_list", boom)
    r = cli("data", "list")
    assert r.code == 1
    assert r.stderr.startswith("interner Fehler: RuntimeError: [/x] kaputt [red]")
    assert "Traceback" not in r.stderr


def test_terminal_tables_show_names_verbatim(cli, tmp_path):
    g = write(tmp_path / "g.csv", Path(G).read_text().replace("Gemeinde 1", "[red]Rot[/red]")
              .replace("Gemeinde 2", "Zwei[/x]"))
    r = cli("keys", "--system", "flueag", "--gemeinden", g, "--stichtag", "2024-01-01")
    assert r.code == 0, r.stderr
    assert "[red]Rot[/red]" in r.stdout and "Zwei[/x]" in r.stdout


ENGLISH = ("Field required", "Extra inputs", "Input should", "Value error", "unknown key", "{'", "Traceback")


@pytest.mark.parametrize("toml,needles", [
    ('bestand = "b.csv"\nfarbe = 1\n[zugaenge.flueag]\npersonen = 1\n',
     ["farbe: unbekannter Schlüssel (erlaubt: ", "bestand, ", "zugaenge"]),
    ('farbe = 1\n[zugaenge.flueag]\npersonen = 1\n', ["bestand: Pflichtangabe fehlt"]),
    ('bestand = "b.csv"\nsolver = "gurobi"\n[zugaenge.flueag]\npersonen = 1\n',
     ["solver: erwartet highs oder cbc; erhalten „gurobi“"]),
    ('bestand = "b.csv"\n[zugaenge.flueag]\npersonen = 1\nfarbe = 2\n',
     ["zugaenge.flueag.farbe: unbekannter Schlüssel (erlaubt: beschraenkungen, haushalte, personen)"]),
    ('bestand = "b.csv"\n[zugaenge]\nflueag = 5\n',
     ["zugaenge.flueag: erwartet einen Abschnitt mit Schlüsseln, keinen Einzelwert; erhalten 5"]),
])
def test_run_toml_errors_are_german_sentences_naming_file_and_key(cli, tmp_path, toml, needles):
    config = write(tmp_path / "run.toml", toml)
    r = cli("run", "--periode", "2024-05", "--config", config)
    assert r.code == 2, r.stderr
    for needle in needles:
        assert f"Fehler: {config}: " in r.stderr and needle in r.stderr, r.stderr
    assert not any(e in r.stderr for e in ENGLISH), r.stderr


@pytest.mark.parametrize("change,needles", [
    ({"farbe": "blau"}, ["farbe: unbekannter Schlüssel (erlaubt: begruendung, "]),
    ({"titel": None}, ["titel: erwartet Text in Anführungszeichen"]),
    ({"systeme": [{"name": "g", "schluessel": {"typ": "flueag", "kappung": "R3", "x": 1},
                   "bestand": ["flueag_bestand"], "zugaenge": "alle"}]},
     ["systeme[1].schluessel.kappung: erwartet R1 oder R2; erhalten „R3“",
      "systeme[1].schluessel.x: unbekannter Schlüssel (erlaubt: kappung, typ)"]),
    ({"systeme": [{"name": "g", "schluessel": {"typ": "zufall"}, "bestand": ["Flü"], "zugaenge": "alle"}]},
     ["systeme[1].schluessel.typ: erwartet einen der Werte flueag, awov, mix, gewichtet, system; erhalten „zufall“",
      "systeme[1].bestand[1]: erwartet einen Namen aus Kleinbuchstaben"]),
    ({"systeme": [{"name": "g", "schluessel": {"typ": "gewichtet", "gewichte": {"einwohner": 1},
                                               "kappung": {"faktor": -1}},
                   "bestand": ["flueag_bestand"], "zugaenge": "alle", "anrechnung": "vielleicht"}]},
     ["systeme[1].schluessel.kappung.faktor: muss größer als 0 sein; erhalten -1",
      "systeme[1].anrechnung: erwartet true oder false; erhalten „vielleicht“"]),
    ({"systeme": []}, ["systeme: braucht mindestens 1 Eintrag"]),
])
def test_model_yaml_errors_are_german_sentences_naming_file_and_key(cli, tmp_path, change, needles):
    import yaml

    data = yaml.safe_load(Path("models/m1-gemeinsamer-bestand.yaml").read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / "modell.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = cli("compare", "--modelle", path, "--out", tmp_path / "v")
    assert r.code == 2, r.stderr
    for needle in needles:
        assert f"Fehler: {path}: {needle}" in r.stderr, r.stderr
    assert not any(e in r.stderr for e in ENGLISH), r.stderr
    assert not (tmp_path / "v").exists()


def test_empty_model_file_names_the_whole_file(tmp_path):
    from verteilung.errors import InputError
    from verteilung.model import load_model

    path = write(tmp_path / "leer.yaml", "")
    with pytest.raises(InputError) as exc:
        load_model(path)
    assert str(exc.value) == f"{path}: (ganze Datei): erwartet einen Abschnitt mit Schlüsseln, keinen Einzelwert"


def _scalars():
    from hypothesis import strategies as st

    return st.one_of(st.none(), st.booleans(), st.integers(-10**25, 10**25), st.floats(allow_nan=False),
                     st.text(max_size=8), st.dates())


def _config_like():
    """Mappings shaped like run.toml, with wrong keys, types and nesting mixed in."""
    from hypothesis import strategies as st

    keys = st.sampled_from(["modell", "bestand", "jahr", "stichtag", "solver", "rundung", "lesarten", "zugaenge",
                            "ausgabe", "ohne_meldung_null", "farbe", "personen", "haushalte", "ordner", "ledger",
                            "flueag", "wsa"])
    return st.recursive(_scalars(), lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(keys, inner, max_size=5)), max_leaves=12)


@pytest.mark.parametrize("root_name", ["RunConfig", "ModelDef"])
def test_every_validation_error_is_a_german_sentence_without_reprs(root_name):
    """Property: whatever a config or model file holds, each refusal names a key and says in German
    what is expected: none of pydantic's English sentences and no Python dict/list reprs."""
    from hypothesis import given, settings
    from pydantic import ValidationError

    from verteilung.errors import validation_problems
    from verteilung.model import ModelDef
    from verteilung.run import RunConfig

    root = {"RunConfig": RunConfig, "ModelDef": ModelDef}[root_name]

    @settings(max_examples=80, deadline=None)
    @given(_config_like())
    def check(data):
        try:
            root.model_validate(data)
        except ValidationError as exc:
            problems = validation_problems(exc, "datei.toml", root)
            assert problems
            for p in problems:
                text = str(p)
                assert text.startswith("datei.toml: ") and ": " in text[len("datei.toml: "):], text
                for english in ("Input should", "Field required", "Extra inputs", "Value error", "{'", "[{", "[None"):
                    assert english not in text, text

    check()
