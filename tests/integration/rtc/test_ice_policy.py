"""The ICE settings on both media stacks, on live connections over 127.0.0.1 only: where we gather,
what we advertise (NAT 1:1), how many of a caller's candidates we take, which we never probe,
end-of-candidates and trickle after ICE has connected."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from bench.load.opus_mic import OpusLoop, encode_opus
from caller.ice import gather_on
from gateway.link.aiortc.ice import gather_chosen
from gateway.link.aiortc.link import AiortcLink
from gateway.media.outbound import PlayoutTrack
from gateway.rtc.endpoint import AudioEndpoint
from gateway.rtc.ice_options import LOOPBACK, IceOptions
from gateway.rtc.ice_servers import IceServers
from gateway.rtc.sdp import SdpError
from tests.eventually import eventually
from tests.integration.rtc.rtc_helpers import one_packet_through

pytestmark = pytest.mark.timeout(60)

NAT = IceOptions(addresses=("127.0.0.1",), advertise="127.0.0.2", allow_loopback=True)


def _candidates(sdp: str) -> list[str]:
    """The address of each a=candidate line."""
    return [line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")]


def _with_candidates(sdp: str, lines: list[str], end: bool) -> str:
    """`sdp` with its candidates (and end-of-candidates) replaced by `lines`, after its first a=mid."""
    kept = [ln for ln in sdp.splitlines() if not ln.startswith(("a=candidate:", "a=end-of-candidates"))]
    at = next(i for i, ln in enumerate(kept) if ln.startswith("a=mid:")) + 1
    extra = [f"a=candidate:{c}" for c in lines] + (["a=end-of-candidates"] if end else [])
    return "\r\n".join(kept[:at] + extra + kept[at:]) + "\r\n"


def _host(address: str, port: int, n: int = 1) -> str:
    return f"{n} 1 udp 2130706431 {address} {port} typ host"


async def _lean_offer() -> str:
    caller = AudioEndpoint(offering=True, ice=LOOPBACK)
    try:
        return await caller.offer()
    finally:
        await caller.close()


class _AiortcGateway:
    """The aiortc stack's link, as the gateway makes it, with its states and refusals recorded."""

    def __init__(self, options: IceOptions) -> None:
        self.refused: list[str] = []
        self.states: list[str] = []
        self.connected = asyncio.Event()
        self.link = AiortcLink(IceServers(), PlayoutTrack(), self._ice, self._connection, options, self.refused.append)

    async def _ice(self, state: str) -> None:
        self.states.append(state)

    async def _connection(self, state: str) -> None:
        if state == "connected":
            self.connected.set()

    @property
    def pc(self) -> RTCPeerConnection:
        return self.link._pc

    def remote_candidates(self) -> list[str]:
        transport = self.pc.getTransceivers()[0].receiver.transport.transport
        return [c.ip for c in transport.getRemoteCandidates()]

    def bound(self) -> set[str]:
        transport = self.pc.getTransceivers()[0].receiver.transport.transport
        return {p.transport.get_extra_info("sockname")[0] for p in transport._connection._protocols}


@asynccontextmanager
async def _aiortc_caller(options: IceOptions = LOOPBACK) -> AsyncIterator[RTCPeerConnection]:
    """A stock aiortc caller (audio and the events data channel), gathered as `options` say."""
    pc = RTCPeerConnection()
    pc.addTrack(OpusLoop(encode_opus(np.zeros(9_600, dtype=np.int16))))
    pc.createDataChannel("events", negotiated=True, id=0)
    await gather_chosen(pc, options)
    await pc.setLocalDescription(await pc.createOffer())
    try:
        yield pc
    finally:
        await pc.close()


# --- where we gather, what we advertise ----------------------------------------------------------


async def test_lean_gathers_on_the_chosen_address_and_advertises_the_public_one() -> None:
    caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=NAT)
    try:
        answer = await gateway.answer(await caller.offer())
        # Bound on 127.0.0.1 only (not eth0, docker0...), written as 127.0.0.2 everywhere.
        assert {p.transport.get_extra_info("sockname")[0] for p in gateway._ice._protocols} == {"127.0.0.1"}
        assert _candidates(answer) and set(_candidates(answer)) == {"127.0.0.2"}
        assert "c=IN IP4 127.0.0.2" in answer and "127.0.0.1" not in answer
        # The rewrite changes what is written, not what pairs: the call still connects (the caller
        # learns our real address as peer-reflexive from our checks, as through a NAT 1:1).
        await one_packet_through(caller, gateway, answer)
    finally:
        await caller.close()
        await gateway.close()


