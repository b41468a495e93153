"""Place one call: offer over /ws, connect a microphone track, collect events and the agent's
audio (`dial`). `place_call` plays a WAV; caller/script.py takes turns from a script.

Events come on the `events` data channel or, when it does not open, on the socket; either way
they land in `CallResult.events` (each once)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from caller.ice import gather_on
from caller.ice_servers import configuration
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
    # Send a turn typed in the page's box (a call dialled with `typing=True`).
    type_text: Callable[[str], Awaitable[None]]


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
    relay_only: bool = False,
    typing: bool = False,
) -> AsyncIterator[LiveCall]:
    """Connect `mic` to the gateway at `url` (ws://host:port/ws); yields once media flows.
    Leaving the block hangs up (bye) unless the gateway already has. With an `impairment`, the
    call goes through a relay that drops and delays the caller's media (`result.relay`). With
    `ice_addresses`, our candidates are on those local IPs only (else every interface's). The
    gateway's STUN/TURN servers come from its /ice-servers; with `relay_only`, only TURN relay
    candidates are gathered (and `ice_addresses` is moot). With `typing`, the offer says the caller
    has a text box (the agent may offer it for a number it can't hear): `LiveCall.type_text`."""
    result = CallResult(relay=ImpairedPath(impairment) if impairment else None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        config = await configuration(http, url, headers, relay_only=relay_only)
    pc = RTCPeerConnection(config)
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

    started = time.monotonic()
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=headers) as ws:
            if ice_addresses and not relay_only:
                await gather_on(pc, ice_addresses)
            await pc.setLocalDescription(await pc.createOffer())
            offer = result.offer = pc.localDescription.sdp
            if result.relay:  # the gateway is told the relay's address instead of ours
                offer = await result.relay.rewrite_offer(offer)
            await ws.send_json({"type": "offer", "sdp": offer, **({"typing": True} if typing else {})})
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

            def on_state_change() -> None:
                if audio_transport.state == "connected":
                    connected.set()

            audio_transport.on("statechange", on_state_change)
            await asyncio.wait_for(connected.wait(), timeout)
            result.connected_after = time.monotonic() - started
            bye = asyncio.create_task(_until_bye(ws, result, _event))
            try:
                yield LiveCall(result, bye, lambda text: ws.send_json({"type": "typed", "text": text}))
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
    relay_only: bool = False,
    hang_up_on: Callable[[dict[str, Any]], bool] | None = None,
) -> CallResult:
    """Dial `url` (ws://host:port/ws), speak `wav`, listen `tail_seconds` after it ends, hang up.
    With `hang_up_on`, the caller hangs up as soon as an event it accepts has arrived, even before
    the wav is over: the wav's trailing silence and `tail_seconds` are then bounds, not waits.
    With an `impairment`, the caller's media goes through a lossy, jittery relay (caller/impair.py);
    with `ice_addresses`, it gathers on those local IPs only."""
    mic = WavMicrophone(read_wav(wav))
    heard = asyncio.Event()

    def event(e: dict[str, Any]) -> None:
        if on_event is not None:
            on_event(e)
        if hang_up_on is not None and hang_up_on(e):
            heard.set()

    async with dial(url, mic, token=token, timeout=timeout, on_event=event, impairment=impairment,
                    ice_addresses=ice_addresses, relay_only=relay_only) as call:  # fmt: skip
        spoken, ended = asyncio.create_task(mic.finished.wait()), asyncio.create_task(heard.wait())
        try:
            await asyncio.wait({spoken, ended, call.bye}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not ended.done() and not call.bye.done():  # the wav is over: listen for the tail
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.wait({ended, call.bye}, return_when=asyncio.FIRST_COMPLETED),
                                           tail_seconds)  # fmt: skip
        finally:
            spoken.cancel()
            ended.cancel()
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
