"""Scenario files: what a synthetic caller says and what the call must leave behind.

The YAML is checked against a JSON schema before anything runs, and every mistake names the
file and the field (`turns[2].say`), because a scenario that silently asserts nothing is worse
than none. The format is documented in docs/evals.md.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from evals import times
from evals.times import Moment
from services.registry import DEFINITIONS

MODES = ("text", "audio")
STAGES = ("needs", "present", "time", "name", "phone", "confirm", "done")
_BUDGET = {
    "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "object", "additionalProperties": False, "minProperties": 1,
         "properties": {m: {"type": "integer", "minimum": 1} for m in MODES}},
    ]
}  # fmt: skip
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_SERVICES = {"type": "array", "items": {"enum": sorted(DEFINITIONS)}, "uniqueItems": True}
_PHONE = {"type": "string", "pattern": r"^\+[1-9]\d{6,14}$"}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["persona", "turns", "expect"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*$"},
        "description": {"type": "string"},
        "persona": {"type": "string", "minLength": 1},
        "now": {"type": "string", "minLength": 1},
        "audio": {"type": "boolean"},
        "known_failure": {"type": "string", "minLength": 1},
        "latency_budget_ms": _BUDGET,
        "hang_up_after": {"type": "integer", "minimum": 1},
        "faults": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "down": _SERVICES,
                "hung": _SERVICES,
                "taken": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["listing", "at"],
                        "properties": {
                            "listing": {"type": "string", "minLength": 1},
                            "at": {"type": "string", "minLength": 1},
                            "before_turn": {"type": "integer", "minimum": 1},
                        },
                    },
                },
            },
        },
        "turns": {
            "type": "array",
            "minItems": 1,
            "items": {
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["say"],
                        "properties": {
                            "say": {"type": "string", "minLength": 1},
                            "expect_reply": {"type": "string", "minLength": 1},
                            "latency_budget_ms": _BUDGET,
                            "barge_in": {"type": "boolean"},
                        },
                    },
                ]
            },
        },
        "expect": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "stage": {"enum": list(STAGES)},
                "ended": {"type": "boolean"},
                "said": _STRINGS,
                "not_said": _STRINGS,
                "apology": {"type": "boolean"},
                "search": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "city": {"type": "string"},
                        "bedrooms": {"type": "integer", "minimum": 0},
                        "max_price": {"type": "integer", "minimum": 0},
                        "min_price": {"type": "integer", "minimum": 0},
                        "property_type": {"type": "string"},
                        "features": _STRINGS,
                        "results_match": {"type": "boolean"},
                        "min_results": {"type": "integer", "minimum": 0},
                    },
                },
                "listing": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "chosen": {"type": "boolean"},
                        "pick": {"type": "integer", "minimum": 1},
                        "mls_id": {"type": "string"},
                        "city": {"type": "string"},
                        "bedrooms_min": {"type": "integer", "minimum": 0},
                        "price_max": {"type": "integer", "minimum": 0},
                        "price_min": {"type": "integer", "minimum": 0},
                        "property_type": {"type": "string"},
                        "time_zone": {"type": "string"},
                    },
                },
                "booking": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["exists"],
                    "properties": {
                        "exists": {"type": "boolean"},
                        "local_time": {"type": "string"},
                        "listing": {"type": "string", "minLength": 1},
                        "name": {"type": "string"},
                        "phone": _PHONE,
                        "time_zone": {"type": "string"},
                        "within": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["from", "to"],
                            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
                        },
                        "listing_in": {
                            "type": "object",
                            "additionalProperties": False,
                            "minProperties": 1,
                            "properties": {
                                "city": {"type": "string"},
                                "bedrooms_min": {"type": "integer", "minimum": 0},
                                "bedrooms_max": {"type": "integer", "minimum": 0},
                                "price_min": {"type": "integer", "minimum": 0},
                                "price_max": {"type": "integer", "minimum": 0},
                                "property_type": {"type": "string"},
                            },
                        },
                    },
                },
                "lead": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["exists"],
                    "properties": {
                        "exists": {"type": "boolean"},
                        "name": {"type": "string"},
                        "phone": _PHONE,
                        "budget": {"type": "integer", "minimum": 0},
                        "linked_to_booking": {"type": "boolean"},
                    },
                },
                "sms": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["sent"],
                    "properties": {
                        "sent": {"type": "boolean"},
                        "to": _PHONE,
                        "mentions": {"type": "array", "items": {"enum": ["address", "time", "name", "agent"]}},
                        "contains": _STRINGS,
                    },
                },
            },
        },
    },
}


class ScenarioError(Exception):
    """A scenario file that cannot be run: which file, which field, what is wrong."""

    def __init__(self, path: Path, where: str, message: str) -> None:
        super().__init__(f"{path}: {where}: {message}" if where else f"{path}: {message}")
        self.path, self.where, self.message = path, where, message


@dataclass(frozen=True)
class Turn:
    say: str
    expect_reply: str | None = None
    latency_budget_ms: Mapping[str, int] = field(default_factory=dict)  # by mode
    barge_in: bool = False


@dataclass(frozen=True)
class TakenSlot:
    listing: str
    at: Moment
    before_turn: int = 1  # booked just before the caller says this turn (1: before the call)


@dataclass(frozen=True)
class Faults:
    down: tuple[str, ...] = ()
    hung: tuple[str, ...] = ()
    taken: tuple[TakenSlot, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    agent: str
    persona: str
    turns: tuple[Turn, ...]
    expect: Mapping[str, Any]
    description: str = ""
    now: Moment | None = None
    audio: bool = False
    known_failure: str | None = None
    hang_up_after: int | None = None
    faults: Faults = Faults()

    @property
    def spoken(self) -> tuple[Turn, ...]:
        """The turns the caller gets to say before hanging up."""
        return self.turns[: self.hang_up_after] if self.hang_up_after else self.turns


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _budget(raw: Any) -> dict[str, int]:
    if raw is None:
        return {}
    return dict.fromkeys(MODES, raw) if isinstance(raw, int) else dict(raw)


def parse_scenario(path: Path, agent: str) -> Scenario:
    """Read and check one scenario file; ScenarioError on any problem."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(path, "", f"not readable YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(path, "", "expected a mapping at the top level")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(raw))
    if error is not None:
        raise ScenarioError(path, _where(error.absolute_path) or "(top level)", error.message)

    def moment(text: str, where: str) -> Moment:
        try:
            return times.parse(text)
        except ValueError as exc:
            raise ScenarioError(path, where, str(exc)) from None

    def regex(text: str, where: str) -> str:
        try:
            re.compile(text)
        except re.error as exc:
            raise ScenarioError(path, where, f"not a regular expression: {exc}") from None
        return text

    default_budget = _budget(raw.get("latency_budget_ms"))
    turns = []
    for i, item in enumerate(raw["turns"]):
        item = {"say": item} if isinstance(item, str) else item
        reply = item.get("expect_reply")
        turns.append(Turn(
            say=item["say"],
            expect_reply=regex(reply, f"turns[{i}].expect_reply") if reply else None,
            latency_budget_ms={**default_budget, **_budget(item.get("latency_budget_ms"))},
            barge_in=bool(item.get("barge_in", False)),
        ))  # fmt: skip
    faults = raw.get("faults", {})
    taken = tuple(
        TakenSlot(
            listing=t["listing"], at=moment(t["at"], f"faults.taken[{i}].at"), before_turn=t.get("before_turn", 1)
        )
        for i, t in enumerate(faults.get("taken", []))
    )
    for i, t in enumerate(taken):
        if t.before_turn > len(turns):
            raise ScenarioError(path, f"faults.taken[{i}].before_turn", f"there are only {len(turns)} turns")
    expect = raw["expect"]
    for key in ("said", "not_said"):
        for i, text in enumerate(expect.get(key, [])):
            regex(text, f"expect.{key}[{i}]")
    if "local_time" in expect.get("booking", {}):
        moment(expect["booking"]["local_time"], "expect.booking.local_time")
    for end in ("from", "to"):
        if end in expect.get("booking", {}).get("within", {}):
            moment(expect["booking"]["within"][end], f"expect.booking.within.{end}")
    hang_up_after = raw.get("hang_up_after")
    if hang_up_after is not None and hang_up_after > len(turns):
        raise ScenarioError(path, "hang_up_after", f"there are only {len(turns)} turns")
    return Scenario(
        name=raw.get("name", path.stem),
        path=path,
        agent=agent,
        persona=raw["persona"],
        description=raw.get("description", ""),
        turns=tuple(turns),
        expect=expect,
        now=moment(raw["now"], "now") if "now" in raw else None,
        audio=bool(raw.get("audio", False)),
        known_failure=" ".join(raw["known_failure"].split()) if "known_failure" in raw else None,
        hang_up_after=hang_up_after,
        faults=Faults(down=tuple(faults.get("down", [])), hung=tuple(faults.get("hung", [])), taken=taken),
    )


def scenario_dir(agent: str) -> Path:
    """Where the scenarios of `agent` ship: evals/scenarios/<agent>/."""
    return Path(__file__).parent / "scenarios" / agent


def load_scenarios(directory: Path, agent: str, patterns: Sequence[str] = ("*",)) -> list[Scenario]:
    """Every *.yaml in `directory` whose name (stem or file name) matches one of the globs `patterns`.

    All files are parsed, so one broken file fails the run instead of going unnoticed;
    ScenarioError lists every broken file."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ScenarioError(directory, "", "no scenario files (*.yaml) here")
    scenarios, problems = [], []
    for path in paths:
        try:
            scenarios.append(parse_scenario(path, agent))
        except ScenarioError as exc:
            problems.append(exc)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ScenarioError(directory, "", "broken scenario files:\n  " + "\n  ".join(str(p) for p in problems))
    names: dict[str, Path] = {}
    for s in scenarios:
        if s.name in names:
            raise ScenarioError(s.path, "name", f"{s.name!r} is also the name of {names[s.name]}")
        names[s.name] = s.path
    return [
        s for s in scenarios if any(fnmatch.fnmatch(s.name, p) or fnmatch.fnmatch(s.path.name, p) for p in patterns)
    ]