async def test_aiortc_gathers_on_the_chosen_address_and_advertises_the_public_one() -> None:
    gateway = _AiortcGateway(NAT)
    try:
        async with _aiortc_caller() as caller:
            offer = caller.localDescription.sdp
            assert _candidates(offer) and set(_candidates(offer)) == {"127.0.0.1"}  # the caller's option too
            answer = await gateway.link.answer(offer)
            assert gateway.bound() == {"127.0.0.1"}
            assert _candidates(answer) and set(_candidates(answer)) == {"127.0.0.2"}
            assert re.search(r"^c=IN IP4 127\.0\.0\.2\r?$", answer, re.M) and "127.0.0.1" not in answer
            await caller.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            await asyncio.wait_for(gateway.connected.wait(), 15)
    finally:
        await gateway.link.close()


# --- how many candidates, and which ---------------------------------------------------------------


async def test_an_offer_with_1000_candidates_is_capped_on_both_stacks() -> None:
    # All on loopback (allowed here) so that the checks the aiortc stack starts stay on this machine.
    many = [_host(f"127.0.{i // 250}.{i % 250 + 2}", 40_000 + i, i) for i in range(1_000)]
    lean = AudioEndpoint(ice=LOOPBACK)
    try:
        await lean.answer(_with_candidates(await _lean_offer(), many, end=False))
        assert len(lean._ice.remote_candidates) == 100
        assert lean.candidates.refused == {"over_limit": 900}
    finally:
        await lean.close()
    gateway = _AiortcGateway(LOOPBACK)
    try:
        async with _aiortc_caller() as caller:
            await gateway.link.answer(_with_candidates(caller.localDescription.sdp, many, end=False))
            assert len(gateway.remote_candidates()) == 100
            assert gateway.refused == ["over_limit"] * 900
            # Trickled ones count against the same limit.
            await gateway.link.add_candidate(f"candidate:{_host('127.9.9.9', 9999)}", "0", 0)
            assert len(gateway.remote_candidates()) == 100 and gateway.refused[-1] == "over_limit"
    finally:
        await gateway.link.close()


async def test_an_offer_of_only_refused_candidates_is_refused_with_the_reasons() -> None:
    refused = [_host("169.254.169.254", 80), _host("fe80::1", 5000), _host("127.0.0.1", 5000), _host("a.local", 5000)]
    offer = _with_candidates(await _lean_offer(), refused, end=True)
    lean = AudioEndpoint()
    try:
        with pytest.raises(SdpError, match=r"no usable ICE candidate: 4 refused \(link_local 1, loopback 1, mdns 1"):
            await lean.answer(offer)
        assert lean._ice.remote_candidates == []
    finally:
        await lean.close()
    gateway = _AiortcGateway(IceOptions(addresses=("127.0.0.1",)))
    try:
        with pytest.raises(ValueError, match="no usable ICE candidate: 4 refused"):
            await gateway.link.answer(offer)
    finally:
        await gateway.link.close()


class _Listener(asyncio.DatagramProtocol):
    """A UDP socket where a refused candidate points: it must hear nothing."""

    def __init__(self) -> None:
        self.heard: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.heard.append(data)


async def _listener(address: str) -> tuple[asyncio.DatagramTransport, _Listener, int]:
    transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        _Listener, local_addr=(address, 0), family=socket.AF_INET
    )
    return transport, protocol, transport.get_extra_info("sockname")[1]


def _is_stun_binding_request(data: bytes) -> bool:
    return len(data) >= 20 and data[:2] == b"\x00\x01" and data[4:8] == b"\x21\x12\xa4\x42"


async def _probes(make: Callable[[IceOptions], Any]) -> None:
    """Two gateways given the same kind of candidate: one refusing loopback (the default), one
    allowing it. The allowing one's checks arrive; by then the refusing one's would have too."""
    refusing_t, refusing, refusing_port = await _listener("127.0.0.5")
    allowing_t, allowing, allowing_port = await _listener("127.0.0.6")
    offer = await _lean_offer()
    to_refusing = _with_candidates(offer, [_host("127.0.0.5", refusing_port)], end=False)
    to_allowing = _with_candidates(offer, [_host("127.0.0.6", allowing_port)], end=False)
    gateways = [
        await make(IceOptions(addresses=("127.0.0.1",))).open(to_refusing),
        await make(LOOPBACK).open(to_allowing),
    ]

    async def heard() -> int:
        return len(allowing.heard)

    try:
        assert await eventually(heard, lambda n: n >= 2, timeout=10) >= 2
        assert all(_is_stun_binding_request(d) for d in allowing.heard)
        assert refusing.heard == []
        assert gateways[0].refused == ["loopback"] and gateways[1].refused == []
    finally:
        for g in gateways:
            await g.close()
        refusing_t.close()
        allowing_t.close()


