"""One UDP port for every call's ICE and media (an ICE UDP mux, as Pion's UDPMux and LiveKit do).

Without it each call binds a socket on a random port, so a deployment must publish a port range.
With it the gateway binds VOICEPOD_RTC_UDP_PORT once per media address, and each call's ICE agent
gets a `MuxedTransport` per socket: a stand-in for a socket of its own, which sends through the
shared one and receives what the mux routes to it:

- a STUN binding request goes to the call whose local ICE ufrag opens its USERNAME
  ("ours:theirs"); the call's ICE agent then checks the password (MESSAGE-INTEGRITY);
- anything else (STUN responses, DTLS, SRTP/SRTCP) goes to the call that sent a binding request
  or a binding success response to its source address: the selected pair's remote address is one;
- the rest is dropped and counted by reason: no state is kept for a source no call has talked to,
  so what strangers send costs counters, not memory.

An address belongs to the first live call that talked to it (a caller cannot take another's
address by listing it as a candidate), and each call holds at most MAX_ADDRESSES_PER_CALL.
An ICE restart gives the call a new ufrag and a new transport with the same `owner`: the new
transport registers its ufrag, and takes over an address the call's previous transport held as
soon as it talks to it (the old one is closed once the new path is chosen).
The call's ICE guard (gateway/rtc/ice_guard.py) still stands in front of its transport: routing
says which call, the guard says whether that call takes the datagram now.

Once ICE has chosen the call's pair, the call gets a socket of its own on the same address and
port (SO_REUSEPORT), connected to the caller's address (`pin`): the kernel hands that socket what
the caller sends, and the call sends through it. Measured, every call's packets through the one
shared socket cost ~30 % more CPU per call (bench/capacity.py, docs/performance.md): all calls'
sends and receives contend on that socket. The shared socket keeps what a connected one does not
take (binding requests of new calls, a caller whose address changes). Because the shared socket
is bound with SO_REUSEPORT, the port is checked free with a plain bind first: a second process
cannot join it unnoticed.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import struct
from collections.abc import Callable, Sequence
from typing import Any, cast

import aioice
import structlog

log = structlog.get_logger("gateway.rtc.udp_mux")

# Every call's packets wait in one socket's buffer: the kernel's default (~200 kB) overflows at a few
# dozen calls' bursts. Asked for, not forced: Linux caps it at net.core.rmem_max.
SOCKET_BUFFER = 4 * 1024 * 1024
MAX_ADDRESSES_PER_CALL = 128  # remote candidates probed (VOICEPOD_ICE_MAX_CANDIDATES, 100) and a few learned ones
_COOKIE = b"\x21\x12\xa4\x42"  # STUN's magic cookie (RFC 5389)
_BINDING_REQUEST = b"\x00\x01"
_BINDING_SUCCESS = b"\x01\x01"
_USERNAME = 0x0006

# Why the mux dropped a datagram (the label values of voicepod_gateway_media_mux_dropped_total).
UNKNOWN_UFRAG = "unknown_ufrag"  # a binding request for no live call (or with no USERNAME)
UNKNOWN_ADDRESS = "unknown_address"  # not a binding request, from an address no call talked to
ADDRESS_LIMIT = "address_limit"  # a call already holds MAX_ADDRESSES_PER_CALL addresses: one more is not learned
REASONS = (UNKNOWN_UFRAG, UNKNOWN_ADDRESS, ADDRESS_LIMIT)

Address = tuple[str, int]


class MuxPortInUse(OSError):
    pass


def request_ufrag(data: bytes) -> str | None:
    """The recipient's ufrag in a STUN binding request's USERNAME ("recipient:sender"), or None when
    `data` is no binding request or has no USERNAME. Reads the attributes without decoding the rest."""
    if len(data) < 20 or data[:2] != _BINDING_REQUEST or data[4:8] != _COOKIE:
        return None
    end = min(len(data), 20 + struct.unpack_from("!H", data, 2)[0])
    offset = 20
    while offset + 4 <= end:
        kind, length = struct.unpack_from("!HH", data, offset)
        if kind == _USERNAME:
            value = data[offset + 4 : offset + 4 + length]
            ufrag, _, _ = value.partition(b":")
            try:
                return ufrag.decode("ascii")
            except UnicodeDecodeError:
                return None
        offset += 4 + length + (-length % 4)
    return None


class MuxSocket(asyncio.DatagramProtocol):
    """The shared socket on one local address: who gets each datagram that arrives on it."""

    def __init__(self, on_dropped: Callable[[str], None] | None = None) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.local: Address = ("", 0)
        self._by_ufrag: dict[str, MuxedTransport] = {}
        self._by_address: dict[Address, MuxedTransport] = {}
        self.pinned = 0  # calls with a connected socket of their own (see MuxedTransport.pin)
        self.received = 0  # datagrams that arrived on this shared socket
        self._on_dropped = on_dropped
        self.dropped = dict.fromkeys(REASONS, 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        host, port = transport.get_extra_info("sockname")[:2]
        self.local = (host, port)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.received += 1
        source = (addr[0], addr[1])
        if data[:2] == _BINDING_REQUEST:
            ufrag = request_ufrag(data)
            target = self._by_ufrag.get(ufrag) if ufrag is not None else None
            reason = UNKNOWN_UFRAG
        else:
            target = self._by_address.get(source)
            reason = UNKNOWN_ADDRESS
        if target is None:
            self._drop(reason)
            return
        target.deliver(data, source)

    @property
    def calls(self) -> int:
        return len(self._by_ufrag)

    @property
    def addresses(self) -> int:
        return len(self._by_address)

    def attach(self, ufrag: str, protocol: asyncio.DatagramProtocol, owner: object = None) -> MuxedTransport:
        """A transport for the call whose local ufrag is `ufrag`; `protocol` receives what is routed to it.
        `owner` names the call across ICE restarts (None: a call of its own)."""
        assert ufrag not in self._by_ufrag
        muxed = MuxedTransport(self, ufrag, protocol, owner)
        self._by_ufrag[ufrag] = muxed
        protocol.connection_made(muxed)
        return muxed

    def has_ufrag(self, ufrag: str) -> bool:
        return ufrag in self._by_ufrag

    def learn(self, muxed: MuxedTransport, addr: Address) -> None:
        """`muxed` talked to `addr`: what comes from there is its, unless another live call had it first."""
        holder = self._by_address.get(addr)
        if holder is not None and not holder.restarted_by(muxed):
            return  # this call's already, or another's: first come keeps it
        if holder is not None:  # the same call's transport before an ICE restart: the new one takes it
            holder.addresses.discard(addr)
        if len(muxed.addresses) >= MAX_ADDRESSES_PER_CALL:
            self._drop(ADDRESS_LIMIT)
            return
        self._by_address[addr] = muxed
        muxed.addresses.add(addr)

    def forget(self, muxed: MuxedTransport) -> None:
        if self._by_ufrag.get(muxed.ufrag) is muxed:
            del self._by_ufrag[muxed.ufrag]
        for addr in muxed.addresses:
            if self._by_address.get(addr) is muxed:
                del self._by_address[addr]
        muxed.addresses.clear()

    def _drop(self, reason: str) -> None:
        self.dropped[reason] += 1
        if self._on_dropped is not None:
            self._on_dropped(reason)


class MuxedTransport(asyncio.DatagramTransport):
    """One call's view of a shared socket: what aioice's StunProtocol takes for its own socket."""

    def __init__(self, mux: MuxSocket, ufrag: str, protocol: asyncio.BaseProtocol, owner: object = None) -> None:
        super().__init__()
        self._mux = mux
        self.ufrag = ufrag
        self._owner = owner
        self._protocol = protocol
        self.addresses: set[Address] = set()
        self._closed = False
        self._direct: asyncio.DatagramTransport | None = None  # connected to `_pinned` (see pin)
        self._pinned: Address | None = None

    def restarted_by(self, other: MuxedTransport) -> bool:
        """Whether `other` is this call's transport after an ICE restart (same owner, another ufrag)."""
        return other is not self and self._owner is not None and other._owner is self._owner

    def deliver(self, data: bytes, addr: Address) -> None:
        protocol = self._protocol
        if isinstance(protocol, asyncio.DatagramProtocol):  # not yet lost
            protocol.datagram_received(data, addr)

    async def pin(self, addr: Address) -> bool:
        """A socket of this call's own, on the mux's address and port, connected to `addr` (the
        selected pair's remote): what comes from `addr` arrives there and what goes to it leaves
        from there. False (the shared socket goes on carrying it) if the kernel refuses."""
        if self._closed or self._direct is not None or self._mux.transport is None:
            return False
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setblocking(False)
            sock.bind(self._mux.local)
            sock.connect(addr)
            transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(lambda: _Pinned(self), sock=sock)
        except OSError as e:
            sock.close()
            log.warning("udp_mux_pin_failed", error=str(e))
            return False
        if self._closed:  # the call ended meanwhile
            transport.close()
            return False
        self._direct, self._pinned = transport, (addr[0], addr[1])
        self._mux.pinned += 1
        return True

    def sendto(self, data: bytes | bytearray | memoryview, addr: Any = None) -> None:
        if self._closed or self._mux.transport is None:
            return
        if self._direct is not None and addr is not None and (addr[0], addr[1]) == self._pinned:
            self._direct.sendto(data)
            return
        head = bytes(data[:2])
        if head == _BINDING_REQUEST or head == _BINDING_SUCCESS:  # a check, or the answer to an authentic one
            self._mux.learn(self, (addr[0], addr[1]))
        self._mux.transport.sendto(data, addr)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "sockname":
            return self._mux.local
        return default

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol  # the ICE guard stands in front of aioice's protocol (ice_guard.py)

    def is_closing(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._mux.forget(self)
        if self._direct is not None:
            self._direct.close()
            self._direct = None
            self._mux.pinned -= 1
        # As a socket's transport does: connection_lost once the loop comes round (aioice's close waits for it).
        asyncio.get_running_loop().call_soon(self._lost)

    def _lost(self) -> None:
        protocol, self._protocol = self._protocol, _ENDED
        protocol.connection_lost(None)
        # The protocol holds this transport and this held the protocol: a cycle that would keep an
        # ended call's ICE connection until a full GC pass (asyncio's own transports let go too).

    def abort(self) -> None:
        self.close()


_ENDED = asyncio.BaseProtocol()  # a closed transport's protocol: it hands nothing on


class _Pinned(asyncio.DatagramProtocol):
    """A call's connected socket: the kernel gives it only its caller's datagrams."""

    def __init__(self, muxed: MuxedTransport) -> None:
        self._muxed = muxed

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self._muxed.deliver(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        pass  # e.g. ICMP port unreachable from a caller gone: consent freshness notices the silence


async def pin_selected(connection: aioice.Connection) -> bool:
    """After ICE has connected: give the call's selected pair a connected socket of its own when
    it runs on the mux (MuxedTransport.pin); False when it does not (a socket of its own already,
    a relay) or the pin failed."""
    pair = connection._nominated.get(1)
    transport = getattr(pair.protocol, "transport", None) if pair is not None else None
    if pair is None or not isinstance(transport, MuxedTransport):
        return False
    return await transport.pin(pair.remote_addr)


class UdpMux:
    """The gateway's shared media sockets: one per local address, all on the same port."""

    def __init__(self, sockets: Sequence[MuxSocket]) -> None:
        self.sockets = tuple(sockets)

    @classmethod
    async def open(cls, addresses: Sequence[str], port: int,
                   on_dropped: Callable[[str], None] | None = None) -> UdpMux:  # fmt: skip
        """Bind `port` on each of `addresses` (MuxPortInUse, saying which, if one is taken)."""
        if not addresses:
            raise ValueError("the UDP mux needs at least one local address")
        sockets: list[MuxSocket] = []
        try:
            for address in addresses:
                sockets.append(await _bind(address, port, on_dropped))
        except BaseException:
            for s in sockets:
                if s.transport is not None:
                    s.transport.close()
            raise
        return cls(sockets)

    @property
    def port(self) -> int:
        return self.sockets[0].local[1]

    def has_ufrag(self, ufrag: str) -> bool:
        return any(s.has_ufrag(ufrag) for s in self.sockets)

    def dropped(self) -> dict[str, int]:
        merged = dict.fromkeys(REASONS, 0)
        for s in self.sockets:
            for reason, n in s.dropped.items():
                merged[reason] += n
        return merged

    def close(self) -> None:
        for s in self.sockets:
            if s.transport is not None:
                s.transport.close()


def taken_port(addresses: Sequence[str], ports: Sequence[int]) -> str | None:
    """Why one of `ports` cannot be bound on one of `addresses` now (a check before starting the
    processes that will bind them), or None."""
    for address in addresses:
        for port in ports:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:
                    probe.bind((address, port))
                except OSError as e:
                    if e.errno == errno.EADDRINUSE:
                        return f"UDP port {port} on {address} is already in use (VOICEPOD_RTC_UDP_PORT + worker index)"
                    return f"cannot bind UDP {address}:{port} (VOICEPOD_RTC_UDP_PORT): {e.strerror}"
    return None


async def _bind(address: str, port: int, on_dropped: Callable[[str], None] | None) -> MuxSocket:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # held by anyone: refused
            probe.bind((address, port))
            port = probe.getsockname()[1]  # port 0: the one the kernel chose, free a moment ago
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # the calls' connected sockets join it
        sock.setblocking(False)
        sock.bind((address, port))
        _, mux = await loop.create_datagram_endpoint(lambda: MuxSocket(on_dropped), sock=sock)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise MuxPortInUse(e.errno, f"UDP port {port} on {address} is already in use: another process (or "
                               "gateway worker) holds it; choose another VOICEPOD_RTC_UDP_PORT") from None  # fmt: skip
        raise OSError(e.errno, f"cannot bind UDP {address}:{port} (VOICEPOD_RTC_UDP_PORT): {e.strerror}") from None
    return mux
