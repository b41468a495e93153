"""The gateway's own Opus encoding of what the caller hears."""

from __future__ import annotations

import av
import numpy as np

from gateway.media.opus_out import HANGOVER_FRAMES, OpusOut, silence_packet
from gateway.media.pcm import OUT_FRAME, OUT_RATE


def decode(packets: list[av.Packet[av.stream.Stream]]) -> np.ndarray:
    codec = av.CodecContext.create("opus", "r")
    codec.sample_rate, codec.layout = OUT_RATE, "mono"
    out = [f.to_ndarray().reshape(-1) for p in packets for f in codec.decode(p)]
    pcm = np.concatenate(out).astype(np.float64)
    return pcm * 32_768 if np.max(np.abs(pcm)) <= 1.0 else pcm  # ffmpeg's decoder gives floats in [-1, 1]


def test_speech_round_trips_and_timestamps_run_on_at_20_ms() -> None:
    opus = OpusOut()
    t = np.arange(OUT_FRAME * 25) / OUT_RATE
    tone = (np.sin(2 * np.pi * 440 * t) * 10_000).astype(np.int16)
    packets = [opus.packet(tone[i : i + OUT_FRAME]) for i in range(0, len(tone), OUT_FRAME)]
    assert [p.pts for p in packets] == [i * OUT_FRAME for i in range(25)]
    heard = decode(packets)[OUT_FRAME * 5 :]  # past the codec's start-up
    level = np.sqrt(np.mean(heard**2))
    assert 5_000 < level < 9_000  # a 10,000-peak sine has an RMS of ~7,071
    assert opus.encoded == 25


def test_silence_is_one_cached_packet_after_a_short_hangover() -> None:
    opus = OpusOut()
    idle = [opus.packet(None) for _ in range(50)]
    assert opus.encoded == 0 and {bytes(p) for p in idle} == {silence_packet()}
    opus.packet(np.full(OUT_FRAME, 5_000, dtype=np.int16))
    after = [opus.packet(None) for _ in range(HANGOVER_FRAMES + 10)]
    assert opus.encoded == 1 + HANGOVER_FRAMES  # the fade-out frames, then the cached packet again
    assert bytes(after[-1]) == silence_packet()
    assert np.max(np.abs(decode([*idle, *after])[-OUT_FRAME * 5 :])) < 50


def test_an_idle_stream_holds_no_encoder_and_speech_after_silence_still_decodes() -> None:
    opus = OpusOut()
    assert not opus.encoding
    tone = (np.sin(2 * np.pi * 300 * np.arange(OUT_FRAME * 10) / OUT_RATE) * 8_000).astype(np.int16)
    packets = []
    for _ in range(2):  # two utterances, each with a fresh encoder
        packets += [opus.packet(tone[i : i + OUT_FRAME]) for i in range(0, len(tone), OUT_FRAME)]
        assert opus.encoding
        packets += [opus.packet(None) for _ in range(HANGOVER_FRAMES + 3)]
        assert not opus.encoding  # let go once settled into silence
    heard = decode(packets)
    second = heard[len(heard) // 2 + OUT_FRAME * 3 : len(heard) // 2 + OUT_FRAME * 9]
    assert 4_000 < np.sqrt(np.mean(second**2)) < 7_000  # the second utterance is heard (RMS of 8,000-peak sine ~5,657)
