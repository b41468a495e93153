"""N concurrent callers that keep hanging up and dialling again; prints one JSON line of results.

Each of the N slots loops until the duration is over: dial (/ws offer), talk real speech
(pre-encoded, looping, as bench.load.swarm does) for a random 8-25 s (seeded per slot), hang
up with {"type": "bye"}, wait for the gateway to close the socket, dial again. The last call
of a slot is cut to end with the run, so the load stays at N calls until the end.

Per call: frames received and late ones (> 40 ms after their due time, bench.load.swarm's
measure) after a short per-call warm-up, and how long the gateway took to close the socket
after the bye. A call fails when it is refused or errors, when the gateway ends it or closes
the socket before the bye, when no frame came back, or when the socket is not closed within
10 s of the bye.

    python -m bench.load.churn --url ws://127.0.0.1:8080/ws --calls 16 --seconds 600 --wav speech.wav
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from bench.load import CALLER_ADDRESSES
from bench.load.opus_mic import OpusLoop, encode_opus
from bench.load.swarm import Tally, measure
from caller.ice import gather_on
from caller.wav import read_wav

BYE_TIMEOUT = 10.0  # the gateway must have closed the socket this long after our bye
SHORTEST_CALL = 2.0  # a slot does not dial again with less than this left of the run


def is_event(msg: aiohttp.WSMessage) -> bool:
    """A call event on the socket (the lean media stack sends them there)."""
    return msg.type == aiohttp.WSMsgType.TEXT and json.loads(msg.data).get("type") == "event"


@dataclass
class CallRecord:
    slot: int
    started: float  # seconds since the run began
    talk_seconds: float
    ok: bool = False
    error: str = ""
    frames: int = 0
    late: int = 0
    expected_frames: float = 0.0
    setup_seconds: float = 0.0  # dial to answer
    hangup_seconds: float = 0.0  # bye to the gateway closing the socket


@dataclass
class Churn:
    url: str
    packets: list[bytes]
    seconds: float
    min_talk: float
    max_talk: float
    warmup: float
    seed: int
    calls: list[CallRecord] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)

    async def slot(self, index: int, stagger: float) -> None:
        rng = random.Random(self.seed * 10_007 + index)  # each slot's own sequence, whatever the timing
        end = self.began + self.seconds
        await asyncio.sleep(stagger)  # do not dial all N at the same instant
        while (left := end - time.monotonic()) >= SHORTEST_CALL:
            talk = min(rng.uniform(self.min_talk, self.max_talk), left)
            record = CallRecord(slot=index, started=round(time.monotonic() - self.began, 3), talk_seconds=talk)
            self.calls.append(record)
            try:
                await self.one_call(record, rng.randrange(len(self.packets)))
            except Exception as exc:
                record.error = repr(exc)[:300]
            if not record.ok:
                await asyncio.sleep(0.5)  # a failed dial is not retried in a tight loop

    async def one_call(self, record: CallRecord, offset: int) -> None:
        tally = Tally()
        pc = RTCPeerConnection()
        pc.addTrack(OpusLoop(self.packets, offset))
        tasks: list[asyncio.Task[None]] = []
        window: dict[str, float] = {}

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            tasks.append(asyncio.create_task(measure(track, tally, window["until"], window["from"])))

        dialled = time.monotonic()
        try:
            async with aiohttp.ClientSession() as http, http.ws_connect(self.url) as ws:
                await gather_on(pc, CALLER_ADDRESSES)
                await pc.setLocalDescription(await pc.createOffer())
                await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
                answer = await ws.receive_json(timeout=30)
                if answer.get("type") != "answer":
                    raise RuntimeError(f"refused: {answer}")
                answered = time.monotonic()
                record.setup_seconds = answered - dialled
                window.update({"from": answered + self.warmup, "until": answered + record.talk_seconds})
                await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
                # Talk; anything the gateway sends meanwhile but the call's events (bye, error, a closed
                # socket) ends the call early.
                reader = asyncio.create_task(ws.receive())
                while (await asyncio.wait({reader}, timeout=max(0.0, window["until"] - time.monotonic())))[0]:
                    msg = reader.result()
                    if not is_event(msg):
                        raise RuntimeError(f"ended by the gateway: {msg.type.name} {str(msg.data)[:200]}")
                    reader = asyncio.create_task(ws.receive())
                bye_at = time.monotonic()
                await ws.send_json({"type": "bye"})
                try:
                    async with asyncio.timeout(BYE_TIMEOUT):
                        while (await reader).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                            reader = asyncio.create_task(ws.receive())  # e.g. a late event; keep waiting
                except TimeoutError:
                    raise RuntimeError(f"socket still open {BYE_TIMEOUT:.0f} s after bye") from None
                record.hangup_seconds = time.monotonic() - bye_at
        finally:
            await pc.close()
            for t in tasks:
                t.cancel()
            record.frames, record.late = tally.frames, tally.late
            record.expected_frames = max(0.0, record.talk_seconds - self.warmup) * 50
        if record.expected_frames and not tally.frames:
            raise RuntimeError("no frames came back")
        record.ok = True

    async def report(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)  # progress line period
            ok = sum(c.ok for c in self.calls)
            failed = sum(1 for c in self.calls if c.error)
            print(f"churn t={time.monotonic() - self.began:5.0f}s placed {len(self.calls)} completed {ok} "
                  f"failed {failed}", file=sys.stderr, flush=True)  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(churn: Churn, concurrent: int) -> dict[str, Any]:
    calls = churn.calls
    ok = [c for c in calls if c.ok]
    frames, late = sum(c.frames for c in calls), sum(c.late for c in calls)
    expected = sum(c.expected_frames for c in ok)
    per_call_late = [c.late / c.frames for c in ok if c.frames]
    return {
        "concurrent": concurrent, "seconds": churn.seconds, "seed": churn.seed,
        "talk_seconds": [churn.min_talk, churn.max_talk], "call_warmup_seconds": churn.warmup,
        "placed": len(calls), "completed": len(ok), "failed": len(calls) - len(ok),
        "failures": [f"{c.started:.0f}s slot {c.slot}: {c.error}" for c in calls if not c.ok][:10],
        "frames": frames, "late": late, "late_ratio": late / frames if frames else 1.0,
        "expected_frames": expected,
        "received_ratio": sum(c.frames for c in ok) / expected if expected else 0.0,
        "per_call_late_ratio": {"p50": percentile(per_call_late, 0.5), "p99": percentile(per_call_late, 0.99),
                                "max": max(per_call_late, default=0.0)},
        "setup_seconds": {"p50": percentile([c.setup_seconds for c in ok], 0.5),
                          "p99": percentile([c.setup_seconds for c in ok], 0.99)},
        "hangup_seconds": {"p50": percentile([c.hangup_seconds for c in ok], 0.5),
                           "p99": percentile([c.hangup_seconds for c in ok], 0.99),
                           "max": max((c.hangup_seconds for c in ok), default=0.0)},
        "calls": [asdict(c) for c in calls],
    }  # fmt: skip


async def run(
    url: str, calls: int, seconds: float, wav: Path, *, min_talk: float = 8.0, max_talk: float = 25.0,
    warmup: float = 2.0, seed: int = 1, progress: float = 30.0,
) -> dict[str, Any]:  # fmt: skip
    churn = Churn(url, encode_opus(read_wav(wav)), seconds, min_talk, max_talk, warmup, seed)
    reporter = asyncio.create_task(churn.report(progress))
    try:
        await asyncio.gather(*(churn.slot(i, i * 0.25) for i in range(calls)))
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
    return summarise(churn, calls)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--calls", type=int, required=True, help="concurrent callers")
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--min-talk", type=float, default=8.0)
    p.add_argument("--max-talk", type=float, default=25.0)
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of each call not measured (setup)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--progress", type=float, default=30.0, help="seconds between progress lines on stderr")
    p.add_argument("--wav", required=True)
    a = p.parse_args()
    result = asyncio.run(run(a.url, a.calls, a.seconds, Path(a.wav), min_talk=a.min_talk, max_talk=a.max_talk,
                             warmup=a.warmup, seed=a.seed, progress=a.progress))  # fmt: skip
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
