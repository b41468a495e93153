"""The phone bridge's own added latency, beside WebRTC's, on one gateway in this process.

One gateway (tests/integration/gateway_helpers.py: our VAD, no STT) whose agent answers every turn
with the same short clip of speech (voiced from its first frame), called in turn over WebRTC
(caller.client, media on 127.0.0.1) and over its Twilio bridge (caller/twilio_line.py: the signed
webhook, then Media Streams with 8 kHz μ-law), ROUNDS turns each. Per turn:
- at the caller: from the last sample of its line to the first voiced frame of the reply it hears
  (the voice-to-voice a caller feels: evals/audio_caller.py measures the same);
- at the gateway: its own turn.latency total for that turn, from the end of the caller's speech as
  its VAD placed it to the reply's first frame leaving the playout (gateway/turn_clock.py);
- the link's own share: the first minus the second, i.e. the caller's audio reaching the turn loop
  and the reply's first frame reaching the caller's ear, through that link (and the VAD's 20-32 ms
  framing, the same on both).
The lines are trimmed to their voiced part, so the caller's "end of line" is the end of speech.
Writes bench/results/phone_latency.json and a table in docs/performance.md.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.report import replace_section, write_json
from bus.connection import connect
from bus.settings import BusSettings
from caller.script import Conversation
from caller.voice import to_16k
from caller.wav import RATE, read_wav
from evals.audio_gateway import HandedEvents
from evals.caller_line import CallerLine, phone_line, webrtc_line
from gateway import auth
from gateway.call import Call
from gateway.call_history import ObservedEvents
from gateway.media.pcm import OUT_RATE
from gateway.phone_settings import PhoneSettings
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.responder import CallerTurn, Speech
from tests.integration.gateway_helpers import SECRET, gateway
from tests.nats_fixture import start_nats_server

ROUNDS = 8
TOKEN = "0123456789abcdef0123456789abcdef"  # the shape of a Twilio auth token; loopback only
LINE = "I would like to see the house on Maple Street."
REPLY = "Sure, when would you like to come?"
VOICED = 500
TURN_SECONDS = 20.0


def voiced(pcm: NDArray[np.int16], frame: int) -> NDArray[np.int16]:
    """`pcm` from its first voiced frame to its last."""
    frames = pcm[: len(pcm) // frame * frame].reshape(-1, frame)
    loud = np.flatnonzero(np.abs(frames).max(axis=1) > VOICED)
    return pcm[loud[0] * frame : (loud[-1] + 1) * frame]


def espeak(text: str, tmp: Path) -> NDArray[np.int16]:
    wav = tmp / "line.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
    return voiced(read_wav(wav), RATE // 50)  # 48 kHz


class ClipResponder:
    """Answers every turn with the same clip, no greeting: the reply's first frame is already voiced."""

    def __init__(self, clip: NDArray[np.int16]) -> None:
        self.clip = clip

    async def greeting(self) -> Speech | None:
        return None

    async def reply(self, turn: CallerTurn):  # type: ignore[no-untyped-def]
        yield Speech(text=REPLY, audio=self.clip)

    def heard(self, turn: int, text: str) -> None:
        return None

    def listening_for(self) -> SpeechContext:
        return NO_CONTEXT

    async def close(self) -> None:
        return None


class TimedConversation(Conversation):
    """A Conversation that keeps each turn's turn.latency total (the gateway's own figure)."""

    def __init__(self) -> None:
        super().__init__()
        self.gateway_seconds: dict[int, float] = {}

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "turn.latency":
            self.gateway_seconds[int(event["turn"])] = float(event["total_seconds"])
        super().on_event(event)


