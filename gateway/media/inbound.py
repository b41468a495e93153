"""The caller's audio as 16 kHz mono int16 frames of 20 ms, from an aiortc remote track.

aiortc hands us decoded frames (48 kHz, usually stereo); PyAV's resampler turns
them into what VAD and STT want, and we cut the result into fixed 20 ms frames.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from gateway.media.pcm import IN_FRAME, IN_RATE, Pcm


async def caller_frames(track: MediaStreamTrack) -> AsyncIterator[Pcm]:
    """Yield 320-sample frames until the track ends."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=IN_RATE)
    pending = np.zeros(0, dtype=np.int16)
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        for out in resampler.resample(frame):  # type: ignore[arg-type]
            pending = np.concatenate((pending, out.to_ndarray().reshape(-1)))
        while len(pending) >= IN_FRAME:
            yield pending[:IN_FRAME]
            pending = pending[IN_FRAME:]
