"""Ogg Opus as the cloud voices send it, made by FFmpeg (through PyAV), not by our own writer."""

from __future__ import annotations

import io
from typing import Any

import av
import numpy as np


def ogg_opus(pcm: np.ndarray[Any, np.dtype[np.int16]]) -> bytes:
    """48 kHz mono samples as an Ogg Opus file, 20 ms packets, by FFmpeg's encoder and muxer."""
    out = io.BytesIO()
    with av.open(out, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48_000)
        stream.layout = "mono"
        for i, at in enumerate(range(0, len(pcm), 960)):
            chunk = np.zeros(960, np.int16)
            chunk[: len(pcm[at : at + 960])] = pcm[at : at + 960]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate, frame.pts = 48_000, i * 960
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()
