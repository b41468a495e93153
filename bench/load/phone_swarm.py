"""N concurrent phone callers against the gateway's Twilio bridge on 127.0.0.1; one JSON line out.

Each caller is what Twilio does for one call (caller/twilio_line.py): the voice webhook, signed
with the auth token, then the Media Stream socket with `connected` and `start`. Then, cheaply (the
callers share the machine with the server being measured): real speech as 8 kHz μ-law, encoded
once and looped, one `media` message every 20 ms on a real-time clock; what comes back is counted.
A caller takes turns: its line, then (μ-law) silence a little longer than the line while the echo
agent plays the line back (a caller that never paused would have no turn end, and no reply).

The gateway sends a phone line only sound, paced at 20 ms, with a `mark` after each utterance (and
a `clear` when it cuts one): a frame is late when it arrives > 40 ms after its due time, the
utterance's first frame's arrival plus 20 ms per frame since (the clock restarts after a mark or a
clear). Lateness is counted after the warm-up; frames are counted for the whole call, which ends
with Twilio's `stop` and lasts until the gateway closes the socket, so they can be set against what
the gateway says it sent (bench/gateway_load.py reads that from its /metrics).

    python -m bench.load.phone_swarm --url http://127.0.0.1:8080 --auth-token T --calls 10 --seconds 20 --wav speech.wav
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from bench.load.swarm import LATE_SECONDS, Tally
from caller.twilio_line import FRAME_BYTES, FRAME_SECONDS, SILENCE, TwilioCaller, to_mulaw
from caller.wav import RATE, read_wav

CLOSE_SECONDS = 10.0  # after `stop`, for the gateway to close the socket
PAUSE_AFTER_REPLY = 2.0  # seconds of silence beyond the line's length: the echo's reply fits in it


def media_payloads(mulaw: bytes) -> list[str]:
    """The speech then the pause, as base64 payloads of whole 20 ms frames, encoded once for every caller."""
    frames = len(mulaw) // FRAME_BYTES
    line = [base64.b64encode(mulaw[i * FRAME_BYTES : (i + 1) * FRAME_BYTES]).decode() for i in range(frames)]
    pause = frames + round(PAUSE_AFTER_REPLY / FRAME_SECONDS)
    return line + [base64.b64encode(SILENCE).decode()] * pause


async def speak(twilio: TwilioCaller, payloads: list[str], offset: int, until: float) -> None:
    start, n = time.monotonic(), 0
    sid = twilio.stream_sid
    while (due := start + n * FRAME_SECONDS) < until:
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())  # real-time pacing, as Twilio streams
        n += 1
        payload = payloads[(offset + n) % len(payloads)]
        await twilio.ws.send_str(
            f'{{"event":"media","sequenceNumber":"{n + 2}","streamSid":"{sid}","media":{{"track":"inbound",'
            f'"chunk":"{n}","timestamp":"{int((due - start) * 1000)}","payload":"{payload}"}}}}'
        )


async def listen(twilio: TwilioCaller, tally: Tally, warmup_until: float, until: float) -> int:
    """Read until the gateway closes the socket: frames received in all; lateness in the window."""
    received, burst_at, burst_frames = 0, None, 0
    async for msg in twilio.ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            continue
        now = time.monotonic()
        event = json.loads(msg.data).get("event")
        if event in ("mark", "clear"):
            burst_at = None  # an utterance ended (or was cut): the next frame starts a new clock
            continue
        if event != "media":
            continue
        received += 1
        if burst_at is None:
            burst_at, burst_frames = now, 0
        due = burst_at + burst_frames * FRAME_SECONDS
        burst_frames += 1
        if warmup_until <= now < until:
            tally.frames += 1
            tally.late += now - due > LATE_SECONDS
    return received


async def one_call(
    url: str, token: str, payloads: list[str], offset: int, seconds: float, warmup: float
) -> dict[str, Any]:
    twilio = TwilioCaller(url, token)
    tally = Tally()
    status, body = await twilio.ring()
    if status != 200:
        raise RuntimeError(f"webhook refused: {status} {body[:120]}")
    await twilio.connect(media=False)
    try:
        start = time.monotonic()
        until = start + warmup + seconds
        hearing = asyncio.create_task(listen(twilio, tally, start + warmup, until))
        await speak(twilio, payloads, offset, until)
        await twilio.send({"event": "stop", "sequenceNumber": "0", "streamSid": twilio.stream_sid,
                           "stop": {"accountSid": twilio.account_sid, "callSid": twilio.call_sid}})  # fmt: skip
        received = await asyncio.wait_for(hearing, CLOSE_SECONDS)
    finally:
        await twilio.close()
    return {"frames": tally.frames, "late": tally.late, "received": received}


async def run(url: str, token: str, calls: int, seconds: float, warmup: float, wav: Path) -> dict[str, Any]:
    speech = read_wav(wav)
    payloads = media_payloads(to_mulaw(np.asarray(speech, dtype=np.int16), RATE))
    results = await asyncio.gather(
        *(one_call(url, token, payloads, i * 37, seconds, warmup) for i in range(calls)), return_exceptions=True
    )
    done = [r for r in results if isinstance(r, dict)]
    frames, late = sum(r["frames"] for r in done), sum(r["late"] for r in done)
    return {
        "calls": calls, "connected": len(done), "failures": [repr(r) for r in results if not isinstance(r, dict)][:3],
        "seconds": seconds, "frames": frames, "late": late, "late_ratio": late / frames if frames else 1.0,
        "received_frames": sum(r["received"] for r in done),
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True, help="the gateway's http://host:port")
    p.add_argument("--auth-token", required=True, help="the Twilio auth token the gateway checks webhooks with")
    p.add_argument("--calls", type=int, required=True)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=4)
    p.add_argument("--wav", required=True)
    a = p.parse_args()
    result = asyncio.run(run(a.url, a.auth_token, a.calls, a.seconds, a.warmup, Path(a.wav)))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
