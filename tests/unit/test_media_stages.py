"""The media-stage cost benchmark measures every stage of a call's per-frame path."""

from __future__ import annotations

import numpy as np

from bench.media_stages import measure, table


def test_every_stage_is_measured_and_speech_out_costs_more_than_cached_silence() -> None:
    t = np.arange(48_000) / 48_000
    speechlike = (np.sin(2 * np.pi * 180 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * 9_000).astype(np.int16)
    stages = measure(speechlike)
    assert set(stages) == {
        "opus_decode_aiortc", "downsample_16k", "opus_in_lean", "silero_vad", "endpointing", "opus_out_silence",
        "opus_out_speech",
    }  # fmt: skip
    assert all(ms > 0 for ms in stages.values())
    assert stages["opus_out_speech"] > 10 * stages["opus_out_silence"]  # silence is one cached packet
    assert "CPU-ms per call-second" in table(stages)
