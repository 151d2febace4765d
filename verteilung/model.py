"""Model files (YAML) → systems → status and allocation, through one code path.

A model names one or more systems (DESIGN.md). Each system has a key, the stock columns it
counts, whether state-facility places are credited, which arrivals it receives, and rules. The
status quo has two systems; a merged model has one over the combined stock; nothing is specific
to "two".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from verteilung.allocate import Allocation, allocate
from verteilung.errors import InputError, Problem, validation_problems
from verteilung.law import lesarten, systems
from verteilung.law.key import Cap, KeySpec, Reduction, compute_key
from verteilung.law.lesarten import Lesarten
from verteilung.resources import lade_yaml
from verteilung.status import SystemState, anrechnung, quote

# the stocks of NRW's two statutory systems, always read (zero where a Land has no such stock);
# a model may name further ones (Context.weitere_bestand)
STOCK_COLUMNS = (*systems.FLUEAG.bestand, *systems.WSA.bestand)


def base_stock_columns(land: str = "nrw") -> tuple[str, ...]:
    """The stock columns every comparison reads: those of the Land's status quo (the common yardstick)."""
    return tuple(dict.fromkeys(c for s in load_model("status-quo", land).systeme for c in s.bestand))


def stock_columns_of(models: list[ModelDef], land: str = "nrw") -> tuple[str, ...]:
    """The stock columns some models count: the Land's status quo's, then further ones in order."""
    out = list(base_stock_columns(land))
    for m in models:
        for s in m.systeme:
            out += [c for c in s.bestand if c not in out]
    return tuple(out)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _reading_check(name: str) -> Any:
    """A model key's reading, allowed as the law layer defines it (`lesarten.LESARTEN`), nowhere else."""

    def check(cls: type, v: Any) -> Any:
        try:
            lesarten.wert(name, v)
        except InputError:
            allowed = [str(a) for a in lesarten.ERLAUBT[name]]
            choices = ", ".join(allowed[:-1]) + " oder " + allowed[-1] if len(allowed) > 1 else allowed[0]
            raise ValueError(f"erwartet {choices}; erhalten „{v}“") from None
        return v

    return field_validator(name)(classmethod(check))  # type: ignore[arg-type]


class GesetzKey(Strict):
    """The statutory key of a registered system, named in a model file by its key type
    (`LegalSystem.modell_typ`: ``typ: flueag``, ``typ: awov``) with the readings the registry lets a
    model set (`LegalSystem.modell_lesarten`). One subclass per type, derived from the registry
    (`GESETZ_KEYS`), so the model grammar spells no system."""

    typ: str
    system: ClassVar[systems.LegalSystem]

    def gesetzte_lesarten(self) -> dict[str, Any]:
        """The readings this key sets itself (the context's readings apply to the others)."""
        return {n: getattr(self, n) for n in self.model_fields_set if n != "typ"}


def _gesetz_key(system: systems.LegalSystem) -> type[GesetzKey]:
    fields: dict[str, Any] = {"typ": (Literal[system.modell_typ], ...)}  # type: ignore[valid-type]
    for name in system.modell_lesarten:
        fields[name] = (type(lesarten.LESARTEN[name].standard), lesarten.LESARTEN[name].standard)
    cls = create_model(f"{system.id.capitalize()}Key", __base__=GesetzKey,  # type: ignore[call-overload]
                       __validators__={f"_{n}": _reading_check(n) for n in system.modell_lesarten}, **fields)
    cls.system = system
    return cls


# model-file key type → its key class (typ: flueag → FlüAG's key with ``kappung``)
GESETZ_KEYS: dict[str, type[GesetzKey]] = {t: _gesetz_key(s) for t, s in systems.modell_typen().items()}


