"""Place one call: offer over /ws, play the WAV, collect events and the agent's audio."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

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

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]


async def place_call(
    url: str,
    wav: Path,
    *,
    token: str | None = None,
    tail_seconds: float = 4.0,
    timeout: float = 60.0,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> CallResult:
    """Dial `url` (ws://host:port/ws), speak `wav`, listen `tail_seconds` after it ends, hang up."""
    result = CallResult()
    mic = WavMicrophone(read_wav(wav))
    pc = RTCPeerConnection()
    pc.addTrack(mic)
    channel = pc.createDataChannel(EVENTS_LABEL, negotiated=True, id=EVENTS_ID)
    tasks: list[asyncio.Task[Any]] = []

    @channel.on("message")
    def _event(raw: str) -> None:
        event = json.loads(raw)
        result.events.append(event)
        if on_event:
            on_event(event)

    @pc.on("track")
    def _track(track: MediaStreamTrack) -> None:
        tasks.append(asyncio.create_task(result.recorder.consume(track)))

    connected = asyncio.Event()

    @pc.on("connectionstatechange")
    def _state() -> None:
        if pc.connectionState == "connected":
            connected.set()

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=headers) as ws:
            await pc.setLocalDescription(await pc.createOffer())
            await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
            reply = await asyncio.wait_for(ws.receive_json(), timeout)
            if reply.get("type") != "answer":
                raise CallFailed(f"{reply.get('code', reply.get('type'))}: {reply.get('message', '')}")
            result.call_id = reply.get("call_id", "")
            await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
            await asyncio.wait_for(connected.wait(), timeout)
            result.connected_after = time.monotonic() - started
            listen = asyncio.create_task(_until_bye(ws, result))
            done, _ = await asyncio.wait(
                {asyncio.create_task(mic.finished.wait()), listen}, timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )  # fmt: skip
            if listen not in done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(listen), tail_seconds)
            if not result.ended_by:
                result.ended_by = "caller"
                await ws.send_json({"type": "bye"})
            listen.cancel()
    finally:
        await pc.close()
        for task in tasks:
            task.cancel()
    return result


async def _until_bye(ws: aiohttp.ClientWebSocketResponse, result: CallResult) -> None:
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        data = json.loads(msg.data)
        if data.get("type") == "bye":
            result.ended_by = f"gateway:{data.get('reason', '')}"
            return
