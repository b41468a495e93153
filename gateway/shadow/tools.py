"""The tool runner a recommendation uses: it can reach only the tools that read.

A shadow call's agent must never change anything (a person is answering), so its runner is built
holding the read-only tools alone (a search, free slots): a tool that writes is not in it to run.
A call to one is noted (`refused`: what the agent would have done, with its arguments) and answered
with `WouldWrite`, which stops the agent's turn where it would have acted.

An LLM engine's tool box (`ShadowChatTools`) offers the model every tool the agent has, so that it can
recommend a write; a write is noted the same way but answered with `NOT_RUN` instead, so the model goes
on as it would have (the booking after the lead, the text after the booking) and its conversation stays
whole for the next turn. Nothing that writes is ever sent: its reads go through `ShadowTools`, and its
own sending is closed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from bus.contracts import shadow_pb2
from gateway.agent.tools import Tool, ToolBox, ToolError, ToolResult


@dataclass(frozen=True)
class Intent:
    """A tool call the agent made (read-only: it ran) or would have made (a write: it did not)."""

    tool: str
    args: dict[str, Any]
    writes: bool
    result: dict[str, Any] | None = None  # a read's answer (search results, free slots)

    def as_proto(self) -> shadow_pb2.ShadowAction:
        return shadow_pb2.ShadowAction(tool=self.tool, arguments_json=json.dumps(self.args, sort_keys=True),
                                       writes=self.writes)  # fmt: skip

    def as_event(self) -> dict[str, Any]:
        return {"tool": self.tool, "args": self.args, "writes": self.writes, "result": self.result}


class WouldWrite(Exception):
    """The agent's turn reached a tool that changes something: here it would have acted."""

    def __init__(self, intent: Intent) -> None:
        super().__init__(f"{intent.tool} changes something: never run in shadow mode")
        self.intent = intent


class ShadowTools(ToolBox):
    """The agent's tool box in shadow mode: the real box's read-only tools, and nothing else to run."""

    def __init__(self, real: ToolBox) -> None:
        readers = [t for t in real.tools.values() if t.read_only]
        super().__init__(readers, real.bus, real.observer)
        self.ran: list[Intent] = []
        self.refused: list[Intent] = []
        self.intents: list[Intent] = []  # both, in the order they came

    async def call(self, name: str, args: Mapping[str, Any], *, call_id: str = "", ahead: bool = False) -> ToolResult:
        if name not in self.tools:  # a write (or unknown): noted, never sent
            raise WouldWrite(self.note_write(name, args))
        result = await super().call(name, args, call_id=call_id, ahead=ahead)
        ran = Intent(name, dict(args), writes=False, result=result.data)
        self.ran.append(ran)
        self.intents.append(ran)
        return result

    def note_write(self, name: str, args: Mapping[str, Any]) -> Intent:
        """A write the agent would have made: noted with its arguments, not made."""
        intent = Intent(name, dict(args), writes=True)
        self.refused.append(intent)
        self.intents.append(intent)
        return intent


# What a model is told of a write in shadow mode: it was not made, and why; it may go on as if it was.
NOT_RUN: dict[str, Any] = {
    "status": "not_run",
    "message": "Shadow mode: a person at the desk answers this call and carries out every action; this one "
    "was passed to them. Continue the conversation as if it had been done.",
}


class ShadowChatTools(ToolBox):
    """An LLM engine's tool box in shadow mode: every tool offered, reads run, writes noted and not run."""

    def __init__(self, shadow: ShadowTools, real: ToolBox) -> None:
        super().__init__(list(real.tools.values()), real.bus)
        self.shadow = shadow  # where reads run and every intent is noted (the advisor reads them there)

    async def call(self, name: str, args: Mapping[str, Any], *, call_id: str = "", ahead: bool = False) -> ToolResult:
        tool = self.tools.get(name)
        if tool is None or tool.read_only:
            return await self.shadow.call(
                name, args, call_id=call_id, ahead=ahead
            )  # unknown: WouldWrite, as for the dialog
        tool.validate(args)  # a model's bad arguments are corrected as on a live call
        self.shadow.note_write(name, args)
        return ToolResult(tool=name, data=dict(NOT_RUN), seconds=0.0)

    async def _send(self, tool: Tool, args: Mapping[str, Any], call_id: str) -> Message:
        raise ToolError("rejected", f"{tool.name}: nothing is sent from shadow mode's LLM tool box")
