"""transcript: JetStream in, per-call transcript and exports out."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from nats.aio.client import Client as NATS

from bus import errors, events, subjects
from bus.client import BusClient
from bus.contracts import events_pb2 as ev
from bus.contracts import transcript_pb2 as tr
from services.transcript.service import DEFINITION
from tests.eventually import eventually
from tests.integration.services_helpers import running

pytestmark = pytest.mark.usefixtures("store_env")
T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def ts(seconds: float) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(T0 + timedelta(seconds=seconds))
    return t


def event(call_id: str, **body: object) -> ev.TranscriptEvent:
    return ev.TranscriptEvent(event_id=uuid.uuid4().hex, call_id=call_id, occurred_at=ts(0), **body)  # type: ignore[arg-type]


def turn(i: int, speaker: ev.Speaker, text: str, at: float, final: bool = True, **extra: object) -> ev.TranscriptTurn:
    return ev.TranscriptTurn(turn_index=i, speaker=speaker, text=text, is_final=final, started_at=ts(at),
                             ended_at=ts(at + 2), confidence=0.9, **extra)  # type: ignore[arg-type]  # fmt: skip


USAGE = ev.CallUsage(
    items=[ev.UsageItem(provider="openai:gpt-4o-mini", unit="input_tokens", quantity=812, cost_usd=0.0001218)],
    tool_calls=3, cost_usd=0.0001218,
)  # fmt: skip


async def test_final_turns_are_stored_in_order_and_exported(nc: NATS) -> None:
    js, bus = nc.jetstream(), BusClient(nc)
    call = "call-t1"
    published = [
        event(call, call_started=ev.CallStarted(agent_name="real_estate", channel="webrtc")),
        event(call, turn=turn(1, ev.SPEAKER_CALLER, "I'm looking for a three bed in Austin", 3)),
        event(call, turn=turn(0, ev.SPEAKER_AGENT, "Hi, this is Ava from voicepod realty.", 0)),
        event(call, turn=turn(1, ev.SPEAKER_CALLER, "I'm looking for a", 3, final=False)),
        event(call, turn=turn(2, ev.SPEAKER_AGENT, "I found three homes", 6, interrupted=True)),
        event(call, call_ended=ev.CallEnded(reason="caller_hangup", duration_seconds=42, usage=USAGE)),
    ]
    async with running(DEFINITION, nc):
        await events.ensure_stream(js, events.TRANSCRIPT)
        for e in published:
            await events.publish(js, events.TRANSCRIPT, e)
        await events.publish(js, events.TRANSCRIPT, published[1])  # a retried publish

        async def stored() -> tr.GetTranscriptResponse | None:
            try:
                return await bus.call(subjects.GET_TRANSCRIPT, tr.GetTranscriptRequest(call_id=call), timeout=5)
            except errors.NotFound:  # the consumer has not stored the call's first event yet
                return None

        got = await eventually(stored, lambda r: r is not None and r.transcript.HasField("ended"))
        assert got is not None
        text = await bus.call(
            subjects.EXPORT_TRANSCRIPT,
            tr.ExportTranscriptRequest(call_id=call, format=tr.EXPORT_FORMAT_TEXT),
            timeout=5,
        )
        as_json = await bus.call(
            subjects.EXPORT_TRANSCRIPT,
            tr.ExportTranscriptRequest(call_id=call, format=tr.EXPORT_FORMAT_JSON),
            timeout=5,
        )
        with pytest.raises(errors.NotFound):
            await bus.call(subjects.GET_TRANSCRIPT, tr.GetTranscriptRequest(call_id="no-such-call"), timeout=5)
    t = got.transcript
    assert [x.text for x in t.turns] == [
        "Hi, this is Ava from voicepod realty.",
        "I'm looking for a three bed in Austin",
        "I found three homes",
    ]
    assert t.started.agent_name == "real_estate" and t.ended.reason == "caller_hangup"
    assert t.started_at == ts(0)  # when its call_started was recorded
    assert text.content_type.startswith("text/plain")
    assert text.content.decode().splitlines()[1:4] == [
        "[00:00:00] Agent: Hi, this is Ava from voicepod realty.",
        "[00:00:03] Caller: I'm looking for a three bed in Austin",
        "[00:00:06] Agent: I found three homes [interrupted]",
    ]
    doc = json.loads(as_json.content)
    assert doc["call_id"] == call and [x["speaker"] for x in doc["turns"]] == ["agent", "caller", "agent"]
    assert doc["turns"][1]["started_at"] == "2026-11-24T15:00:03Z" and doc["ended"]["duration_seconds"] == 42
    # What the conversation used and cost is kept with it.
    assert t.ended.usage == USAGE
    assert doc["ended"]["usage"] == {"tool_calls": 3, "cost_usd": 0.000122, "items": [
        {"provider": "openai:gpt-4o-mini", "unit": "input_tokens", "quantity": 812, "cost_usd": 0.000122}]}  # fmt: skip
    assert text.content.decode().splitlines()[-1] == (
        "Usage: 3 tool calls; openai:gpt-4o-mini 812 input_tokens; estimated cost $0.0001"
    )


async def test_recent_calls_are_listed_newest_first_by_time_and_agent(nc: NATS) -> None:
    js, bus = nc.jetstream(), BusClient(nc)

    def started(call: str, agent: str, at: float) -> ev.TranscriptEvent:
        e = event(call, call_started=ev.CallStarted(agent_name=agent, channel="phone"))
        e.occurred_at.CopyFrom(ts(at))
        return e

    ended = ev.CallEnded(reason="caller_hangup", duration_seconds=30, usage=USAGE,
                         quality=ev.CallQuality(rtt_seconds=0.042, barge_ins=1))  # fmt: skip
    published = [
        started("old", "real_estate", 0), started("mid", "dental", 600), started("new", "real_estate", 1200),
        event("old", turn=turn(1, ev.SPEAKER_CALLER, "hello", 1)),
        event("old", turn=turn(2, ev.SPEAKER_AGENT, "hi there", 2, interrupted=True)),
        event("old", call_ended=ended),
        event("new", turn=turn(1, ev.SPEAKER_CALLER, "still talking", 1201)),
    ]  # fmt: skip

    async def listed(**filters: object) -> list[tr.CallSummary]:
        reply = await bus.call(subjects.LIST_CALLS, tr.ListCallsRequest(**filters), timeout=5)  # type: ignore[arg-type]
        return list(reply.calls)

    async with running(DEFINITION, nc):
        await events.ensure_stream(js, events.TRANSCRIPT)
        for e in published:
            await events.publish(js, events.TRANSCRIPT, e)
        everything = await eventually(listed, lambda calls: sum(c.turns for c in calls) == 3 and
                                      any(c.HasField("ended") for c in calls))  # fmt: skip
        agent = await listed(agent_name="real_estate")
        recent = await listed(since=ts(600))
        newest = await listed(limit=1)
        with pytest.raises(errors.BadRequest):
            await listed(limit=5000)
    assert [c.call_id for c in everything] == ["new", "mid", "old"]
    assert [c.call_id for c in agent] == ["new", "old"]
    assert [c.call_id for c in recent] == ["new", "mid"]  # since is inclusive
    assert [c.call_id for c in newest] == ["new"]
    old, new = everything[2], everything[0]
    assert old.started_at == ts(0) and old.started.agent_name == "real_estate" and old.started.channel == "phone"
    assert (old.turns, old.interrupted_turns) == (2, 1) and old.ended == ended
    assert new.turns == 1 and not new.HasField("ended")  # in progress
