"""A call's durable record: transcript turns and audit events, published to JetStream.

Best effort from the call's point of view: a publish that fails is logged and counted,
never allowed to break the conversation. Each event's id doubles as Nats-Msg-Id, so a
retried publish is stored once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import structlog
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from nats.js import JetStreamContext
from prometheus_client import Counter

from bus import events
from bus.contracts import events_pb2

log = structlog.get_logger("gateway.recorder")
LOST = Counter("voicepod_gateway_events_lost_total", "Transcript/audit events that could not be published.", ["stream"])


def _ts(moment: datetime | None = None) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(moment or datetime.now(UTC))
    return t


class CallRecorder:
    def __init__(self, js: JetStreamContext | None, call_id: str) -> None:
        self._js = js
        self.call_id = call_id
        self._pending: set[asyncio.Task[None]] = set()
        self._turn = 0

    def call_started(self, agent_name: str) -> None:
        self._transcript(call_started=events_pb2.CallStarted(agent_name=agent_name, channel="webrtc"))

    def call_ended(self, reason: str, duration_seconds: float, usage: events_pb2.CallUsage | None = None) -> None:
        ended = events_pb2.CallEnded(reason=reason, duration_seconds=duration_seconds, usage=usage)
        self._transcript(call_ended=ended)

    def turn(self, speaker: int, text: str, *, interrupted: bool = False, confidence: float = 0.0) -> None:
        if not text:
            return
        self._turn += 1
        turn = events_pb2.TranscriptTurn(turn_index=self._turn, speaker=speaker, text=text, is_final=True,
                                         started_at=_ts(), interrupted=interrupted, confidence=confidence)  # fmt: skip
        self._transcript(turn=turn)

    def audit(self, action: str, outcome: str, attributes: Mapping[str, str]) -> None:
        event = events_pb2.AuditEvent(
            event_id=uuid.uuid4().hex,
            call_id=self.call_id,
            occurred_at=_ts(),
            actor="agent",
            action=action,
            outcome=outcome,
            attributes=dict(attributes),
        )
        self._publish(events.AUDIT, event)

    async def flush(self, timeout: float = 5.0) -> None:
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=timeout)

    def _transcript(self, **body: Message) -> None:
        event = events_pb2.TranscriptEvent(event_id=uuid.uuid4().hex, call_id=self.call_id, occurred_at=_ts(), **body)
        self._publish(events.TRANSCRIPT, event)

    def _publish(self, stream: events.EventStream, event: Message) -> None:  # type: ignore[type-arg]
        if self._js is None:
            return
        task = asyncio.create_task(self._send(stream, event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send(self, stream: events.EventStream, event: Message) -> None:  # type: ignore[type-arg]
        assert self._js is not None
        try:
            await events.publish(self._js, stream, event)
        except Exception as exc:
            LOST.labels(stream.name).inc()
            log.warning("event_not_published", stream=stream.name, call_id=self.call_id, error=str(exc))
