"""One word, one number (issue 22): every output of one Gemeinde uses each label with exactly one value.

The walk covers the terminal view, the Excel CSV, the machine CSV, JSON and XLSX of `status` and
`allocate`, the steps of `explain`, the web API of the app (Gemeinde page, map), the app's Gemeinde
downloads (CSV, XLSX) and the report's Gemeinde table. Each value is recorded under its label and
its context: the system (FlüAG, WSA) for per-system quantities, the model for sums over a model's
systems. Within one context a label has one value; and a label of a per-system Soll or quota never
names a model's sum (the app once labelled the sum of both systems' Soll after allocation
"Soll (Stichtag)", beside a Rechenweg whose "Soll (Stichtag)" was the FlüAG Soll).
"""

from __future__ import annotations

import io
import re
import warnings
from collections import defaultdict
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook
from rich.console import Console

from verteilung import api, vocab
from verteilung.io.deutsch import fmt_value, parse_number
from verteilung.report import output
from verteilung.resources import shipped

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCENARIO = shipped("inputs", "nrw", "szenario", "bestand_synthetisch_2024.csv")
PERSONEN = 300
SYSTEME = ("flueag", "wsa")
# per-system quantities: never the label of a model's sum
JE_SYSTEM = {"Soll (Stichtag)", "Soll, gerundet", "Soll nach Zuweisung", "Erfüllungsquote",
             "Erfüllungsquote vor Zuweisung", "Erfüllungsquote nach Zuweisung", "Aufnahmeverpflichtung"}
SUMMEN = {"Gesamtsoll beider Systeme nach Zuweisung", "Erfüllungsquote beider Systeme nach Zuweisung"}
LABEL_IDENT = {col.label: ident for ident, col in vocab.COLUMNS.items()}


def _key(label: str) -> str:
    """The label compared: without the unit "(%)" (explain writes "Erfüllungsquote", tables "… (%)")."""
    return label.removesuffix(" (%)").strip()


def _canon(label: str, value: object) -> str:
    """A value as the vocabulary shows it for the label; text that is no number stays as it is."""
    ident = LABEL_IDENT.get(label) or LABEL_IDENT.get(f"{label} (%)")
    col = vocab.column(ident) if ident else None
    if col is not None and col.kind is vocab.Kind.FLAG and not isinstance(value, str):
        return fmt_value(bool(value), col)
    if isinstance(value, str):
        try:
            value = float(parse_number(value.replace("%", "").strip()))
        except Exception:
            return value.strip()
    if value is None or col is None or not col.numeric:
        return str(value)
    return fmt_value(value, col)


class Seen:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def add(self, kontext: str, label: str, value: object, wo: str) -> None:
        self.values[(kontext, _key(label))][_canon(label, value)].add(wo)

    def row(self, kontext: str, labels: list[str], cells: list, wo: str) -> None:
        for label, value in zip(labels, cells, strict=True):
            self.add(kontext, label, value, wo)


def _step(text: str) -> tuple[str, str] | None:
    """'Soll (Stichtag): Soll = … = 2.169,19' → ('Soll (Stichtag)', '2.169,19')."""
    m = re.match(r"^(?:\d+\. )?([^:=]+?)(?::| =) ", text)
    if not m:
        return None
    value = re.split(r" = | → ", text)[-1].strip()
    return m.group(1).strip(), value


@pytest.fixture(scope="module")
def walk():
    status = {s: api.status(s, SCENARIO) for s in SYSTEME}
    alloc = {s: api.allocate(s, SCENARIO, personen=PERSONEN) for s in SYSTEME}
    # one Gemeinde that receives persons in both systems, so every view shows its row
    got = set.intersection(*(set(alloc[s].table.loc[alloc[s].table["zuweisung"] > 0, "ags"]) for s in SYSTEME))
    ags = sorted(got)[0]
    seen = Seen()
    for s in SYSTEME:
        for name, (table, info, ausgabe) in {
            "status": (status[s].table, status[s].info, "status"),
            "allocate": (alloc[s].table, alloc[s].summary, "allocate"),
        }.items():
            one = table[table["ags"] == ags]
            # machine formats: identifiers → labels
            for ident, value in one.iloc[0].items():
                if vocab.column(str(ident)) is not None:
                    seen.add(s, vocab.label(str(ident)), value, f"{name} json/csv")
            # terminal: the renderer the CLI uses, on this Gemeinde's row
            console = Console(record=True, width=400)
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(output, "wide_console", lambda c=console: c)
                output.print_table(one, info, "", None, ausgabe)
            lines = console.export_text().splitlines()
            parts = [[c.strip() for c in line.strip("┃").split("┃")] for line in lines if line.startswith("┃")]
            head = [" ".join(w for w in col if w) for col in zip(*parts, strict=True)]  # wrapped headers
            cells = [c.strip() for c in next(line for line in lines if ags in line).strip("│").split("│")]
            seen.row(s, head, cells, f"{name} terminal")
    # explain (the CLI's text)
    for s in SYSTEME:
        for text, _ in api.explain(ags, s, bestand=SCENARIO):
            step = _step(text)
            if step:
                seen.add(s, *step, f"explain {s}")
    return ags, seen, status, alloc


