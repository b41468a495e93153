"""Hostile datagrams on a live call's media port (127.0.0.1 only): from the caller's own path and
from a stranger's socket that never did ICE. The call stays up, media keeps flowing both ways,
and every datagram dropped is counted by reason. Default (lean) stack; the aiortc stack for
the datagram that used to end its calls."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress

import pytest
from OpenSSL import SSL

from gateway.link.aiortc.link import AiortcLink
from gateway.media.outbound import PlayoutTrack
from gateway.rtc.certificate import certificate
from gateway.rtc.endpoint import AudioEndpoint
from gateway.rtc.ice_guard import MAX_QUEUED
from gateway.rtc.ice_options import LOOPBACK
from gateway.rtc.ice_servers import IceServers

pytestmark = pytest.mark.timeout(60)

RTP_HEADER = struct.Struct("!BBHII")


@pytest.fixture
def stranger() -> Iterator[socket.socket]:
    """A socket that never did ICE with anyone."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock
    finally:
        sock.close()


def _port(endpoint: AudioEndpoint) -> tuple[str, int]:
    candidate = endpoint._ice.local_candidates[0]
    assert candidate.host == "127.0.0.1"
    return candidate.host, candidate.port


def _rtp(size: int, payload_type: int = 111) -> bytes:
    return RTP_HEADER.pack(0x80, payload_type, 1, 960, 0x1234) + os.urandom(size - RTP_HEADER.size)


def _rtcp(size: int) -> bytes:
    return struct.pack("!BBHI", 0x80, 200, size // 4 - 1, 0x1234) + os.urandom(size - 8)


def _junk_dtls() -> list[bytes]:
    """Records of each content type, plausible headers and random bodies, epochs 0 and 1."""
    return [bytes([kind, 0xFE, 0xFD, 0, epoch]) + os.urandom(6) + struct.pack("!H", 64) + os.urandom(64)
            for kind in (20, 21, 22, 23) for epoch in (0, 1)]  # fmt: skip


def _foreign_flights() -> tuple[bytes, list[bytes]]:
    """A ClientHello from one stranger and the server flight another stranger answers it with."""

    def side() -> SSL.Connection:
        ctx = SSL.Context(SSL.DTLS_METHOD)
        cert = certificate()
        ctx.use_certificate(cert.cert)
        ctx.use_privatekey(cert.key)
        ctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
        return SSL.Connection(ctx, None)

    client, server = side(), side()
    client.set_connect_state()
    server.set_accept_state()
    with suppress(SSL.WantReadError):
        client.do_handshake()
    hello = client.bio_read(1500)
    server.bio_write(hello)
    with suppress(SSL.WantReadError):
        server.do_handshake()
    flight = []
    with suppress(SSL.WantReadError):
        while True:
            flight.append(server.bio_read(1500))
    return hello, flight


@asynccontextmanager
async def _call() -> AsyncIterator[tuple[AudioEndpoint, AudioEndpoint]]:
    caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=LOOPBACK)
    try:
        await caller.accept(await gateway.answer(await caller.offer()))
        yield caller, gateway
    finally:
        await caller.close()
        await gateway.close()


async def _connect(caller: AudioEndpoint, gateway: AudioEndpoint) -> None:
    await asyncio.wait_for(asyncio.gather(caller.start(), gateway.start()), 10)


async def _media_flows_both_ways(caller: AudioEndpoint, gateway: AudioEndpoint, label: str, n: int = 10) -> None:
    for i in range(n):
        await caller.send(b"%s up %d" % (label.encode(), i))
        await gateway.send(b"%s down %d" % (label.encode(), i))
    up = [await asyncio.wait_for(gateway.recv(), 5) for _ in range(n)]
    down = [await asyncio.wait_for(caller.recv(), 5) for _ in range(n)]
    assert [p.payload for p in up if p] == [b"%s up %d" % (label.encode(), i) for i in range(n)]
    assert [p.payload for p in down if p] == [b"%s down %d" % (label.encode(), i) for i in range(n)]


async def _until(condition: object, timeout: float = 5.0) -> None:
    """Wait for the event loop to have read what was sent to it (the guard counts as it reads)."""
    assert callable(condition)
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)  # datagrams have no completion signal to await


async def _from_stranger(sock: socket.socket, endpoint: AudioEndpoint, datagrams: list[bytes]) -> None:
    """Send, 100 at a time, each batch read (and dropped: a stranger gets nothing in) before the next,
    so that the kernel's socket buffer never overflows and every datagram is counted."""
    dropped, port = endpoint._ice.guard.dropped, _port(endpoint)
    for start in range(0, len(datagrams), 100):
        batch = datagrams[start : start + 100]
        expected = sum(dropped.values()) + len(batch)
        for datagram in batch:
            sock.sendto(datagram, port)
        await _until(lambda: sum(dropped.values()) >= expected)  # noqa: B023 (awaited in this turn)