def mix_keys() -> tuple[GesetzKey, GesetzKey]:
    """The two statutory keys the mixed key M2 blends, at the context's readings: the registry's
    recognition pair (`systems.anerkennungspaar`: FlüAG, then WSA)."""
    pair = systems.anerkennungspaar()
    if pair is None or not all(s.modell_typ in GESETZ_KEYS for s in pair):
        raise InputError(Problem("Modell", "der Mischschlüssel (typ: mix) braucht zwei Systeme mit Übergang "
                                 "(anerkennung_nach) und Schlüsseltyp im Register"))
    von, nach = (GESETZ_KEYS[s.modell_typ](typ=s.modell_typ) for s in pair)  # type: ignore[index]
    return von, nach


class MixKey(Strict):
    """α·FlüAG + (1−α)·AWoV; α "auto" = FlüAG's share of the combined stock (docs/recht.md Abschnitt 5 M2)."""

    typ: Literal["mix"]
    alpha: float | Literal["auto"] = "auto"

    @field_validator("alpha")
    @classmethod
    def _in_unit(cls, v):
        if v != "auto" and not 0 <= v <= 1:
            raise ValueError("alpha muss zwischen 0 und 1 liegen (oder auto sein)")
        return v


class CapSpec(Strict):
    komponente: str = "einwohner"
    faktor: float = Field(gt=0)


class ReductionSpec(Strict):
    merkmal: str
    satz: float = Field(gt=0, lt=1)


class WeightedKey(Strict):
    typ: Literal["gewichtet"]
    gewichte: dict[str, float]
    kappung: CapSpec | None = None
    minderungen: list[ReductionSpec] = []

    @field_validator("gewichte")
    @classmethod
    def _sum_one(cls, v: dict[str, float]):
        if not v:
            raise ValueError("mindestens ein Gewicht angeben")
        if any(w < 0 for w in v.values()):
            raise ValueError("Gewichte dürfen nicht negativ sein")
        total = sum(v.values())
        if abs(total - 1) > 1e-9:
            raise ValueError(f"Gewichte summieren sich zu {total:g}, nicht zu 1".replace(".", ","))
        return v


class SystemKey(Strict):
    """The statutory key of a registered system, e.g. a Land package's own (``{typ: system, system: bw_vu}``)."""

    typ: Literal["system"]
    system: str

    @field_validator("system")
    @classmethod
    def _registered(cls, v: str) -> str:
        try:
            return systems.get(v).id
        except InputError as exc:
            raise ValueError(exc.problems[0].reason) from None


KeyDef = Annotated[Union[(*GESETZ_KEYS.values(), MixKey, WeightedKey, SystemKey)],
                   Field(discriminator="typ")]


_NAME = r"^[a-z][a-z0-9_]*$"


class SystemDef(Strict):
    """One system of a model. ``bestand`` may name any stock column of the stock file (a further
    system's own column is read and validated like the shipped ones); ``zugaenge`` names an
    arrivals stream: ``flueag``, ``wsa``, ``alle`` (both) or the model's own stream, whose count
    comes from ``--zugaenge NAME=N`` or ``[zugaenge.NAME]`` in run.toml."""

    name: str
    schluessel: KeyDef
    bestand: list[Annotated[str, Field(pattern=_NAME)]] = Field(min_length=1)
    anrechnung: bool = False
    zugaenge: Annotated[str, Field(pattern=_NAME)]
    nur_offene_verpflichtung: bool = False
    # M3: the surplus in the named other system counts against this system's obligation
    verrechnung_mit: str | None = None
    # M4: no assignment while the named other system's quota is at or above the threshold
    sperre_wenn: str | None = None
    sperre_schwelle: float = Field(default=1.0, gt=0)

    def liest_arbeitslose(self) -> bool:
        """Whether this system's key reads the unemployment figures (their NÄHERUNG label belongs to
        its rows): a statutory key as its registry entry says, the mixed key does, a weighted key
        if it weights them, a registered system's key as registered."""
        key = self.schluessel
        if isinstance(key, GesetzKey):
            return key.system.arbeitslose
        if isinstance(key, WeightedKey):
            return "arbeitslose" in key.gewichte
        if isinstance(key, SystemKey):
            return systems.nutzt_arbeitslose(key.system)
        return True


