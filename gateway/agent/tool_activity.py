"""A call's tool activity as the caller's page and the operator see it: `tool.started` and
`tool.finished` events and the usage meter, from the tool box's observer (gateway/agent/tools.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gateway.call_event_types import ToolFinished, ToolStarted

if TYPE_CHECKING:
    from gateway.call import Call


def show_tool_call(call: Call, tool: str, phase: str, details: Mapping[str, Any]) -> None:
    ahead = bool(details.get("ahead"))  # a rehearsal's read (gateway/agent/rehearsal.py)
    if phase == "started":
        call.events.send(ToolStarted(tool=tool, ahead=ahead))
        return
    call.usage.tool_call(tool, details["outcome"])
    seconds = round(details["seconds"], 3)
    call.events.send(ToolFinished(tool=tool, outcome=details["outcome"], seconds=seconds, ahead=ahead))
