"""A lean call's events: on the caller's `events` data channel when it negotiated one, on the
signalling socket when it did not (or when the channel does not open: the fallback).

Events made while the channel is still opening (SCTP starts after DTLS) are held, then sent on
it in order once it opens, or forwarded to the socket if it never does: each event reaches the
caller once, on one of the two, in the order it was made. A caller that opens its own `events`
channel in-band (rather than negotiating id 0) gets the ones already sent on id 0 again on it:
it was not listening there.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from aiortc import RTCDataChannel

from gateway.call_event_types import CallEvent, as_message
from gateway.call_events import BACKLOG, SocketEvents


class LeanEvents:
    def __init__(self, socket: SocketEvents) -> None:
        self.socket = socket
        self._channel: RTCDataChannel | None = None
        self._held: deque[dict[str, Any]] = deque(maxlen=BACKLOG)
        self._sent_on_channel: deque[dict[str, Any]] = deque(maxlen=BACKLOG)  # for a channel that takes over
        self._on_channel = 0
        self._closed = False

    @property
    def sent(self) -> int:
        return self.socket.sent + self._on_channel

    @property
    def on_channel(self) -> bool:
        """Whether events go on the data channel now (it is open)."""
        return self._channel is not None and self._channel.readyState == "open"

    def expect(self, channel: RTCDataChannel) -> None:
        """Events are for this channel: held until it opens (sent at once if it is open). One that
        replaces another gets what was sent on the other first."""
        if self._channel is not None:
            self._held.extendleft(reversed(self._sent_on_channel))
            self._on_channel -= len(self._sent_on_channel)  # counted again when they go on this one
            self._sent_on_channel.clear()
        self._channel = channel
        if channel.readyState == "open":
            self._flush()
        else:
            channel.on("open", self._flush)

    def fall_back(self) -> None:
        """The channel did not open (or has closed): the socket carries the events from now on."""
        self._channel = None
        while self._held:
            self.socket.forward(self._held.popleft())

    def send(self, call_event: CallEvent) -> None:
        if self._closed:
            return
        event = as_message(call_event)
        channel = self._channel
        if channel is None or channel.readyState in ("closing", "closed"):
            self.socket.forward(event)
        elif channel.readyState == "open":
            self._send_on(channel, event)
        else:
            self._held.append(event)

    def close(self) -> None:
        self._closed = True
        self._held.clear()
        self._sent_on_channel.clear()
        self._channel = None
        self.socket.close()

    def _flush(self) -> None:
        channel = self._channel
        while channel is not None and self._held:
            self._send_on(channel, self._held.popleft())

    def _send_on(self, channel: RTCDataChannel, event: dict[str, Any]) -> None:
        channel.send(json.dumps(event))
        self._sent_on_channel.append(event)
        self._on_channel += 1
