"""A live call's recent figures for the operators' console: link quality from each `stats` event
and each turn's latency from `turn.latency`, taken from the call's events as they are sent (bounded:
the latest POINTS of each)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from gateway.call_event_types import CallEvent, Stats, TurnLatency
from gateway.call_events import EventSink

POINTS = 60  # a sparkline's worth: 5 minutes of stats at the default 5 s interval


class CallHistory:
    def __init__(self, points: int = POINTS) -> None:
        self.quality: deque[dict[str, float | None]] = deque(maxlen=points)
        self.turn_latency: deque[dict[str, Any]] = deque(maxlen=points)

    def observe(self, event: CallEvent) -> None:
        if isinstance(event, Stats):
            m = event.summary
            self.quality.append({"at": round(time.time(), 3), "rtt_seconds": m.rtt_seconds,
                                 "jitter_seconds": m.jitter_seconds, "fraction_lost": m.fraction_lost})  # fmt: skip
        elif isinstance(event, TurnLatency):
            self.turn_latency.append({"turn": event.turn, "total_seconds": event.total_seconds,
                                      "prepared": event.prepared})  # fmt: skip

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {"quality": list(self.quality), "turn_latency": list(self.turn_latency)}


class ObservedEvents:
    """The call's event sink, with each event also shown to each of `observers` (which must not raise)."""

    def __init__(self, sink: EventSink, *observers: Callable[[CallEvent], None]) -> None:
        self._sink = sink
        self._observers = observers

    @property
    def sent(self) -> int:
        return self._sink.sent

    def send(self, event: CallEvent) -> None:
        for observe in self._observers:
            observe(event)
        self._sink.send(event)

    def close(self) -> None:
        self._sink.close()
