"""Shadow mode with async mode: the agent's answering hours and overflow voicemail lines come before
the desk. A caller after hours, or one who finds every line taken while an overflow line is free,
leaves a voicemail (the agent's voicemail call) instead of joining the desk's queue, on /ws and by
phone alike; within the hours, with a line free, they reach the desk as before."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import WSCloseCode
from nats.aio.client import Client as NATS

from caller.client import dial
from caller.script import ScriptedMicrophone
from gateway import auth
from gateway.agent.async_policy import AsyncPolicy
from gateway.agent.hours import Hours
from gateway.phone_settings import PhoneSettings
from gateway.providers.tts.espeak import Espeak
from gateway.state import GatewayState
from gateway.voicemail.answering import Answering
from gateway.voicemail.object_store import LocalDirectory
from gateway.voicemail.responder import VoicemailResponder
from tests.fakes.twilio_standin import TwilioStandIn
from tests.integration.gateway.test_signaling import offer_sdp
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, RunningGateway
from tests.integration.phone.phone_helpers import TWILIO_AUTH_TOKEN
from tests.integration.shadow.shadow_helpers import ScriptedHearing, Watch, shadow_gateway

GREETING = "Sorry, we are closed. Leave a message."
CHICAGO = ZoneInfo("America/Chicago")
WEEKDAYS = Hours(open_hour=9, close_hour=17, weekdays=frozenset(range(5)))
SUNDAY_NIGHT, MONDAY_NOON = datetime(2026, 12, 6, 22, 0, tzinfo=CHICAGO), datetime(2026, 12, 7, 12, 0, tzinfo=CHICAGO)
L16 = json.dumps({"content-type": "audio/l16;rate=16000"})


def answering(state: GatewayState, when: datetime, tmp_path: Path, overflow_lines: int = 0) -> None:
    policy = AsyncPolicy(answering_hours=WEEKDAYS, greeting=GREETING, overflow_lines=overflow_lines)
    state.answering = Answering("real_estate", "America/Chicago", policy, Espeak(), LocalDirectory(tmp_path),
                                state.nc.jetstream(), clock=lambda: when)  # fmt: skip


def phone_url(gw: RunningGateway) -> str:
    return gw.ws_url.replace("/ws", f"/telephony/socket?token={auth.mint(SECRET, ttl_seconds=60)}")


def voicemails(state: GatewayState) -> list[str]:
    """The ids of the agent's voicemail calls live now."""
    return [c.call_id for c in state.calls.all() if isinstance(c.responder, VoicemailResponder)]


@pytest.mark.timeout(60)
async def test_after_hours_a_caller_leaves_a_voicemail_instead_of_reaching_the_desk(nc: NATS, tmp_path: Path) -> None:
    desk, mic = Watch(), ScriptedMicrophone()
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-1", ttl_seconds=600)
    phone = PhoneSettings(twilio_auth_token=TWILIO_AUTH_TOKEN)
    async with shadow_gateway(nc, stt=ScriptedHearing(), phone=phone) as gw, aiohttp.ClientSession() as http:
        answering(gw.state, SUNDAY_NIGHT, tmp_path)
        async with dial(gw.ws_url.replace("/ws", "/desk/ws"), mic, token=ops, on_event=desk,
                        ice_addresses=CALLER_ICE):  # fmt: skip
            await desk.until(lambda: bool(desk.of("desk.waiting")), "the desk to wait for a caller")
            async with http.ws_connect(phone_url(gw)) as line:  # a phone caller...
                await line.send_str(L16)
                msg = await line.receive(timeout=10)  # ...hears the voicemail greeting, not silence in a queue
                assert msg.type == aiohttp.WSMsgType.BINARY
                assert len(voicemails(gw.state)) == 1
                headers = {"Authorization": f"Bearer {auth.mint(SECRET, ttl_seconds=60)}"}
                async with http.ws_connect(gw.ws_url, headers=headers) as ws:  # a WebRTC caller too
                    await ws.send_json({"type": "offer", "sdp": await offer_sdp()})
                    answer = await ws.receive_json(timeout=10)
                    assert answer["type"] == "answer" and answer["call_id"] in voicemails(gw.state)
                    desk_queue = gw.state.desk
                    assert desk_queue is not None and not desk_queue.waiting and not desk_queue.bridges
                    assert len(desk_queue.free) == 1  # the person is still waiting: nobody was put through
                    await ws.send_json({"type": "bye"})
                twilio = TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN)  # and one through Twilio
                await twilio.ring()
                await twilio.connect()
                try:
                    await twilio.agent_speaks(timeout=10)  # the greeting
                    assert len(voicemails(gw.state)) == 2 and len(desk_queue.free) == 1
                finally:
                    await twilio.hang_up()
                await line.send_str(json.dumps({"event": "stop"}))
        assert await gw.state.calls.wait_empty(10)
    assert not desk.of("desk.connected")


@pytest.mark.timeout(60)
async def test_in_hours_callers_reach_the_desk_until_the_lines_are_full_then_overflow(nc: NATS, tmp_path: Path) -> None:
    desk, mic = Watch(), ScriptedMicrophone()
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-1", ttl_seconds=600)
    async with shadow_gateway(nc, stt=ScriptedHearing(), max_calls=2) as gw, aiohttp.ClientSession() as http:
        answering(gw.state, MONDAY_NOON, tmp_path, overflow_lines=1)
        async with dial(gw.ws_url.replace("/ws", "/desk/ws"), mic, token=ops, on_event=desk,
                        ice_addresses=CALLER_ICE):  # fmt: skip
            await desk.until(lambda: bool(desk.of("desk.waiting")), "the desk to wait for a caller")
            async with (
                http.ws_connect(phone_url(gw)) as first,
                http.ws_connect(phone_url(gw)) as second,
                http.ws_connect(phone_url(gw)) as third,
            ):
                await first.send_str(L16)  # in hours, a line free: the desk takes them
                await desk.until(lambda: bool(desk.of("desk.connected")), "the first caller put through")
                assert voicemails(gw.state) == []
                await second.send_str(L16)  # both lines taken (the person's, the caller's): the overflow line
                msg = await second.receive(timeout=10)
                assert msg.type == aiohttp.WSMsgType.BINARY and len(voicemails(gw.state)) == 1
                await third.send_str(L16)  # the overflow line taken too: busy
                refused = await third.receive(timeout=10)
                assert refused.type == aiohttp.WSMsgType.CLOSE and third.close_code == WSCloseCode.TRY_AGAIN_LATER
                for line in (first, second):
                    await line.send_str(json.dumps({"event": "stop"}))
        assert await gw.state.calls.wait_empty(10)
    assert len(desk.of("desk.connected")) == 1
