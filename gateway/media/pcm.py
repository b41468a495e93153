"""PCM conventions of the media path: int16 mono numpy arrays.

Inbound (what VAD and STT hear): 16 kHz, 20 ms frames of 320 samples.
Outbound (what the caller hears): 48 kHz (Opus's own rate), 20 ms frames of 960 samples.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Pcm = NDArray[np.int16]

FRAME_SECONDS = 0.020
IN_RATE = 16_000
IN_FRAME = int(IN_RATE * FRAME_SECONDS)  # 320
OUT_RATE = 48_000
OUT_FRAME = int(OUT_RATE * FRAME_SECONDS)  # 960


def resample(pcm: Pcm, from_rate: int, to_rate: int) -> Pcm:
    """Linear-interpolation resampling, vectorised (good enough for speech prompts and echoes)."""
    if from_rate == to_rate or len(pcm) == 0:
        return pcm
    n_out = round(len(pcm) * to_rate / from_rate)
    positions = np.linspace(0, len(pcm) - 1, n_out)
    return np.interp(positions, np.arange(len(pcm)), pcm.astype(np.float32)).astype(np.int16)


def rms_dbfs(pcm: Pcm) -> float:
    """Level of a chunk in dB relative to full scale (-inf for silence)."""
    if len(pcm) == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))
    return 20 * np.log10(rms / 32768.0) if rms > 0 else float("-inf")


def trim_trailing_quiet(pcm: Pcm, keep: int, floor: int = 650) -> Pcm:
    """`pcm` without the quiet (|sample| < floor, ~-34 dBFS) at its end beyond `keep` samples; all of
    it when none of it is louder (a quiet voice is not cut away)."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) >= floor)
    return pcm[: int(loud[-1]) + 1 + keep] if len(loud) else pcm
