"""Shadow mode end to end: a scripted caller and a scripted person at the desk (both headless aiortc
callers on 127.0.0.1), bridged by the gateway; whisper hears both sides; the real-estate agent
recommends turn by turn on the desk's events; the person books through the desk's button (the real
calendar service); the records land in the transcript service and the report is computed from them.

Whisper and Piper on two legs for a whole booking: about a minute of CPU, so `make test-long`.
"""

from __future__ import annotations

import functools

import aiohttp
import pytest
from nats.aio.client import Client as NATS

from bus import subjects
from bus.client import BusClient
from bus.contracts import transcript_pb2
from caller.booking import BOOKING, PHONE_E164
from caller.client import dial
from caller.script import ScriptedMicrophone, ScriptLine, voice_lines
from gateway import auth
from pod.shadow_report import figures
from services.calendar.store import BookingRow
from services.crm_writer.store import LeadRow
from services.sms.store import OutboxRow
from tests.eventually import eventually
from tests.integration.agent.test_dialog import rows, services
from tests.integration.gateway_helpers import CALLER_ICE, SECRET
from tests.integration.shadow.shadow_helpers import Watch, shadow_gateway

pytestmark = pytest.mark.long

# What the person at the desk says, after the caller's line of that number.
DESK_SAYS = {1: "Sure, let me look that up for you.", 4: "Thank you. And your phone number?"}
DESK_NAME = "Jon Smyth"  # the person types the name their own way: the report shows the difference


@pytest.mark.timeout(400)
async def test_a_shadow_call_recommends_turn_by_turn_and_only_the_desk_books(nc: NATS) -> None:
    caller_lines = await voice_lines([line for line in BOOKING if line.say])
    desk_lines = dict(zip(DESK_SAYS, await voice_lines([ScriptLine(t) for t in DESK_SAYS.values()]), strict=True))
    desk, caller = Watch(), Watch()
    desk_mic, caller_mic = ScriptedMicrophone(), ScriptedMicrophone()
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-1", ttl_seconds=600)
    async with (
        shadow_gateway(nc, stt="whisper") as gw,
        services(nc, "mls_lookup", "calendar", "crm_writer", "sms", "transcript"),
    ):
        desk_url = gw.ws_url.replace("/ws", "/desk/ws")
        async with dial(desk_url, desk_mic, token=ops, on_event=desk, ice_addresses=CALLER_ICE) as desk_call:
            await desk.until(lambda: bool(desk.of("desk.waiting")), "the desk to wait for a caller")
            async with dial(gw.ws_url, caller_mic, token=auth.mint(SECRET, ttl_seconds=600), on_event=caller,
                            ice_addresses=CALLER_ICE) as caller_call:  # fmt: skip
                await desk.until(lambda: bool(desk.of("shadow.recommendation")), "the caller to be put through")
                (connected,) = desk.of("desk.connected")
                assert connected["call_id"] == caller_call.result.call_id
                assert desk.of("shadow.recommendation")[0]["reply"].startswith("Hi, this is Ava")  # the greeting
                spoken = 0
                for number, line in enumerate(caller_lines, 1):
                    assert line.pcm is not None
                    await caller_mic.say(line.pcm)
                    # Turn by turn: a recommendation for each of the caller's turns, in order.
                    await desk.until(functools.partial(desk.more_than, number, "shadow.recommendation"),
                                     f"the recommendation for caller line {number}")  # fmt: skip
                    if number in desk_lines:
                        pcm = desk_lines[number].pcm
                        assert pcm is not None
                        await desk_mic.say(pcm)
                        spoken += 1
                        heard = functools.partial(desk.more_than, spoken - 1, "desk.heard", speaker="human")
                        await desk.until(heard, f"the desk's line after caller line {number} heard")
                recs = desk.of("shadow.recommendation")
                assert [r["turn"] for r in recs] == list(range(len(caller_lines) + 1))
                search = [a for a in recs[1]["actions"] if a["tool"] == "search_listings"]
                assert search and not search[0]["writes"] and search[0]["result"]["listings"]  # a read ran
                final = recs[-1]
                assert final["commits"], final  # the caller's yes: here the agent would have booked...
                assert [a["tool"] for a in final["actions"] if a["writes"]] == ["write_lead"]  # ...and stopped
                e = final["entities"]
                # The person books through the desk's button: the real calendar service.
                args = {"listing_id": e["resource"], "time_zone": e["time_zone"], "start_time": e["time"],
                        "contact_name": DESK_NAME, "contact_phone": PHONE_E164}  # fmt: skip
                async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ops}"}) as http:
                    body = {"call_id": caller_call.result.call_id, "tool": "book_showing", "args": args}
                    async with http.post(f"{gw.http_url}/desk/act", json=body) as resp:
                        assert resp.status == 200, await resp.text()
                        booked = (await resp.json())["result"]
                assert booked["booking"]["booking_id"]
            # The caller hung up: the desk's leg is ended by the gateway.
            await desk_call.bye
        # Each side heard the other through the gateway: the desk the caller's lines, the caller the desk's.
        said = sum(len(line.pcm) for line in caller_lines if line.pcm is not None) / 16_000
        assert desk_call.result.recorder.voiced_seconds() > said / 2
        assert caller_call.result.recorder.voiced_seconds() > 1.0
        bus = BusClient(nc)

        async def stored() -> transcript_pb2.ListShadowRecordsResponse:
            return await bus.call(subjects.LIST_SHADOW_RECORDS, transcript_pb2.ListShadowRecordsRequest(), timeout=5)

        reply = await eventually(stored, lambda r: any(x.HasField("shadow_outcome") for x in r.records))
        (booking,) = await rows("calendar", BookingRow)
        assert booking.contact_name == DESK_NAME  # the person's booking went through
        assert await rows("crm_writer", LeadRow) == [] and await rows("sms", OutboxRow) == []  # the agent's never
    turns = [r.shadow_turn for r in reply.records if r.HasField("shadow_turn")]
    assert [t.human_turn for t in turns] == [1, 2]
    assert turns[0].caller_text and turns[0].recommended_reply and turns[0].entities["city"]
    (outcome,) = [r.shadow_outcome for r in reply.records if r.HasField("shadow_outcome")]
    assert (outcome.human_action, outcome.recommended_action) == ("commit", "commit")
    assert outcome.human_entities["name"] == DESK_NAME
    # The report's figures, from the records: same action, same listing and time, the name differs.
    (f,) = figures(reply.records).values()
    assert (f.calls, f.desk_turns, f.actions_agreed, f.wrong_calls) == (1, 2, 1, 1)
    assert f.entities_agreed["resource"] == f.entities_agreed["time"] == 1 and "name" not in f.entities_agreed
    assert [d.what for d in f.differences if d.what != "phone"] == ["name"]