class ModelDef(Strict):
    id: str
    titel: str
    beschreibung_de: str
    description_en: str
    rechtsgrundlage: str
    vorschlag: str
    begruendung: str
    systeme: list[SystemDef] = Field(min_length=1)
    # Pacing (GLOSSAR "Staffelung", docs/uebergang.md): per-Gemeinde bounds per period, weekly
    # periods, minimum spread; applied to every system of the model. None: no pacing.
    staffelung: dict[str, Any] | None = None

    # Phase-in (GLOSSAR "Übergang", docs/uebergang.md): month t uses the blend of the key of the
    # model ``von`` (default the status quo) and this model's key; None or monate 0: no phase-in.
    uebergang: dict[str, Any] | None = None

    # Money (verteilung.mittel): a pot's own key under this model, by pot id (params/mittel/), e.g.
    # {integrationspauschale_2018: [{nach: schluessel, system: gesamt, anteil: 1}]}; None: the law's.
    mittel: dict[str, list[dict[str, Any]]] | None = None

    @field_validator("mittel")
    @classmethod
    def _valid_money(cls, v):
        from verteilung.law.mittel import parse_verteilung, topf_ids

        for pot, rows in (v or {}).items():
            if pot not in topf_ids():
                raise ValueError(f"unbekannter Topf „{pot}“; vorhanden: {', '.join(topf_ids())}")
            try:
                parse_verteilung(rows, f"mittel.{pot}")
            except InputError as exc:
                raise ValueError("; ".join(p.reason for p in exc.problems)) from None
        return v

    @field_validator("staffelung", "uebergang")
    @classmethod
    def _valid_rule(cls, v, info):
        """Both rules are checked by their own classes, whose refusals become the field's error."""
        from verteilung.staffelung import Staffelung
        from verteilung.uebergang import Uebergang

        try:
            (Staffelung if info.field_name == "staffelung" else Uebergang).from_dict(v)
        except InputError as exc:
            raise ValueError("; ".join(p.reason for p in exc.problems)) from None
        return v

    @model_validator(mode="after")
    def _references(self):
        names = [s.name for s in self.systeme]
        if len(set(names)) != len(names):
            raise ValueError("die Namen der Systeme (systeme[].name) müssen verschieden sein")
        for s in self.systeme:
            for ref in (s.verrechnung_mit, s.sperre_wenn):
                if ref is not None and ref not in names:
                    raise ValueError(f"System {s.name} verweist auf das unbekannte System {ref}")
        if self.uebergang is not None and self.uebergang.get("von", "status-quo") == self.id:
            raise ValueError(f"uebergang: von „{self.id}“ ist das Modell selbst; "
                             "eingeführt wird von einem anderen Modell aus (z. B. status-quo)")
        return self


def models_dir(land: str = "nrw") -> Path:
    """The folder of a Land package's shipped models (NRW's: the top-level models/)."""
    from verteilung import land as laender

    return laender.get(land).modell_ordner()


def available_models(land: str = "nrw") -> list[str]:
    return sorted(p.stem for p in models_dir(land).glob("*.yaml"))


