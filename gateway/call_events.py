"""The events a call's page (or a test) follows: JSON objects, each {"type": ..., "at": ...}.

Types: call.started, speech.started, turn.ended, transcript.interim, transcript.final,
agent.text, agent.done (a whole reply has played), agent.fallback, tool.started, tool.finished,
agent.paused (the caller spoke over the reply: it is paused), agent.resumed (that was a
backchannel: the reply goes on), barge_in (it was not: the reply is dropped), turn.latency,
stats, call.ended.

They travel on the call's `events` data channel when aiortc carries the call, and on the
signalling socket (as {"type": "event", "event": {...}}) when our own endpoint does: it
has no SCTP, so no data channel.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from aiortc import RTCDataChannel

LABEL = "events"
CHANNEL_ID = 0  # negotiated out of band: both sides create it with this id
BACKLOG = 64  # events kept while the channel is still opening (it opens after DTLS)


class EventSink(Protocol):
    sent: int

    def send(self, kind: str, **fields: Any) -> None:
        """Best effort: an event never blocks or fails the call."""

    def close(self) -> None:
        """The call has ended: later events are dropped."""


def _event(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "at": round(time.time(), 3), **fields}


class EventChannel:
    """Events on the negotiated data channel."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self._channel = channel
        self._backlog: deque[str] = deque(maxlen=BACKLOG)
        self.sent = 0
        channel.on("open", self._flush)

    def send(self, kind: str, **fields: Any) -> None:
        """Held until the channel opens, dropped once it has closed."""
        text = json.dumps(_event(kind, fields))
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


class SocketEvents:
    """Events on the signalling socket: `post` queues a message for the socket's writer.
    Dropped until `opened` (the caller has our answer: a refused offer has no call to follow)."""

    def __init__(self, post: Callable[[dict[str, Any]], None]) -> None:
        self._post: Callable[[dict[str, Any]], None] | None = post
        self.opened = False
        self.sent = 0

    def send(self, kind: str, **fields: Any) -> None:
        if self.opened and self._post is not None:
            self._post({"type": "event", "event": _event(kind, fields)})
            self.sent += 1

    def close(self) -> None:
        self._post = None  # the socket's session refers to the call: no cycle back through here
