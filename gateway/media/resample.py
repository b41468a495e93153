"""Decoded audio resampled to what VAD and STT want (16 kHz mono int16), or to a phone line's rate.

An FFmpeg filter graph (libswresample, as PyAV's AudioResampler uses), run in the calling thread.
Used on decoded Opus (gateway/media/opus_in.py, the aiortc link's frames) and on the agent's
speech for a phone line (gateway/media/phone_audio.py).
"""

from __future__ import annotations

from errno import EAGAIN
from typing import cast

import av

from gateway.media.pcm import IN_RATE, Pcm


class Downsampler:
    """Decoded audio -> mono int16 samples at `rate` (16 kHz: what VAD and STT take; a phone
    line's 8 kHz for what the agent says on it).

    Why not av.AudioResampler: its filter graph starts FFmpeg's default thread pool, two
    idle threads per call on two cores (one per core). Ours runs in the calling thread.
    """

    def __init__(self, rate: int = IN_RATE) -> None:
        self._rate = rate
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
                # The sink is an abuffersink after aformat s16: pull() is typed as any Frame, to_ndarray as any dtype.
                out.append(cast(Pcm, cast(av.AudioFrame, self._sink.pull()).to_ndarray().reshape(-1)))
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
        convert = graph.add("aformat", sample_rates=str(self._rate), sample_fmts="s16", channel_layouts="mono")
        sink = graph.add("abuffersink")
        source.link_to(convert)
        convert.link_to(sink)
        graph.configure()
        self._graph, self._source, self._sink = graph, source, sink
