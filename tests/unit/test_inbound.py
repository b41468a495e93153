"""The caller's decoded audio turned into 16 kHz mono frames, without a thread pool per call."""

from __future__ import annotations

import os

import av
import numpy as np
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame

from bench.load.opus_mic import encode_opus
from gateway.media.inbound import Downsampler


def _native_threads() -> int:
    return len(os.listdir("/proc/self/task"))  # FFmpeg's threads are invisible to `threading`


def _decoded_speechlike() -> list[av.AudioFrame]:
    t = np.arange(48_000) / 48_000
    pcm = (np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t) * 12_000).astype(np.int16)
    decoder = OpusDecoder()  # what aiortc hands the gateway: 48 kHz stereo s16
    return [f for i, p in enumerate(encode_opus(pcm)) for f in decoder.decode(JitterFrame(data=p, timestamp=i * 960))]


def test_same_samples_as_pyav_resampler_and_no_threads_started() -> None:
    frames = _decoded_speechlike()
    before = _native_threads()
    downsample = Downsampler()
    ours = np.concatenate([s for f in frames for s in downsample(f)])
    assert _native_threads() == before
    reference = av.AudioResampler(format="s16", layout="mono", rate=16_000)
    theirs = np.concatenate([o.to_ndarray().reshape(-1) for f in frames for o in reference.resample(f)])
    assert ours.dtype == np.int16 and len(ours) > 15_000
    assert np.array_equal(ours, theirs)