def test_files_of_status_and_allocate(walk, cli, tmp_path):
    ags, seen, _, _ = walk
    for s in SYSTEME:
        for name, args in (("status", ["status", "--system", s, "--bestand", SCENARIO]),
                           ("allocate", ["allocate", "--system", s, "--bestand", SCENARIO,
                                         "--personen", str(PERSONEN)])):
            assert cli(*args, "--out", tmp_path / f"{name}{s}.xlsx").code == 0
            ws = load_workbook(tmp_path / f"{name}{s}.xlsx").worksheets[0]
            rows = list(ws.iter_rows(values_only=True))
            head = list(rows[1] if str(rows[0][0]).startswith(("SYNTHETISCH", "NÄHERUNG")) else rows[0])
            row = next(r for r in rows if r[0] == ags)
            seen.row(s, [str(h) for h in head], list(row), f"{name} xlsx")
            assert cli(*args, "--out", tmp_path / f"{name}{s}.csv").code == 0
            df = pd.read_csv(tmp_path / f"{name}{s}.csv", sep=";", decimal=",", skiprows=1,
                             encoding="utf-8-sig", dtype={"AGS": str})
            one = df[df["AGS"] == ags].iloc[0]
            seen.row(s, list(df.columns), list(one), f"{name} excel-csv")
    _check(seen)


def test_app_web_api_downloads_and_report(walk):
    from verteilung.app.server import create_app
    from verteilung.compare import BASELINE, compare
    from verteilung.report.html import gemeinde_suche

    ags, seen, _, _ = walk
    client = TestClient(create_app())
    page = client.get(f"/api/ansicht/gemeinde?ags={ags}").json()
    t = page["modelle"]
    for row in t["zeilen"]:
        seen.row(row["modell"], t["spalten"], [row[k] for k in t["schluessel"]], "app Gemeinde")
    for s, steps in page["schritte"].items():
        for x in steps:
            step = _step(x["schritt"])
            if step:
                seen.add(s, *step, "app Rechenweg")
    # the map's hover (labels as app.js writes them) on the model the map shows
    v = client.get("/api/ansicht/vergleich").json()
    k, titel = v["karte"], {m["id"]: m.get("titel", m["id"]) for m in v["modelle"]}
    i = k["ags"].index(ags)
    kontext = titel[v["karte_modell"]]
    seen.add(kontext, vocab.label("gesamtsoll_nach_zuweisung"), k["gesamtsoll_nach_zuweisung"][i], "app Karte")
    seen.add(kontext, vocab.label("gesamtquote_nach_zuweisung"), k["gesamtquote_nach_zuweisung"][i], "app Karte")
    # downloads of the Gemeinde page: Modelle (per model) and Rechenweg (per system)
    raw = client.get(f"/download/gemeinde.xlsx?ags={ags}").content
    wb = load_workbook(io.BytesIO(raw))
    for name in ("Modelle", "Rechenweg"):
        rows = list(wb[name].iter_rows(values_only=True))
        start = 1 if str(rows[0][0]).startswith(("SYNTHETISCH", "NÄHERUNG")) else 0
        head = [str(h) for h in rows[start]]
        for r in rows[start + 1:]:
            if name == "Modelle":
                seen.row(str(r[0]), head, list(r), "app download xlsx")
            else:
                step = _step(str(r[head.index(vocab.label("schritt"))]))
                if step:
                    sys_label = str(r[head.index(vocab.label("system"))])
                    seen.add(vocab.system_id(sys_label), *step, "app download xlsx")
    text = client.get(f"/download/gemeinde.csv?ags={ags}").content.decode("utf-8-sig")
    df = pd.read_csv(io.StringIO(text), sep=";", decimal=",", skiprows=1)
    for _, r in df[df["tabelle"] == "Modelle"].iterrows():
        seen.row(str(r[vocab.label("modell")]), [c for c in df.columns if c != "tabelle"],
                 [r[c] for c in df.columns if c != "tabelle"], "app download csv")
    # the report's Gemeinde table (status quo and each merged model)
    cmp = compare()
    suche = gemeinde_suche(cmp, [m for m in cmp.info["modelle"] if m != BASELINE])
    row = next(r for r in suche["rows"] if r["ags"] == ags)
    seen.row("Bericht", suche["head"], [c["text"] for c in row["cells"]], "Bericht")
    _check(seen)


def _check(seen: Seen) -> None:
    twice = {f"{kontext}: {label}": {v: sorted(w) for v, w in values.items()}
             for (kontext, label), values in seen.values.items() if len(values) > 1}
    assert not twice, twice
    per_system = {label for (kontext, label) in seen.values if kontext in SYSTEME}
    per_model = {label for (kontext, label) in seen.values if kontext not in SYSTEME}
    assert not (per_model & JE_SYSTEM), per_model & JE_SYSTEM   # a model's sum is never a per-system Soll
    assert not (per_system & SUMMEN), per_system & SUMMEN
    assert {"Soll (Stichtag)", "Soll nach Zuweisung", "Erfüllungsquote vor Zuweisung"} <= per_system


def test_quota_before_allocation_is_the_status_quota(walk):
    """allocate's quota before allocation is the number status publishes, for every Gemeinde."""
    _, _, status, alloc = walk
    for s in SYSTEME:
        a = alloc[s].table.set_index("ags")
        st = status[s].table.set_index("ags")
        assert (a["erfuellungsquote_vorher"].fillna(-1) == st["erfuellungsquote"].fillna(-1)).all()
        assert (a["soll_stichtag"] == st["soll_stichtag"]).all()
        assert (a["soll_nach_zuweisung"] > a["soll_stichtag"]).all() or PERSONEN == 0
        assert Decimal(repr(float((a["soll_nach_zuweisung"] / a["soll_stichtag"]).std()))) < Decimal("1e-9")
