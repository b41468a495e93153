"""`voicepod cost report`: realtime against async per agent and per conversation, computed from a
call recorded as the gateway records one (its usage at its end, via the transcript service) and the
async worker's usage records, with the price table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from nats.aio.client import Client as NATS

from bus import events, subjects
from bus.client import BusClient
from bus.contracts import async_work_pb2, transcript_pb2
from bus.contracts import events_pb2 as ev
from bus.settings import BusSettings
from gateway.async_work.timestamps import to_ts
from gateway.providers.prices import DEFAULT_PRICES
from gateway.recorder import CallRecorder
from pod import ops_bus
from pod.cli import build_parser
from pod.cost_command import show
from services.transcript.service import DEFINITION as TRANSCRIPT
from tests.eventually import eventually
from tests.integration.services_helpers import running
from tests.nats_fixture import NatsServer

REALTIME = ev.CallUsage(items=[ev.UsageItem(provider="openai:gpt-4o-mini", unit="input_tokens", quantity=10_000,
                                            cost_usd=0.0015)], cost_usd=0.0015)  # fmt: skip
ASYNC = ev.CallUsage(items=[ev.UsageItem(provider="whisper-base", unit="audio_seconds", quantity=30),
                            ev.UsageItem(provider="twilio:sms", unit="messages", quantity=1),
                            ev.UsageItem(provider="twilio:voice", unit="inbound_minutes", quantity=0.5)])  # fmt: skip


async def test_the_report_shows_realtime_and_async_cost_per_agent_and_per_conversation(
    nc: NATS, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    js = nc.jetstream()
    await events.ensure_stream(js, events.TRANSCRIPT)
    await events.ensure_stream(js, events.USAGE)
    async with running(TRANSCRIPT, nc):
        for call_id, channel in (("call-live", "webrtc"), ("call-vm", "phone")):
            rec = CallRecorder(js, call_id)
            rec.call_started("real_estate", channel)
            rec.call_ended("caller_hangup", 60.0 if channel == "phone" else 30.0, REALTIME if channel == "webrtc"
                           else ev.CallUsage(), ev.CallQuality())  # fmt: skip
            await rec.flush()
        await events.publish(js, events.USAGE, async_work_pb2.UsageEvent(
            event_id="call-vm-vm:usage", call_id="call-vm", agent_name="real_estate", kind="voicemail", usage=ASYNC,
            occurred_at=to_ts(datetime.now(UTC))))  # fmt: skip
        bus = BusClient(nc)
        await eventually(lambda: bus.call(subjects.LIST_CALLS, transcript_pb2.ListCallsRequest()),
                         lambda r: sum(c.HasField("ended") for c in r.calls) == 2)  # fmt: skip
        args = build_parser().parse_args(["cost", "report", "--json"])
        async with ops_bus.services(BusSettings(nats_url=nats_server.url, connect_timeout=5), 5) as s:
            capsys.readouterr()
            assert await show(s, args) == 0
            doc = json.loads(capsys.readouterr().out)
            assert await show(s, build_parser().parse_args(["cost", "report"])) == 0
            text = capsys.readouterr().out
    voice, sms = DEFAULT_PRICES["twilio:voice"], DEFAULT_PRICES["twilio:sms"]
    vm_realtime = 1.0 * voice["inbound_minutes"]  # the message's phone line: a minute
    vm_async = 0.5 * voice["inbound_minutes"] + sms["messages"]  # whisper is offline: free
    (agent,) = doc["agents"]
    assert (agent["agent"], agent["conversations"]) == ("real_estate", 2)
    assert agent["realtime_usd"] == round(0.0015 + vm_realtime, 6) and agent["async_usd"] == round(vm_async, 6)
    assert agent["per_conversation_usd"] == round((0.0015 + vm_realtime + vm_async) / 2, 6)
    rows = {c["call_id"]: c for c in doc["conversations"]}
    assert (rows["call-live"]["mode"], rows["call-vm"]["mode"]) == ("realtime", "both")
    assert rows["call-vm"]["async_work"] == ["voicemail"]
    assert rows["call-vm"]["items"]["async"]["whisper-base audio_seconds"] == 30
    assert rows["call-vm"]["items"]["realtime"]["twilio:voice inbound_minutes"] == 1.0
    header, row = text.splitlines()[:2]
    assert header.split() == ["AGENT", "CONVERSATIONS", "REALTIME", "ASYNC", "TOTAL", "PER", "CONVERSATION"]
    assert row.split()[:2] == ["real_estate", "2"] and f"${vm_async:.4f}" in row
    assert "call-vm" in text and "voicemail" in text
