"""What each stage of one call's media path costs, in CPU-milliseconds per call-second.

The capacity benchmark measures whole calls; this splits a call into the stages the
gateway runs per 20 ms frame, each timed alone in this process on real speech (espeak-ng,
Opus-encoded as a browser would send it): aiortc's Opus decode (in aiortc's decoder
thread; the aiortc media stack), our downsampling to 16 kHz, the lean stack's inline
decode + downsampling (gateway/media/opus_in.py), Silero VAD, endpointing, and the outgoing
Opus (silence is a cached packet; speech is encoded). Set against the capacity benchmark's
CPU-seconds per call-second, the remainder is the transport (ICE, DTLS/SRTP, RTP, RTCP,
reordering) and asyncio.
Writes bench/results/media_stages.json and a table in docs/performance.md.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame

from bench.gateway_load import TEXT
from bench.load.opus_mic import encode_opus
from bench.report import replace_section, write_json
from caller.wav import read_wav
from gateway.media.opus_in import OpusIn
from gateway.media.opus_out import OpusOut, silence_packet
from gateway.media.pcm import IN_FRAME, OUT_FRAME
from gateway.media.resample import Downsampler
from gateway.media.vad import VadStream
from gateway.turns import TurnDetector, TurnSettings

FRAMES_PER_SECOND = 50
REPEATS = 5  # best of: the least disturbed run of each stage


def _ms_per_call_second(run: Callable[[], int]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        t = time.perf_counter()
        frames = run()
        best = min(best, (time.perf_counter() - t) / frames)
    return best * FRAMES_PER_SECOND * 1000


def measure(speech: np.ndarray) -> dict[str, float]:
    packets = encode_opus(speech)
    decoder, downsampler = OpusDecoder(), Downsampler()
    # aiortc's Opus decoder returns AudioFrames, typed as the base Frame.
    decoded = [
        cast(av.AudioFrame, f)
        for i, p in enumerate(packets)
        for f in decoder.decode(JitterFrame(data=p, timestamp=i * OUT_FRAME))
    ]
    pcm16 = np.concatenate([s for f in decoded for s in downsampler(f)])
    frames16 = [pcm16[i : i + IN_FRAME] for i in range(0, len(pcm16) - IN_FRAME + 1, IN_FRAME)]
    frames48 = [speech[i : i + OUT_FRAME] for i in range(0, len(speech) - OUT_FRAME + 1, OUT_FRAME)]
    silence_packet()  # computed once per process, not per call

    def decode() -> int:
        d = OpusDecoder()
        for i, p in enumerate(packets):
            d.decode(JitterFrame(data=p, timestamp=i * OUT_FRAME))
        return len(packets)

    def downsample() -> int:
        d = Downsampler()
        for f in decoded:
            d(f)
        return len(decoded)

    def opus_in() -> int:
        o = OpusIn()
        for p in packets:
            o.samples(p)
        return len(packets)

    def vad() -> int:
        v = VadStream()
        for f in frames16:
            v.push(f)
        return len(frames16)

    def endpointing() -> int:
        t = TurnDetector(TurnSettings())
        for f in frames16:
            t.feed(f, 0.9, agent_speaking=False)
        return len(frames16)

    def silence_out() -> int:
        o = OpusOut()
        for _ in frames48:
            o.packet(None)
        return len(frames48)

    def speech_out() -> int:
        o = OpusOut()
        for f in frames48:
            o.packet(f)
        return len(frames48)

    stages = {
        "opus_decode_aiortc": decode,
        "downsample_16k": downsample,
        "opus_in_lean": opus_in,
        "silero_vad": vad,
        "endpointing": endpointing,
        "opus_out_silence": silence_out,
        "opus_out_speech": speech_out,
    }
    return {name: _ms_per_call_second(run) for name, run in stages.items()}


def table(stages: dict[str, float]) -> str:
    rows = ["| stage (per 20 ms frame) | CPU-ms per call-second |", "|---|---:|"]
    rows += [f"| {name} | {ms:.2f} |" for name, ms in stages.items()]
    listening = sum(stages[k] for k in ("silero_vad", "endpointing", "opus_out_silence"))
    aiortc = listening + stages["opus_decode_aiortc"] + stages["downsample_16k"]
    rows += [
        "",
        f"A call with the caller talking and the agent silent runs **{listening + stages['opus_in_lean']:.1f} "
        f"CPU-ms per call-second** in these stages on the lean media stack ({aiortc:.1f} on aiortc's); each "
        f"second the agent speaks adds {stages['opus_out_speech'] - stages['opus_out_silence']:.1f}.",
    ]
    return "\n".join(rows)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(wav), TEXT], check=True)
        speech = read_wav(wav)  # 48 kHz mono int16
    stages = measure(speech)
    result: dict[str, Any] = {"benchmark": "media_stages", "ms_per_call_second": stages}
    write_json("media_stages", result)
    text = table(stages)
    replace_section("media_stages", text)
    print(text)


if __name__ == "__main__":
    main()
