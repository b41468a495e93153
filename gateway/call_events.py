"""Where a call's events go: the events a call's page (or a test) follows, typed in
gateway/call_event_types.py (the schema, docs/events.md), each sent as one JSON object.

They travel on the call's `events` data channel when the caller negotiated one (both media
stacks: gateway/link/lean_events.py for our own endpoint), and on the signalling socket (as
{"type": "event", "event": {...}}) when it did not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from gateway.call_event_types import CallEvent, as_message

LABEL = "events"
CHANNEL_ID = 0  # negotiated out of band: both sides create it with this id
BACKLOG = 64  # events kept while the channel is still opening (it opens after DTLS)


class EventSink(Protocol):
    @property
    def sent(self) -> int:
        """Events sent so far."""

    def send(self, event: CallEvent) -> None:
        """Best effort: an event never blocks or fails the call."""

    def close(self) -> None:
        """The call has ended: later events are dropped."""


class SocketEvents:
    """Events on the signalling socket: `post` queues a message for the socket's writer.
    Dropped until `opened` (the caller has our answer: a refused offer has no call to follow)."""

    def __init__(self, post: Callable[[dict[str, Any]], None]) -> None:
        self._post: Callable[[dict[str, Any]], None] | None = post
        self.opened = False
        self.sent = 0

    def send(self, event: CallEvent) -> None:
        self.forward(as_message(event))

    def forward(self, event: dict[str, Any]) -> None:
        """An event made earlier (one held for a data channel that did not open)."""
        if self.opened and self._post is not None:
            self._post({"type": "event", "event": event})
            self.sent += 1

    def close(self) -> None:
        self._post = None  # the socket's session refers to the call: no cycle back through here
