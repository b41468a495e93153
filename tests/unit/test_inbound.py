"""The caller's decoded audio turned into 16 kHz mono frames, without a thread pool per call."""

from __future__ import annotations

import os
from typing import cast

import av
import numpy as np
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame

from bench.load.opus_mic import encode_opus
from gateway.media.resample import Downsampler


def _native_threads() -> set[str]:
    return set(os.listdir("/proc/self/task"))  # FFmpeg's threads are invisible to `threading`


def _decoded_speechlike() -> list[av.AudioFrame]:
    t = np.arange(48_000) / 48_000
    pcm = (np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t) * 12_000).astype(np.int16)
    decoder = OpusDecoder()  # what aiortc hands the gateway: 48 kHz stereo s16
    # aiortc's decoder returns AudioFrames, typed as the base Frame.
    frames = [f for i, p in enumerate(encode_opus(pcm)) for f in decoder.decode(JitterFrame(data=p, timestamp=i * 960))]
    return [cast(av.AudioFrame, f) for f in frames]


def test_same_samples_as_pyav_resampler_and_no_threads_started() -> None:
    frames = _decoded_speechlike()
    before = _native_threads()
    downsample = Downsampler()
    ours = np.concatenate([s for f in frames for s in downsample(f)])
    assert not _native_threads() - before  # none new (an earlier test's pool may have ended meanwhile)
    reference = av.AudioResampler(format="s16", layout="mono", rate=16_000)
    theirs = np.concatenate([o.to_ndarray().reshape(-1) for f in frames for o in reference.resample(f)])
    assert ours.dtype == np.int16 and len(ours) > 15_000
    assert np.array_equal(ours, theirs)
