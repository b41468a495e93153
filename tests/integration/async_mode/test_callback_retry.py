"""A callback item is dialled through the gateway's outbound calls (the Twilio stand-in answers as
Twilio does); a callback that reaches voicemail is tried again per the agent's policy: after
`retry_minutes`, up to `max_attempts`, then no more. A WebRTC caller is texted a link instead."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from bus import events
from bus.contracts import async_work_pb2, phone_pb2
from gateway.agent.async_policy import AsyncPolicy, CallbackPolicy
from gateway.agent.config import AgentConfig
from gateway.agent.hours import Hours
from gateway.async_work.checkpoints import Checkpoints
from gateway.async_work.hearing import BatchHearing
from gateway.async_work.timestamps import to_ts
from gateway.async_work.worker import async_work
from gateway.link.phone.dialer import AMD_PATH
from gateway.voicemail.settings import AsyncSettings
from tests.eventually import eventually
from tests.integration.async_mode.async_helpers import TEST_STT, stream_messages, texts_to
from tests.integration.phone.outbound_helpers import CALLEE, Outbound, answered, audit_of, outbound_gateway

ALWAYS = Hours(open_hour=0, close_hour=24, weekdays=frozenset(range(7)))
# Two tries, the second a second after the first reached a machine.
POLICY = AsyncPolicy(callback=CallbackPolicy(hours=ALWAYS, max_attempts=2, retry_minutes=1 / 60))
CONFIG = dataclasses.replace(AgentConfig.load("real_estate"), async_mode=POLICY)


def item(channel: str, phone: str = CALLEE) -> async_work_pb2.CallbackItem:
    now = datetime.now(UTC)
    return async_work_pb2.CallbackItem(
        item_id="job-7-vm-cb1", job_id="job-7-vm", source_call_id="call-7", agent_name="real_estate",
        channel=channel, phone_e164=phone, name="Tom Baker", slot_start=to_ts(now), time_zone="America/Chicago",
        not_before=to_ts(now), deadline=to_ts(now + timedelta(hours=1)), attempt=1, max_attempts=2,
    )  # fmt: skip


async def machine_answers(o: Outbound, dials: int) -> str:
    """The `dials`-th dial rings an answering machine; the agent leaves its message. Its call id."""
    await eventually(lambda: _value(len(o.api.created)), lambda n: n >= dials, timeout=20)
    assert len(o.api.created) == dials
    callee = await answered(o, phone_pb2.DialCallResponse(call_sid=o.api.call_sids[dials - 1]))
    call = await o.next_call()
    assert await callee.post(o.gw.http_url + AMD_PATH, callee.amd_form("machine_end_beep")) == 204
    await asyncio.wait_for(callee.closed.wait(), 20)  # the message was left; the agent hung up
    await callee.close()
    return call.call_id


async def _value(n: int) -> int:
    return n


async def test_a_callback_that_reaches_voicemail_is_retried_per_policy_then_given_up(nc: NATS, tmp_path: Path) -> None:
    settings = AsyncSettings(object_dir=tmp_path, ack_wait_seconds=10)
    js = nc.jetstream()
    async with outbound_gateway(nc) as o, async_work(nc, settings, hearing=BatchHearing(TEST_STT),
                                                     configs=lambda _name: CONFIG):  # fmt: skip
        await events.ensure_stream(js, events.CALLBACKS)
        await events.publish(js, events.CALLBACKS, item("phone"), msg_id="job-7-vm-cb1", call_id="call-7")
        first = await machine_answers(o, 1)
        record = await audit_of(nc, first, "phone.outbound_call")
        assert (record.outcome, record.attributes["purpose"], record.attributes["source_call_id"]) == (
            "voicemail", "callback", "job-7-vm-cb1")  # fmt: skip
        dialled_at = datetime.now(UTC)
        await machine_answers(o, 2)  # the retry, per policy
        assert (datetime.now(UTC) - dialled_at).total_seconds() >= 1.0  # not before retry_minutes
        checkpoints = await Checkpoints.open(js)
        await eventually(lambda: checkpoints.get("dial.job-7-vm-cb2"), lambda held: held == {}, timeout=20)
        assert await stream_messages(js, events.CALLBACKS) == []  # max_attempts reached: nothing queued
        assert len(o.api.created) == 2
        usage = await stream_messages(js, events.USAGE)
    assert [u.event_id for u in usage] == []  # dials are not metered here (their minutes come from Twilio)


async def test_a_webrtc_caller_is_texted_a_link_instead_of_dialled(nc: NATS, tmp_path: Path) -> None:
    settings = AsyncSettings(object_dir=tmp_path, ack_wait_seconds=10, public_url="https://voicepod.example")
    js = nc.jetstream()
    async with outbound_gateway(nc) as o, async_work(nc, settings, hearing=BatchHearing(TEST_STT),
                                                     configs=lambda _name: CONFIG):  # fmt: skip
        await events.ensure_stream(js, events.CALLBACKS)
        await events.publish(js, events.CALLBACKS, item("webrtc"), msg_id="job-7-vm-cb1", call_id="call-7")
        texts = await eventually(lambda: texts_to(CALLEE), lambda found: len(found) == 1, timeout=20)
        await eventually(lambda: stream_messages(js, events.CALLBACKS), lambda left: left == [], timeout=10)
        assert o.api.created == []
    assert texts == ["Hi Tom Baker, Voicepod Realty returning your message. Talk to us any time here: "
                     "https://voicepod.example Reply STOP to opt out."]  # fmt: skip


async def test_an_item_a_service_refuses_for_good_is_ended_not_retried(nc: NATS, tmp_path: Path) -> None:
    settings = AsyncSettings(object_dir=tmp_path, ack_wait_seconds=10)
    js = nc.jetstream()
    before = refused()
    async with outbound_gateway(nc), async_work(nc, settings, hearing=BatchHearing(TEST_STT),
                                                configs=lambda _name: CONFIG):  # fmt: skip
        await events.ensure_stream(js, events.CALLBACKS)
        # Not a phone number: the sms service answers 400, which no retry would change.
        await events.publish(js, events.CALLBACKS, item("webrtc", phone="+1 555"), msg_id="job-7-vm-cb1",
                             call_id="call-7")  # fmt: skip
        await eventually(lambda: stream_messages(js, events.CALLBACKS), lambda left: left == [], timeout=10)
    assert refused() == before + 1 and await texts_to("+1 555") == []


def refused() -> float:
    labels = {"queue": events.CALLBACKS.name, "outcome": "refused"}
    return REGISTRY.get_sample_value("voicepod_async_items_total", labels) or 0.0
