"""A microphone that sends pre-encoded Opus packets, paced in real time, looping.

The load callers must be cheap so the gateway, not the callers, is what saturates:
encoding once up front leaves each caller only the RTP packing (aiortc passes
av.Packet through without re-encoding).
"""

from __future__ import annotations

import asyncio
import fractions
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from numpy.typing import NDArray

RATE, FRAME = 48_000, 960
TIME_BASE = fractions.Fraction(1, RATE)


def encode_opus(pcm: NDArray[np.int16]) -> list[bytes]:
    """48 kHz mono int16 -> one Opus packet per 20 ms."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = RATE, "mono", "s16"
    codec.bit_rate = 32_000
    packets: list[bytes] = []
    pcm = np.concatenate((pcm, np.zeros(-len(pcm) % FRAME, dtype=np.int16)))
    for i in range(0, len(pcm), FRAME):
        frame = av.AudioFrame.from_ndarray(pcm[i : i + FRAME].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, i
        packets += [bytes(p) for p in codec.encode(frame)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets


class OpusLoop(MediaStreamTrack):
    kind = "audio"

    def __init__(self, packets: list[bytes], offset: int = 0) -> None:
        super().__init__()
        self._packets = packets
        self._n = offset  # different callers start at different points of the loop
        self._sent = 0
        self._start: float | None = None

    async def recv(self) -> av.Packet[av.stream.Stream]:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._sent * FRAME / RATE
        if due > now:
            await asyncio.sleep(due - now)  # real-time pacing
        packet = av.Packet(self._packets[self._n % len(self._packets)])
        packet.pts, packet.time_base = self._sent * FRAME, TIME_BASE
        self._n += 1
        self._sent += 1
        return packet
