"""A caller who says nothing: the agent asks twice whether they are still there, with its question
again, then says goodbye and hangs up (a real call: WebRTC, the offline agent and its voice)."""

from __future__ import annotations

import asyncio

import pytest
from nats.aio.client import Client as NATS

from caller.client import dial
from caller.script import Conversation, ScriptedMicrophone
from gateway import auth
from gateway.agent.config import AgentConfig
from gateway.agent.factory import agent_factory
from gateway.no_answer import GIVE_UP, NUDGE
from gateway.providers.tts.piper_local import PiperLocal
from gateway.turns import TurnSettings
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, gateway

pytestmark = pytest.mark.slow


@pytest.mark.timeout(120)
async def test_a_silent_caller_is_asked_twice_then_the_agent_says_goodbye_and_hangs_up(nc: NATS) -> None:
    conversation = Conversation()
    async with gateway(nc, turn_settings=TurnSettings(no_answer_ms=1000)) as gw:
        tts = PiperLocal()
        await asyncio.to_thread(tts.warm_up)
        gw.state.responder_factory = agent_factory(AgentConfig.load("real_estate"), gw.state.bus, tts)
        token = auth.mint(SECRET, ttl_seconds=120)
        async with dial(gw.ws_url, ScriptedMicrophone(), token=token, on_event=conversation.on_event,
                        ice_addresses=CALLER_ICE) as call:  # fmt: skip
            await conversation.until(lambda: conversation.ended is not None, "the agent hanging up", 90)
            said = [text for turn in sorted(conversation.said) for text in conversation.said[turn]]
            recorded = call.result.recorder.audio
    greeting = said[0]
    assert "?" in greeting and said[1:] == [NUDGE, greeting, NUDGE, greeting, GIVE_UP], said
    assert conversation.ended == "agent_hangup"
    assert conversation.turn == 0  # the caller never took a turn
    assert len(recorded) > 0  # the nudges and the goodbye were heard, not only shown
