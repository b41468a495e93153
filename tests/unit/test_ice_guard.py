"""The ICE guard's rules on one aioice connection, without sockets: what a datagram from where,
when, gets; and the bound on what waits for the reader."""

from __future__ import annotations

import asyncio

import aioice
from aioice import stun
from aioice.candidate import Candidate
from aioice.ice import CandidatePair, StunProtocol

from gateway.rtc.ice_guard import MAX_QUEUED, MTU, GuardedConnection

PEER = ("192.0.2.7", 50_000)
RTP = b"\x80\x6f" + bytes(98)
DTLS = b"\x16\xfe\xfd" + bytes(40)


class _Transport(asyncio.DatagramTransport):
    def __init__(self) -> None:
        super().__init__()
        self._protocol: asyncio.BaseProtocol | None = None

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        assert self._protocol is not None
        return self._protocol

    def sendto(self, data: bytes, addr: object = None) -> None:  # type: ignore[override]
        pass


def _connection() -> tuple[GuardedConnection, StunProtocol, _Transport]:
    connection = GuardedConnection(ice_controlling=False)
    protocol = StunProtocol(connection)
    transport = _Transport()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    protocol.local_candidate = Candidate("1", 1, "udp", 1, "10.0.0.1", 4000, "host")
    connection._protocols.append(protocol)
    connection.guard.install()
    return connection, protocol, transport


def _nominate(connection: GuardedConnection, protocol: StunProtocol) -> None:
    remote = Candidate("2", 1, "udp", 1, PEER[0], PEER[1], "host")
    connection._nominated[1] = CandidatePair(protocol, remote)


async def test_before_ice_only_stun_gets_through_and_after_it_only_the_selected_pairs_data() -> None:
    connection, protocol, transport = _connection()
    doorway = transport.get_protocol()
    assert doorway is not protocol  # the guard stands in front of aioice's protocol
    assert isinstance(doorway, asyncio.DatagramProtocol)
    doorway.datagram_received(RTP, PEER)
    doorway.datagram_received(DTLS, PEER)
    assert connection.guard.dropped["before_ice"] == 2 and connection._queue.empty()
    _nominate(connection, protocol)
    doorway.datagram_received(RTP, PEER)
    doorway.datagram_received(DTLS, PEER)
    doorway.datagram_received(RTP, ("192.0.2.8", PEER[1]))  # another host
    doorway.datagram_received(RTP, (PEER[0], PEER[1] + 1))  # another port
    doorway.datagram_received(b"\x80" * (MTU + 1), PEER)
    doorway.datagram_received(b"\x00\x01junk", PEER)
    doorway.datagram_received(b"\x64" * 20, PEER)
    assert connection._queue.qsize() == 2
    dropped = connection.guard.dropped
    assert (dropped["stranger"], dropped["oversized"], dropped["bad_stun"], dropped["not_media"]) == (2, 1, 1, 1)


async def test_stun_from_anyone_still_reaches_ice() -> None:
    connection, _, transport = _connection()
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    seen: list[tuple[object, ...]] = []
    connection.request_received = lambda message, addr, protocol: seen.append((message, addr))  # type: ignore[method-assign]
    transport.get_protocol().datagram_received(bytes(request), ("198.51.100.1", 9))  # type: ignore[attr-defined]
    assert len(seen) == 1 and seen[0][1] == ("198.51.100.1", 9)


async def test_what_waits_for_the_reader_is_bounded_oldest_dropped_first() -> None:
    connection, protocol, transport = _connection()
    _nominate(connection, protocol)
    for i in range(MAX_QUEUED + 100):
        transport.get_protocol().datagram_received(RTP + i.to_bytes(4), PEER)  # type: ignore[attr-defined]
    assert connection._queue.qsize() == MAX_QUEUED and connection.guard.dropped["backlog"] == 100
    oldest, _ = connection._queue.get_nowait()  # type: ignore[misc]
    assert oldest.endswith((100).to_bytes(4))


async def test_data_from_sockets_the_guard_could_not_front_is_still_held_to_ice_and_the_bound() -> None:
    connection = GuardedConnection(ice_controlling=False)
    connection.data_received(RTP, 1)
    assert connection._queue.empty() and connection.guard.dropped["before_ice"] == 1
    connection._nominated[1] = object()  # type: ignore[assignment]
    for _ in range(MAX_QUEUED + 1):
        connection.data_received(RTP, 1)
    assert connection._queue.qsize() == MAX_QUEUED and connection.guard.dropped["backlog"] == 1


def test_extra_ice_options_pass_through_to_aioice() -> None:
    connection = GuardedConnection(ice_controlling=True, use_ipv6=False, local_username="abcd")
    assert isinstance(connection, aioice.Connection)
    assert connection.ice_controlling and connection.local_username == "abcd"