def load_model(name_or_path: str | Path, land: str = "nrw") -> ModelDef:
    """A model file (a path) or a shipped model of the Land's package (a name)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = models_dir(land) / f"{name_or_path}.yaml"
    if not path.exists():
        raise InputError(Problem(str(name_or_path), "kein Modell dieses Namens; mitgeliefert: "
                                 f"{', '.join(available_models(land))}"))
    try:
        data = lade_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(Problem(str(path), f"kein gültiges YAML: {exc}")) from exc
    return parse_model(data, str(path))


def parse_model(data: object, source: str) -> ModelDef:
    try:
        return ModelDef.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, source, ModelDef)) from None


def custom_model(gewichte: dict[str, float], kappung: CapSpec | None = None,
                 minderungen: list[ReductionSpec] | None = None) -> ModelDef:
    """One system over the combined stock with the analyst's own weights (--gewichte)."""
    from verteilung.io.deutsch import fmt_gewichte

    return parse_model({
        "id": "eigene-gewichte", "titel": f"Eigene Gewichte ({fmt_gewichte(gewichte)})",
        "beschreibung_de": "Ein System über den gemeinsamen Bestand mit frei gewählten Gewichten.",
        "description_en": "One system over the combined stock with analyst-chosen weights.",
        "rechtsgrundlage": "keine (Analyse)", "vorschlag": "docs/recht.md Abschnitt 5 (M1/M2 mit anderen Gewichten)",
        "begruendung": "Vom Nutzer auf der Kommandozeile angegeben.",
        "systeme": [{"name": "gesamt", "schluessel": {"typ": "gewichtet", "gewichte": gewichte,
                                                       "kappung": kappung.model_dump() if kappung else None,
                                                       "minderungen": [m.model_dump() for m in minderungen or []]},
                     "bestand": list(STOCK_COLUMNS), "anrechnung": True, "zugaenge": systems.ALLE}],
    }, "--gewichte")


def parse_weights(text: str, option: str = "--gewichte") -> dict[str, float]:
    """``a=0.8,b=0.2`` → {"a": 0.8, "b": 0.2}; also used for cap and reduction options. Values are
    checked by `verteilung.optionen.gewichte` (finite, ≥ 0; for --gewichte not all 0)."""
    from verteilung.optionen import gewichte

    return gewichte(text, option, nicht_alle_null=option == "--gewichte")


# ---------------------------------------------------------------- evaluation

