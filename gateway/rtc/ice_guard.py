"""The media port's doorman: which datagrams aioice may hand on to DTLS and SRTP, and how many may wait.

aioice gives every datagram that is not STUN, from any address, to its connection's queue,
which has no limit: a stranger can fill memory before ICE completes, slip a DTLS flight into
our handshake, or reach SRTP after it (RFC 8445 and RFC 7983 say data belongs to the selected
pair only). The guard sits between each of the connection's UDP sockets and aioice:

- STUN (first byte 0-3) goes to aioice from anyone: ICE checks come from addresses not yet known;
- DTLS and RTP/RTCP are accepted only once ICE has nominated a pair, and only from that pair's
  remote address on that pair's socket;
- anything over the MTU, or of no kind RFC 7983 names, is dropped;
- at most `max_queued` datagrams wait for the reader; past that the oldest go.

Every drop is counted by reason (`dropped`); the gateway exports the counts to Prometheus.

It works on any aioice.Connection (aiortc's too: `MediaPortGuard(connection).install()` once
its candidates are gathered). `GuardedConnection` is the aioice.Connection our own endpoint
uses: it holds its guard, which the endpoint installs as soon as it has gathered (however it
gathered: aioice's own way or on the addresses VOICEPOD_ICE_ADDRESSES names). Written against aioice 0.13 (pinned):
it reads the connection's `_protocols`, `_nominated` and `_queue`.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import aioice
from aioice import stun
from aioice.ice import StunProtocol

MTU = 1500  # no WebRTC stack sends a bigger datagram: larger ones arrived IP-fragmented, or are an attack
MAX_QUEUED = 256  # ~5 s of one call's audio packets: a reader that far behind has stalled

# Why a datagram was dropped (the label values of voicepod_gateway_media_dropped_total).
BEFORE_ICE = "before_ice"  # DTLS or media before ICE chose a pair
STRANGER = "stranger"  # DTLS or media from an address that is not the selected pair's
OVERSIZED = "oversized"  # over the MTU
BAD_STUN = "bad_stun"  # STUN's first byte, but not a STUN message
NOT_MEDIA = "not_media"  # a first byte no RFC 7983 protocol uses
BACKLOG = "backlog"  # the oldest waiting datagram, dropped for a new one: the reader fell behind
REASONS = (BEFORE_ICE, STRANGER, OVERSIZED, BAD_STUN, NOT_MEDIA, BACKLOG)


class MediaPortGuard:
    def __init__(self, connection: aioice.Connection, max_queued: int = MAX_QUEUED) -> None:
        # The connection's own containers (aioice changes them in place), not the connection: a
        # GuardedConnection holds its guard, and a cycle would wait for the garbage collector.
        self._protocols = connection._protocols
        self._nominated = connection._nominated
        self._queue = connection._queue
        self._max_queued = max_queued
        self.dropped = dict.fromkeys(REASONS, 0)

    def install(self) -> None:
        """Put the guard in front of each of the connection's UDP sockets (again after more gathering:
        sockets already guarded are left as they are). Data aioice queued before is dropped when no
        pair is selected yet. A TURN relay's socket cannot be guarded (its transport has no
        set_protocol), but the TURN server relays only from addresses we sent to."""
        for protocol in self._protocols:
            transport = protocol.transport
            if hasattr(transport, "set_protocol") and transport.get_protocol() is protocol:
                transport.set_protocol(_Doorway(self, protocol))
        if not self._nominated:
            queue = self._queue
            closed = False
            while not queue.empty():
                if queue.get_nowait() is None:
                    closed = True  # the connection's "closed" mark: it stays
                else:
                    self.dropped[BEFORE_ICE] += 1
            if closed:
                queue.put_nowait(None)

    def arrived(self, protocol: StunProtocol, data: bytes, addr: tuple[Any, ...]) -> None:
        """One datagram on a guarded socket."""
        if len(data) > MTU:
            self.dropped[OVERSIZED] += 1
            return
        first = data[0] if data else 255
        if first < 4:
            try:
                stun.parse_message(data)
            except ValueError:
                self.dropped[BAD_STUN] += 1
                return
            protocol.datagram_received(data, addr)  # aioice answers checks, matches responses
        elif 20 <= first < 64 or 128 <= first < 192:
            self._media(protocol, data, (addr[0], addr[1]))
        else:
            self.dropped[NOT_MEDIA] += 1

    def enqueue(self, data: bytes, component: int) -> None:
        """Hand a datagram to the connection's reader; the oldest waiting one goes if too many wait."""
        queue = self._queue
        while queue.qsize() >= self._max_queued:
            if queue.get_nowait() is None:  # the connection's "closed" mark: nothing more to hand on
                queue.put_nowait(None)
                return
            self.dropped[BACKLOG] += 1
        queue.put_nowait((data, component))

    def _media(self, protocol: StunProtocol, data: bytes, addr: tuple[str, int]) -> None:
        component = protocol.local_candidate.component
        pair = self._nominated.get(component)
        if pair is None:
            self.dropped[BEFORE_ICE] += 1
            return
        if pair.protocol is not protocol or not _same(addr, pair.remote_addr):
            self.dropped[STRANGER] += 1
            return
        self.enqueue(data, component)


class GuardedConnection(aioice.Connection):
    """aioice.Connection with a MediaPortGuard, to install once candidates are gathered. Every keyword
    argument but `max_queued` is aioice.Connection's (ice_controlling, stun_server, use_ipv6, ...)."""

    def __init__(self, *, max_queued: int = MAX_QUEUED, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = MediaPortGuard(self, max_queued)

    async def close(self) -> None:
        await super().close()
        # aioice keeps its check list (pair -> socket's protocol -> this connection) after closing:
        # let go of it, so that an ended call's connection is freed at once, not at a GC pass.
        self._check_list.clear()

    def data_received(self, data: bytes, component: int) -> None:
        # Only sockets the guard could not stand in front of get here (a TURN relay's, or data that
        # came while gathering was still under way): no data before ICE, and the queue's bound.
        if not self._nominated:
            self.guard.dropped[BEFORE_ICE] += 1
        else:
            self.guard.enqueue(data, component)


class _Doorway(asyncio.DatagramProtocol):
    """Stands in for aioice's protocol on its socket's transport and lets through what the guard allows."""

    def __init__(self, guard: MediaPortGuard, inner: StunProtocol) -> None:
        self._guard = guard
        self._inner = inner

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self._guard.arrived(self._inner, data, addr)

    def error_received(self, exc: Exception) -> None:
        self._inner.error_received(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self._inner.connection_lost(exc)  # aioice's close() waits for this


def _same(sender: tuple[str, int], selected: tuple[str, int]) -> bool:
    """Whether the sender is the selected pair's remote address (an IPv6 one may be written several ways)."""
    if sender == selected:
        return True
    try:
        return sender[1] == selected[1] and ipaddress.ip_address(sender[0]) == ipaddress.ip_address(selected[0])
    except ValueError:
        return False
