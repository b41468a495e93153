"""The tool registry: each tool is a name, a description, the JSON schema of its
arguments, the bus endpoint it calls, how its Protobuf request is built, and its deadline.

Arguments are checked against the schema before anything is sent (an LLM's arguments
and the dialog agent's alike); results come back as plain dicts. Failures become a
ToolError whose `kind` the agent turns into something the caller can act on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from bus import errors, tracing
from bus.client import BusClient
from bus.endpoint import Endpoint
from gateway.agent.genai_spans import tool_span


class ToolError(Exception):
    def __init__(self, kind: str, message: str, *, field: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.kind = kind  # invalid_arguments | rejected | not_found | timeout | unavailable | failed
        self.message = message
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    schema: dict[str, Any]
    endpoint: Endpoint[Any, Any]
    build: Callable[[Mapping[str, Any]], Message]
    deadline_seconds: float = 3.0
    # What an LLM engine must have from the caller before it may make this call (tool_policy.py):
    # the argument holding a phone number the caller confirmed, and whether it acts only after a yes.
    confirmed_phone: str = ""
    needs_yes: bool = False
    # It only reads (a search, a lookup): it may run for a reply prepared before the caller has
    # surely finished (tool_policy.may_rehearse). Unmarked tools are taken to change something.
    read_only: bool = False

    def validate(self, args: Mapping[str, Any]) -> None:
        try:
            jsonschema.validate(dict(args), self.schema)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path)
            raise ToolError("invalid_arguments", exc.message, field=where) from None

    def openai_spec(self) -> dict[str, Any]:
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.schema}}  # fmt: skip


@dataclass(frozen=True)
class ToolResult:
    tool: str
    data: dict[str, Any]
    seconds: float


ToolObserver = Callable[[str, str, Mapping[str, Any]], None]  # (tool, phase, details)


class ToolBox:
    def __init__(self, tools: list[Tool], bus: BusClient, observer: ToolObserver | None = None) -> None:
        self.tools = {t.name: t for t in tools}
        self.bus = bus
        self.observer = observer

    async def call(self, name: str, args: Mapping[str, Any], *, call_id: str = "", ahead: bool = False) -> ToolResult:
        """`ahead`: for a reply prepared before the turn ended (gateway/agent/rehearsal.py); the
        observer is told, so the events and the audit log can tell it from the turn's own call."""
        tool = self.tools.get(name)
        if tool is None:
            raise ToolError("invalid_arguments", f"no tool named {name!r}")
        tool.validate(args)
        started = time.monotonic()
        self._observe(name, "started", {"ahead": ahead})
        failure: ToolError | None = None
        with tool_span(name) as span:  # current while it runs: the service's handler span is its child
            try:
                reply = await self._send(tool, args, call_id)
            except ToolError as exc:
                tracing.failed(span, exc.kind, exc.message)
                failure = exc
        if failure is not None:
            self._observe(
                name, "finished", {"outcome": failure.kind, "seconds": time.monotonic() - started, "ahead": ahead}
            )
            raise failure
        self._observe(name, "finished", {"outcome": "ok", "seconds": time.monotonic() - started, "ahead": ahead})
        data = MessageToDict(reply, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
        return ToolResult(tool=name, data=data, seconds=time.monotonic() - started)

    def _observe(self, name: str, phase: str, details: Mapping[str, Any]) -> None:
        if self.observer is not None:
            self.observer(name, phase, details)

    async def _send(self, tool: Tool, args: Mapping[str, Any], call_id: str) -> Message:
        try:
            return await self.bus.call(tool.endpoint, tool.build(args), timeout=tool.deadline_seconds, call_id=call_id)
        except errors.DeadlineExceeded as exc:
            raise ToolError("timeout", exc.message) from None
        except errors.NoResponders as exc:
            raise ToolError("unavailable", str(exc)) from None
        except errors.NotFound as exc:
            raise ToolError("not_found", exc.message, reason=exc.reason) from None
        except (errors.BadRequest, errors.Conflict) as exc:
            raise ToolError("rejected", exc.message, field=exc.field, reason=exc.reason) from None
        except errors.BusError as exc:
            raise ToolError("failed", str(exc)) from None
