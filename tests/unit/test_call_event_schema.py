"""One schema for the call events: every event the code can emit is in it, it has none nobody emits,
each serialises to what its JSON Schema says, and docs/events.md and the clients agree with it."""

from __future__ import annotations

import ast
import functools
import re
import types
import typing
from pathlib import Path
from typing import Any

import jsonschema

from gateway import call_event_types as ev
from gateway.stats import MediaSummary

ROOT = Path(__file__).resolve().parents[2]
NAMES = {t.__name__: t for t in ev.EVENT_TYPES}


@functools.cache
def _gateway_trees() -> list[tuple[str, ast.Module]]:
    """The code that makes a call's events: the gateway, and the evals' in-process gateway."""
    return [
        (p.relative_to(ROOT).as_posix(), ast.parse(p.read_text(), filename=str(p)))
        for package in ("gateway", "evals")
        for p in (ROOT / package).rglob("*.py")
    ]


def _constructed_event_types(trees: list[tuple[str, ast.Module]]) -> set[str]:
    """Event classes the gateway constructs anywhere (`AgentDone(...)`, `ev.AgentDone(...)`)."""
    made = set()
    for where, tree in trees:
        if where == "gateway/call_event_types.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in NAMES:
                    made.add(name)
    return made


def test_every_event_type_is_in_the_schema_once_and_is_emitted_somewhere() -> None:
    kinds = [t.kind for t in ev.EVENT_TYPES]
    assert len(set(kinds)) == len(kinds) and all(kinds)
    assert set(ev.CallEvent.__subclasses__()) == set(ev.EVENT_TYPES)
    assert _constructed_event_types(_gateway_trees()) == set(NAMES)


def test_no_event_is_sent_by_a_free_string() -> None:
    """`events.send("agent.text", …)` or `emit("tool.started", …)` would bypass the schema."""
    free = []
    for where, tree in _gateway_trees():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("send", "emit") and isinstance(node.args[0].value, str):
                free.append(f"{where}:{node.lineno}")
    assert free == []


def _sample(hint: Any) -> Any:
    if hint is Any:
        return {"listings": [1, "x"]}
    if isinstance(hint, types.UnionType):
        return _sample(typing.get_args(hint)[0])
    if typing.get_origin(hint) is dict:
        return {"before_ice": _sample(typing.get_args(hint)[1])}
    if typing.get_origin(hint) is list:
        return [_sample(typing.get_args(hint)[0])]
    return {str: "x", bool: True, int: 3, float: 0.25}[hint]


def _instance(event_type: type[ev.CallEvent]) -> ev.CallEvent:
    if event_type is ev.Stats:
        return ev.Stats(MediaSummary(rtt_seconds=0.05, media_dropped={"stranger": 1}))
    return event_type(**{name: _sample(hint) for name, hint in ev.payload_fields(event_type).items()})


def test_each_event_serialises_to_what_its_schema_says() -> None:
    schema = ev.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for event_type in ev.EVENT_TYPES:
        message = ev.as_message(_instance(event_type))
        validator.validate(message)  # exactly one variant: the kind is a const in each
        assert message["type"] == event_type.kind and set(message) == {"type", "at", *ev.payload_fields(event_type)}
    wrong = {**ev.as_message(ev.AgentDone(turn=1)), "turn": "one"}
    assert not validator.is_valid(wrong) and not validator.is_valid({"type": "agent.said", "at": 1.0})


def _documented() -> dict[str, set[str]]:
    """docs/events.md: a `### kind` heading per event, its fields as `| name |` table rows."""
    documented: dict[str, set[str]] = {}
    kind = ""
    for line in (ROOT / "docs" / "events.md").read_text().splitlines():
        if heading := re.fullmatch(r"### `([a-z_.]+)`", line):
            kind = heading.group(1)
            documented[kind] = set()
        elif kind and (row := re.match(r"\| `([a-z_]+)` \|", line)):
            documented[kind].add(row.group(1))
    return documented


def test_docs_events_md_describes_each_event_and_its_fields() -> None:
    assert _documented() == {t.kind: set(ev.payload_fields(t)) for t in ev.EVENT_TYPES}


def test_the_clients_follow_only_events_in_the_schema() -> None:
    """The caller page and the caller/ client switch on event kinds: each is one the gateway sends."""
    kinds = {t.kind for t in ev.EVENT_TYPES}
    page = set(re.findall(r'case "([a-z_.]+)"', (ROOT / "gateway" / "static" / "call.js").read_text()))
    script = set(re.findall(r'kind == "([a-z_.]+)"', (ROOT / "caller" / "script.py").read_text()))
    assert page and script and page | script <= kinds