async def test_hostile_datagrams_on_a_live_call_neither_end_it_nor_stop_its_media(stranger: socket.socket) -> None:
    async with _call() as (caller, gateway):
        await _connect(caller, gateway)
        await _media_flows_both_ways(caller, gateway, "before")
        # From the caller's own address (what a spoofer of it could send): each used to end the call
        # or never to be counted.
        for datagram in [_rtp(1600), _rtcp(1600), _rtp(1501), _rtp(200), _rtcp(200), *_junk_dtls(), b"\x64junk"]:
            await caller._ice.send(datagram)
        # From a stranger: a 1 KB burst of RTP-looking datagrams, DTLS records, oversized ones, an empty one.
        await _from_stranger(
            stranger, gateway, [_rtp(1024) for _ in range(1000)] + _junk_dtls() + [_rtp(1600), _rtcp(1600), b""]
        )
        await _media_flows_both_ways(caller, gateway, "after", 20)
        assert not gateway.closed and not gateway.peer_closed and not caller.peer_closed
        counts = gateway.dropped_by_reason()
        assert counts["stranger"] == 1000 + 8 and counts["oversized"] == 2 + 3
        assert counts["srtp"] == 2  # the caller-path junk RTP and RTCP: not authentic
        assert counts["not_media"] == 2  # the first byte no protocol uses; the empty datagram
        assert counts["before_ice"] == 0 and counts["error"] == 0
        assert gateway.stats().dropped_by_reason == counts


async def test_a_strangers_dtls_flights_before_ice_completes_do_not_break_the_handshake(
    stranger: socket.socket,
) -> None:
    hello, server_flight = _foreign_flights()
    async with _call() as (caller, gateway):
        # Before ICE: the gateway (our DTLS client) gets a stranger's server flight; the caller
        # (DTLS server here) a stranger's ClientHello. Both used to reach OpenSSL first.
        for datagram in server_flight:
            stranger.sendto(datagram, _port(gateway))
        stranger.sendto(hello, _port(caller))
        guards = gateway._ice.guard.dropped, caller._ice.guard.dropped
        await _until(lambda: guards[0]["before_ice"] == len(server_flight) and guards[1]["before_ice"] == 1)
        await _connect(caller, gateway)
        await _media_flows_both_ways(caller, gateway, "call")


async def test_a_flood_before_ice_is_dropped_and_counted_never_queued(stranger: socket.socket) -> None:
    async with _call() as (caller, gateway):
        await _from_stranger(stranger, gateway, [_rtp(1024)] * 50_000)
        assert gateway._ice._queue.qsize() == 0
        await _connect(caller, gateway)
        await _media_flows_both_ways(caller, gateway, "call")
        dropped = gateway._ice.guard.dropped
        assert dropped["before_ice"] == 50_000 and sum(dropped.values()) == 50_000


async def test_a_reader_that_falls_behind_loses_the_oldest_datagrams_not_memory() -> None:
    async with _call() as (caller, gateway):
        await _connect(caller, gateway)
        gateway._tasks[0].cancel()  # the receive loop stops reading: a stalled event loop's view
        for _ in range(MAX_QUEUED + 100):
            await caller._ice.send(_rtp(100))
        queue, dropped = gateway._ice._queue, gateway._ice.guard.dropped
        await _until(lambda: dropped["backlog"] == 100)
        assert queue.qsize() == MAX_QUEUED


async def test_a_call_on_the_aiortc_stack_outlives_a_datagram_over_the_mtu() -> None:
    async def ignore(_state: str) -> None:
        pass

    link = AiortcLink(IceServers(), PlayoutTrack(), ignore, ignore, ice_options=LOOPBACK)
    caller = AudioEndpoint(offering=True, ice=LOOPBACK)

    async def caller_sends(packets: int, then_received: int) -> None:
        for _ in range(packets):
            await caller.send(_opus_silence())
        async with asyncio.timeout(5):
            while (await link.stats()).packets_received < then_received:
                await asyncio.sleep(0.02)  # aiortc's receiver counts as it reads

    try:
        await caller.accept(await link.answer(await caller.offer()))
        await asyncio.wait_for(caller.start(), 10)
        await caller_sends(25, then_received=25)
        # aiortc's DTLS transport died of pylibsrtp's ValueError on either one of these.
        await caller._ice.send(_rtp(1600))
        await caller._ice.send(_rtcp(1600))
        await caller_sends(25, then_received=50)
        for _ in range(5):  # the gateway's playout still reaches the caller
            assert await asyncio.wait_for(caller.recv(), 5) is not None
        assert link._pc.getTransceivers()[0].receiver.transport.state == "connected"
        assert (await link.stats()).media_dropped["oversized"] == 2
    finally:
        await caller.close()
        await link.close()


def _opus_silence() -> bytes:
    return b"\xf8\xff\xfe"  # a 20 ms Opus packet of silence (TOC 0xf8: CELT FB 20 ms)


async def test_a_packet_that_cannot_be_sent_is_counted_and_the_next_ones_go() -> None:
    async with _call() as (caller, gateway):
        await _connect(caller, gateway)
        await gateway.send(b"x" * 1490)  # too big for SRTP: pylibsrtp's ValueError used to end the sender
        assert gateway.send_errors == 1 and gateway.stats().send_errors == 1
        await _media_flows_both_ways(caller, gateway, "after")
        assert gateway.packets_out == 10
