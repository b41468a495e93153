"""Shadow mode's legs take lines like calls: the person's and the caller's show in `/calls`, count
toward VOICEPOD_MAX_CALLS (callers beyond it are refused busy, on the phone and on /ws alike) and
toward the per-token limit, and leave the registry when the call ends; on drain, a shadow call
finishes like an agent's and a caller still waiting is let go at once."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from nats.aio.client import Client as NATS

from caller.booking import PHONE_E164
from caller.client import dial
from caller.script import ScriptedMicrophone
from gateway import auth
from gateway.phone_settings import PhoneSettings
from gateway.server import drain
from tests.eventually import eventually
from tests.fakes.twilio_standin import TwilioStandIn
from tests.integration.gateway_helpers import CALLER_ICE, SECRET
from tests.integration.phone.phone_helpers import TWILIO_AUTH_TOKEN
from tests.integration.shadow.shadow_helpers import ScriptedHearing, Watch, shadow_gateway

OFFER = {"type": "offer", "sdp": "v=0\r\n"}  # refused before its SDP is read


async def refusal(http: aiohttp.ClientSession, url: str, token: str) -> dict[str, Any]:
    """What an offer on a new socket at `url` is answered with."""
    async with http.ws_connect(url, headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send_json(OFFER)
        answer: dict[str, Any] = await ws.receive_json(timeout=10)
        return answer


@pytest.mark.timeout(60)
async def test_the_desks_legs_take_lines_and_count_like_calls(nc: NATS) -> None:
    desk, mic = Watch(), ScriptedMicrophone()
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-1", ttl_seconds=600)
    phone = PhoneSettings(twilio_auth_token=TWILIO_AUTH_TOKEN)
    async with (
        shadow_gateway(nc, stt=ScriptedHearing(), phone=phone, max_calls=2, max_calls_per_token=1) as gw,
        aiohttp.ClientSession() as http,
    ):
        desk_url = gw.ws_url.replace("/ws", "/desk/ws")
        lines = f"{gw.http_url}/calls?token={ops}"
        async with dial(desk_url, mic, token=ops, on_event=desk, ice_addresses=CALLER_ICE) as desk_call:
            await desk.until(lambda: bool(desk.of("desk.waiting")), "the desk to wait for a caller")
            # The person's leg is a line of their token's subject: a second desk socket of theirs is refused.
            second = await refusal(http, desk_url, ops)
            assert second["code"] == "too_many_calls", second
            twilio = TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN, caller=PHONE_E164)
            await twilio.ring()
            await twilio.connect()
            try:
                await desk.until(lambda: bool(desk.of("desk.connected")), "the phone caller put through")
                async with http.get(lines) as resp:
                    listed = await resp.json()
                assert listed["max_calls"] == 2
                legs = {c["role"]: c for c in listed["calls"]}
                assert set(legs) == {"caller", "human"}
                assert (legs["caller"]["channel"], legs["human"]["channel"]) == ("phone", "webrtc")
                call_id = desk.of("desk.connected")[0]["call_id"]
                assert legs["caller"]["call_id"] == legs["caller"]["desk_call_id"] == call_id
                assert legs["human"]["desk_call_id"] == call_id
                # Both lines are taken: the next caller is refused busy, by phone and on /ws.
                status, twiml = await TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN).ring()
                assert status == 200 and '<Reject reason="busy"' in twiml, twiml
                busy = await refusal(http, gw.ws_url, auth.mint(SECRET, subject="another", ttl_seconds=60))
                assert busy["code"] == "busy", busy
            finally:
                await twilio.hang_up()
            await desk_call.bye
        assert await gw.state.calls.wait_empty(10)  # both legs gave their lines back
        async with http.get(lines) as resp:
            assert (await resp.json())["calls"] == []


@pytest.mark.timeout(60)
async def test_on_drain_a_shadow_call_finishes_and_a_waiting_caller_is_let_go(nc: NATS) -> None:
    desk, mic = Watch(), ScriptedMicrophone()
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-1", ttl_seconds=600)
    phone = PhoneSettings(twilio_auth_token=TWILIO_AUTH_TOKEN)
    async with shadow_gateway(nc, stt=ScriptedHearing(), phone=phone) as gw:
        desk_url = gw.ws_url.replace("/ws", "/desk/ws")
        async with dial(desk_url, mic, token=ops, on_event=desk, ice_addresses=CALLER_ICE) as desk_call:
            await desk.until(lambda: bool(desk.of("desk.waiting")), "the desk to wait for a caller")
            taken, waiting = (TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN) for _ in range(2))
            for twilio in (taken, waiting):
                await twilio.ring()
                await twilio.connect()
            try:
                await desk.until(lambda: bool(desk.of("desk.connected")), "the first caller put through")
                desk_queue = gw.state.desk
                assert desk_queue is not None

                async def queued() -> int:
                    return len(desk_queue.waiting)

                assert await eventually(queued, lambda n: n == 1) == 1  # the second stream has started
                assert len(gw.state.calls) == 3  # the person, the caller with them, the caller waiting
                draining = asyncio.create_task(drain(gw.state, timeout=30))
                await asyncio.wait_for(waiting.closed.wait(), 10)  # nobody could take them: let go at once
                assert not draining.done() and not taken.closed.is_set()  # the shadow call goes on...
                await taken.hang_up()  # ...until it ends by itself
                assert await asyncio.wait_for(draining, 10)
            finally:
                for twilio in (taken, waiting):
                    await twilio.close()
            await desk_call.bye
        assert len(gw.state.calls) == 0