class Context:
    """Inputs shared by every model in one comparison: Gemeinden, stocks, date, arrivals."""

    def __init__(self, gemeinden: pd.DataFrame, bestand: pd.DataFrame, stichtag: dt.date,
                 zugaenge: dict[str, int], zugaenge_system: dict[str, int] | None = None,
                 weitere_bestand: tuple[str, ...] = (), lesarten: Lesarten | None = None):
        self.gemeinden = gemeinden
        self.lesarten_basis = lesarten or Lesarten()  # readings a model's key does not set itself
        self.weitere_bestand = weitere_bestand  # stock columns of further systems (base load)
        self.bestand = bestand
        self.stichtag = stichtag
        self.zugaenge = zugaenge  # per arrivals stream (flueag, wsa, a model's own)
        self.zugaenge_system = zugaenge_system or {}  # per system name; wins over the streams
        self._keys: dict[str, np.ndarray] = {}
        self.exakt: dict[str, Any] = {}  # key label → its exact form (law.key.ExactKey), where it has one
        self.lesarten: dict[str, dict] = {}  # readings of ambiguous law per key label
        self.anrechnung, self.anrechnung_faktoren = anrechnung(bestand, stichtag)
        self._spalten: dict[str, np.ndarray] = {}

    def spalte(self, name: str) -> np.ndarray:
        """A column of the Gemeinde table as an array, taken once per context (each model's rows
        read the same seven; taking a column from the frame copies its attributes every time)."""
        if name not in self._spalten:
            self._spalten[name] = self.gemeinden[name].to_numpy()
        return self._spalten[name]

    def key(self, spec: GesetzKey | MixKey | WeightedKey | SystemKey) -> tuple[np.ndarray, str]:
        if isinstance(spec, SystemKey):
            registered = systems.get(spec.system)
            label = registered.schluessel_name + f" ({registered.kurz})"
            return self._cached(label, lambda: registered.key(self.gemeinden, self.stichtag,
                                                              self.lesarten_basis)), label
        if isinstance(spec, GesetzKey):
            chosen = dataclasses.replace(self.lesarten_basis, **spec.gesetzte_lesarten())
            label = spec.system.modell_label.format(**dataclasses.asdict(chosen))
            k = self._cached(label, lambda: spec.system.key(self.gemeinden, self.stichtag, chosen))
            return k, label
        if isinstance(spec, MixKey):
            from verteilung.io.deutsch import fmt_dec

            alpha = self.auto_alpha() if spec.alpha == "auto" else float(spec.alpha)
            von, nach = mix_keys()
            z, z_label = self.key(von)
            k, k_label = self.key(nach)
            label = f"Mischschlüssel α = {fmt_dec(alpha, 4)}"
            self.lesarten[label] = {**self.lesarten[z_label], **self.lesarten[k_label]}
            return alpha * z + (1 - alpha) * k, label
        ks = KeySpec("eigene Gewichte", spec.gewichte,
                     cap=Cap(spec.kappung.komponente, spec.kappung.faktor) if spec.kappung else None,
                     reductions=tuple(Reduction(m.merkmal, m.satz) for m in spec.minderungen))
        return compute_key(self.gemeinden, ks)["schluessel"].to_numpy(), "gewichtet: " + ", ".join(
            f"{c}={w:g}" for c, w in spec.gewichte.items())

    def adopt_keys(self, other: Context) -> None:
        """Reuse the keys ``other`` computed when both rest on the same Gemeinden, date and readings
        (a key does not depend on stocks): the long run inside a comparison does not compute the
        period's keys a second time."""
        if (other.gemeinden is self.gemeinden and other.stichtag == self.stichtag
                and other.lesarten_basis == self.lesarten_basis):
            self._keys.update(other._keys)
            self.lesarten.update({label: other.lesarten[label] for label in other._keys if label in other.lesarten})
            self.exakt.update(other.exakt)

    def _cached(self, label: str, fn) -> np.ndarray:
        if label not in self._keys:
            table = fn()
            self._keys[label] = table["schluessel"].to_numpy()
            self.lesarten[label] = table.attrs.get("lesarten", {})
            if callable(table.attrs.get("exakt")):
                self.exakt[label] = table.attrs["exakt"]
        return self._keys[label]

    def auto_alpha(self) -> float:
        """α of the mixed key: the first system's share of the pair's stock (its credits included)."""
        von, nach = mix_keys()
        f = sum(self.bestand[c].sum() for c in von.system.bestand) + (self.anrechnung.sum()
                                                                      if von.system.anrechnung else 0)
        w = sum(self.bestand[c].sum() for c in nach.system.bestand)
        return float(f / (f + w)) if f + w > 0 else 0.5

    def stock_columns(self) -> list[str]:
        """Every stock column counted: the shipped two, then those further systems name."""
        return [*STOCK_COLUMNS, *(c for c in self.weitere_bestand if c not in STOCK_COLUMNS)]

    def base_load(self) -> np.ndarray:
        """All persons counted in any system plus credited places: the common yardstick."""
        load = self.anrechnung.astype(float).copy()
        for c in self.stock_columns():
            load = load + self.bestand[c].to_numpy(dtype=float)
        return load

    def stock(self, sysdef: SystemDef) -> np.ndarray:
        return sum((self.bestand[c].to_numpy(dtype=float) for c in sysdef.bestand), np.zeros(len(self.gemeinden)))

    def arrivals(self, sysdef: SystemDef) -> int:
        if sysdef.name in self.zugaenge_system:
            return self.zugaenge_system[sysdef.name]
        if sysdef.zugaenge == systems.ALLE:  # the statutory streams together (FlüAG and WSA in NRW)
            return sum(self.zugaenge[s] for s in systems.alle_stroeme())
        if sysdef.zugaenge not in self.zugaenge:
            raise InputError(Problem("--zugaenge", f"System „{sysdef.name}“ erhält den Zugangsstrom "
                                     f"„{sysdef.zugaenge}“: bitte --zugaenge {sysdef.zugaenge}=N angeben "
                                     f"(in run.toml: [zugaenge.{sysdef.name}])"))
        return self.zugaenge[sysdef.zugaenge]


