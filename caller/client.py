"""Place one call: offer over /ws, connect a microphone track, collect events and the agent's
audio (`dial`). `place_call` plays a WAV; caller/script.py takes turns from a script.

Events come on the `events` data channel or, when the gateway's media stack has none (it
refuses that section), on the socket; either way they land in `CallResult.events`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from caller.ice import gather_on
from caller.impair import ImpairedPath, Impairment
from caller.wav import Recorder, WavMicrophone, read_wav

EVENTS_LABEL, EVENTS_ID = "events", 0


class CallFailed(Exception):
    pass


@dataclass
class CallResult:
    call_id: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    recorder: Recorder = field(default_factory=Recorder)
    ended_by: str = ""
    connected_after: float | None = None
    relay: ImpairedPath | None = None  # with an impairment: the relay and its packet counts
    offer: str = ""  # the SDP we sent (our candidates)
    answer: str = ""  # the gateway's (its candidates)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]


@dataclass
class LiveCall:
    """A connected call: its result so far and the task that ends when the gateway says bye."""

    result: CallResult
    bye: asyncio.Task[None]


@contextlib.asynccontextmanager
async def dial(
    url: str,
    mic: MediaStreamTrack,
    *,
    token: str | None = None,
    timeout: float = 60.0,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    impairment: Impairment | None = None,
    ice_addresses: Sequence[str] = (),
) -> AsyncIterator[LiveCall]:
    """Connect `mic` to the gateway at `url` (ws://host:port/ws); yields once media flows.
    Leaving the block hangs up (bye) unless the gateway already has. With an `impairment`, the
    call goes through a relay that drops and delays the caller's media (`result.relay`). With
    `ice_addresses`, our candidates are on those local IPs only (else every interface's)."""
    result = CallResult(relay=ImpairedPath(impairment) if impairment else None)
    pc = RTCPeerConnection()
    pc.addTrack(mic)
    channel = pc.createDataChannel(EVENTS_LABEL, negotiated=True, id=EVENTS_ID)
    tasks: list[asyncio.Task[Any]] = []

    def _event(event: dict[str, Any]) -> None:
        result.events.append(event)
        if on_event:
            on_event(event)

    channel.on("message", lambda raw: _event(json.loads(raw)))

    @pc.on("track")
    def _track(track: MediaStreamTrack) -> None:
        tasks.append(asyncio.create_task(result.recorder.consume(track)))

    connected = asyncio.Event()

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=headers) as ws:
            if ice_addresses:
                await gather_on(pc, ice_addresses)
            await pc.setLocalDescription(await pc.createOffer())
            offer = result.offer = pc.localDescription.sdp
            if result.relay:  # the gateway is told the relay's address instead of ours
                offer = await result.relay.rewrite_offer(offer)
            await ws.send_json({"type": "offer", "sdp": offer})
            reply = await asyncio.wait_for(ws.receive_json(), timeout)
            if reply.get("type") != "answer":
                raise CallFailed(f"{reply.get('code', reply.get('type'))}: {reply.get('message', '')}")
            result.call_id = reply.get("call_id", "")
            result.answer = reply["sdp"]
            answer = result.relay.rewrite_answer(reply["sdp"]) if result.relay else reply["sdp"]
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            # The audio's transport (known once the answer is in), not the whole connection: a
            # data channel the gateway refused never connects.
            audio_transport = pc.getTransceivers()[0].sender.transport
            audio_transport.on("statechange", lambda: audio_transport.state == "connected" and connected.set())
            await asyncio.wait_for(connected.wait(), timeout)
            result.connected_after = time.monotonic() - started
            bye = asyncio.create_task(_until_bye(ws, result, _event))
            try:
                yield LiveCall(result, bye)
            finally:
                if not result.ended_by:
                    result.ended_by = "caller"
                    with contextlib.suppress(ConnectionError):
                        await ws.send_json({"type": "bye"})
                bye.cancel()
    finally:
        await pc.close()
        if result.relay:
            result.relay.close()
        for task in tasks:
            task.cancel()


async def place_call(
    url: str,
    wav: Path,
    *,
    token: str | None = None,
    tail_seconds: float = 4.0,
    timeout: float = 60.0,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    impairment: Impairment | None = None,
    ice_addresses: Sequence[str] = (),
) -> CallResult:
    """Dial `url` (ws://host:port/ws), speak `wav`, listen `tail_seconds` after it ends, hang up.
    With an `impairment`, the caller's media goes through a lossy, jittery relay (caller/impair.py);
    with `ice_addresses`, it gathers on those local IPs only."""
    mic = WavMicrophone(read_wav(wav))
    async with dial(url, mic, token=token, timeout=timeout, on_event=on_event, impairment=impairment,
                    ice_addresses=ice_addresses) as call:  # fmt: skip
        spoken = asyncio.create_task(mic.finished.wait())
        done, _ = await asyncio.wait({spoken, call.bye}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        spoken.cancel()
        if call.bye not in done:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(call.bye), tail_seconds)
    return call.result


async def _until_bye(
    ws: aiohttp.ClientWebSocketResponse, result: CallResult, on_event: Callable[[dict[str, Any]], None]
) -> None:
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        data = json.loads(msg.data)
        if data.get("type") == "event":
            on_event(data["event"])
        elif data.get("type") == "bye":
            result.ended_by = f"gateway:{data.get('reason', '')}"
            return
