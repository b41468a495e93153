"""Durable events on JetStream: publish once (Nats-Msg-Id), consume with a durable
pull consumer and explicit ack.

A publisher sets Nats-Msg-Id to the event's event_id, so a retried publish inside
the stream's duplicate window is stored once. A consumer acks an event only after
its handler has stored it; a crash before the ack means redelivery, so handlers
must be idempotent on event_id (the audit and transcript stores are). An event
that does not decode is terminated (logged, never redelivered) rather than
blocking the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import nats.errors
import nats.js.errors
import structlog
from google.protobuf.message import DecodeError, Message
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig
from prometheus_client import Counter

from bus import errors, subjects
from bus.contracts import async_work_pb2, events_pb2

log = structlog.get_logger("bus.events")

EventT = TypeVar("EventT", bound=Message)

PUBLISHED = Counter("voicepod_events_published_total", "Events published to JetStream.", ["stream"])
CONSUMED = Counter("voicepod_events_consumed_total", "Events taken from JetStream, by outcome.", ["stream", "outcome"])

_SUBJECT_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class EventStream(Generic[EventT]):
    name: str
    subject_prefix: str
    message: type[EventT]
    # How long the stream remembers Nats-Msg-Id values for de-duplication.
    duplicate_window_seconds: float = 120.0
    # A work queue: a message is gone once acked, and only one consumer may take it (async mode).
    work_queue: bool = False

    def subject_for(self, call_id: str) -> str:
        # Call ids become one subject token: no dots or wildcards.
        return f"{self.subject_prefix}.{_SUBJECT_UNSAFE.sub('_', call_id) or '_'}"


AUDIT = EventStream(subjects.AUDIT_STREAM, subjects.AUDIT_EVENTS, events_pb2.AuditEvent)
TRANSCRIPT = EventStream(subjects.TRANSCRIPT_STREAM, subjects.TRANSCRIPT_EVENTS, events_pb2.TranscriptEvent)
# Async mode. A day's de-duplication: a job redone after a long outage queues its items once.
DAY = 86400.0
VOICEMAIL = EventStream(subjects.VOICEMAIL_STREAM, subjects.VOICEMAIL_JOBS, async_work_pb2.VoicemailJob, DAY, True)
CALLBACKS = EventStream(subjects.CALLBACK_STREAM, subjects.CALLBACK_ITEMS, async_work_pb2.CallbackItem, DAY, True)
USAGE = EventStream(subjects.USAGE_STREAM, subjects.USAGE_EVENTS, async_work_pb2.UsageEvent, DAY)


# Any: only the stream's name and subjects matter here, so callers may loop over streams of different events.
async def ensure_stream(js: JetStreamContext, stream: EventStream[Any]) -> None:
    """Create the stream if missing (idempotent: publishers and consumers both call it)."""
    config = StreamConfig(
        name=stream.name,
        subjects=[f"{stream.subject_prefix}.>"],
        storage=StorageType.FILE,
        duplicate_window=stream.duplicate_window_seconds,
        retention=RetentionPolicy.WORK_QUEUE if stream.work_queue else RetentionPolicy.LIMITS,
    )
    try:
        await js.stream_info(stream.name)
    except nats.js.errors.NotFoundError:
        with contextlib.suppress(nats.js.errors.BadRequestError):  # created meanwhile by a sibling
            await js.add_stream(config)


async def publish(
    js: JetStreamContext, stream: EventStream[EventT], event: EventT, *, timeout: float = 5.0,
    msg_id: str | None = None, call_id: str | None = None,
) -> int:  # fmt: skip
    """Store one event durably; returns its stream sequence (the first one's, for a duplicate).
    An event has an event_id and a call_id; a work item without them names its own (`msg_id`: its
    de-duplication key, `call_id`: its subject's last token)."""
    event_id = msg_id if msg_id is not None else getattr(event, "event_id")  # noqa: B009 - events have one
    call_id = call_id if call_id is not None else getattr(event, "call_id")  # noqa: B009 - events have one
    if not event_id:
        raise ValueError("an event needs an event_id (it is the de-duplication key)")
    try:
        ack = await js.publish(
            stream.subject_for(call_id), event.SerializeToString(), timeout=timeout,
            headers={"Nats-Msg-Id": event_id},
        )  # fmt: skip
    except nats.js.errors.NoStreamResponseError:
        raise errors.NoResponders(stream.subject_for(call_id)) from None
    except nats.errors.TimeoutError:
        raise errors.DeadlineExceeded(f"JetStream did not acknowledge {stream.name} event in {timeout}s") from None
    PUBLISHED.labels(stream.name).inc()
    return int(ack.seq)


Handler = Callable[[EventT], Awaitable[None]]


class DurableConsumer(Generic[EventT]):
    """Feeds a stream's events to `handler`, acking each after it returns.

    Replicas of a service share the durable consumer, so each event goes to one of them.
    """

    def __init__(
        self,
        js: JetStreamContext,
        stream: EventStream[EventT],
        durable: str,
        handler: Handler[EventT],
        *,
        batch: int = 64,
        # Unacked events (their consumer died) are redelivered after this; handlers here take milliseconds.
        ack_wait_seconds: float = 5.0,
    ) -> None:
        self._js = js
        self._stream = stream
        self._durable = durable
        self._handler = handler
        self._batch = batch
        self._ack_wait = ack_wait_seconds
        self._task: asyncio.Task[None] | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self._stopping = asyncio.Event()
        self._handling = False

    async def start(self) -> None:
        await ensure_stream(self._js, self._stream)
        config = ConsumerConfig(
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_ack_pending=self._batch * 4,
        )
        self._sub = await self._js.pull_subscribe(
            f"{self._stream.subject_prefix}.>", durable=self._durable, stream=self._stream.name, config=config
        )
        self._task = asyncio.create_task(self._run(self._sub))

    async def stop(self) -> None:
        """Finish the event in hand, then stop; what is not acked is redelivered later."""
        self._stopping.set()
        if self._task is None:
            return
        if not self._handling:
            self._task.cancel()  # idle in fetch(): nothing in hand to finish
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._sub is not None:
            # An open pull subscription would hold the connection's drain until its timeout.
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()

    async def _run(self, sub: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            try:
                msgs = await sub.fetch(self._batch, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except nats.errors.Error as exc:  # connection trouble: nats-py reconnects; try again
                log.warning("event_fetch_failed", stream=self._stream.name, error=str(exc) or type(exc).__name__)
                await asyncio.sleep(0.5)  # back-off while NATS reconnects
                continue
            self._handling = True
            try:
                for msg in msgs:
                    await self._one(msg)
            finally:
                self._handling = False

    async def _one(self, msg: Msg) -> None:
        outcome = CONSUMED.labels(self._stream.name, "stored")
        try:
            event = self._stream.message.FromString(msg.data)
        except DecodeError:
            log.error("event_undecodable", stream=self._stream.name, subject=msg.subject, size=len(msg.data))
            CONSUMED.labels(self._stream.name, "undecodable").inc()
            await msg.term()
            return
        try:
            await self._handler(event)
        except Exception:
            log.exception("event_handler_failed", stream=self._stream.name)
            CONSUMED.labels(self._stream.name, "retried").inc()
            await msg.nak(delay=1.0)
            return
        await msg.ack()
        outcome.inc()