class SystemResult:
    def __init__(self, sysdef: SystemDef, state: SystemState, allocation: Allocation, key_label: str,
                 start_quote: np.ndarray, ziel_schluessel: np.ndarray | None = None):
        self.sysdef = sysdef
        self.state = state
        self.allocation = allocation
        self.key_label = key_label
        self.start_quote = start_quote      # quota at the start of the period (status, before arrivals)
        # the model's own key; differs from state.schluessel only in a phase-in month (blended key)
        self.ziel_schluessel = state.schluessel if ziel_schluessel is None else ziel_schluessel

    @property
    def soll_ziel(self) -> np.ndarray:
        """Soll after the period under the model's own key (the end of a phase-in)."""
        return self.ziel_schluessel * (self.state.total + float(self.zuweisung.sum()))

    @property
    def zuweisung(self) -> np.ndarray:
        return self.allocation.zuweisung

    @property
    def quote_nachher(self) -> np.ndarray:
        return quote(self.state.bestand + self.state.anrechnung + self.zuweisung, self.allocation.soll)


def system_states(model: ModelDef, ctx: Context) -> tuple[dict[str, SystemState], dict[str, str]]:
    """Key, counted stock and credited places of every system of the model (before this
    period's arrivals), and each system's key label; `status --modell` shows one of them."""
    n = len(ctx.gemeinden)
    states: dict[str, SystemState] = {}
    labels: dict[str, str] = {}
    for s in model.systeme:
        key, label = ctx.key(s.schluessel)
        credit = ctx.anrechnung if s.anrechnung else np.zeros(n)
        info = {"lesarten": {"schluessel": label, **ctx.lesarten.get(label, {})}}
        if label in ctx.exakt:
            info["schluessel_exakt"] = ctx.exakt[label]  # the legal rounding of the Verteilstatistik
        states[s.name] = SystemState(s.name, ctx.gemeinden, key, ctx.stock(s), credit, info=info)
        labels[s.name] = label
    return states, labels


def model_system(model: ModelDef, name: str) -> SystemDef:
    """The model's system called ``name``; refused (exit 2) naming the model's systems."""
    try:  # a registered alias (awov) names the registered system's id (wsa)
        wanted = {name, systems.get(name).id}
    except InputError:
        wanted = {name}
    for s in model.systeme:
        if s.name in wanted:
            return s
    raise InputError(Problem("--system", f"Modell „{model.id}“ hat kein System „{name}“; "
                             f"seine Systeme: {', '.join(s.name for s in model.systeme)}"))


def phase_in(model: ModelDef, ctx: Context, states: dict[str, SystemState], labels: dict[str, str],
             monat: int) -> dict[str, np.ndarray]:
    """Blend each system's key for month ``monat`` of the model's phase-in (`verteilung.uebergang`),
    in place; returns the model's own keys. A system takes the key of the ``von`` model's system
    of the same name, else the ``von`` model's effective key (the share of its summed Soll). No
    phase-in, or a month at or after its end: nothing changes, bit for bit."""
    from verteilung.uebergang import Uebergang, ausrichten, effektiver_schluessel, mischen

    own = {name: st.schluessel for name, st in states.items()}
    u = Uebergang.from_dict(model.uebergang)
    if u is None or u.gewicht(monat) >= 1:
        return own
    w = u.gewicht(monat)
    von_states, _ = system_states(load_model(u.von), ctx)
    for name, st in states.items():
        alt = ausrichten(von_states[name], st) if name in von_states else \
            effektiver_schluessel(list(von_states.values()), st)
        st.schluessel = mischen(alt, st.schluessel, w)
        st.info.pop("schluessel_exakt", None)  # a blended key has no exact form here
        labels[name] = f"{labels[name]}, Übergang Monat {monat}: {round(w * 100)} % neu"
    return own


