"""A stock aiortc caller that offers a data channel, on the lean stack (our endpoint and link),
over 127.0.0.1 only: the whole connection connects (it stalled in ICE "checking" when the data
channel section was refused), audio flows both ways, and the call's events arrive on the
caller's `events` channel (in-band as Pipecat-style clients open it, or negotiated as the page
does), none on the socket. A caller without a data channel still gets them on the socket."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import struct
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bench.load.opus_mic import OpusLoop, encode_opus
from caller.ice import gather_on
from gateway.call_event_types import AgentText, CallStarted, SpeechStarted, TurnEnded
from gateway.call_events import SocketEvents
from gateway.link import lean_sctp
from gateway.link.lean_link import LeanLink
from gateway.media.outbound import PlayoutTrack, Utterance
from gateway.rtc.ice_options import LOOPBACK
from gateway.rtc.ice_servers import IceServers
from tests.eventually import eventually

pytestmark = pytest.mark.timeout(60)
TONE = (np.sin(2 * np.pi * 300 * np.arange(48_000) / 48_000) * 8_000).astype(np.int16)  # 1 s


@dataclass
class Caller:
    pc: RTCPeerConnection
    channel: RTCDataChannel | None
    events: list[dict[str, Any]] = field(default_factory=list)
    heard: list[av.AudioFrame] = field(default_factory=list)
    channel_open: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Gateway:
    link: LeanLink
    posted: list[dict[str, Any]]
    states: list[str]
    playout: PlayoutTrack


@asynccontextmanager
async def _call(channel: str | None) -> AsyncIterator[tuple[Caller, Gateway]]:
    """An aiortc caller (audio, and a data channel: "in-band", "negotiated" or None) connected
    to a lean link the way the gateway makes one."""
    pc = RTCPeerConnection()  # aiortc's defaults: bundle policy "balanced", each section its own transport
    pc.addTrack(OpusLoop(encode_opus(TONE)))
    dc = None
    if channel == "in-band":
        dc = pc.createDataChannel("events")
    elif channel == "negotiated":
        dc = pc.createDataChannel("events", negotiated=True, id=0)
    caller = Caller(pc, dc)
    if dc is not None:
        dc.on("message", lambda m: caller.events.append(json.loads(m)))
        dc.on("open", caller.channel_open.set)
    readers: list[asyncio.Task[None]] = []

    async def listen(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                caller.heard.append(frame)

    pc.on("track", lambda track: readers.append(asyncio.create_task(listen(track))))
    posted: list[dict[str, Any]] = []
    states: list[str] = []

    async def state(s: str) -> None:
        states.append(s)

    playout = PlayoutTrack()
    link = LeanLink(IceServers(), 10.0, playout, SocketEvents(posted.append), state, state, LOOPBACK)
    gateway = Gateway(link, posted, states, playout)
    try:
        await gather_on(pc, ["127.0.0.1"])
        await pc.setLocalDescription(await pc.createOffer())
        answer = await link.answer(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        yield caller, gateway
    finally:
        await link.close()
        await pc.close()
        for r in readers:
            r.cancel()


async def _connected(pc: RTCPeerConnection) -> None:
    done = asyncio.Event()

    def changed() -> None:
        if pc.connectionState == "connected":
            done.set()

    pc.on("connectionstatechange", changed)
    if pc.connectionState != "connected":
        await asyncio.wait_for(done.wait(), 10)


async def _heard_audio(caller: Caller, gateway: Gateway) -> None:
    """The caller's audio reaches the link, and the link's playout (a tone) reaches the caller."""
    packets = gateway.link.caller_packets()
    assert all([await asyncio.wait_for(anext(packets), 5) for _ in range(25)])  # 0.5 s, nothing lost
    gateway.playout.play(Utterance(TONE))
    async with asyncio.timeout(5):
        while len(caller.heard) < 40:
            await asyncio.sleep(0.05)
    pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in caller.heard[-20:]]).astype(np.float64)
    assert np.sqrt(np.mean(pcm**2)) > 1_000  # the tone, not silence


@pytest.mark.parametrize("channel", ["in-band", "negotiated"])
async def test_a_caller_with_a_data_channel_connects_hears_and_gets_the_events_on_it(channel: str) -> None:
    async with _call(channel) as (caller, gateway):
        gateway.link.events.send(CallStarted(call_id="c1"))  # before SCTP is up: held for the channel
        await _connected(caller.pc)
        assert caller.pc.iceConnectionState == "completed"
        await asyncio.wait_for(caller.channel_open.wait(), 5)
        await _heard_audio(caller, gateway)
        gateway.link.events.send(AgentText(text="Hello", turn=0))
        async with asyncio.timeout(5):
            while len(caller.events) < 2:
                await asyncio.sleep(0.02)
        assert [(e["type"], e.get("call_id"), e.get("text")) for e in caller.events] == [
            ("call.started", "c1", None),
            ("agent.text", None, "Hello"),
        ]
        assert gateway.posted == []  # once, on the channel: not on the socket too
        assert "connected" in gateway.states and "failed" not in gateway.states
        assert gateway.link.events.sent == 2


async def test_closing_the_call_closes_the_callers_data_channel_at_once() -> None:
    async with _call("in-band") as (caller, gateway):
        await _connected(caller.pc)
        await asyncio.wait_for(caller.channel_open.wait(), 5)
        assert caller.channel is not None
        closed = asyncio.Event()
        caller.channel.on("close", closed.set)
        await gateway.link.close()
        await asyncio.wait_for(closed.wait(), 2)  # SCTP ABORT (and DTLS close_notify), not a timeout


async def test_a_caller_without_a_data_channel_gets_the_events_on_the_socket() -> None:
    async with _call(None) as (caller, gateway):
        assert "m=application" not in caller.pc.localDescription.sdp
        await _connected(caller.pc)
        await _heard_audio(caller, gateway)
        gateway.link.events.send(CallStarted(call_id="c1"))
        assert [m["event"]["type"] for m in gateway.posted] == ["call.started"]


async def test_a_closed_call_with_a_data_channel_is_freed_without_the_garbage_collector() -> None:
    # As the lean-call leak test (tests/integration/gateway/test_calls.py), for what SCTP adds:
    # the association, its channels and their handlers must not hold the ended call in a cycle.
    gc.collect()
    gc.disable()
    try:
        async with _call("in-band") as (caller, gateway):
            await _connected(caller.pc)
            await asyncio.wait_for(caller.channel_open.wait(), 5)
            gateway.link.events.send(CallStarted(call_id="c1"))
            link = gateway.link
            ours: list[object] = [link, link.data, link.events, link._endpoint, link._endpoint._dtls, link.data._sctp]
            refs = [weakref.ref(o) for o in ours]
        del gateway, link, ours
        left = await eventually(lambda: asyncio.sleep(0, [r() for r in refs if r() is not None]), lambda a: not a, 5)
        names = [type(o).__name__ for o in left]
        del left
    finally:
        gc.enable()
    assert names == []


async def test_events_fall_back_to_the_socket_when_the_data_channel_does_not_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # We accept the data channel, but the caller is told it was refused (its SCTP never starts):
    # the events held for the channel go to the socket, in order, once it has not opened in time.
    monkeypatch.setattr(lean_sctp, "OPEN_TIMEOUT", 0.5)
    pc = RTCPeerConnection()
    pc.addTrack(OpusLoop(encode_opus(TONE)))
    pc.createDataChannel("events")
    posted: list[dict[str, Any]] = []

    async def state(_: str) -> None:
        pass

    link = LeanLink(IceServers(), 10.0, PlayoutTrack(), SocketEvents(posted.append), state, state, LOOPBACK)
    try:
        await gather_on(pc, ["127.0.0.1"])
        await pc.setLocalDescription(await pc.createOffer())
        answer = await link.answer(pc.localDescription.sdp)
        assert "a=group:BUNDLE 0 1" in answer
        # Refused as RFC 8843 says: port 0, outside the group, no candidates of its own.
        head, data = answer.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0").split("m=application ")
        _port, rest = data.split(" ", 1)
        kept = [ln for ln in rest.split("\r\n") if not ln.startswith(("a=candidate", "a=end-of-candidates"))]
        refused = head + "m=application 0 " + "\r\n".join(kept)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=refused, type="answer"))
        link.events.send(CallStarted(call_id="c1"))
        packets = link.caller_packets()
        assert await asyncio.wait_for(anext(packets), 5)  # the audio connected
        link.events.send(SpeechStarted(barge_in=False))
        assert posted == []  # held for the channel
        async with asyncio.timeout(5):
            while len(posted) < 2:
                await asyncio.sleep(0.05)
        link.events.send(TurnEnded(turn=1, speech_seconds=1.0))
        assert [m["event"]["type"] for m in posted] == ["call.started", "speech.started", "turn.ended"]
    finally:
        await link.close()
        await pc.close()


async def test_hostile_data_channel_input_is_counted_and_the_call_goes_on() -> None:
    # Garbage as DTLS application data (not SCTP), and a DCEP open for the stream our negotiated
    # events channel holds (aiortc's association asserts on it): each is dropped and counted, the
    # audio and the events channel carry on.
    async with _call("negotiated") as (caller, gateway):
        await _connected(caller.pc)
        await asyncio.wait_for(caller.channel_open.wait(), 5)
        sctp = caller.pc.sctp
        assert sctp is not None
        await sctp.transport._send_data(b"\x00" * 40)  # not an SCTP packet
        dcep_open = struct.pack("!BBHLHH", 3, 0, 0, 0, 6, 0) + b"events"  # DATA_CHANNEL_OPEN, stream 0
        await sctp._send(0, 50, dcep_open)  # WEBRTC_DCEP
        endpoint = gateway.link._endpoint
        async with asyncio.timeout(5):
            while endpoint.data_errors < 1:
                await asyncio.sleep(0.02)
        await _heard_audio(caller, gateway)
        gateway.link.events.send(AgentText(text="still here", turn=0))
        async with asyncio.timeout(5):
            while not caller.events:
                await asyncio.sleep(0.02)
        assert caller.events[0]["text"] == "still here" and gateway.posted == []
        assert endpoint.data_errors == 1 and endpoint.dropped["error"] == 1  # the DCEP open; garbage is SCTP's to drop


async def test_a_caller_opening_channel_after_channel_gets_the_first_few_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lean_sctp, "MAX_CALLER_CHANNELS", 3)
    async with _call("in-band") as (caller, gateway):  # the events channel is the first of its channels
        more = [caller.pc.createDataChannel(f"junk{i}") for i in range(4)]
        await _connected(caller.pc)
        async with asyncio.timeout(5):
            while [c.readyState for c in more] != ["open", "open", "closed", "closed"]:
                await asyncio.sleep(0.02)
        assert gateway.link.data.caller_channels == 5 and gateway.link.data.refused_channels == 2
        gateway.link.events.send(AgentText(text="Hi", turn=0))  # the events channel was kept
        async with asyncio.timeout(5):
            while not caller.events:
                await asyncio.sleep(0.02)
