"""The cloud providers of `bench/turn_latency.py --cloud`: Deepgram live STT and Deepgram Aura TTS,
as the gateway builds them (gateway/providers/choose.py), against a local server that speaks
Deepgram's wire protocols (tests/fakes/deepgram_server.py) in its own process, so its work is not
counted in the gateway's. Our VAD still ends each turn (VOICEPOD_TURNS=local) and the gateway sends
a Finalize; the fake answers it with the caller's script line for that turn, each call from the
first line.

The fake waits as the real service would (DELAYS); what they are based on:
- Finalize to its final result, 250 ms. Deepgram sells Nova-3 streaming as "sub-300 ms"
  (deepgram.com/learn/understanding-and-reducing-latency-in-speech-to-text-apis), and a Deepgram
  engineer, asked about final-transcript latency, answered that "200-350ms does not necessarily
  surprise me" (github.com/orgs/deepgram/discussions/1006; the asker had measured ~450 ms).
  After a Finalize only the last moments of audio are left to recognise, so the low end of that
  range, plus a round trip.
- /v1/speak's first byte, 250 ms. Deepgram reports Aura-2 at "sub-200ms" on its side, ~90 ms in
  steady state (deepgram.com/learn/engineering-real-time-low-latency-voice-ai-at-scale); its own
  latency guide's curl example shows 276 ms from the TLS handshake's end to the first byte
  (developers.deepgram.com/docs/text-to-speech-latency: TTFB 0.616 s, TLS done at 0.340 s). The
  rest of the body then comes at loopback speed: an assumption in our favour (the adapter waits for
  the whole body of a phrase, a few hundred ms of audio to a few seconds).
Network delay on the audio going out (the caller's voice to Deepgram) is not simulated beyond
what the finalize delay holds.

Run alone (`python -m bench.turn_latency_cloud --lines '["..."]'`) it serves until its stdin
closes, printing {"url": ...} once listening and {"listeners": ..., "finalizes": ...,
"speak_requests": ...} at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.providers.settings import ProviderSettings
from tests.fakes.deepgram_server import KEY, FakeDeepgram

FINALIZE_DELAY = 0.25
SPEAK_DELAY = 0.25
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Delays:
    finalize: float = FINALIZE_DELAY
    speak: float = SPEAK_DELAY


DELAYS = Delays()


def providers(url: str) -> ProviderSettings:
    """What the gateway would read from VOICEPOD_STT=deepgram VOICEPOD_TTS=deepgram VOICEPOD_TURNS=local,
    DEEPGRAM_URL=<the fake>: the caller's Opus passed through to Deepgram, Aura answering in Ogg Opus."""
    return ProviderSettings(stt="deepgram", tts="deepgram", turns="local", deepgram_api_key=KEY, deepgram_url=url)


@dataclass
class CloudFakes:
    url: str
    stats: dict[str, Any]  # what the fake saw, filled in once it has stopped


@contextlib.asynccontextmanager
async def cloud_fakes(lines: Sequence[str], delays: Delays = DELAYS) -> AsyncIterator[CloudFakes]:
    """The fake Deepgram in its own process, each connection hearing `lines` in order."""
    argv = [sys.executable, "-m", "bench.turn_latency_cloud", "--lines", json.dumps(list(lines)),
            "--finalize-delay", str(delays.finalize), "--speak-delay", str(delays.speak)]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), STOP_TIMEOUT)
        if not first:
            raise SystemExit(f"the fake Deepgram did not start ({await proc.wait()})")
        fakes = CloudFakes(url=json.loads(first)["url"], stats={})
        yield fakes
        proc.stdin.close()  # the fake's signal to stop
        last = await asyncio.wait_for(proc.stdout.readline(), STOP_TIMEOUT)
        fakes.stats.update(json.loads(last) if last else {})
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        await proc.wait()


async def serve(lines: Sequence[str], delays: Delays) -> None:
    fake = FakeDeepgram(script=lines, finalize_delay=delays.finalize, speak_delay=delays.speak)
    loop = asyncio.get_running_loop()
    async with fake.running():
        print(json.dumps({"url": fake.url}), flush=True)
        await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes our stdin
        stats = {
            "listeners": len(fake.listeners),
            "finalizes": sum(lis.controls.count("Finalize") for lis in fake.listeners),
            "speak_requests": len(fake.speak_requests),
            "rejected": fake.rejected,
            "delays": {"finalize": delays.finalize, "speak": delays.speak},
        }
    print(json.dumps(stats), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", required=True, help="JSON list of the transcripts, in order")
    parser.add_argument("--finalize-delay", type=float, default=FINALIZE_DELAY)
    parser.add_argument("--speak-delay", type=float, default=SPEAK_DELAY)
    args = parser.parse_args()
    asyncio.run(serve(json.loads(args.lines), Delays(args.finalize_delay, args.speak_delay)))


if __name__ == "__main__":
    main()
