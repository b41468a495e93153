"""A call's durable record: transcript turns and audit events, published to JetStream.

Never in the conversation's way: events are published in the background, and a publish
that fails (NATS restarting, JetStream slow to answer) is retried with back-off for up to
RETRY_FOR_SECONDS, so a NATS restart during a call loses nothing. Each event's id doubles
as Nats-Msg-Id, and the consumers store by event id, so a retried publish is stored once.
Only an event still undelivered after that time is logged and counted lost.

At process exit (`IN_FLIGHT.settle`, after the calls have ended and before the NATS connection
drains) the events still retrying get a bounded time, VOICEPOD_EVENTS_EXIT_TIMEOUT, to publish;
their back-off drops to the first step meanwhile. Those still undelivered then are cancelled,
each logged (`event_not_published`) and counted in voicepod_gateway_events_lost_total, and one
`events_lost_at_exit` line says how many.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from nats.js import JetStreamContext
from prometheus_client import Counter

from bus import events
from bus.contracts import events_pb2, shadow_pb2

log = structlog.get_logger("gateway.recorder")
LOST = Counter("voicepod_gateway_events_lost_total", "Transcript/audit events that could not be published.", ["stream"])
RETRIED = Counter("voicepod_gateway_event_publish_retries_total", "Event publishes tried again.", ["stream"])

RETRY_FOR_SECONDS = 300.0  # longer than a NATS restart or a JetStream leader election
FIRST_BACKOFF, MAX_BACKOFF = 0.25, 5.0


class InFlight:
    """Every event publish of this process still under way, whatever call it belongs to."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()
        self.exiting = False  # retries use the first back-off step: the exit is waiting for them
        self._sleepers: set[asyncio.Future[None]] = set()

    def add(self, task: asyncio.Task[None]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def back_off(self, seconds: float) -> None:
        """Sleep between two tries of a publish; cut short when the exit begins."""
        loop = asyncio.get_running_loop()
        wake: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(FIRST_BACKOFF if self.exiting else seconds, _wake, wake)
        self._sleepers.add(wake)
        try:
            await wake
        finally:
            timer.cancel()
            self._sleepers.discard(wake)

    async def settle(self, timeout: float) -> int:
        """Wait up to `timeout` for the publishes under way on this loop; cancel the rest (each is
        then counted lost by its task). Returns how many were lost."""
        loop = asyncio.get_running_loop()
        pending = {task for task in self.tasks if task.get_loop() is loop}
        if not pending:
            return 0
        self.exiting = True
        for wake in [w for w in self._sleepers if w.get_loop() is loop]:
            _wake(wake)  # try again now
        try:
            _, left = await asyncio.wait(pending, timeout=timeout)
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
        finally:
            self.exiting = False
        if left:
            log.error("events_lost_at_exit", count=len(left), waited_seconds=timeout)
        else:
            log.info("events_published_at_exit", count=len(pending))
        return len(left)


def _wake(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)


IN_FLIGHT = InFlight()


def _ts(moment: datetime | None = None) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(moment or datetime.now(UTC))
    return t


class CallRecorder:
    def __init__(self, js: JetStreamContext | None, call_id: str, *, retry_for: float = RETRY_FOR_SECONDS) -> None:
        self._js = js
        self._retry_for = retry_for
        self.call_id = call_id
        self._pending: set[asyncio.Task[None]] = set()
        self._turn = 0

    def call_started(self, agent_name: str, channel: str = "webrtc", direction: str = "inbound") -> None:
        self._transcript(call_started=events_pb2.CallStarted(agent_name=agent_name, channel=channel,
                                                             direction=direction))  # fmt: skip

    def call_ended(
        self,
        reason: str,
        duration_seconds: float,
        usage: events_pb2.CallUsage | None = None,
        quality: events_pb2.CallQuality | None = None,
    ) -> None:
        ended = events_pb2.CallEnded(reason=reason, duration_seconds=duration_seconds, usage=usage, quality=quality)
        self._transcript(call_ended=ended)

    def turn(
        self, speaker: events_pb2.Speaker, text: str, *, interrupted: bool = False, confidence: float = 0.0
    ) -> None:
        if not text:
            return
        self._turn += 1
        turn = events_pb2.TranscriptTurn(turn_index=self._turn, speaker=speaker, text=text, is_final=True,
                                         started_at=_ts(), interrupted=interrupted, confidence=confidence)  # fmt: skip
        self._transcript(turn=turn)

    def turn_timing(self, timing: events_pb2.TurnTiming) -> None:
        """An answered turn's latency split (gateway/turn_timing.py)."""
        self._transcript(turn_timing=timing)

    def shadow_turn(self, record: shadow_pb2.ShadowTurn) -> None:
        """Shadow mode: a desk turn beside the agent's recommendation (gateway/shadow/records.py)."""
        self._transcript(shadow_turn=record)

    def shadow_outcome(self, record: shadow_pb2.ShadowOutcome) -> None:
        self._transcript(shadow_outcome=record)

    def audit(self, action: str, outcome: str, attributes: Mapping[str, str], actor: str = "agent") -> None:
        event = events_pb2.AuditEvent(
            event_id=uuid.uuid4().hex,
            call_id=self.call_id,
            occurred_at=_ts(),
            actor=actor,
            action=action,
            outcome=outcome,
            attributes=dict(attributes),
        )
        self._publish(events.AUDIT, event)

    async def flush(self, timeout: float = 5.0) -> None:
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=timeout)

    def _transcript(
        self,
        *,
        turn: events_pb2.TranscriptTurn | None = None,
        call_started: events_pb2.CallStarted | None = None,
        call_ended: events_pb2.CallEnded | None = None,
        turn_timing: events_pb2.TurnTiming | None = None,
        shadow_turn: shadow_pb2.ShadowTurn | None = None,
        shadow_outcome: shadow_pb2.ShadowOutcome | None = None,
    ) -> None:
        # The body is a oneof: the caller passes one of these; protobuf leaves a None field unset.
        event = events_pb2.TranscriptEvent(event_id=uuid.uuid4().hex, call_id=self.call_id, occurred_at=_ts(),
                                           turn=turn, call_started=call_started, call_ended=call_ended,
                                           turn_timing=turn_timing,
                                           shadow_turn=shadow_turn, shadow_outcome=shadow_outcome)  # fmt: skip
        self._publish(events.TRANSCRIPT, event)

    def _publish(self, stream: events.EventStream[Any], event: Message) -> None:
        if self._js is None:
            return
        task = asyncio.create_task(self._send(stream, event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        IN_FLIGHT.add(task)

    async def _send(self, stream: events.EventStream[Any], event: Message) -> None:
        assert self._js is not None
        loop = asyncio.get_running_loop()
        give_up_at, backoff, attempts = loop.time() + self._retry_for, FIRST_BACKOFF, 0
        try:
            while True:
                attempts += 1
                try:
                    await events.publish(self._js, stream, event)
                    break
                except Exception as exc:
                    if loop.time() + backoff > give_up_at:
                        raise
                    if attempts == 1:
                        log.warning("event_publish_retrying", stream=stream.name, call_id=self.call_id, error=str(exc))
                    RETRIED.labels(stream.name).inc()
                    await IN_FLIGHT.back_off(backoff)  # while NATS reconnects
                    backoff = min(backoff * 2, MAX_BACKOFF)
        except (Exception, asyncio.CancelledError) as exc:
            LOST.labels(stream.name).inc()
            log.error("event_not_published", stream=stream.name, call_id=self.call_id, attempts=attempts,
                      error=str(exc) or type(exc).__name__)  # fmt: skip
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if attempts > 1:
            log.info("event_published_late", stream=stream.name, call_id=self.call_id, attempts=attempts)
