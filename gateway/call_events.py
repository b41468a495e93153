"""The `events` data channel: JSON events the page (or a test) follows during a call.

Types: call.started, speech.started, turn.ended, transcript.interim, transcript.final,
agent.text, agent.done (a whole reply has played), agent.fallback, tool.started, tool.finished,
barge_in, turn.latency, stats, call.ended.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Any

from aiortc import RTCDataChannel

LABEL = "events"
CHANNEL_ID = 0  # negotiated out of band: both sides create it with this id
BACKLOG = 64  # events kept while the channel is still opening (it opens after DTLS)


class EventChannel:
    def __init__(self, channel: RTCDataChannel) -> None:
        self._channel = channel
        self._backlog: deque[str] = deque(maxlen=BACKLOG)
        self.sent = 0
        channel.on("open", self._flush)

    def send(self, kind: str, **fields: Any) -> None:
        """Best effort: held until the channel opens, dropped once it has closed."""
        text = json.dumps({"type": kind, "at": round(time.time(), 3), **fields})
        state = self._channel.readyState
        if state == "open":
            self._channel.send(text)
            self.sent += 1
        elif state == "connecting":
            self._backlog.append(text)

    def _flush(self) -> None:
        while self._backlog:
            self._channel.send(self._backlog.popleft())
            self.sent += 1
