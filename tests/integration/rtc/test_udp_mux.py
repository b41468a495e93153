"""Many calls through one UDP port (gateway/rtc/udp_mux.py): our endpoint answering on a shared
socket, lean callers offering from sockets of their own, everything on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import numpy as np
import pytest
from aioice import stun
from aioice.utils import random_transaction_id

from bench.load.opus_mic import encode_opus
from gateway.rtc.endpoint import AudioEndpoint
from gateway.rtc.ice_options import LOOPBACK, IceOptions
from gateway.rtc.udp_mux import UNKNOWN_ADDRESS, UNKNOWN_UFRAG, MuxPortInUse, UdpMux, request_ufrag
from tests.integration.rtc.rtc_helpers import loopback_mux, one_packet_through

pytestmark = pytest.mark.timeout(120)
PACKETS = 10  # each way, per call


def _tone(hz: float) -> list[bytes]:
    """A caller's own tone: its Opus packets are its alone, so any packet says whose it is."""
    t = np.arange(48_000 * PACKETS // 50) / 48_000
    return encode_opus((np.sin(2 * np.pi * hz * t) * 8_000).astype(np.int16))[:PACKETS]


@asynccontextmanager
async def _calls(mux: UdpMux, n: int) -> AsyncIterator[list[tuple[AudioEndpoint, AudioEndpoint]]]:
    """`n` connected (caller, gateway side) pairs, every gateway side on `mux`."""
    pairs = [(AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=LOOPBACK, mux=mux)) for _ in range(n)]
    try:

        async def connect(caller: AudioEndpoint, answerer: AudioEndpoint) -> None:
            await caller.accept(await answerer.answer(await caller.offer()))
            await asyncio.gather(caller.start(30), answerer.start(30))

        await asyncio.gather(*(connect(c, a) for c, a in pairs))
        yield pairs
    finally:
        await asyncio.gather(*(e.close() for pair in pairs for e in pair))


async def _exchange(pairs: list[tuple[AudioEndpoint, AudioEndpoint]], tones: list[list[bytes]]) -> None:
    """Each caller sends its tone, its gateway side sends the tone back: every packet arrives at
    the right call, in both directions."""

    async def one(i: int, caller: AudioEndpoint, answerer: AudioEndpoint) -> None:
        for payload in tones[i]:
            await caller.send(payload)
            await asyncio.sleep(0.02)  # paced as a caller's audio is, 20 ms a packet
        heard = [await asyncio.wait_for(answerer.recv(), 10) for _ in range(PACKETS)]
        assert [p.payload if p else None for p in heard] == tones[i], f"call {i} heard someone else"
        for p in heard:
            assert p is not None
            await answerer.send(p.payload)
            await asyncio.sleep(0.02)
        back = [await asyncio.wait_for(caller.recv(), 10) for _ in range(PACKETS)]
        assert [p.payload if p else None for p in back] == tones[i], f"caller {i} heard someone else"

    await asyncio.gather(*(one(i, c, a) for i, (c, a) in enumerate(pairs)))


async def _through_one_port(n: int) -> None:
    tones = [_tone(200 + 25 * i) for i in range(n)]
    assert len({p for tone in tones for p in tone}) == n * PACKETS  # no two calls share a packet
    async with loopback_mux() as mux, _calls(mux, n) as pairs:
        for _, answerer in pairs:  # every call's one candidate is the mux's port
            transport = await answerer._local_transport()
            assert transport.port == mux.port and len(transport.candidates) == 1
        assert len({a._ice.local_username for _, a in pairs}) == n
        shared = mux.sockets[0]
        assert shared.pinned == n  # each connected call has a socket of its own on the port
        before = shared.received
        await _exchange(pairs, tones)
        # The media came through the calls' connected sockets, not the shared one (a stray
        # consent check may still arrive there just as a call's socket is being connected).
        assert shared.received - before <= n
        assert shared.calls == n
        assert sum(mux.dropped().values()) == 0
    # Ended calls leave nothing behind in the mux's tables, and their sockets are closed.
    assert mux.sockets[0].calls == 0 and mux.sockets[0].addresses == 0 and mux.sockets[0].pinned == 0


async def test_sixty_four_calls_through_one_port_each_hear_their_own_caller() -> None:
    await _through_one_port(64)  # ~1.5 s on 2 cores: in the default suite