class _LeanProbe:
    def __init__(self, options: IceOptions) -> None:
        self.refused: list[str] = []
        self.endpoint = AudioEndpoint(ice=options, on_candidate_refused=self.refused.append)
        self._start: asyncio.Task[None] | None = None

    async def open(self, offer: str) -> _LeanProbe:
        await self.endpoint.answer(offer)
        self._start = asyncio.create_task(self.endpoint.start(timeout=20))  # checks go out until it fails
        return self

    async def close(self) -> None:
        await self.endpoint.close()
        if self._start is not None:
            self._start.cancel()
            await asyncio.gather(self._start, return_exceptions=True)


class _AiortcProbe:
    def __init__(self, options: IceOptions) -> None:
        self.gateway = _AiortcGateway(options)
        self.refused = self.gateway.refused

    async def open(self, offer: str) -> _AiortcProbe:
        await self.gateway.link.answer(offer)  # aiortc starts its checks once it has answered
        return self

    async def close(self) -> None:
        await self.gateway.link.close()


async def test_refused_loopback_candidates_get_no_stun_on_lean() -> None:
    await _probes(_LeanProbe)


async def test_refused_loopback_candidates_get_no_stun_on_aiortc() -> None:
    await _probes(_AiortcProbe)


# --- end-of-candidates, and trickle after ICE has connected ---------------------------------------


async def test_lean_end_of_candidates_and_trickle_after_connected() -> None:
    caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=LOOPBACK)
    try:
        offer = await caller.offer()
        trickling = _with_candidates(offer, _candidates_of(offer), end=False)  # candidates, no end yet
        await caller.accept(await gateway.answer(trickling))
        await gateway.add_candidate(None)  # {"candidate": null} on /ws
        # After the end, a candidate is ignored (aioice raised ValueError: the caller got an error).
        await gateway.add_candidate(f"candidate:{_host('127.0.0.7', 7000)}")
        await gateway.add_candidate(None)  # a second end: nothing
        assert gateway.candidates.refused == {"after_end": 1}
        assert "127.0.0.7" not in [c.host for c in gateway._ice.remote_candidates]
        await asyncio.wait_for(asyncio.gather(caller.start(), gateway.start()), 15)
        await gateway.add_candidate(f"candidate:{_host('127.0.0.8', 8000)}")
        assert gateway.candidates.refused == {"after_end": 1, "after_connected": 1}
        assert "127.0.0.8" not in [c.host for c in gateway._ice.remote_candidates]
    finally:
        await caller.close()
        await gateway.close()


async def test_aiortc_end_of_candidates_and_trickle_after_connected() -> None:
    gateway = _AiortcGateway(LOOPBACK)
    try:
        async with _aiortc_caller() as caller:
            offer = caller.localDescription.sdp
            answer = await gateway.link.answer(_with_candidates(offer, _candidates_of(offer), end=False))
            await gateway.link.add_candidate(None, "0", 0)
            await gateway.link.add_candidate(f"candidate:{_host('127.0.0.7', 7000)}", "0", 0)
            assert gateway.refused == ["after_end"] and "127.0.0.7" not in gateway.remote_candidates()
            await caller.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            await asyncio.wait_for(gateway.connected.wait(), 15)
            await gateway.link.add_candidate(f"candidate:{_host('127.0.0.8', 8000)}", "0", 0)
            assert gateway.refused == ["after_end", "after_connected"]
            assert "127.0.0.8" not in gateway.remote_candidates()
    finally:
        await gateway.link.close()


def _candidates_of(sdp: str) -> list[str]:
    """The a=candidate values of the first section."""
    values: list[str] = []
    for line in sdp.splitlines():
        if line.startswith("m=") and values:
            break
        if line.startswith("a=candidate:"):
            values.append(line.removeprefix("a=candidate:"))
    return values


async def test_the_callers_ice_address_option_gathers_there_only_and_asks_no_stun_server() -> None:
    pc = RTCPeerConnection()  # aiortc's default ICE servers: Google's public STUN server
    pc.addTransceiver("audio")
    pc.createDataChannel("events", negotiated=True, id=0)
    try:
        await gather_on(pc, ["127.0.0.1"])
        await pc.setLocalDescription(await pc.createOffer())
        gatherers = [pc.getTransceivers()[0].receiver.transport.transport.iceGatherer]
        gatherers.append(pc.sctp.transport.transport.iceGatherer)  # type: ignore[union-attr]
        # A loopback socket cannot reach a STUN server: it is not asked (nor its name looked up).
        assert all(g._connection.stun_server is None for g in gatherers)
        assert _candidates(pc.localDescription.sdp) and set(_candidates(pc.localDescription.sdp)) == {"127.0.0.1"}
    finally:
        await pc.close()
