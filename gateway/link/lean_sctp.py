"""The caller's data channels on our own endpoint: aiortc's SCTP association (RTCSctpTransport:
SCTP, DCEP open/ack, ordered reliable channels) over the endpoint's DTLS.

RTCSctpTransport uses five things of aiortc's DTLS transport: `state`, `_role`, and
registering a receiver, which it hands each application record, and `_send_data`. `_DtlsCarrier`
gives it those on the endpoint (gateway/rtc stays free of aiortc). The `events` channel is the
one negotiated out of band (id 0, as the page and aiortc stack do), or one the caller opens
in-band with that label (RTVI-style clients).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol, cast

import structlog
from aiortc import RTCDataChannel, RTCDataChannelParameters, RTCDtlsTransport, RTCSctpTransport

from gateway.call_events import CHANNEL_ID, LABEL
from gateway.link.lean_events import LeanEvents
from gateway.rtc.data_channel import DataChannelTerms
from gateway.rtc.endpoint import AudioEndpoint

log = structlog.get_logger("gateway.link")
OPEN_TIMEOUT = 5.0  # from DTLS connected; SCTP's handshake is one round trip, so past this it is not coming
# Channels a caller may open in-band; later ones are closed at once (aiortc keeps every one it is
# asked for, up to 65,535 per call: a hostile caller's memory, not ours).
MAX_CALLER_CHANNELS = 8


class _Receiver(Protocol):
    async def _handle_data(self, data: bytes) -> None: ...


class _DtlsCarrier:
    """What RTCSctpTransport needs of a DTLS transport, on the endpoint's DTLS."""

    def __init__(self) -> None:
        self.state = "connected"  # RTCSctpTransport refuses a "closed" transport; ours closes with the call
        self._role = "client"  # RFC 8832: the DTLS client is the SCTP side with even stream ids
        self._receiver: _Receiver | None = None
        self.endpoint: AudioEndpoint | None = None

    def _register_data_receiver(self, receiver: _Receiver) -> None:
        self._receiver = receiver

    def _unregister_data_receiver(self, receiver: _Receiver) -> None:
        if self._receiver is receiver:
            self._receiver = None

    async def _send_data(self, data: bytes) -> None:
        if self.endpoint is None:
            raise ConnectionError("no DTLS yet")
        await self.endpoint.send_data(data)

    async def deliver(self, data: bytes) -> None:
        """An application record from the peer (an SCTP packet); dropped before SCTP starts."""
        if self._receiver is not None:
            await self._receiver._handle_data(data)


class LeanDataChannel:
    """The call's SCTP association, once the answer has accepted the caller's data channel section."""

    def __init__(self, events: LeanEvents) -> None:
        self._events = events
        self._carrier = _DtlsCarrier()
        self._sctp: RTCSctpTransport | None = None
        self._terms: DataChannelTerms | None = None
        self._opened = asyncio.Event()
        self._events_channels: list[RTCDataChannel] = []  # ours (negotiated) and the caller's (in-band)
        self.caller_channels = 0  # opened in-band by the caller
        self.refused_channels = 0  # of those, closed at once (over MAX_CALLER_CHANNELS)

    async def on_data(self, data: bytes) -> None:
        """The endpoint's `on_data`."""
        await self._carrier.deliver(data)

    def accepted(self, endpoint: AudioEndpoint, terms: DataChannelTerms) -> None:
        """The answer took the data channel section: the events channel now waits for SCTP."""
        self._terms = terms
        self._carrier.endpoint = endpoint
        self._carrier._role = "server" if terms.dtls_server else "client"
        self._sctp = sctp = RTCSctpTransport(cast(RTCDtlsTransport, self._carrier))
        channel = RTCDataChannel(sctp, RTCDataChannelParameters(label=LABEL, negotiated=True, id=CHANNEL_ID))
        self._expect(channel)
        sctp.on("datachannel", self._in_band)

    async def start(self) -> None:
        """After DTLS: start SCTP; the events fall back to the socket if the channel does not open."""
        if self._sctp is None or self._terms is None:
            return
        try:
            await self._sctp.start(None, self._terms.remote_sctp_port)  # sends INIT: DTLS may be gone already
        except ConnectionError:
            self._events.fall_back()
            return
        try:
            await asyncio.wait_for(self._opened.wait(), OPEN_TIMEOUT)
        except TimeoutError:
            log.info("data_channel_not_opened", timeout=OPEN_TIMEOUT)
            self._events.fall_back()

    async def close(self) -> None:
        """Ends SCTP; a call whose channel never opened tells the socket what it held (call.ended)."""
        if not self._opened.is_set():
            self._events.fall_back()
        sctp = self._sctp
        if sctp is not None:
            with contextlib.suppress(ConnectionError):
                await sctp._data_channel_flush()  # the call's last events (call.ended) go before the ABORT
            with contextlib.suppress(ConnectionError):
                await sctp.stop()  # an ABORT: the caller's channels close now
            # What could not go refers to its channel, and the channel to the association: a cycle.
            sctp._data_channel_queue.clear()
            sctp.remove_all_listeners()
        # Their handlers refer to the call's events: let go of them (freed by reference counting).
        for channel in self._events_channels:
            channel.remove_all_listeners()
        self._events_channels.clear()
        self._carrier.endpoint = None
        self._sctp = None

    def _expect(self, channel: RTCDataChannel) -> None:
        self._events_channels.append(channel)
        self._events.expect(channel)
        if channel.readyState == "open":
            self._opened.set()
        else:
            channel.on("open", self._opened.set)

    def _in_band(self, channel: RTCDataChannel, *_: Any) -> None:
        self.caller_channels += 1
        if self.caller_channels > MAX_CALLER_CHANNELS:
            self.refused_channels += 1
            if self.refused_channels == 1:
                log.info("data_channels_refused", over=MAX_CALLER_CHANNELS)
            channel.close()
            return
        if channel.label == LABEL:  # the caller's own events channel takes over from the negotiated one
            self._expect(channel)
