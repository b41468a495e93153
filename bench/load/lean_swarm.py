"""N concurrent callers on our own endpoint (gateway/rtc) against one /ws endpoint; one JSON line out.

Same protocol, command line and output as bench.load.swarm, at a fraction of its CPU: a caller
here never decodes. It sends pre-encoded real speech (looping) paced in real time, and measures
the packets that come back: received 20 ms frames, and late ones (arriving > 40 ms after their
due time, the first packet's arrival plus the RTP clock). Cheap callers leave the machine's
cores to the server being measured.

    python -m bench.load.lean_swarm --url ws://127.0.0.1:8080/ws --calls 10 --seconds 20 --wav speech.wav
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.load import swarm
from bench.load.opus_mic import FRAME, RATE
from bench.load.swarm import LATE_SECONDS, Tally
from gateway.rtc.endpoint import AudioEndpoint, EndpointClosed
from gateway.rtc.ice_options import LOOPBACK


async def speak(endpoint: AudioEndpoint, packets: list[bytes], offset: int, until: float) -> None:
    start = time.monotonic()
    n = 0
    while (due := start + n * FRAME / RATE) < until:
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())  # real-time pacing
        await endpoint.send(packets[(offset + n) % len(packets)])
        n += 1


async def listen(endpoint: AudioEndpoint, tally: Tally, until: float, warmup_until: float) -> None:
    last_ts: int | None = None
    elapsed = 0  # RTP clock since the first packet, unwrapped
    while (left := until - time.monotonic()) > 0:
        try:
            packet = await asyncio.wait_for(endpoint.recv(), left)
        except (TimeoutError, EndpointClosed):
            return
        now = time.monotonic()
        if packet is None or now < warmup_until:
            continue  # lost (not received), or still warming up
        if last_ts is not None:
            elapsed += (packet.timestamp - last_ts) & 0xFFFFFFFF
        last_ts = packet.timestamp
        if tally.first_arrival is None:
            tally.first_arrival, tally.first_pts = now, elapsed
        due = tally.first_arrival + (elapsed - tally.first_pts) / RATE
        tally.frames += 1
        tally.late += now - due > LATE_SECONDS


async def one_call(url: str, packets: list[bytes], offset: int, seconds: float, warmup: float) -> Tally:
    tally = Tally()
    endpoint = AudioEndpoint(offering=True, ice=LOOPBACK)
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            await ws.send_json({"type": "offer", "sdp": await endpoint.offer()})
            answer = await ws.receive_json(timeout=30)
            if answer.get("type") != "answer":
                raise RuntimeError(f"refused: {answer}")
            await endpoint.accept(answer["sdp"])
            await endpoint.start()
            start = time.monotonic()
            until = start + warmup + seconds
            talking = speak(endpoint, packets, offset, until)
            await asyncio.gather(talking, listen(endpoint, tally, until, start + warmup))
            await ws.send_json({"type": "bye"})
    finally:
        await endpoint.close()
    return tally


async def run(url: str, calls: int, seconds: float, warmup: float, wav: Path) -> dict[str, Any]:
    return await swarm.run(url, calls, seconds, warmup, wav, one_call)


if __name__ == "__main__":
    swarm.main(one_call)
