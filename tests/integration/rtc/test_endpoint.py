"""Our own WebRTC audio endpoint against a stock aiortc peer (the offerer, as a browser would be):
ICE, DTLS-SRTP and RTP both ways, with the Opus packets passing through untouched."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bench.load.opus_mic import OpusLoop, encode_opus
from caller.ice import gather_on
from caller.impair import ImpairedPath, Impairment
from gateway.rtc.certificate import certificate
from gateway.rtc.dtls import DtlsError
from gateway.rtc.endpoint import AudioEndpoint, EndpointClosed
from gateway.rtc.ice_options import LOOPBACK
from gateway.rtc.sdp import SdpError

pytestmark = pytest.mark.timeout(60)


def _tone_packets(seconds: float = 2.0) -> list[bytes]:
    t = np.arange(int(48_000 * seconds)) / 48_000
    return encode_opus((np.sin(2 * np.pi * 300 * t) * 8_000).astype(np.int16))


@asynccontextmanager
async def _peer(packets: list[bytes]) -> AsyncIterator[tuple[RTCPeerConnection, list[av.AudioFrame]]]:
    """An aiortc caller sending `packets` (pre-encoded, looping) and collecting what it hears."""
    pc = RTCPeerConnection()
    pc.addTrack(OpusLoop(packets))
    heard: list[av.AudioFrame] = []
    readers: list[asyncio.Task[None]] = []

    async def listen(track: MediaStreamTrack) -> None:
        try:
            while True:
                heard.append(cast(av.AudioFrame, await track.recv()))  # an audio track: typed Frame | Packet
        except MediaStreamError:
            return

    pc.on("track", lambda track: readers.append(asyncio.create_task(listen(track))))
    await gather_on(pc, ["127.0.0.1"])  # media on loopback only
    await pc.setLocalDescription(await pc.createOffer())
    try:
        yield pc, heard
    finally:
        await pc.close()
        for r in readers:
            r.cancel()


async def test_opus_packets_pass_through_both_ways_untouched() -> None:
    packets = _tone_packets()
    async with _peer(packets) as (pc, heard):
        endpoint = AudioEndpoint(ice=LOOPBACK)
        answer = await endpoint.answer(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(endpoint.start(), 10)
        received = []
        for _ in range(150):  # 3 s: long enough for RTCP reports (about one a second) both ways
            packet = await asyncio.wait_for(endpoint.recv(), 5)
            assert packet is not None  # nothing is lost on loopback
            received.append(packet)
            await endpoint.send(packet.payload)  # straight back, never decoded
        # What the caller's encoder produced arrives byte for byte, in order.
        first = packets.index(received[0].payload)
        assert [p.payload for p in received] == [packets[(first + i) % len(packets)] for i in range(150)]
        assert [(b.sequence - a.sequence) & 0xFFFF for a, b in itertools.pairwise(received)] == [1] * 149
        assert len({p.ssrc for p in received}) == 1
        async with asyncio.timeout(5):
            while len(heard) < 40:  # aiortc's jitter buffer holds a few back
                await asyncio.sleep(0.05)
        # The caller decodes our packets into the tone it sent (48 kHz audio, not silence).
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in heard[10:40]]).astype(np.float64)
        assert np.sqrt(np.mean(pcm**2)) > 2_000
        assert endpoint.packets_in == 150 and endpoint.packets_out == 150
        assert sum(endpoint.dropped.values()) == 0
        # RTCP both ways: our view of the peer's stream, and the peer's reports on ours (with the RTT
        # from its echo of our sender reports); aiortc, in turn, has our receiver reports.
        stats = endpoint.stats()
        assert stats.packets_received == 150 and stats.packets_lost == 0 and stats.packets_concealed == 0
        assert stats.jitter_seconds < 0.02
        assert stats.round_trip_seconds is not None and 0 <= stats.round_trip_seconds < 0.1
        assert stats.remote_packets_lost == 0 and stats.remote_jitter_seconds is not None
        assert stats.remote_fraction_lost == 0.0
        assert stats.bytes_received == sum(len(p.payload) for p in received) == stats.bytes_sent
        theirs = await pc.getSenders()[0].getStats()
        remote = [s for s in theirs.values() if s.type == "remote-inbound-rtp"]
        assert remote and remote[0].packetsLost == 0
        await endpoint.close()
        with pytest.raises(EndpointClosed):
            await endpoint.recv()


async def test_a_callers_data_channel_is_refused_and_its_audio_still_flows() -> None:
    # What the demo page and caller/ offer: audio plus the events data channel (mid 1), which an
    # endpoint without SCTP (no `on_data`) refuses; the caller's audio transport connects regardless.
    # (The lean link runs SCTP and takes it: tests/integration/rtc/test_lean_data_channel.py.)
    pc = RTCPeerConnection()
    pc.addTrack(OpusLoop(_tone_packets(0.5)))
    pc.createDataChannel("events", negotiated=True, id=0)
    await gather_on(pc, ["127.0.0.1"])  # media on loopback only
    await pc.setLocalDescription(await pc.createOffer())
    endpoint = AudioEndpoint(ice=LOOPBACK)
    try:
        answer = await endpoint.answer(pc.localDescription.sdp)
        assert "m=application 0 " in answer
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(endpoint.start(), 10)
        assert all([await asyncio.wait_for(endpoint.recv(), 5) for _ in range(10)])
        assert pc.getTransceivers()[0].sender.transport.state == "connected"
        # Trickled candidates are ours only if they are for the audio section.
        assert endpoint.carries("0", 0) and endpoint.carries(None, 0) and endpoint.carries(None, None)
        assert not endpoint.carries("1", 1) and not endpoint.carries(None, 1) and not endpoint.carries(None, 7)
    finally:
        await endpoint.close()
        await pc.close()


async def test_a_peer_closing_its_connection_ends_our_media_at_once() -> None:
    async with _peer(_tone_packets(0.5)) as (pc, _):
        endpoint = AudioEndpoint(ice=LOOPBACK)
        answer = await endpoint.answer(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(endpoint.start(), 10)
        assert await asyncio.wait_for(endpoint.recv(), 5) is not None
        await pc.close()  # aiortc sends DTLS close_notify
        with pytest.raises(EndpointClosed):
            async with asyncio.timeout(2):  # not ICE consent's ~30 s
                while True:
                    await endpoint.recv()
        assert endpoint.peer_closed
        await endpoint.close()


async def test_a_peer_whose_certificate_is_not_the_offered_one_is_refused() -> None:
    async with _peer(_tone_packets(0.5)) as (pc, _):
        offer = pc.localDescription.sdp
        wrong = certificate().fingerprint  # ours, not the caller's
        lines = [f"a=fingerprint:sha-256 {wrong}" if ln.startswith("a=fingerprint:sha-256") else ln
                 for ln in offer.splitlines()]  # fmt: skip
        endpoint = AudioEndpoint(ice=LOOPBACK)
        answer = await endpoint.answer("\r\n".join(lines) + "\r\n")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        with pytest.raises(DtlsError, match="not the one its offer named"):
            await asyncio.wait_for(endpoint.start(), 10)
        await endpoint.close()


async def test_network_loss_reaches_the_consumer_as_that_loss_and_no_more() -> None:
    """The impairment finding's counterpart: through a relay that drops 5 % of the caller's media and
    delays the rest by 0-40 ms (reordering it), every packet that arrives is delivered in order, and
    each lost one is handed on as one None (aiortc's receive path turned 5 % into ~26 %)."""
    path = ImpairedPath(Impairment(loss=0.05, jitter_seconds=0.020, seed=11))
    async with _peer(_tone_packets()) as (pc, _):
        endpoint = AudioEndpoint(ice=LOOPBACK)
        offer = await path.rewrite_offer(pc.localDescription.sdp)
        answer = path.rewrite_answer(await endpoint.answer(offer))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(endpoint.start(), 10)
        slots: list[int | None] = []
        while len(slots) < 500:  # 10 s of 20 ms slots
            packet = await asyncio.wait_for(endpoint.recv(), 5)
            slots.append(None if packet is None else packet.sequence)
        stats = endpoint.stats()
        await endpoint.close()
    path.close()
    delivered = [s for s in slots if s is not None]
    assert delivered == sorted(delivered, key=lambda s: (s - delivered[0]) & 0xFFFF)  # in order
    concealed = slots.count(None)
    span = ((delivered[-1] - delivered[0]) & 0xFFFF) + 1
    assert len(delivered) + concealed == span  # one slot per 20 ms: the timeline is whole
    # RTP and RTCP were dropped alike; the lost share of the stream is the network's, not amplified.
    assert path.dropped >= 10
    assert abs(concealed / span - path.dropped / path.media_packets) < 0.03, (concealed, span, path.describe())
    assert stats.packets_concealed == concealed and stats.jitter_seconds > 0.002


async def test_we_take_the_dtls_server_role_when_the_offer_asks_us_to_accept() -> None:
    packets = _tone_packets(1.0)
    async with _peer(packets) as (pc, _):
        # An offerer that insists on connecting (a=setup:active): we answer passive and accept.
        offer = pc.localDescription.sdp.replace("a=setup:actpass", "a=setup:active")
        endpoint = AudioEndpoint(ice=LOOPBACK)
        answer = await endpoint.answer(offer)
        assert "a=setup:passive" in answer
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(endpoint.start(), 10)
        packet = await asyncio.wait_for(endpoint.recv(), 5)
        assert packet is not None and packet.payload in packets
        await endpoint.close()


async def test_a_peer_that_never_connects_is_a_clear_error_not_a_hang() -> None:
    async with _peer(_tone_packets(0.5)) as (pc, _):
        endpoint = AudioEndpoint(ice=LOOPBACK)
        await endpoint.answer(pc.localDescription.sdp)  # the answer never reaches the peer
        with pytest.raises(ConnectionError, match="ICE did not connect within 2 s"):
            await endpoint.start(timeout=2)
        await endpoint.close()


@pytest.mark.parametrize("candidate", ["garbage", "1 1 udp notanumber 10.0.0.1 5000 typ host", ""])
async def test_a_malformed_candidate_is_an_sdp_error(candidate: str) -> None:
    async with _peer(_tone_packets(0.5)) as (pc, _):
        endpoint = AudioEndpoint(ice=LOOPBACK)
        await endpoint.answer(pc.localDescription.sdp)
        with pytest.raises(SdpError, match="malformed ICE candidate"):
            await endpoint.add_candidate(candidate)
        await endpoint.close()


async def test_our_offer_is_answered_by_aiortc_and_media_flows_both_ways() -> None:
    """The load callers' side: our endpoint offers, a stock aiortc peer (as the gateway is) answers."""
    packets = _tone_packets(1.0)
    pc = RTCPeerConnection()
    heard: list[av.AudioFrame] = []

    async def listen(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                heard.append(cast(av.AudioFrame, await track.recv()))  # an audio track: typed Frame | Packet

    readers: list[asyncio.Task[None]] = []
    pc.on("track", lambda track: readers.append(asyncio.create_task(listen(track))))
    caller = AudioEndpoint(offering=True, ice=LOOPBACK)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=await caller.offer(), type="offer"))
        pc.addTrack(OpusLoop(packets))
        await gather_on(pc, ["127.0.0.1"])  # media on loopback only
        await pc.setLocalDescription(await pc.createAnswer())
        await caller.accept(pc.localDescription.sdp)
        await asyncio.wait_for(caller.start(), 10)
        for _ in range(50):
            packet = await asyncio.wait_for(caller.recv(), 5)
            assert packet is not None and packet.payload in packets
            await caller.send(packet.payload)
        async with asyncio.timeout(5):
            while len(heard) < 40:
                await asyncio.sleep(0.05)
    finally:
        await caller.close()
        await pc.close()
        for r in readers:
            r.cancel()


