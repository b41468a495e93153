"""The tool runner a recommendation uses: it can reach only the tools that read.

A shadow call's agent must never change anything (a person is answering), so its runner is built
holding the read-only tools alone (a search, free slots): a tool that writes is not in it to run.
A call to one is noted (`refused`: what the agent would have done, with its arguments) and answered
with `WouldWrite`, which stops the agent's turn where it would have acted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bus.contracts import shadow_pb2
from gateway.agent.tools import ToolBox, ToolResult


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

    async def call(self, name: str, args: Mapping[str, Any], *, call_id: str = "", ahead: bool = False) -> ToolResult:
        if name not in self.tools:  # a write (or unknown): noted, never sent
            intent = Intent(name, dict(args), writes=True)
            self.refused.append(intent)
            raise WouldWrite(intent)
        result = await super().call(name, args, call_id=call_id, ahead=ahead)
        self.ran.append(Intent(name, dict(args), writes=False, result=result.data))
        return result
