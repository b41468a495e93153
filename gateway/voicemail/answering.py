"""Who gets the live agent and who leaves a voicemail (async mode, docs/modes.md), and what
happens to a message: stored in the object store, then a job on the VOICEPOD_VOICEMAIL work queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import nats.errors
import structlog
from google.protobuf.timestamp_pb2 import Timestamp
from nats.js import JetStreamContext

from bus import errors, events
from bus.contracts import async_work_pb2
from gateway.agent.async_policy import AsyncPolicy, is_open
from gateway.call_origin import CallOrigin
from gateway.media.pcm import IN_RATE, Pcm
from gateway.providers.tts import TextToSpeech
from gateway.voicemail.object_store import ObjectStore
from gateway.voicemail.recording import to_wav
from gateway.voicemail.responder import VoicemailResponder

if TYPE_CHECKING:
    from gateway.call import Call

log = structlog.get_logger("gateway.voicemail")
AFTER_HOURS, OVERFLOW = "after_hours", "overflow"
_PUBLISH_TRIES = 6  # with back-off: about a minute for NATS to come back


def job_id_of(call_id: str) -> str:
    return f"{call_id}-vm"


class Answering:
    """One per gateway process, for its agent (None on the state when the agent has no `async:`)."""

    def __init__(
        self, agent: str, time_zone: str, policy: AsyncPolicy, tts: TextToSpeech, store: ObjectStore,
        js: JetStreamContext, clock: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        self.agent = agent
        self.tz = ZoneInfo(time_zone)
        self.policy = policy
        self.tts = tts
        self.store = store
        self.js = js
        self.clock = clock or (lambda: datetime.now(self.tz))

    def reason(self, origin: CallOrigin, busy: bool) -> str | None:
        """Why this call leaves a voicemail (None: the live agent takes it). Only callers who rang us."""
        if origin.direction == "outbound":
            return None
        if not is_open(self.policy.answering_hours, self.clock().astimezone(self.tz)):
            return AFTER_HOURS
        return OVERFLOW if busy else None

    def refuses(self, held: int, max_calls: int) -> bool:
        """Every line and every overflow voicemail line is taken."""
        return held >= max_calls + self.policy.overflow_lines

    def responder(self, reason: str) -> Callable[[Call], VoicemailResponder]:
        def make(call: Call) -> VoicemailResponder:
            call.recorder.audit("voicemail.greeting", "ok", {"reason": reason})

            async def on_message(pcm: Pcm) -> None:
                await self.keep(call.call_id, call.origin, reason, pcm)

            def hang_up(why: str) -> None:
                call.spawn(call.hang_up(why))

            return VoicemailResponder(self.tts, self.policy.greeting, self.policy.max_message_seconds,
                                      on_message, hang_up, call.usage)  # fmt: skip

        return make

    async def keep(self, call_id: str, origin: CallOrigin, reason: str, pcm: Pcm) -> None:
        await queue_message(self.store, self.js, self.agent, call_id, origin, reason, pcm)


async def queue_message(
    store: ObjectStore, js: JetStreamContext, agent: str, call_id: str, origin: CallOrigin, reason: str, pcm: Pcm
) -> None:
    """Store the message, then queue its job (the same job id however often this is retried)."""
    key = f"voicemail/{agent}/{call_id}.wav"
    await store.put(key, to_wav(pcm))
    recorded_at = Timestamp()
    recorded_at.GetCurrentTime()
    job = async_work_pb2.VoicemailJob(
        job_id=job_id_of(call_id), call_id=call_id, agent_name=agent, channel=origin.channel,
        caller_number=origin.caller_number or "", recording_key=key, duration_seconds=len(pcm) / IN_RATE,
        recorded_at=recorded_at, reason=reason,
    )  # fmt: skip
    for attempt in range(_PUBLISH_TRIES):
        try:
            await events.ensure_stream(js, events.VOICEMAIL)
            await events.publish(js, events.VOICEMAIL, job, msg_id=job.job_id)
            log.info("voicemail_queued", call_id=call_id, job_id=job.job_id, seconds=round(job.duration_seconds, 1),
                     reason=reason)  # fmt: skip
            return
        except (errors.BusError, nats.errors.Error, OSError) as e:
            log.warning("voicemail_queue_retry", call_id=call_id, attempt=attempt + 1, error=repr(e))
            await asyncio.sleep(min(2.0**attempt, 20.0))  # back-off while NATS comes back
    log.error("voicemail_not_queued", call_id=call_id, recording_key=key,
              hint="the recording is stored; queue its job again by hand")  # fmt: skip
