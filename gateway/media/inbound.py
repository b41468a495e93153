"""The caller's audio as 16 kHz mono int16 frames of 20 ms, from an aiortc remote track.

aiortc hands us decoded frames (48 kHz, usually stereo); an FFmpeg filter graph
(libswresample, as PyAV's AudioResampler uses) turns them into what VAD and STT want,
and we cut the result into fixed 20 ms frames.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from errno import EAGAIN

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from gateway.media.pcm import IN_FRAME, IN_RATE, Pcm


class Downsampler:
    """Decoded caller audio -> 16 kHz mono int16 samples.

    Why not av.AudioResampler: its filter graph starts FFmpeg's default thread pool, two
    idle threads per call on two cores (one per core). Ours runs in the calling thread.
    """

    def __init__(self) -> None:
        self._source: av.filter.context.FilterContext | None = None
        self._sink: av.filter.context.FilterContext | None = None
        self._graph: av.filter.Graph | None = None  # kept alive with its filters

    def __call__(self, frame: av.AudioFrame) -> list[Pcm]:
        if self._source is None:
            self._build(frame)
        assert self._source is not None and self._sink is not None
        self._source.push(frame)
        out: list[Pcm] = []
        while True:
            try:
                out.append(self._sink.pull().to_ndarray().reshape(-1))
            except av.FFmpegError as e:  # EAGAIN: needs more input; EOF: flushed
                if isinstance(e, EOFError) or e.errno == EAGAIN:
                    return out
                raise

    def _build(self, first: av.AudioFrame) -> None:
        graph = av.filter.Graph()
        graph.threads = 1  # before any filter is added
        source = graph.add(
            "abuffer",
            sample_rate=str(first.sample_rate),
            sample_fmt=first.format.name,
            channel_layout=first.layout.name,
            time_base=str(first.time_base or f"1/{first.sample_rate}"),
        )
        convert = graph.add("aformat", sample_rates=str(IN_RATE), sample_fmts="s16", channel_layouts="mono")
        sink = graph.add("abuffersink")
        source.link_to(convert)
        convert.link_to(sink)
        graph.configure()
        self._graph, self._source, self._sink = graph, source, sink


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
