"""TURN on the default media stack against a real coturn on loopback (tests/coturn.py): a call
between an aiortc caller restricted to relay candidates and our endpoint, audio flowing through
the relay both ways; and a credential past its expiry refused by coturn, with the reason logged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from structlog.testing import capture_logs

from bench.load.opus_mic import OpusLoop, encode_opus
from gateway.rtc.endpoint import AudioEndpoint
from gateway.rtc.ice_gather import GatherError
from gateway.rtc.ice_options import IceOptions
from gateway.rtc.ice_servers import IceServers, TurnCredentials, TurnUrl
from gateway.rtc.sdp import SdpError
from gateway.rtc.turn_relay import TurnAllocation
from gateway.rtc.udp_mux import UdpMux
from tests.coturn import Coturn, coturn

pytestmark = pytest.mark.timeout(60)
ON_LOOPBACK = IceOptions(addresses=("127.0.0.1",), allow_loopback=True)


@pytest.fixture
def turn_server(tmp_path: Path) -> Iterator[Coturn]:
    with coturn(tmp_path) as server:
        yield server


def _servers(server: Coturn, ttl: int = 3600) -> IceServers:
    return IceServers((server.url,), TurnCredentials(secret=server.secret, ttl_seconds=ttl))


def _allocation(server: Coturn, now: float) -> TurnAllocation:
    username, password = _servers(server).turn_credentials.issue(now, "gateway")
    return TurnAllocation(TurnUrl.parse(server.url), username, password)


@asynccontextmanager
async def _relay_only_caller(server: Coturn, now: float) -> AsyncIterator[RTCPeerConnection]:
    """An aiortc caller that gathers a relay candidate only (iceTransportPolicy "relay"), with the
    credentials the page would get, sending a tone."""
    (ice,) = _servers(server).for_browser(now, "caller")
    config = RTCConfiguration(iceServers=[RTCIceServer(urls=ice["urls"], username=ice["username"],
                                                       credential=ice["credential"])],
                              iceTransportPolicy=RTCIceTransportPolicy.RELAY)  # fmt: skip
    pc = RTCPeerConnection(config)
    t = np.arange(48_000) / 48_000
    pc.addTrack(OpusLoop(encode_opus((np.sin(2 * np.pi * 300 * t) * 8_000).astype(np.int16))))
    await pc.setLocalDescription(await pc.createOffer())
    try:
        yield pc
    finally:
        await pc.close()


async def _call(pc: RTCPeerConnection, endpoint: AudioEndpoint) -> None:
    answer = await endpoint.answer(pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    await endpoint.start(timeout=10)
    for _ in range(25):  # half a second of the caller's audio, through the relay
        assert await asyncio.wait_for(endpoint.recv(), 5) is not None
    for _ in range(25):
        await endpoint.send(b"\xf8\xff\xfe")  # Opus silence, back through the relay
    async with asyncio.timeout(5):
        while endpoint.stats().remote_packets_lost is None:
            await asyncio.sleep(0.1)  # the caller's receiver report on our stream: it got them


def _selected_types(endpoint: AudioEndpoint) -> tuple[str, str]:
    pair = endpoint._ice._nominated[1]
    return pair.local_candidate.type, pair.remote_candidate.type


async def test_a_relay_only_caller_and_a_relay_only_gateway_talk_through_coturn(turn_server: Coturn) -> None:
    now = time.time()
    async with _relay_only_caller(turn_server, now) as pc:
        assert "typ relay" in pc.localDescription.sdp and "typ host" not in pc.localDescription.sdp
        endpoint = AudioEndpoint(ice=IceOptions(addresses=("127.0.0.1",), allow_loopback=True, relay_only=True),
                                 turn=_allocation(turn_server, now))  # fmt: skip
        try:
            await _call(pc, endpoint)
            answer_candidates = [c.type for c in endpoint._ice.local_candidates]
            assert answer_candidates == ["relay"]  # the gateway's own address is not disclosed
            assert _selected_types(endpoint) == ("relay", "relay")
        finally:
            await endpoint.close()


async def test_with_the_udp_mux_the_relay_goes_over_the_turn_clients_own_socket(turn_server: Coturn) -> None:
    now = time.time()
    mux = await UdpMux.open(["127.0.0.1"], 0)
    try:
        async with _relay_only_caller(turn_server, now) as pc:
            endpoint = AudioEndpoint(ice=ON_LOOPBACK, mux=mux, turn=_allocation(turn_server, now))
            try:
                await _call(pc, endpoint)
                types = sorted(c.type for c in endpoint._ice.local_candidates)
                assert types == ["host", "relay"]
                host = next(c for c in endpoint._ice.local_candidates if c.type == "host")
                assert host.port == mux.sockets[0].local[1]  # the host candidate is the mux's port
                # The caller has a relay only: our host candidate reaches it through its relay, or ours does.
                assert _selected_types(endpoint)[1] == "relay"
            finally:
                await endpoint.close()
    finally:
        mux.close()


async def test_an_expired_rest_credential_is_refused_by_coturn_and_the_reason_logged(turn_server: Coturn) -> None:
    expired = time.time() - 2 * 3600  # minted two hours ago with a one-hour life
    with capture_logs() as logs:
        endpoint = AudioEndpoint(ice=IceOptions(addresses=("127.0.0.1",), allow_loopback=True, relay_only=True),
                                 turn=_allocation(turn_server, expired))  # fmt: skip
        async with _relay_only_caller(turn_server, time.time()) as pc:
            with pytest.raises(GatherError, match="relay only, and the TURN server gave no relay"):
                await endpoint.answer(pc.localDescription.sdp)  # the call is refused: no candidate to offer
        await endpoint.close()
    refused = [e for e in logs if e["event"] == "turn_allocation_failed"]
    assert len(refused) == 1
    assert "401" in refused[0]["reason"] and refused[0]["username"].endswith(":gateway")


async def test_a_caller_with_an_expired_credential_gets_no_relay_and_its_offer_is_refused(turn_server: Coturn) -> None:
    # The caller's relay-only gathering finds nothing (coturn refuses it): an offer with no path.
    async with _relay_only_caller(turn_server, time.time() - 2 * 3600) as pc:
        assert "a=candidate" not in pc.localDescription.sdp
        endpoint = AudioEndpoint(ice=ON_LOOPBACK, turn=_allocation(turn_server, time.time()))
        try:
            with pytest.raises(SdpError, match="no ICE candidate given"):
                await endpoint.answer(pc.localDescription.sdp)
        finally:
            await endpoint.close()
