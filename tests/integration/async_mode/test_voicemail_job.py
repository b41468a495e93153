"""A voicemail left after hours becomes a lead, a booked callback slot, a callback item on the work
queue, a text to the caller and a usage record (the async worker in-process, real services, real
nats-server, whisper on espeak-ng speech)."""

from __future__ import annotations

from pathlib import Path

from nats.aio.client import Client as NATS

from bus import events, subjects
from bus.client import BusClient
from bus.contracts import crm_pb2
from gateway.agent.config import AgentConfig
from gateway.async_work.hearing import BatchHearing
from gateway.async_work.worker import async_work
from gateway.call_origin import CallOrigin
from gateway.voicemail.answering import AFTER_HOURS, job_id_of, queue_message
from gateway.voicemail.object_store import LocalDirectory
from gateway.voicemail.settings import AsyncSettings
from tests.eventually import eventually
from tests.integration.async_mode.async_helpers import (
    MESSAGE,
    PHONE,
    TEST_STT,
    callback_items,
    counts,
    job_services,
    spoken,
    stream_messages,
    texts_to,
)  # fmt: skip


async def test_a_voicemail_becomes_a_lead_a_callback_item_and_a_text(nc: NATS, tmp_path: Path) -> None:
    js = nc.jetstream()
    store = LocalDirectory(tmp_path / "objects")
    settings = AsyncSettings(object_dir=store.root, stt_model=TEST_STT, ack_wait_seconds=10)
    await queue_message(store, js, "real_estate", "call-vm-1", CallOrigin("webrtc"), AFTER_HOURS,
                        spoken(MESSAGE, tmp_path))  # fmt: skip
    async with job_services(nc), async_work(nc, settings, hearing=BatchHearing(TEST_STT)):
        done = await eventually(lambda: counts(PHONE), lambda c: c["sms"] == 1, timeout=60)
        lead = (await BusClient(nc).call(subjects.GET_LEAD, crm_pb2.GetLeadRequest(phone=PHONE))).lead
        items = await stream_messages(js, events.CALLBACKS)  # due at the slot: still queued
        usage = await stream_messages(js, events.USAGE)
        body = (await texts_to(PHONE))[0]
    assert done == {"crm_writer": 1, "sms": 1, "calendar": 1}
    assert lead.name == "Tom Baker" and lead.source_call_id == "call-vm-1"
    assert "city: Austin" in lead.interest and "bedrooms: 3" in lead.interest
    assert lead.notes.startswith("Voicemail (after_hours): ") and "Austin" in lead.notes
    job = job_id_of("call-vm-1")
    assert callback_items(items) == [(f"{job}-cb1", 1)]
    (item,) = items
    assert (item.channel, item.phone_e164, item.name, item.agent_name) == ("webrtc", PHONE, "Tom Baker",
                                                                          "real_estate")  # fmt: skip
    policy = AgentConfig.load("real_estate").async_mode
    assert policy is not None and item.max_attempts == policy.callback.max_attempts
    assert item.not_before == item.slot_start and item.deadline.seconds > item.slot_start.seconds
    assert body.startswith("Hi Tom Baker, thanks for your message to Voicepod Realty.")
    assert "we'll call you back on " in body and " at " in body
    (record,) = usage
    assert record.call_id == "call-vm-1" and record.kind == "voicemail"
    heard = {(u.provider, u.unit): u.quantity for u in record.usage.items}
    assert 5 < heard[("whisper-tiny.en", "audio_seconds")] < 20 and heard[("twilio:sms", "messages")] == 1
    assert (await stream_messages(js, events.VOICEMAIL)) == []  # the job was acknowledged
