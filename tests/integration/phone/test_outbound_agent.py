"""Outbound calls with the real agent (agents/real_estate.yaml, Piper's voice): the voicemail it
leaves is the config's line in its own voice, and a person hears its outbound greeting. Long:
real speech, played in real time."""

from __future__ import annotations

import asyncio

import pytest
from nats.aio.client import Client as NATS

from bus.contracts import events_pb2
from gateway.agent.config import AgentConfig
from gateway.agent.factory import agent_factory
from gateway.call import Call
from gateway.link.phone.dialer import AMD_PATH
from gateway.providers.tts.piper_local import PiperLocal
from gateway.responder import Responder
from tests.integration.phone.outbound_helpers import Outbound, answered, dial, outbound_gateway
from tests.integration.phone.phone_helpers import transcript_of

pytestmark = [pytest.mark.long, pytest.mark.timeout(120), pytest.mark.usefixtures("store_env")]
CONFIG = AgentConfig.load("real_estate")


async def with_the_real_agent(o: Outbound) -> None:
    tts = PiperLocal()
    await asyncio.to_thread(tts.warm_up)
    make = agent_factory(CONFIG, o.gw.state.bus, tts)

    def responder(call: Call) -> Responder:
        o.started.put_nowait(call)
        return make(call)

    o.gw.state.responder_factory = responder
    o.gw.state.agent_name = "real_estate"


def agent_lines(transcript: list[events_pb2.TranscriptEvent]) -> list[str]:
    return [e.turn.text for e in transcript if e.HasField("turn") and e.turn.speaker == events_pb2.SPEAKER_AGENT]


async def test_the_agent_leaves_its_configured_voicemail_in_its_own_voice(nc: NATS) -> None:
    assert CONFIG.voicemail and CONFIG.outbound_greeting
    async with outbound_gateway(nc) as o:
        await with_the_real_agent(o)
        callee = await answered(o, await dial(nc))
        call = await o.next_call()
        assert await callee.post(o.gw.http_url + AMD_PATH, callee.amd_form("machine_end_silence")) == 204
        await asyncio.wait_for(callee.closed.wait(), 60)
        await asyncio.wait_for(o.gw.state.calls.wait_empty(10), 11)
        await callee.close()
    seconds = len(callee.received.played) / 8000
    assert 4.0 < seconds < 15.0, seconds  # the whole message, spoken (Piper: ~13 words/4 s)
    assert call.ended == "agent_hangup" and callee.received.marks[-1] == "end"
    assert agent_lines(await transcript_of(nc, call.call_id)) == [CONFIG.voicemail]


async def test_a_person_hears_the_outbound_greeting(nc: NATS) -> None:
    async with outbound_gateway(nc) as o:
        await with_the_real_agent(o)
        callee = await answered(o, await dial(nc))
        call = await o.next_call()
        assert await callee.post(o.gw.http_url + AMD_PATH, callee.amd_form("human")) == 204
        heard = await callee.hear_reply(quiet=1.0, timeout=60)
        await callee.hang_up()
        await asyncio.wait_for(o.gw.state.calls.wait_empty(10), 11)
    assert len(heard) / 8000 > 3.0
    assert agent_lines(await transcript_of(nc, call.call_id))[:1] == [CONFIG.outbound_greeting]
