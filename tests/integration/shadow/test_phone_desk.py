"""Shadow mode with a phone caller: the Twilio stand-in rings a gateway in shadow mode on 127.0.0.1
(signed webhook, Media Stream, 8 kHz μ-law in real time); a person at the desk (a headless aiortc
caller on /desk/ws) is put through to them. Each hears the other through the gateway; the agent
recommends from the caller's turns (the keys they press too); the person books through /desk/act
(the real calendar service); the call's records are the phone caller's, both sides' turns in them.

The STT is scripted (tests/integration/shadow/shadow_helpers.py: what each side says is what it
hears); our VAD still finds the turns in the real audio both sides send.
"""

from __future__ import annotations

import functools
import json

import aiohttp
import numpy as np
import pytest
from nats.aio.client import Client as NATS

from bus.contracts import events_pb2
from caller.booking import BOOKING, PHONE_E164
from caller.client import dial
from caller.script import ScriptedMicrophone, ScriptLine, voice_lines
from gateway import auth
from gateway.phone_settings import PhoneSettings
from services.calendar.store import BookingRow
from services.crm_writer.store import LeadRow
from tests.fakes.twilio_standin import TwilioStandIn, to_mulaw
from tests.integration.agent.test_dialog import rows, services
from tests.integration.gateway_helpers import CALLER_ICE, SECRET
from tests.integration.phone.phone_helpers import TWILIO_AUTH_TOKEN, transcript_of
from tests.integration.shadow.shadow_helpers import ScriptedHearing, Watch, shadow_gateway

CALLER_SAYS = [line.say for line in BOOKING[:2]]  # the criteria, then "the first one"
DESK_SAYS = "Sure, let me look at the times for that one."
KEYS = "5123794680"


@pytest.mark.timeout(120)
async def test_a_phone_caller_is_put_through_to_the_desk_and_the_agent_recommends(nc: NATS) -> None:
    *caller_lines, desk_line = await voice_lines([ScriptLine(t) for t in (*CALLER_SAYS, DESK_SAYS)])
    hearing = ScriptedHearing([DESK_SAYS], CALLER_SAYS)  # the desk's leg opens first: the person is there first
    desk, mic = Watch(), ScriptedMicrophone()
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-1", ttl_seconds=600)
    phone = PhoneSettings(twilio_auth_token=TWILIO_AUTH_TOKEN)
    async with shadow_gateway(nc, stt=hearing, phone=phone) as gw, services(nc, "mls_lookup", "calendar"):
        desk_url = gw.ws_url.replace("/ws", "/desk/ws")
        async with dial(desk_url, mic, token=ops, on_event=desk, ice_addresses=CALLER_ICE) as desk_call:
            await desk.until(lambda: bool(desk.of("desk.waiting")), "the desk to wait for a caller")
            twilio = TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN, caller=PHONE_E164)
            assert (await twilio.ring())[0] == 200
            await twilio.connect()
            try:
                await desk.until(lambda: bool(desk.of("shadow.recommendation")), "the phone caller put through")
                (connected,) = desk.of("desk.connected")
                call_id = connected["call_id"]
                assert gw.state.calls.all() == [] and len(gw.state.calls) == 2  # no agent call: two legs, two lines
                for number, line in enumerate(caller_lines, 1):
                    assert line.pcm is not None
                    await twilio.say(to_mulaw(line.pcm, 16_000))
                    await desk.until(functools.partial(desk.more_than, number, "shadow.recommendation"),
                                     f"the recommendation for the caller's line {number}")  # fmt: skip
                recs = desk.of("shadow.recommendation")
                assert [r["caller_text"] for r in recs[1:]] == CALLER_SAYS
                (search,) = [a for a in recs[1]["actions"] if a["tool"] == "search_listings"]
                assert not search["writes"] and search["result"]["listings"]  # a read the agent ran
                (slots,) = [a for a in recs[2]["actions"] if a["tool"] == "check_availability"]
                # The person answers; the caller hears them on the phone line.
                assert desk_line.pcm is not None
                await mic.say(desk_line.pcm)
                await desk.until(lambda: bool(desk.of("desk.heard", speaker="human")), "the desk's line heard")
                await twilio.agent_speaks(seconds=0.5, timeout=10)
                # Keys the caller presses are a turn of theirs: the agent recommends on them too.
                await twilio.press(KEYS + "#")
                await desk.until(lambda: bool(desk.of("shadow.recommendation", caller_text=KEYS)), "the keys heard")
                # The person books through the desk's button: the real calendar service.
                e = recs[2]["entities"]
                args = {"listing_id": e["resource"], "time_zone": e["time_zone"],
                        "start_time": slots["result"]["slots"][0]["start_time"], "contact_name": "Jon Smyth",
                        "contact_phone": PHONE_E164}  # fmt: skip
                body = {"call_id": call_id, "tool": "book_showing", "args": args}
                async with (
                    aiohttp.ClientSession(headers={"Authorization": f"Bearer {ops}"}) as http,
                    http.post(f"{gw.http_url}/desk/act", json=body) as resp,
                ):
                    assert resp.status == 200, await resp.text()
                    assert (await resp.json())["result"]["booking"]["booking_id"]
            finally:
                await twilio.hang_up()
            await desk_call.bye  # the caller hung up: the gateway ends the person's leg
        assert desk_call.result.recorder.voiced_seconds() > 1.0  # the person heard the phone caller
        (booking,) = await rows("calendar", BookingRow)
        assert (booking.contact_name, booking.source_call_id) == ("Jon Smyth", call_id)
    assert await rows("crm_writer", LeadRow) == []  # nothing of the agent's was written
    assert hearing.heard == [[DESK_SAYS], CALLER_SAYS]  # each side's turns were found in its own audio
    records = await transcript_of(nc, call_id)
    assert records[0].call_started.channel == "phone" and records[-1].call_ended.reason == "caller_hangup"
    turns = [(e.turn.speaker, e.turn.text) for e in records if e.HasField("turn")]
    assert turns == [*((events_pb2.SPEAKER_CALLER, t) for t in CALLER_SAYS), (events_pb2.SPEAKER_HUMAN, DESK_SAYS),
                     (events_pb2.SPEAKER_CALLER, KEYS)]  # fmt: skip
    (desk_turn,) = [e.shadow_turn for e in records if e.HasField("shadow_turn")]
    assert desk_turn.caller_text == CALLER_SAYS[-1] and desk_turn.recommended_reply
    (outcome,) = [e.shadow_outcome for e in records if e.HasField("shadow_outcome")]
    assert outcome.human_action == "commit" and outcome.human_entities["name"] == "Jon Smyth"


