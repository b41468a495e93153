"""A message as stored: 16 kHz mono 16-bit WAV, and back."""

from __future__ import annotations

import io
import wave

import numpy as np

from gateway.media.pcm import IN_RATE, Pcm


def to_wav(pcm: Pcm, rate: int = IN_RATE) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return out.getvalue()


def from_wav(data: bytes) -> tuple[Pcm, int]:
    """The samples and their rate (mono 16-bit, as to_wav writes them)."""
    with wave.open(io.BytesIO(data)) as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError("a recording is mono 16-bit PCM")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16), w.getframerate()