def sperre(s: SystemDef, st: SystemState, n_arr: int, start: dict[str, np.ndarray] | None = None) -> None:
    """Mark the Gemeinden a system's rules exclude from this period's allocation, each with its cause.

    The one place for these rules: `evaluate` (``run``, ``compare``, ``allocate --modell``) and
    ``allocate --system`` (through the status-quo system of that name) both call it, so one
    constraint file gets one answer. ``nur_offene_verpflichtung`` excludes a Gemeinde already at
    or above its Soll after this period's arrivals (quota ≥ 100 %, § 3 FlüAG: only Gemeinden with
    an open obligation receive); ``sperre_wenn`` one whose quota in the other system is at or over
    the threshold. The causes (German, by AGS) go to ``st.info["sperrgruende"]`` so a refusal names
    the true one instead of "gesperrt".
    """
    from verteilung.io.deutsch import fmt_dec
    from verteilung.vocab import system_label

    n = len(st.gemeinden)
    blocked = np.zeros(n, dtype=bool)
    why: dict[str, str] = {}
    ags = st.gemeinden["ags"].to_numpy()
    if s.sperre_wenn and start is not None:
        other = np.nan_to_num(start[s.sperre_wenn], nan=0.0)
        hit = other >= s.sperre_schwelle
        blocked |= hit
        for i in np.flatnonzero(hit):
            why[str(ags[i])] = (f"ist nach der Sperrregel des Modells ausgenommen (Erfüllungsquote "
                                f"{system_label(s.sperre_wenn, short=True)} {fmt_dec(other[i] * 100, 2)} % ≥ "
                                f"{fmt_dec(s.sperre_schwelle * 100, 0)} %)")
    if s.nur_offene_verpflichtung:
        soll_after = st.schluessel * (st.total + n_arr)
        hit = st.last >= soll_after
        blocked |= hit
        q = quote(st.last.astype(float), soll_after)
        for i in np.flatnonzero(hit):
            why.setdefault(str(ags[i]), "hat kein Soll (Schlüssel 0)" if soll_after[i] <= 0 else
                           f"hat keine offene Aufnahmeverpflichtung (Erfüllungsquote mit den Zugängen dieser "
                           f"Periode {fmt_dec(q[i], 2)} %, also 100 % oder mehr; nach § 3 FlüAG erhalten nur "
                           "aufnahmepflichtige Gemeinden Zuweisungen)")
    if blocked.all() and n_arr > 0:
        blocked[:] = False  # a rule that blocks everyone cannot hold: nobody would receive anyone
        why = {}
    st.gesperrt = blocked
    st.info["sperrgruende"] = why


def evaluate(model: ModelDef, ctx: Context, haushalte: dict[str, pd.DataFrame] | None = None,
             beschraenkungen: dict[str, pd.DataFrame] | None = None, solver: str = "highs",
             zeitlimit: float = 60.0, pfad: str = "auto", monat: int = 1) -> dict[str, SystemResult]:
    """Status and this period's allocation for every system of the model.

    ``haushalte`` and ``beschraenkungen`` are keyed by system name; a system without households
    receives its arrivals as single persons. ``monat`` (1-based) is the month of the model's
    phase-in (``uebergang``); without one it changes nothing.
    """
    haushalte = haushalte or {}
    beschraenkungen = beschraenkungen or {}
    states, labels = system_states(model, ctx)
    own = phase_in(model, ctx, states, labels, monat)
    start = {name: quote(st.bestand + st.anrechnung, st.schluessel * st.total) / 100 for name, st in states.items()}
    surplus = {name: np.maximum(0.0, st.bestand + st.anrechnung - st.schluessel * st.total)
               for name, st in states.items()}
    results: dict[str, SystemResult] = {}
    from verteilung.staffelung import Staffelung

    pacing = Staffelung.from_dict(model.staffelung)
    for s in model.systeme:
        st = states[s.name]
        if s.verrechnung_mit:
            st.verrechnung = surplus[s.verrechnung_mit]
        n_arr = ctx.arrivals(s)
        sperre(s, st, n_arr, start)
        hh = haushalte.get(s.name)
        alloc = allocate(st, personen=None if hh is not None else n_arr, haushalte=hh,
                         beschraenkungen=beschraenkungen.get(s.name), solver=solver, zeitlimit=zeitlimit,
                         pfad=pfad, staffelung=pacing)  # type: ignore[arg-type]
        results[s.name] = SystemResult(s, st, alloc, labels[s.name], start[s.name] * 100, own[s.name])
    return results
