"""Outbound calls (voicepod.phone.dial, `voicepod dial`) against the Twilio stand-in: the REST
request as Twilio's API takes it (the real SDK), the callee's stream, async AMD's verdict deciding
between the agent's greeting and its voicemail, the callbacks' signatures, and the refusals."""

from __future__ import annotations

import argparse
import asyncio
import xml.etree.ElementTree as ET

import pytest
from aiohttp import WSCloseCode
from nats.aio.client import Client as NATS

from bus import errors, subjects
from bus.client import BusClient
from bus.contracts import events_pb2, sms_pb2
from gateway import auth
from gateway.link.phone.dialer import AMD_PATH, STATUS_PATH
from gateway.link.phone.dials import OUTBOUND_AUDIENCE
from pod import dial_command
from tests.fakes.twilio_standin import TwilioStandIn
from tests.integration.gateway_helpers import SECRET
from tests.integration.phone.outbound_helpers import (
    CALLEE,
    GREETING,
    OUR_NUMBER,
    VOICEMAIL,
    answered,
    audit_of,
    dial,
    outbound_gateway,
)  # fmt: skip
from tests.integration.phone.phone_helpers import TWILIO_AUTH_TOKEN, transcript_of
from tests.postgres import ONE_STORE

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("store_env"), ONE_STORE]


async def test_the_rest_request_is_what_twilios_api_takes_with_amd_and_our_stream(nc: NATS) -> None:
    async with outbound_gateway(nc) as o:
        reply = await dial(nc, "+1 (512) 555-0147")
        assert o.api.refused == [] and len(o.api.created) == 1
        form = o.api.created[0]
        assert (reply.call_sid, reply.to_phone_e164) == (o.api.call_sids[0], CALLEE)
        assert o.gw.state.dials.get(reply.call_sid) is not None
    single = {k: v[0] for k, v in form.items() if k != "StatusCallbackEvent"}
    assert single == {
        "To": CALLEE, "From": OUR_NUMBER, "Twiml": single["Twiml"], "Timeout": "30",
        "MachineDetection": "DetectMessageEnd", "AsyncAmd": "true",
        "AsyncAmdStatusCallback": o.gw.http_url + AMD_PATH, "AsyncAmdStatusCallbackMethod": "POST",
        "StatusCallback": o.gw.http_url + STATUS_PATH, "StatusCallbackMethod": "POST",
    }  # fmt: skip
    assert form["StatusCallbackEvent"] == ["completed"]
    stream = ET.fromstring(single["Twiml"]).find("./Connect/Stream")
    assert stream is not None
    assert stream.get("url") == o.gw.http_url.replace("http://", "ws://") + "/telephony/twilio/stream"
    parameters = {p.get("name"): p.get("value", "") for p in stream.findall("Parameter")}
    assert parameters["direction"] == "outbound"
    claims = auth.verify(SECRET, parameters["token"], audience=OUTBOUND_AUDIENCE)
    assert claims.sub == CALLEE and claims.exp - claims.iat == 30 + 60  # rings, then a stream's minute


async def test_a_machine_gets_the_agents_voicemail_once_its_greeting_ended_then_the_call_ends(nc: NATS) -> None:
    async with outbound_gateway(nc) as o:
        reply = await dial(nc)
        callee = await answered(o, reply)
        call = await o.next_call()
        assert call.origin.direction == "outbound" and call.origin.caller_number == CALLEE
        await callee.press("1")  # the machine's own greeting: heard, not answered (no verdict yet)
        status = await callee.post(o.gw.http_url + AMD_PATH, callee.amd_form("machine_end_beep"))
        assert status == 204
        await asyncio.wait_for(callee.closed.wait(), 20)  # the message was left; we hung up
        await asyncio.wait_for(o.gw.state.calls.wait_empty(10), 11)
        await callee.close()
    assert call.ended == "agent_hangup" and callee.close_code == WSCloseCode.OK
    # The voicemail (one second) played to its end before we hung up; no greeting before it.
    assert len(callee.received.played) in (7840, 8000) and callee.received.marks == ["u1", "end"]
    assert o.agent.turns == []  # the agent never answered the machine
    transcript = await transcript_of(nc, call.call_id)
    assert transcript[0].call_started.channel == "phone" and transcript[0].call_started.direction == "outbound"
    agent_lines = [e.turn.text for e in transcript if e.HasField("turn") and e.turn.speaker == events_pb2.SPEAKER_AGENT]
    assert agent_lines == [VOICEMAIL]
    record = await audit_of(nc, call.call_id, "phone.outbound_call")
    assert record.outcome == "voicemail"
    assert (record.attributes["direction"], record.attributes["channel"]) == ("outbound", "phone")
    assert record.attributes["answered_by"] == "machine_end_beep" and record.attributes["dial_id"] == reply.dial_id