@pytest.mark.timeout(90)
async def test_a_caller_on_the_plain_audio_socket_reaches_the_desk_too(nc: NATS) -> None:
    (desk_line,) = await voice_lines([ScriptLine(DESK_SAYS)])
    assert desk_line.pcm is not None
    desk, mic = Watch(), ScriptedMicrophone()
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-1", ttl_seconds=600)
    async with shadow_gateway(nc, stt=ScriptedHearing([DESK_SAYS])) as gw, services(nc, "mls_lookup"):
        desk_url = gw.ws_url.replace("/ws", "/desk/ws")
        async with (
            dial(desk_url, mic, token=ops, on_event=desk, ice_addresses=CALLER_ICE) as desk_call,
            aiohttp.ClientSession() as http,
        ):
            await desk.until(lambda: bool(desk.of("desk.waiting")), "the desk to wait for a caller")
            url = gw.ws_url.replace("/ws", f"/telephony/socket?token={auth.mint(SECRET, ttl_seconds=60)}")
            async with http.ws_connect(url) as ws:
                await ws.send_str(json.dumps({"content-type": "audio/l16;rate=16000"}))
                await desk.until(lambda: bool(desk.of("desk.connected")), "the socket's caller put through")
                await ws.send_str(json.dumps({"event": "dtmf", "digit": "7"}))
                await ws.send_str(json.dumps({"event": "dtmf", "digit": "#"}))
                await desk.until(lambda: bool(desk.of("shadow.recommendation", caller_text="7")), "the keys heard")
                await mic.say(desk_line.pcm)
                voiced = 0
                while voiced < 25:  # half a second of the person's voice reaches the caller's line
                    msg = await ws.receive(timeout=10)
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        voiced += int(np.abs(np.frombuffer(msg.data, dtype="<i2")).max() > 500)
                await ws.send_str(json.dumps({"event": "stop"}))
            await desk_call.bye
    (connected,) = desk.of("desk.connected")
    records = await transcript_of(nc, connected["call_id"])
    assert records[0].call_started.channel == "phone" and records[-1].call_ended.reason == "caller_hangup"
