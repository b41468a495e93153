"""N concurrent callers against one /ws endpoint; prints one JSON line of results.

Each caller speaks real speech (looping, pre-encoded) and measures what comes back:
received 20 ms frames, and late ones (arriving > 40 ms after their due time, the
due time being the first frame's arrival plus the RTP clock).

    python -m bench.load.swarm --url ws://127.0.0.1:8080/ws --calls 10 --seconds 20 --wav speech.wav
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bench.load import CALLER_ADDRESSES
from bench.load.opus_mic import OpusLoop, encode_opus
from caller.ice import gather_on
from caller.wav import read_wav

LATE_SECONDS = 0.040
# One caller: (url, pre-encoded packets, where in them to start, seconds measured, warm-up) -> its tally.
OneCall = Callable[[str, list[bytes], int, float, float], Awaitable["Tally"]]


@dataclass
class Tally:
    frames: int = 0
    late: int = 0
    first_arrival: float | None = None
    first_pts: int = 0


async def measure(track: MediaStreamTrack, tally: Tally, until: float, warmup_until: float) -> None:
    while time.monotonic() < until:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        now = time.monotonic()
        if now < warmup_until:
            continue
        if tally.first_arrival is None:
            tally.first_arrival, tally.first_pts = now, int(frame.pts or 0)
        due = tally.first_arrival + (int(frame.pts or 0) - tally.first_pts) / 48_000
        tally.frames += 1
        tally.late += now - due > LATE_SECONDS


async def one_call(url: str, packets: list[bytes], offset: int, seconds: float, warmup: float) -> Tally:
    tally = Tally()
    pc = RTCPeerConnection()
    pc.addTrack(OpusLoop(packets, offset))
    tasks: list[asyncio.Task[None]] = []
    start = time.monotonic()

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        tasks.append(asyncio.create_task(measure(track, tally, start + warmup + seconds, start + warmup)))

    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            await gather_on(pc, CALLER_ADDRESSES)
            await pc.setLocalDescription(await pc.createOffer())
            await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
            answer = await ws.receive_json(timeout=30)
            if answer.get("type") != "answer":
                raise RuntimeError(f"refused: {answer}")
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
            await asyncio.sleep(warmup + seconds)  # the call lasts this long
            await ws.send_json({"type": "bye"})
    finally:
        await pc.close()
        for t in tasks:
            t.cancel()
    return tally


async def run(
    url: str, calls: int, seconds: float, warmup: float, wav: Path, call: OneCall | None = None
) -> dict[str, Any]:
    """`calls` concurrent callers (`call`, aiortc ones by default), then the swarm's one line."""
    packets = encode_opus(read_wav(wav))
    results = await asyncio.gather(
        *((call or one_call)(url, packets, i * 37, seconds, warmup) for i in range(calls)), return_exceptions=True
    )
    return summary(calls, seconds, results)


def summary(calls: int, seconds: float, results: list[Tally | BaseException]) -> dict[str, Any]:
    """The swarm's one line: calls connected, frames received against expected, late ones."""
    tallies = [r for r in results if isinstance(r, Tally)]
    failures = [repr(r) for r in results if not isinstance(r, Tally)]
    frames = sum(t.frames for t in tallies)
    expected = len(tallies) * seconds * 50
    return {
        "calls": calls, "connected": len(tallies), "failures": failures[:3], "seconds": seconds,
        "frames": frames, "expected_frames": expected, "late": sum(t.late for t in tallies),
        "late_ratio": sum(t.late for t in tallies) / frames if frames else 1.0,
        "received_ratio": frames / expected if expected else 0.0,
    }  # fmt: skip


def main(call: OneCall | None = None) -> None:
    """The command line of a swarm (this one's, and bench.load.lean_swarm's with its own callers)."""
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--calls", type=int, required=True)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=4)
    p.add_argument("--wav", required=True)
    a = p.parse_args()
    print(json.dumps(asyncio.run(run(a.url, a.calls, a.seconds, a.warmup, Path(a.wav), call))), flush=True)


if __name__ == "__main__":
    main()
