"""The caller's Opus packets -> 16 kHz mono int16 samples, decoded inline (no thread).

Used when our own endpoint carries the call (gateway/link/lean_link.py). A lost packet
becomes 20 ms of silence: libopus could conceal it, but PyAV cannot ask it to, and for VAD
and STT silence keeps the timeline, which is what matters. A packet libopus refuses
counts as lost.
"""

from __future__ import annotations

import av
import numpy as np

from gateway.media.pcm import IN_FRAME, Pcm
from gateway.media.resample import Downsampler

LOST = np.zeros(IN_FRAME, dtype=np.int16)  # what a lost 20 ms packet becomes


class OpusIn:
    def __init__(self) -> None:
        self._decoder = av.CodecContext.create("libopus", "r")
        self._decoder.layout, self._decoder.format = "mono", "s16"
        self._downsample = Downsampler()
        self.lost = 0
        self.undecodable = 0

    def samples(self, payload: bytes | None) -> list[Pcm]:
        """The 16 kHz samples of one packet (None: it was lost); the resampler may hold a few back."""
        if payload is not None:
            try:
                return [pcm for frame in self._decoder.decode(av.Packet(payload)) for pcm in self._downsample(frame)]
            except av.FFmpegError:
                self.undecodable += 1
        self.lost += 1
        return [LOST]
