"""One voicemail job: hear the message (batch STT), read it with the dialog's rules, write the lead,
book a callback slot, queue the callback, text the caller, and record what it all used.

Every step is idempotent on the job's id (the lead's, the booking's and the text's idempotency keys,
the callback item's and the usage record's Nats-Msg-Id) and what was settled is checkpointed
(checkpoints.py), so a job redone after its worker died has each effect once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from nats.js import JetStreamContext

from bus import events, subjects
from bus.client import BusClient
from bus.contracts import async_work_pb2, calendar_pb2, crm_pb2, sms_pb2
from gateway.agent.async_policy import AsyncPolicy, next_open
from gateway.agent.config import AgentConfig
from gateway.agent.speech_text import when
from gateway.agent.usage import UsageMeter
from gateway.async_work.checkpoints import Checkpoints
from gateway.async_work.hearing import BatchHearing
from gateway.async_work.reading import Message, read_message
from gateway.async_work.retry import item_id_of
from gateway.async_work.timestamps import from_ts, to_ts
from gateway.async_work.work_queue import Later
from gateway.voicemail.object_store import ObjectStore
from gateway.voicemail.recording import from_wav

log = structlog.get_logger("gateway.async_work")
CALLBACK_LISTING = "callbacks"  # the calendar resource callbacks are booked on, one per agent
PHONE_PRICE_UNIT = ("twilio:voice", "inbound_minutes")
SMS_PRICE_UNIT = ("twilio:sms", "messages")


def callback_resource(agent: str) -> str:
    return f"callbacks:{agent}"


class VoicemailWork:
    def __init__(
        self, bus: BusClient, js: JetStreamContext, store: ObjectStore, hearing: BatchHearing,
        checkpoints: Checkpoints, configs: Callable[[str], AgentConfig],
        clock: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        self.bus = bus
        self.js = js
        self.store = store
        self.hearing = hearing
        self.checkpoints = checkpoints
        self.configs = configs
        self.clock = clock or (lambda: datetime.now(ZoneInfo("UTC")))

    async def handle(self, job: async_work_pb2.VoicemailJob) -> Later | None:
        config = self.configs(job.agent_name)
        policy = config.async_mode or AsyncPolicy()
        tz = ZoneInfo(config.time_zone)
        key = f"job.{job.job_id}"
        done = await self.checkpoints.get(key)
        usage = UsageMeter(config.name)
        if "text" not in done:
            pcm, rate = from_wav(await self.store.get(job.recording_key))
            heard = await self.hearing.hear(pcm, rate)
            done = await self.checkpoints.update(key, text=heard.text, model=heard.model, seconds=heard.audio_seconds)
        usage.add(done["model"], "audio_seconds", float(done["seconds"]))
        if job.channel == "phone":
            usage.add(*PHONE_PRICE_UNIT, job.duration_seconds / 60)
        left_at = from_ts(job.recorded_at).astimezone(tz)
        message = read_message(str(done["text"]), config, self.bus, left_at)
        phone = message.phone or job.caller_number
        log.info("voicemail_heard", job_id=job.job_id, words=len(message.text.split()), name=bool(message.name),
                 phone=bool(phone), wants=sorted(message.wants))  # fmt: skip
        if not phone:  # nobody to call back: the message stays in the store for a person to hear
            log.warning("voicemail_without_number", job_id=job.job_id, recording_key=job.recording_key)
            await self._usage(job, usage)
            return None
        lead = await self.bus.call(subjects.UPSERT_LEAD, crm_pb2.UpsertLeadRequest(
            idempotency_key=f"{job.job_id}:lead", name=message.name, phone=phone, email=message.email,
            interest=message.interest, notes=f"Voicemail ({job.reason}): {message.text}"[:2000],
            source_call_id=job.call_id,
        ), call_id=job.call_id)  # fmt: skip
        slot = await self._slot(job, config, policy, message, phone, lead.lead.lead_id, key)
        item = async_work_pb2.CallbackItem(
            item_id=item_id_of(job.job_id, 1), job_id=job.job_id, source_call_id=job.call_id,
            agent_name=config.name, channel=job.channel, phone_e164=lead.lead.phone_e164, name=message.name,
            slot_start=to_ts(slot), time_zone=config.time_zone, not_before=to_ts(slot),
            deadline=to_ts(from_ts(job.recorded_at) + timedelta(hours=policy.callback.deadline_hours)),
            attempt=1, max_attempts=policy.callback.max_attempts,
        )  # fmt: skip
        await events.publish(self.js, events.CALLBACKS, item, msg_id=item.item_id, call_id=job.call_id)
        await self.bus.call(subjects.SEND_SMS, sms_pb2.SendSmsRequest(
            idempotency_key=f"{job.job_id}:sms", to_phone=phone, template_id="voicemail_received",
            variables={"name": message.name or "there", "company": config.company, "when": "on " + when(slot)},
            source_call_id=job.call_id,
        ), call_id=job.call_id)  # fmt: skip
        usage.add(*SMS_PRICE_UNIT, 1)
        await self._usage(job, usage)
        await self.checkpoints.forget(key)
        log.info("voicemail_done", job_id=job.job_id, lead_id=lead.lead.lead_id, callback_at=slot.isoformat())
        return None

    async def _slot(
        self, job: async_work_pb2.VoicemailJob, config: AgentConfig, policy: AsyncPolicy, message: Message,
        phone: str, lead_id: str, key: str,
    ) -> datetime:  # fmt: skip
        """The callback's time: the first free one on the agent's callback calendar from when the caller
        asked (or now), chosen once and booked; if that calendar cannot say, the next callback hour."""
        tz = ZoneInfo(config.time_zone)
        held = await self.checkpoints.get(key)
        for attempt in range(3):
            chosen = held.get("slot")
            if chosen is None:
                chosen = (await self._free(config, message.asked_time)).isoformat()
                held = await self.checkpoints.update(key, slot=chosen, slot_try=attempt)
            start = datetime.fromisoformat(chosen)
            booked = await self.bus.call(subjects.BOOK_SHOWING, calendar_pb2.BookShowingRequest(
                idempotency_key=f"{job.job_id}:callback:{held.get('slot_try', 0)}", listing_id=CALLBACK_LISTING,
                start_time=to_ts(start), agent_id=callback_resource(config.name), lead_id=lead_id,
                contact_name=message.name, contact_phone=phone, source_call_id=job.call_id, time_zone=config.time_zone,
            ), call_id=job.call_id)  # fmt: skip
            if booked.HasField("booking"):
                return from_ts(booked.booking.slot.start_time).astimezone(tz)
            held = await self.checkpoints.update(key, slot=None, slot_try=int(held.get("slot_try", 0)) + 1)
        opening = next_open(policy.callback.hours, self.clock().astimezone(tz))
        return opening or self.clock()

    async def _free(self, config: AgentConfig, asked: datetime | None) -> datetime:
        now = self.clock()
        start = max(now, asked) if asked is not None else now
        reply = await self.bus.call(subjects.GET_AVAILABILITY, calendar_pb2.GetAvailabilityRequest(
            listing_id=CALLBACK_LISTING, from_time=to_ts(start), to_time=to_ts(start + timedelta(days=14)),
            max_slots=1, time_zone=config.time_zone, agent_id=callback_resource(config.name),
        ))  # fmt: skip
        if not reply.slots:
            raise RuntimeError("the calendar has no callback time in the next two weeks")
        return from_ts(reply.slots[0].start_time)

    async def _usage(self, job: async_work_pb2.VoicemailJob, usage: UsageMeter) -> None:
        event = async_work_pb2.UsageEvent(event_id=f"{job.job_id}:usage", call_id=job.call_id,
                                          occurred_at=to_ts(self.clock()), agent_name=job.agent_name,
                                          kind="voicemail", usage=usage.as_proto())  # fmt: skip
        await events.ensure_stream(self.js, events.USAGE)
        await events.publish(self.js, events.USAGE, event)
