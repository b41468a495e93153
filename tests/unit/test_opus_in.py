"""Decoding the caller's Opus inline (the lean media stack): timeline kept through loss."""

from __future__ import annotations

import numpy as np

from gateway.media.opus_in import OpusIn
from gateway.media.opus_out import OpusOut
from gateway.media.pcm import IN_FRAME, IN_RATE, OUT_FRAME, OUT_RATE


def tone_packets(count: int) -> list[bytes]:
    opus = OpusOut()
    t = np.arange(OUT_FRAME * count) / OUT_RATE
    tone = (np.sin(2 * np.pi * 440 * t) * 10_000).astype(np.int16)
    return [bytes(opus.packet(tone[i : i + OUT_FRAME])) for i in range(0, len(tone), OUT_FRAME)]


def test_a_tone_comes_out_at_16_khz_with_its_level() -> None:
    opus_in = OpusIn()
    pcm = np.concatenate([s for p in tone_packets(50) for s in opus_in.samples(p)])
    # 1 s in, 1 s out, less what the resampler holds back (a few ms).
    assert IN_RATE - IN_FRAME <= len(pcm) <= IN_RATE
    level = np.sqrt(np.mean(pcm[IN_FRAME * 5 :].astype(np.float64) ** 2))
    assert 5_000 < level < 9_000  # a 10,000-peak sine has an RMS of ~7,071
    spectrum = np.abs(np.fft.rfft(pcm[IN_FRAME * 5 :]))
    assert abs(np.argmax(spectrum) * IN_RATE / len(pcm[IN_FRAME * 5 :]) - 440) < 5


def test_each_lost_or_undecodable_packet_is_20_ms_of_silence() -> None:
    opus_in = OpusIn()
    packets: list[bytes | None] = list(tone_packets(50))
    for i in (10, 11, 30):
        packets[i] = None
    packets[40] = b"\xff\xff\xff"  # a code-3 packet with a frame count libopus refuses
    chunks = [opus_in.samples(p) for p in packets]
    assert IN_RATE - IN_FRAME <= sum(len(s) for c in chunks for s in c) <= IN_RATE  # the timeline holds
    assert opus_in.lost == 4 and opus_in.undecodable == 1
    for i in (10, 11, 30, 40):
        assert len(chunks[i]) == 1 and len(chunks[i][0]) == IN_FRAME and not chunks[i][0].any()
