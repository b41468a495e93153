"""The production wiring: agent_factory builds the engine the provider settings choose,
and a call's tool activity reaches its events, audit log and usage meter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from nats.aio.client import Client as NATS

from bus.client import BusClient
from gateway.agent.chat_engine import ChatEngine
from gateway.agent.config import AgentConfig
from gateway.agent.engine import DialogEngine
from gateway.agent.factory import agent_factory
from gateway.agent.realtime_engine import RealtimeEngine
from gateway.agent.responder import AgentResponder
from gateway.agent.usage import UsageMeter
from gateway.call_event_types import CallEvent
from gateway.call_origin import WEBRTC, CallOrigin
from gateway.providers.settings import ProviderSettings
from gateway.responder import CallerTurn
from tests.fakes.openai_server import API_KEY, serving
from tests.integration.agent import scripted_model
from tests.integration.agent.test_cloud_speech import Silence
from tests.integration.agent.test_dialog import services
from tests.postgres import ONE_STORE

pytestmark = [pytest.mark.usefixtures("store_env"), ONE_STORE]


@dataclass
class Events:
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def send(self, event: CallEvent) -> None:
        self.sent.append((event.kind, event.fields()))


@dataclass
class Recorder:
    audited: list[tuple[str, str]] = field(default_factory=list)

    def audit(self, action: str, outcome: str, attributes: Any) -> None:
        self.audited.append((action, outcome))


@dataclass
class CallSide:
    """What the factory uses of a Call: its id, origin (the caller ID), events channel, recorder and usage meter."""

    call_id: str = "call-wired"
    origin: CallOrigin = WEBRTC
    events: Events = field(default_factory=Events)
    recorder: Recorder = field(default_factory=Recorder)
    usage: UsageMeter = field(default_factory=lambda: UsageMeter("real_estate"))


def build(nc: NATS, providers: ProviderSettings, call: CallSide) -> AgentResponder:
    make = agent_factory(AgentConfig.load("real_estate"), BusClient(nc), Silence(), providers)
    responder = make(call)  # type: ignore[arg-type]
    assert isinstance(responder, AgentResponder)
    return responder


async def test_the_settings_choose_the_engine(nc: NATS) -> None:
    offline = build(nc, ProviderSettings.from_env({}), CallSide())
    chat = build(nc, ProviderSettings.from_env({"OPENAI_API_KEY": "sk-x"}), CallSide())
    realtime = build(
        nc, ProviderSettings.from_env({"OPENAI_API_KEY": "sk-x", "VOICEPOD_ENGINE": "realtime"}), CallSide()
    )
    assert isinstance(offline.engine, DialogEngine)
    assert isinstance(chat.engine, ChatEngine) and chat.engine.model.name == "openai:gpt-4o-mini"
    assert isinstance(realtime.engine, RealtimeEngine)


async def test_a_chat_turn_through_the_factory_is_metered_audited_and_shown(nc: NATS) -> None:
    call = CallSide()
    async with services(nc, "mls_lookup"), serving(scripted_model.real_estate) as fake:
        env = {"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": fake.base_url}
        responder = build(nc, ProviderSettings.from_env(env), call)
        turn = CallerTurn(1, np.zeros(0, np.int16), "A three bedroom house in Austin under seven hundred thousand")
        said = [s.text async for s in responder.reply(turn)]
    assert said[0].startswith("I found") and len(fake.requests) == 2
    assert ("tool.started", {"tool": "search_listings", "ahead": False}) in call.events.sent
    assert call.recorder.audited == [("tool.search_listings", "ok")]
    usage = call.usage.as_dict()
    cost, items = usage["cost_usd"], usage["items"]
    assert usage["tool_calls"] == 1 and isinstance(cost, float) and cost > 0
    assert isinstance(items, list)
    units = {(i["provider"], i["unit"]) for i in items}
    assert {("openai:gpt-4o-mini", "input_tokens"), ("silence", "characters")} <= units