async def test_a_port_in_use_is_refused_with_a_clear_error() -> None:
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        clear = f"UDP port {port} on 127.0.0.1 is already in use.*VOICEPOD_RTC_UDP_PORT"
        with pytest.raises(MuxPortInUse, match=clear):
            await UdpMux.open(["127.0.0.1"], port)
    finally:
        taken.close()


async def test_strangers_are_dropped_and_counted_and_the_calls_go_on() -> None:
    tones = [_tone(300), _tone(500)]
    async with loopback_mux() as mux, _calls(mux, 2) as pairs:
        loop = asyncio.get_running_loop()
        stranger, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
        try:
            target = ("127.0.0.1", mux.port)
            known = pairs[0][1]._ice.local_username
            for i in range(200):  # a binding request for no live call, each from the same stranger
                request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST, random_transaction_id())
                request.attributes["USERNAME"] = f"zz{i:03d}:them"
                stranger.sendto(bytes(request), target)
            # One with a live call's ufrag but no password: routed to that call, whose ICE refuses it.
            forged = stun.Message(stun.Method.BINDING, stun.Class.REQUEST, random_transaction_id())
            forged.attributes["USERNAME"] = f"{known}:them"
            stranger.sendto(bytes(forged), target)
            for _ in range(200):  # DTLS- and RTP-looking datagrams from an address no call talked to
                stranger.sendto(b"\x16\xfe\xfd" + os.urandom(60), target)
                stranger.sendto(b"\x80\x6f" + os.urandom(100), target)
            stranger.sendto(b"\x01\x01" + os.urandom(40), target)  # a "response" nobody asked for
            async with asyncio.timeout(5):
                while mux.dropped()[UNKNOWN_ADDRESS] < 401:
                    await asyncio.sleep(0.01)
            assert mux.dropped()[UNKNOWN_UFRAG] == 200
            # No state for the stranger: the tables hold the two calls' ufrags and their callers' addresses.
            assert mux.sockets[0].calls == 2 and mux.sockets[0].addresses == 2
            await _exchange(pairs, tones)
            assert all(sum(a.dropped.values()) == 0 for _, a in pairs)
        finally:
            stranger.close()


async def test_callers_are_told_the_advertised_address_with_the_muxs_port() -> None:
    # VOICEPOD_ICE_ADVERTISE (NAT 1:1) on the one port: written into the answer, the call connects
    # through the mux all the same (the caller learns our real address as peer-reflexive).
    nat = IceOptions(addresses=("127.0.0.1",), advertise="127.0.0.2", allow_loopback=True)
    async with loopback_mux() as mux:
        caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=nat, mux=mux)
        try:
            answer = await gateway.answer(await caller.offer())
            candidates = [line.split() for line in answer.splitlines() if line.startswith("a=candidate:")]
            assert [(c[4], int(c[5])) for c in candidates] == [("127.0.0.2", mux.port)]
            await one_packet_through(caller, gateway, answer)
        finally:
            await caller.close()
            await gateway.close()


def test_the_ufrag_is_read_from_a_binding_requests_username_only() -> None:
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST, random_transaction_id())
    request.attributes["PRIORITY"] = 1234
    request.attributes["USERNAME"] = "abcd:wxyz"
    assert request_ufrag(bytes(request)) == "abcd"
    response = stun.Message(stun.Method.BINDING, stun.Class.RESPONSE, random_transaction_id())
    assert request_ufrag(bytes(response)) is None
    no_name = stun.Message(stun.Method.BINDING, stun.Class.REQUEST, random_transaction_id())
    assert request_ufrag(bytes(no_name)) is None
    truncated = b"\x00\x01\xff\xff" + b"\x21\x12\xa4\x42" + b"\x00" * 12 + b"\x00\x06\xff"
    assert request_ufrag(truncated) is None


async def test_a_second_process_cannot_join_the_port_though_the_calls_sockets_share_it() -> None:
    # The shared socket is bound with SO_REUSEPORT (the calls' connected sockets join it): another
    # socket asking to share it the same way is still refused, by the plain bind checked first.
    async with loopback_mux() as mux:
        with pytest.raises(MuxPortInUse):
            await UdpMux.open(["127.0.0.1"], mux.port)