async def test_two_of_our_endpoints_talk_to_each_other() -> None:
    caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=LOOPBACK)
    await caller.accept(await gateway.answer(await caller.offer()))
    await asyncio.wait_for(asyncio.gather(caller.start(), gateway.start()), 10)
    for i in range(20):
        await caller.send(b"caller %d" % i)
        await gateway.send(b"gateway %d" % i)
    to_gateway = [await asyncio.wait_for(gateway.recv(), 5) for _ in range(20)]
    to_caller = [await asyncio.wait_for(caller.recv(), 5) for _ in range(20)]
    assert [p.payload for p in to_gateway if p] == [b"caller %d" % i for i in range(20)]
    assert [p.payload for p in to_caller if p] == [b"gateway %d" % i for i in range(20)]
    await caller.close()
    await gateway.close()


async def test_closing_says_close_notify_so_the_peer_ends_its_media_at_once() -> None:
    caller, gateway = AudioEndpoint(offering=True, ice=LOOPBACK), AudioEndpoint(ice=LOOPBACK)
    await caller.accept(await gateway.answer(await caller.offer()))
    await asyncio.wait_for(asyncio.gather(caller.start(), gateway.start()), 10)
    await gateway.close()
    with pytest.raises(EndpointClosed):
        async with asyncio.timeout(2):  # not ICE consent's ~30 s
            while True:
                await caller.recv()
    assert caller.peer_closed
    await caller.close()
