"""Wiring an agent into calls: per call, a dialog with its own tool box (whose tool
activity shows on the events channel and goes to the audit log) and the shared TTS."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bus.client import BusClient
from gateway.agent import real_estate_tools
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import RealEstateDialog
from gateway.agent.responder import AgentResponder
from gateway.agent.tools import ToolBox
from gateway.providers.tts import TextToSpeech
from gateway.responder import Responder

if TYPE_CHECKING:
    from gateway.call import Call


def agent_factory(config: AgentConfig, bus: BusClient, tts: TextToSpeech) -> Callable[[Call], Responder]:
    tools = [t for t in real_estate_tools.ALL if t.name in config.tools]

    def make(call: Call) -> Responder:
        def observe(tool: str, phase: str, details: Mapping[str, Any]) -> None:
            if phase == "started":
                call.events.send("tool.started", tool=tool)
                return
            call.events.send("tool.finished", tool=tool, outcome=details["outcome"],
                             seconds=round(details["seconds"], 3))  # fmt: skip
            call.recorder.audit(f"tool.{tool}", details["outcome"], {"seconds": f"{details['seconds']:.3f}"})

        dialog = RealEstateDialog(config, ToolBox(tools, bus, observe), call.call_id)
        return AgentResponder(dialog, tts, emit=call.events.send)

    return make
