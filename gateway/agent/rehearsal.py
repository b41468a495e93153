"""A reply worked out ahead, on a copy of the dialog, while the caller may still be speaking.

When the caller pauses and the STT's text is already what the turn's final text will be if they
say no more, the turn loop asks for the reply early (gateway/preemptive.py). That work may be
thrown away (the caller goes on), so it must change nothing:
- the dialog answers on a copy of itself (`fork`): the frame, the questions asked, the held time;
  the copy's state is taken over (`adopt`) only when the turn ends with the same text;
- its tools are `RehearsalTools`: a tool that only reads (tool_policy.may_rehearse) runs, any
  other stops the rehearsal (`WouldAct`), and the turn is answered the ordinary way once it ends.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gateway.agent.dialog import FrameDialog
from gateway.agent.tool_policy import may_rehearse
from gateway.agent.tools import ToolBox, ToolResult


class WouldAct(Exception):
    """The reply needs a tool that changes something: it cannot be prepared ahead."""

    def __init__(self, tool: str) -> None:
        super().__init__(f"{tool} changes something: not run ahead of the turn's end")
        self.tool = tool


class RehearsalTools(ToolBox):
    """The call's tool box as a rehearsal sees it: read-only tools pass through, the rest refuse."""

    def __init__(self, real: ToolBox) -> None:
        super().__init__(list(real.tools.values()), real.bus, real.observer)
        self.real = real

    async def call(self, name: str, args: Mapping[str, Any], *, call_id: str = "", ahead: bool = True) -> ToolResult:
        tool = self.real.tools.get(name)
        if tool is None or not may_rehearse(tool):
            raise WouldAct(name)
        return await self.real.call(name, args, call_id=call_id, ahead=True)


def _shared(dialog: FrameDialog) -> dict[int, Any]:
    """What a copy shares with the dialog instead of copying: configuration, not state."""
    return {id(x): x for x in (dialog.config, dialog.vertical, dialog.clock)}


def fork(dialog: FrameDialog) -> FrameDialog | None:
    """A copy of the dialog to answer one turn ahead with; None when it cannot be copied safely:
    a pending offer to retry holds a closure over the dialog itself, which a copy would share."""
    if dialog._retry is not None:
        return None
    memo = _shared(dialog)
    memo[id(dialog.tools)] = RehearsalTools(dialog.tools)
    return copy.deepcopy(dialog, memo)  # the flow's host and frame are the copy's own (one memo)


def adopt(dialog: FrameDialog, rehearsed: FrameDialog) -> bool:
    """Take over the state `rehearsed` reached (the turn ended as it was rehearsed): the dialog object
    stays the same (the call and the evals hold it), its state becomes the copy's. False, nothing
    changed: the copy cannot be taken over (it offered a retry, a closure over the copy)."""
    if rehearsed._retry is not None:
        return False
    memo = _shared(dialog)
    memo[id(rehearsed)] = dialog  # the flow's host, and anything else that refers back to the dialog
    assert isinstance(rehearsed.tools, RehearsalTools)
    memo[id(rehearsed.tools)] = rehearsed.tools.real
    state = copy.deepcopy(rehearsed.__dict__, memo)
    dialog.__dict__.update(state)
    return True
