"""A phone line's audio on our media path: 8 kHz μ-law (Twilio), or 16-bit PCM at 8 or 16 kHz
(the plain audio socket), in and out.

In: the line's bytes -> 16 kHz mono 20 ms frames (what VAD and STT take).
Out: the playout's 48 kHz frames (or a cloud voice's Opus packets, decoded) -> the line's bytes,
in whole 20 ms frames (a bridge may expect exactly that; the rest waits for the next call).
Both resample with FFmpeg's band-limited resampler (gateway/media/resample.py Downsampler), in
the calling thread, state kept across frames so no click at frame edges.
"""

from __future__ import annotations

import av
import numpy as np

from gateway.media import mulaw
from gateway.media.pcm import IN_FRAME, OUT_RATE, Pcm
from gateway.media.resample import Downsampler

PHONE_RATE = 8_000
PHONE_FRAME = PHONE_RATE // 50  # 160 samples, 20 ms: Twilio's media frame
ENCODINGS = ("mulaw", "pcm16")  # G.711 μ-law; 16-bit signed little-endian PCM


def _frame(samples: Pcm, rate: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    return frame


def _check(rate: int, encoding: str) -> None:
    if encoding not in ENCODINGS or rate not in (8_000, 16_000) or (encoding == "mulaw" and rate != PHONE_RATE):
        raise ValueError(f"no phone line of {encoding} at {rate} Hz")


class PhoneIn:
    """The caller's line -> 16 kHz frames of IN_FRAME samples."""

    def __init__(self, rate: int = PHONE_RATE, encoding: str = "mulaw") -> None:
        _check(rate, encoding)
        self._rate, self._mulaw = rate, encoding == "mulaw"
        self._upsample = Downsampler()  # to 16 kHz (nothing to do at 16 kHz but keep the frame edges)
        self._pending = np.zeros(0, dtype=np.int16)
        self._odd = b""  # a PCM16 sample split across two messages

    def frames(self, payload: bytes) -> list[Pcm]:
        if self._mulaw:
            samples = mulaw.decode(payload)
        else:
            payload, self._odd = self._odd + payload, b""
            if len(payload) % 2:
                payload, self._odd = payload[:-1], payload[-1:]
            samples = np.frombuffer(payload, dtype="<i2").astype(np.int16)
        if not len(samples):
            return []
        for pcm in self._upsample(_frame(samples, self._rate)):
            self._pending = np.concatenate((self._pending, pcm)) if len(self._pending) else pcm
        out = []
        while len(self._pending) >= IN_FRAME:
            out.append(self._pending[:IN_FRAME])
            self._pending = self._pending[IN_FRAME:]
        return out


class PhoneOut:
    """What the agent says -> the line's bytes, whole 20 ms frames only."""

    def __init__(self, rate: int = PHONE_RATE, encoding: str = "mulaw") -> None:
        _check(rate, encoding)
        self._mulaw = encoding == "mulaw"
        self._frame_bytes = rate // 50 * (1 if self._mulaw else 2)
        self._downsample = Downsampler(rate)
        self._opus: av.AudioCodecContext | None = None  # only once a cloud voice's Opus comes
        self._pending = b""

    def pcm(self, samples: Pcm) -> bytes:
        """One frame of 48 kHz PCM."""
        return self._whole(self._downsample(_frame(samples, OUT_RATE)))

    def opus(self, packet: bytes) -> bytes:
        """One Opus packet (a cloud voice's speech, passed through to WebRTC callers undecoded)."""
        if self._opus is None:
            codec: av.AudioCodecContext = av.CodecContext.create("libopus", "r")
            codec.layout, codec.format = "mono", "s16"
            self._opus = codec
        out: list[Pcm] = []
        try:
            for frame in self._opus.decode(av.Packet(packet)):
                out.extend(self._downsample(frame))
        except av.FFmpegError:
            return b""  # a packet libopus refuses: nothing to play
        return self._whole(out)

    def _whole(self, pieces: list[Pcm]) -> bytes:
        data = self._pending + b"".join(mulaw.encode(p) if self._mulaw else p.astype("<i2").tobytes() for p in pieces)
        cut = len(data) - len(data) % self._frame_bytes
        self._pending = data[cut:]
        return data[:cut]