async def turns(line: CallerLine, ears: TimedConversation, speech: NDArray[np.int16]) -> list[dict[str, float]]:
    out = []
    for n in range(1, ROUNDS + 1):
        await asyncio.wait_for(line.quiet_for(0.5), TURN_SECONDS)
        end_before = line.received()
        await asyncio.wait_for(line.say(speech), TURN_SECONDS)
        end = line.received()
        await ears.until(lambda n=n: ears.done >= n, f"the reply to turn {n}", TURN_SECONDS)  # type: ignore[misc]
        await asyncio.wait_for(line.quiet_for(0.3), TURN_SECONDS)
        audio = line.audio()
        frames = audio[end : len(audio) // 960 * 960].reshape(-1, 960)
        loud = np.flatnonzero(np.abs(frames).max(axis=1) > VOICED)
        if not len(loud) or n not in ears.gateway_seconds:
            continue
        caller = loud[0] * 960 / RATE
        gateway_total = ears.gateway_seconds[n]
        out.append({"turn": n, "caller_seconds": caller, "gateway_seconds": gateway_total,
                    "link_seconds": caller - gateway_total, "line_seconds": (end - end_before) / RATE})  # fmt: skip
    return out


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    def med(key: str) -> float:
        return round(statistics.median(r[key] for r in rows) * 1000, 1)

    return {"turns": len(rows), "caller_ms_p50": med("caller_seconds"), "gateway_ms_p50": med("gateway_seconds"),
            "link_ms_p50": med("link_seconds"),
            "link_ms_max": round(max(r["link_seconds"] for r in rows) * 1000, 1)}  # fmt: skip


async def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        line = to_16k(espeak(LINE, Path(tmp)), RATE)
        clip = espeak(REPLY, Path(tmp))
        assert OUT_RATE == RATE
        server = start_nats_server(Path(tmp))
        nc = await connect(BusSettings(nats_url=server.url, connect_timeout=10), name="bench-phone-latency")
        try:
            async with gateway(nc, phone=PhoneSettings(twilio_auth_token=TOKEN)) as gw:
                phone_ears = TimedConversation()

                def answer(call: Call) -> ClipResponder:
                    if call.origin.channel == "phone":  # no events on a phone line: handed over here
                        call.events = ObservedEvents(HandedEvents(phone_ears), call.history.observe)
                    return ClipResponder(clip)

                gw.state.responder_factory = answer
                results: dict[str, Any] = {}
                webrtc_ears = TimedConversation()
                token = auth.mint(SECRET, ttl_seconds=600)
                async with webrtc_line(gw.ws_url, token, TURN_SECONDS, webrtc_ears) as rtc:
                    results["webrtc"] = await turns(rtc, webrtc_ears, line)
                async with phone_line(gw.http_url, TOKEN, phone_ears) as phone:
                    results["phone"] = await turns(phone, phone_ears, line)
        finally:
            await nc.close()
            server.stop()
    return results


def table(figures: dict[str, dict[str, float]]) -> str:
    rows = ["| link | turns | at the caller, p50 | the gateway's own (turn.latency), p50 | the link's share, p50 "
            "| max |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name, f in figures.items():
        rows.append(f"| {name} | {f['turns']} | {f['caller_ms_p50']:.0f} ms | {f['gateway_ms_p50']:.0f} ms | "
                    f"{f['link_ms_p50']:.0f} ms | {f['link_ms_max']:.0f} ms |")  # fmt: skip
    added = figures["phone"]["link_ms_p50"] - figures["webrtc"]["link_ms_p50"]
    rows += [
        "",
        f"The phone link's share minus the WebRTC link's: **{added:+.0f} ms** (p50, one run; the WebRTC "
        "caller is aiortc, whose jitter buffer holds the reply's first frames).",
    ]
    return "\n".join(rows)


def main() -> None:
    results = asyncio.run(measure())
    figures = {name: summary(rows) for name, rows in results.items()}
    write_json("phone_latency", {"benchmark": "phone_latency", "figures": figures, "turns": results})
    text = table(figures)
    replace_section("phone_latency", text)
    print(text)


if __name__ == "__main__":
    main()
