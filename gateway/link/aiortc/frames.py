"""The caller's audio from aiortc's remote track: its decoded frames (48 kHz, usually stereo)
resampled and cut into the 20 ms 16 kHz frames the turn loop hears."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from gateway.media.pcm import IN_FRAME, Pcm
from gateway.media.resample import Downsampler


async def caller_frames(track: MediaStreamTrack) -> AsyncIterator[Pcm]:
    """Yield 320-sample frames until the track ends."""
    downsample = Downsampler()
    pending = np.zeros(0, dtype=np.int16)
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        for samples in downsample(frame):  # type: ignore[arg-type]
            pending = np.concatenate((pending, samples)) if len(pending) else samples
        while len(pending) >= IN_FRAME:
            yield pending[:IN_FRAME]
            pending = pending[IN_FRAME:]
