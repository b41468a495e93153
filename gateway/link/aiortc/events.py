"""A call's events on the `events` data channel of aiortc's peer connection."""

from __future__ import annotations

import json
from collections import deque

from aiortc import RTCDataChannel

from gateway.call_event_types import CallEvent, as_message
from gateway.call_events import BACKLOG


class EventChannel:
    """Events on the negotiated data channel."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self._channel = channel
        self._backlog: deque[str] = deque(maxlen=BACKLOG)
        self.sent = 0
        channel.on("open", self._flush)

    def send(self, event: CallEvent) -> None:
        """Held until the channel opens, dropped once it has closed."""
        text = json.dumps(as_message(event))
        state = self._channel.readyState
        if state == "open":
            self._channel.send(text)
            self.sent += 1
        elif state == "connecting":
            self._backlog.append(text)

    def close(self) -> None:
        self._backlog.clear()

    def _flush(self) -> None:
        while self._backlog:
            self._channel.send(self._backlog.popleft())
            self.sent += 1
