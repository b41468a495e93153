"""A turn's `turn.latency` call event → its durable record (`TurnTiming`, stored with the
transcript), so a past call's slow turn can still be explained (`voicepod transcript CALL_ID`)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from bus.contracts import events_pb2
from gateway.call_event_types import CallEvent, TurnLatency
from gateway.recorder import CallRecorder


def timing_of(event: TurnLatency, first_audio_at: datetime) -> events_pb2.TurnTiming:
    at = Timestamp()
    at.FromDatetime(first_audio_at)
    return events_pb2.TurnTiming(
        turn=event.turn, prepared=event.prepared, vad_wait_seconds=event.vad_wait_seconds,
        stt_seconds=event.stt_seconds, agent_seconds=event.agent_seconds,
        tts_first_seconds=event.tts_first_seconds, gateway_seconds=event.gateway_seconds,
        total_seconds=event.total_seconds, first_audio_at=at,
    )  # fmt: skip


class TimingRecorder:
    """An observer of the call's events (gateway/call_history.py's ObservedEvents): the turn loop
    emits turn.latency and stays unaware that it is recorded."""

    def __init__(self, recorder: CallRecorder) -> None:
        self._recorder = recorder

    def observe(self, event: CallEvent) -> None:
        if isinstance(event, TurnLatency):  # sent at the first audio: now is when it went out
            self._recorder.turn_timing(timing_of(event, datetime.now(UTC)))
