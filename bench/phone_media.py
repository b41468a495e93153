"""What a phone call's own media stages cost (gateway/link/phone/), in CPU-milliseconds per
call-second, set beside the WebRTC stages of bench/media_stages.py.

Per 20 ms frame, each timed alone on real speech (espeak-ng) in this process, best of 5, CPU
time (time.process_time, so other load on the machine inflates it less than wall time):
- in: a Twilio `media` message parsed (JSON + base64: twilio_messages.parse), its μ-law decoded
  and upsampled to 16 kHz (media/phone_audio.PhoneIn);
- out: a 48 kHz playout frame downsampled to 8 kHz and μ-law encoded (PhoneOut.pcm), and the
  `media` message written (twilio_messages.media).
The VAD and endpointing are the same as on a WebRTC call (bench/media_stages.py).
Writes bench/results/phone_media.json and a table in docs/performance.md.
"""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.gateway_load import TEXT
from bench.report import RESULTS, replace_section, write_json
from caller.wav import read_wav
from gateway.link.phone import twilio_messages as tm
from gateway.media.pcm import OUT_FRAME
from gateway.media.phone_audio import PHONE_FRAME, PhoneIn, PhoneOut

FRAMES_PER_SECOND = 50
REPEATS = 5


def _cpu_ms_per_call_second(run: Callable[[], int]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        t = time.process_time()
        frames = run()
        best = min(best, (time.process_time() - t) / frames)
    return best * FRAMES_PER_SECOND * 1000


def measure(speech: np.ndarray) -> dict[str, float]:
    frames48 = [speech[i : i + OUT_FRAME] for i in range(0, len(speech) - OUT_FRAME + 1, OUT_FRAME)]
    maker = PhoneOut()
    line = b"".join(maker.pcm(f) for f in frames48)  # the caller's speech as a phone line carries it
    chunks = [line[i : i + PHONE_FRAME] for i in range(0, len(line) - PHONE_FRAME + 1, PHONE_FRAME)]
    messages = [
        json.dumps({"event": "media", "sequenceNumber": str(i + 2), "streamSid": "MZ" + "0" * 32,
                    "media": {"track": "inbound", "chunk": str(i + 1), "timestamp": str(i * 20),
                              "payload": base64.b64encode(c).decode()}})
        for i, c in enumerate(chunks)
    ]  # fmt: skip

    def parse() -> int:
        for m in messages:
            tm.parse(m)
        return len(messages)

    def phone_in() -> int:
        p = PhoneIn()
        for c in chunks:
            p.frames(c)
        return len(chunks)

    def phone_out() -> int:
        p = PhoneOut()
        for f in frames48:
            p.pcm(f)
        return len(frames48)

    def write() -> int:
        for c in chunks:
            tm.media("MZ" + "0" * 32, c)
        return len(chunks)

    stages = {"twilio_parse": parse, "phone_in_16k": phone_in, "phone_out_mulaw": phone_out, "twilio_write": write}
    return {name: _cpu_ms_per_call_second(run) for name, run in stages.items()}


def table(stages: dict[str, float]) -> str:
    rows = ["| stage (per 20 ms frame) | CPU-ms per call-second |", "|---|---:|"]
    rows += [f"| {name} | {ms:.2f} |" for name, ms in stages.items()]
    inbound = stages["twilio_parse"] + stages["phone_in_16k"]
    outbound = stages["phone_out_mulaw"] + stages["twilio_write"]
    webrtc = json.loads((RESULTS / "media_stages.json").read_text())["ms_per_call_second"]
    rows += [
        "",
        f"The caller's audio costs **{inbound:.2f} CPU-ms per call-second** in from a phone line "
        f"(the lean WebRTC stack's inline Opus decode: {webrtc['opus_in_lean']:.2f}); each second the agent "
        f"speaks, **{outbound:.2f}** out ({webrtc['opus_out_speech']:.2f} for Opus). While the agent is "
        "silent nothing is sent to a phone (Twilio plays silence itself).",
    ]
    return "\n".join(rows)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(wav), TEXT], check=True)
        speech = read_wav(wav)  # 48 kHz mono int16
    stages = measure(speech)
    result: dict[str, Any] = {"benchmark": "phone_media", "cpu_ms_per_call_second": stages}
    write_json("phone_media", result)
    text = table(stages)
    replace_section("phone_media", text)
    print(text)


if __name__ == "__main__":
    main()
