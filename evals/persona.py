"""Persona files: who an adaptive caller is, what it wants, how it says things, how it behaves.

A scenario is a script (line 3 is said third, whatever the agent asked); a persona is a goal
and a way of talking, and the caller (evals.persona_caller) answers what the agent actually
asks. So a persona call does not depend on the dialog's slot order. Format (docs/evals.md):

    description: Maria wants the Lakeview condo on Tuesday at eleven
    now: monday 08:00
    seed: 3                      # which ways of saying things are picked (repeatable runs)
    voice: en-gb-x-rp+f2         # audio mode: an espeak-ng voice+variant (default: one of five in turn)
    goal:
      city: Orlando
      property_type: condo       # optional: single_family | condo | townhouse | multi_family | land
      bedrooms: 3                # optional
      budget: {around: 750000}  # optional: around | max | min | min+max
      listing: {street: Lakeview}           # or {pick: 1|2|3|cheapest|dearest}
      when: [{from: tuesday 11:00, to: tuesday 11:00}]       # what it asks for (windows)
      accept: [{from: wednesday 09:00, to: wednesday 17:30}]  # alternatives it takes when offered
      name: Maria Santos
      phone: "+14075550126"
      email: maria@example.com   # optional
    say:                         # ways of saying each thing ({city}, {name}... filled in); defaults exist
      when: ["tuesday at eleven", "eleven on tuesday morning"]
    behaviour:
      opener: [name, bedrooms, type, city, when]   # what its first line packs, in that order
      misspeak_phone: "+14075550162"   # gives this number first; "no, it's ..." at the read-back
      silence_at: [2]                  # says nothing useful on these turns ("hmm, hold on")
      hang_up_at_read_back: false      # hangs up instead of answering the read-back (goal: nothing written)
    taken: [{listing: TPA00053, at: wednesday 15:00}]   # booked by someone else before the call
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from evals import times
from evals.scenario import TakenSlot
from evals.times import Moment

SLOTS = ("city", "bedrooms", "type", "budget", "when", "name", "phone", "email")
_WINDOWS = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["from", "to"],
        "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
    },
}
_PHONE = {"type": "string", "pattern": r"^\+[1-9]\d{6,14}$"}
_WAYS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["goal"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*$"},
        "description": {"type": "string"},
        "now": {"type": "string"},
        "seed": {"type": "integer"},
        "voice": {"type": "string", "pattern": r"^[a-z0-9-]+(\+[a-z0-9]+)?$"},
        "taken": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["listing", "at"],
                "properties": {"listing": {"type": "string"}, "at": {"type": "string"}},
            },
        },
        "goal": {
            "type": "object",
            "additionalProperties": False,
            "required": ["city", "listing", "when", "name", "phone"],
            "properties": {
                "city": {"type": "string", "minLength": 1},
                "property_type": {"enum": ["single_family", "condo", "townhouse", "multi_family", "land"]},
                "bedrooms": {"type": "integer", "minimum": 0},
                "budget": {
                    "type": "object",
                    "additionalProperties": False,
                    "minProperties": 1,
                    "properties": {k: {"type": "integer", "minimum": 1} for k in ("around", "max", "min")},
                },
                "listing": {
                    "type": "object",
                    "additionalProperties": False,
                    "minProperties": 1,
                    "maxProperties": 1,
                    "properties": {
                        "street": {"type": "string", "minLength": 1},
                        "pick": {"enum": [1, 2, 3, "cheapest", "dearest"]},
                    },
                },
                "when": {**_WINDOWS, "minItems": 1},
                "accept": _WINDOWS,
                "name": {"type": "string", "minLength": 1},
                "phone": _PHONE,
                "email": {"type": "string", "minLength": 3},
            },
        },
        "say": {
            "type": "object",
            "additionalProperties": False,
            "properties": {slot: _WAYS for slot in SLOTS} | {"yes": _WAYS, "listing": _WAYS},
        },
        "behaviour": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "opener": {"type": "array", "items": {"enum": list(SLOTS)}, "uniqueItems": True},
                "misspeak_phone": _PHONE,
                "silence_at": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                "hang_up_at_read_back": {"type": "boolean"},
            },
        },
    },
}


class PersonaError(Exception):
    """A persona file that cannot be used: which file, which field, what is wrong."""


@dataclass(frozen=True)
class Window:
    start: Moment
    end: Moment


@dataclass(frozen=True)
class Goal:
    city: str
    listing: Mapping[str, Any]  # {"street": ...} or {"pick": ...}
    when: tuple[Window, ...]
    name: str
    phone: str
    accept: tuple[Window, ...] = ()
    property_type: str | None = None
    bedrooms: int | None = None
    budget: Mapping[str, int] = field(default_factory=dict)
    email: str | None = None


@dataclass(frozen=True)
class Behaviour:
    opener: tuple[str, ...] = ("city", "bedrooms", "type", "budget")
    misspeak_phone: str | None = None
    silence_at: tuple[int, ...] = ()
    hang_up_at_read_back: bool = False


@dataclass(frozen=True)
class Persona:
    name: str
    path: Path
    goal: Goal
    say: Mapping[str, Sequence[str]] = field(default_factory=dict)
    behaviour: Behaviour = Behaviour()
    description: str = ""
    now: Moment | None = None
    seed: int = 0
    taken: tuple[TakenSlot, ...] = ()  # slots booked by someone else before the call
    voice: str | None = None  # audio mode: the espeak-ng voice (+variant) it speaks with


def _windows(raw: Sequence[Mapping[str, str]], path: Path, where: str) -> tuple[Window, ...]:
    out = []
    for i, w in enumerate(raw):
        try:
            out.append(Window(times.parse(w["from"]), times.parse(w["to"])))
        except ValueError as exc:
            raise PersonaError(f"{path}: {where}[{i}]: {exc}") from None
    return tuple(out)


def parse_persona(path: Path) -> Persona:
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PersonaError(f"{path}: not readable YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise PersonaError(f"{path}: expected a mapping at the top level")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(raw))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise PersonaError(f"{path}: {where}: {error.message}")
    g, b = raw["goal"], raw.get("behaviour", {})
    goal = Goal(
        city=g["city"], listing=g["listing"], when=_windows(g["when"], path, "goal.when"), name=g["name"],
        phone=g["phone"], accept=_windows(g.get("accept", []), path, "goal.accept"),
        property_type=g.get("property_type"), bedrooms=g.get("bedrooms"), budget=g.get("budget", {}),
        email=g.get("email"),
    )  # fmt: skip
    behaviour = Behaviour(
        opener=tuple(b.get("opener", Behaviour.opener)), misspeak_phone=b.get("misspeak_phone"),
        silence_at=tuple(b.get("silence_at", ())), hang_up_at_read_back=bool(b.get("hang_up_at_read_back", False)),
    )  # fmt: skip
    try:
        now = times.parse(raw["now"]) if "now" in raw else None
        taken = tuple(TakenSlot(listing=t["listing"], at=times.parse(t["at"])) for t in raw.get("taken", []))
    except ValueError as exc:
        raise PersonaError(f"{path}: now or taken: {exc}") from None
    return Persona(name=raw.get("name", path.stem), path=path, goal=goal, say=raw.get("say", {}), behaviour=behaviour,
                   description=raw.get("description", ""), now=now, seed=int(raw.get("seed", 0)),
                   taken=taken, voice=raw.get("voice"))  # fmt: skip


def persona_dir(agent: str) -> Path:
    return Path(__file__).parent / "personas" / agent


def load_personas(directory: Path, patterns: Sequence[str] = ("*",)) -> list[Persona]:
    """Every *.yaml persona in `directory` matching one of `patterns`; all are parsed (one broken: error)."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise PersonaError(f"{directory}: no persona files (*.yaml) here")
    personas, problems = [], []
    for path in paths:
        try:
            personas.append(parse_persona(path))
        except PersonaError as exc:
            problems.append(str(exc))
    if problems:
        raise PersonaError("broken persona files:\n  " + "\n  ".join(problems))
    return [p for p in personas if any(fnmatch.fnmatch(p.name, pat) for pat in patterns)]
