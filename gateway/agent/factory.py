"""Wiring an agent into calls: per call, an engine with its own tool box (whose tool
activity shows on the events channel, goes to the audit log and the usage meter) and
the shared TTS."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bus.client import BusClient
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import DialogEngine, Engine
from gateway.agent.responder import AgentResponder
from gateway.agent.tool_activity import show_tool_call
from gateway.agent.tools import ToolBox
from gateway.agent.vertical import load_vertical
from gateway.providers.choose import choose_chat
from gateway.providers.settings import ProviderSettings
from gateway.providers.tts import TextToSpeech
from gateway.responder import Responder

if TYPE_CHECKING:
    from gateway.call import Call


def agent_factory(
    config: AgentConfig, bus: BusClient, tts: TextToSpeech, providers: ProviderSettings | None = None
) -> Callable[[Call], Responder]:
    providers = providers or ProviderSettings()
    vertical = load_vertical(config.vertical)
    tools = [t for t in vertical.tools if t.name in config.tools]
    chat_model = choose_chat(providers)

    # We rang them: the agent says why (the config's outbound greeting), not "thanks for calling".
    outbound = dataclasses.replace(config, greeting=config.outbound_greeting) if config.outbound_greeting else config

    def make(call: Call) -> Responder:
        call_config = outbound if call.origin.direction == "outbound" else config

        def observe(tool: str, phase: str, details: Mapping[str, Any]) -> None:
            show_tool_call(call, tool, phase, details)
            if phase == "finished":
                ahead = {"ahead": "true"} if details.get("ahead") else {}
                call.recorder.audit(
                    f"tool.{tool}", details["outcome"], {"seconds": f"{details['seconds']:.3f}", **ahead}
                )

        toolbox = ToolBox(tools, bus, observe)
        dialog = FrameDialog(call_config, toolbox, call.call_id, vertical=vertical,
                             caller_number=call.origin.caller_number, typing=call.origin.typing)  # fmt: skip
        engine: Engine = DialogEngine(dialog)
        if chat_model is not None:
            from gateway.agent.chat_engine import ChatEngine

            engine = ChatEngine(chat_model, call_config, toolbox, dialog, call.usage, call.call_id,
                                emit=call.events.send, caller_number=call.origin.caller_number)  # fmt: skip
        elif providers.engine == "realtime":
            from gateway.agent.realtime_engine import RealtimeEngine

            engine = RealtimeEngine(providers, call_config, toolbox, call.usage, call.call_id, emit=call.events.send,
                                    caller_number=call.origin.caller_number)  # fmt: skip
        return AgentResponder(
            engine, tts, call.usage, emit=call.events.send, cities=tuple(config.cities), voicemail=config.voicemail
        )

    return make
