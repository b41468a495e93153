"""A call's trace: a span for the call, one per turn, and the turn's stages under it.

The stages are the turn clock's (gateway/turn_clock.py), not a second timing system: VAD wait,
STT and the first piece's synthesis are spans drawn after the fact from the clock's instants; the
engine's span is live, the current span while the reply is worked out, so its tool calls (and
through the bus, the services' handlers) and the model's chat spans are its children; playout runs
from the reply's first audio until it has played, or was cut off.

With tracing off a call gets NO_TRACE, whose turns are NO_TURN: every method returns at once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext

from opentelemetry.trace import Span

from bus import tracing
from gateway.turn_clock import TurnClock


class _WallClock:
    """Monotonic instants as the epoch nanoseconds a span takes, with one offset for the whole call
    (read once: two spans drawn from the same instant start at the same nanosecond)."""

    def __init__(self) -> None:
        self._offset = time.time_ns() - time.monotonic_ns()

    def ns(self, monotonic: float) -> int:
        return self._offset + int(monotonic * 1e9)


class TurnTrace:
    """One turn's spans. This base is the no-op one (tracing off)."""

    index = 0

    def stage(
        self, name: str, start: float, end: float, attributes: Mapping[str, str | float | bool] | None = None
    ) -> None:
        """A stage that has ended, from monotonic `start` to `end`."""

    def engine(self) -> AbstractContextManager[object]:
        """The engine's span, current for the block: what it calls is its child."""
        return nullcontext()

    def first_audio(self, clock: TurnClock, split: Mapping[str, float]) -> None:
        """The reply's first audio went out: the TTS stage, the turn's latency split, playout starts."""

    def end(self, outcome: str) -> None:
        """The turn is over: `done` (the reply played), `barge_in`, `superseded`, `call_ended`."""


NO_TURN = TurnTrace()


class CallTrace:
    """One call's span. This base is the no-op one (tracing off)."""

    def turn(self, index: int, clock: TurnClock) -> TurnTrace:
        return NO_TURN

    def end(self, reason: str) -> None:
        pass


NO_TRACE = CallTrace()


def open_call_trace(call_id: str, agent: str, channel: str) -> CallTrace:
    span = tracing.start_span(
        "call", attributes={"voicepod.call_id": call_id, "voicepod.agent": agent, "voicepod.channel": channel}
    )
    return NO_TRACE if span is None else _SpanCallTrace(span)


class _SpanCallTrace(CallTrace):
    def __init__(self, span: Span) -> None:
        self._span = span
        self._wall = _WallClock()

    def turn(self, index: int, clock: TurnClock) -> TurnTrace:
        return _SpanTurnTrace(self._span, self._wall, index, clock)

    def end(self, reason: str) -> None:
        self._span.set_attribute("voicepod.ended", reason)
        self._span.end()


class _SpanTurnTrace(TurnTrace):
    def __init__(self, call: Span, wall: _WallClock, index: int, clock: TurnClock) -> None:
        self.index = index
        self._wall = wall
        spoke_until = clock.ended - clock.vad_wait  # the caller's last word: the turn starts there
        start = self._wall.ns(spoke_until)
        attributes = {"voicepod.turn": index}
        span = tracing.start_span("turn", parent=tracing.context_of(call), start_ns=start, attributes=attributes)
        assert span is not None  # a call trace exists only with tracing on
        self._span = span
        self._parent = tracing.context_of(span)
        self._playout: Span | None = None
        self._ended = False
        self.stage("vad_wait", spoke_until, clock.ended)

    def stage(
        self, name: str, start: float, end: float, attributes: Mapping[str, str | float | bool] | None = None
    ) -> None:
        span = tracing.start_span(name, parent=self._parent, start_ns=self._wall.ns(start), attributes=attributes)
        if span is not None:
            span.end(end_time=self._wall.ns(end))

    def engine(self) -> AbstractContextManager[object]:
        return tracing.span("engine", parent=self._parent)

    def first_audio(self, clock: TurnClock, split: Mapping[str, float]) -> None:
        if clock.first_line:
            self.stage(
                "tts_first", clock.first_line - clock.tts_first, clock.first_line, {"voicepod.prepared": clock.prepared}
            )
        self._span.set_attributes({f"voicepod.latency.{k}_seconds": round(v, 4) for k, v in split.items()})
        self._span.set_attribute("voicepod.prepared", clock.prepared)
        first_audio = clock.first_line + split["gateway"]
        self._playout = tracing.start_span("playout", parent=self._parent, start_ns=self._wall.ns(first_audio))

    def end(self, outcome: str) -> None:
        if self._ended:
            return
        self._ended = True
        now = self._wall.ns(time.monotonic())
        if self._playout is not None:
            self._playout.set_attribute("voicepod.outcome", outcome)
            self._playout.end(end_time=now)
        self._span.set_attribute("voicepod.outcome", outcome)
        self._span.end(end_time=now)