async def test_a_human_is_greeted_and_talked_to(nc: NATS) -> None:
    async with outbound_gateway(nc) as o:
        reply = await dial(nc)
        callee = await answered(o, reply)
        call = await o.next_call()
        status = await callee.post(o.gw.http_url + AMD_PATH, callee.amd_form("human"))
        assert status == 204
        heard = await callee.hear_reply(quiet=0.5, timeout=20)
        await callee.press("2#")  # now a turn is answered
        await asyncio.wait_for(o.agent.answered.wait(), 10)
        await callee.hang_up()
        await asyncio.wait_for(o.gw.state.calls.wait_empty(10), 11)
    assert 3500 <= len(heard) <= 4000  # the half-second greeting, not the voicemail
    assert o.agent.turns == ["2"] and call.ended == "caller_hangup"
    transcript = await transcript_of(nc, call.call_id)
    assert [e.turn.text for e in transcript if e.HasField("turn")][:1] == [GREETING]
    record = await audit_of(nc, call.call_id, "phone.outbound_call")
    assert record.outcome == "human" and record.attributes["to"] == CALLEE


async def test_an_amd_callback_with_a_wrong_signature_is_refused_and_taken_for_nothing(nc: NATS) -> None:
    async with outbound_gateway(nc) as o:
        reply = await dial(nc)
        callee = TwilioStandIn(o.gw.http_url, TWILIO_AUTH_TOKEN)
        callee.call_sid = reply.call_sid
        url = o.gw.http_url + AMD_PATH
        form = callee.amd_form("human")
        forged = TwilioStandIn(o.gw.http_url, "f" * 32).signature(url, form)
        for signature in ("", forged, callee.signature(url, {**form, "AnsweredBy": "machine_end_beep"})):
            assert await callee.post(url, form, signature=signature) == 403
        assert await callee.post(o.gw.http_url + STATUS_PATH, callee.status_form("busy"), signature=forged) == 403
        dial_ = o.gw.state.dials.get(reply.call_sid)
        assert dial_ is not None and not dial_.answered_by.done() and not dial_.outcome


async def test_nobody_answering_is_recorded_under_the_dial(nc: NATS) -> None:
    async with outbound_gateway(nc) as o:
        reply = await dial(nc)
        callee = TwilioStandIn(o.gw.http_url, TWILIO_AUTH_TOKEN, caller=OUR_NUMBER, called=CALLEE)
        callee.call_sid = reply.call_sid
        assert await callee.post(o.gw.http_url + STATUS_PATH, callee.status_form("no-answer")) == 204
        assert o.gw.state.dials.get(reply.call_sid) is None
    record = await audit_of(nc, reply.dial_id, "phone.outbound_call")
    assert record.outcome == "no-answer" and record.attributes["call_status"] == "no-answer"
    assert record.attributes["direction"] == "outbound" and record.attributes["call_sid"] == reply.call_sid


async def test_a_number_is_not_called_more_often_than_the_limit(nc: NATS) -> None:
    async with outbound_gateway(nc, dial_limit=2) as o:
        await dial(nc)
        await dial(nc)
        with pytest.raises(errors.Conflict) as refused:
            await dial(nc)
        assert refused.value.reason == "dial_limit_reached"
        await dial(nc, "+15125550148")  # another number has its own window
    assert [f["To"][0] for f in o.api.created] == [CALLEE, CALLEE, "+15125550148"]


async def test_a_number_on_the_opt_out_list_is_not_called_and_the_cli_says_why(
    nc: NATS, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with outbound_gateway(nc) as o:
        await BusClient(nc).call(subjects.SET_SMS_OPT_OUT, sms_pb2.SetSmsOptOutRequest(phone=CALLEE, opted_out=True))
        with pytest.raises(errors.Conflict) as refused:
            await dial(nc)
        assert refused.value.reason == "do_not_call"
        monkeypatch.setenv("NATS_URL", nc.connected_url.geturl() if nc.connected_url else "")
        args = argparse.Namespace(number=CALLEE, purpose="callback", source_call_id="", timeout=5.0)
        assert await dial_command._dial(args) == 1
        assert await dial_command._dial(argparse.Namespace(**{**vars(args), "number": "+15125550149"})) == 0
    out = capsys.readouterr()
    assert "refused (409 do_not_call)" in out.err and "dialling +15125550149" in out.out
    assert [f["To"][0] for f in o.api.created] == ["+15125550149"]


async def test_a_gateway_not_set_up_to_dial_refuses_clearly(nc: NATS) -> None:
    async with outbound_gateway(nc, twilio_account_sid="") as o:
        with pytest.raises(errors.Unavailable) as refused:
            await dial(nc)
        assert refused.value.reason == "not_configured" and o.api.created == []
