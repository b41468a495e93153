"""G.711 μ-law (gateway/media/mulaw.py) against FFmpeg's pcm_mulaw codec, and the phone audio path."""

from __future__ import annotations

import av
import numpy as np

from gateway.media import mulaw
from gateway.media.pcm import IN_FRAME, OUT_FRAME
from gateway.media.phone_audio import PHONE_FRAME, PhoneIn, PhoneOut

EVERY_SAMPLE = np.arange(-32768, 32768, dtype=np.int16)


def _ffmpeg_encode(pcm: np.ndarray) -> bytes:
    codec = av.CodecContext.create("pcm_mulaw", "w")
    codec.sample_rate, codec.layout, codec.format = 8000, "mono", "s16"
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = 8000
    return b"".join(bytes(p) for p in codec.encode(frame))


def test_decoding_matches_ffmpeg_for_all_256_codes() -> None:
    codec = av.CodecContext.create("pcm_mulaw", "r")
    codec.sample_rate, codec.layout = 8000, "mono"
    frames = codec.decode(av.Packet(bytes(range(256))))
    theirs = np.concatenate([f.to_ndarray().reshape(-1) for f in frames])
    assert np.array_equal(mulaw.decode(bytes(range(256))), theirs)


def test_encoding_is_g711_within_one_code_of_ffmpeg_and_within_half_a_step() -> None:
    ours = np.frombuffer(mulaw.encode(EVERY_SAMPLE), dtype=np.uint8).astype(int)
    theirs = np.frombuffer(_ffmpeg_encode(EVERY_SAMPLE), dtype=np.uint8).astype(int)
    # FFmpeg quantises to the nearest code; G.711's reference code truncates: they differ only at edges.
    assert np.abs(ours - theirs).max() == 1 and np.mean(ours != theirs) < 0.01
    back = mulaw.decode(mulaw.encode(EVERY_SAMPLE)).astype(int)
    error = np.abs(back - EVERY_SAMPLE.astype(int))
    # The step doubles per segment (8 at the bottom, 1024 at the top); clipped beyond ±32635.
    inside = np.abs(EVERY_SAMPLE.astype(int)) <= 32124
    assert (error[inside] <= np.maximum(8, np.abs(EVERY_SAMPLE.astype(int))[inside] // 16 + 8)).all()
    assert mulaw.encode(np.array([0], dtype=np.int16)) == b"\xff"


def _tone(rate: int, seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * hz * t) * 10000).astype(np.int16)


def test_the_phone_line_in_gives_16k_frames_of_the_same_tone() -> None:
    line = mulaw.encode(_tone(8000, 1.0))
    phone_in = PhoneIn()
    frames = [f for i in range(0, len(line), PHONE_FRAME) for f in phone_in.frames(line[i : i + PHONE_FRAME])]
    assert all(len(f) == IN_FRAME for f in frames) and 48 <= len(frames) <= 50
    audio = np.concatenate(frames[5:-5]).astype(float)
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / len(audio) - 440) < 5


def test_the_phone_line_out_is_8k_mulaw_and_keeps_the_tone_band_limited() -> None:
    phone_out = PhoneOut()
    tone = _tone(48000, 1.0, hz=1000) + _tone(48000, 1.0, hz=6000)  # 6 kHz is above the phone band
    out = b"".join(phone_out.pcm(tone[i : i + OUT_FRAME]) for i in range(0, len(tone), OUT_FRAME))
    assert 7800 <= len(out) <= 8000  # 8 kHz, a few samples held by the resampler
    audio = mulaw.decode(out)[400:-400].astype(float)
    spectrum = np.abs(np.fft.rfft(audio))
    freqs = np.fft.rfftfreq(len(audio), 1 / 8000)
    assert abs(freqs[np.argmax(spectrum)] - 1000) < 5
    # No 6 kHz folded back to 2 kHz: the resampler filtered it out.
    assert spectrum[np.abs(freqs - 2000) < 20].max() < spectrum.max() / 100
