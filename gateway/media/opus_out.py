"""The caller-bound Opus stream, encoded by the gateway rather than by aiortc's sender.

Why: handed a decoded frame, aiortc's RTCRtpSender computes the RFC 6465 audio level in
pure Python (~0.1 ms a frame) and encodes in the default thread pool (a hop per frame, and
stereo). Handed an `av.Packet`, it only packs it into RTP (its public pre-encoded path).
So we encode mono 20 ms frames inline, and most of a call, when the agent is silent, costs
nothing: silence is one cached packet. The encoder itself is let go once the stream has
settled into silence (PyAV's encoder path holds an FFmpeg filter graph with a thread per core)
and a fresh one starts the next utterance: an idle call holds neither state nor threads.
"""

from __future__ import annotations

import fractions
import functools

import av
import numpy as np

from gateway.media.pcm import OUT_FRAME, OUT_RATE, Pcm

TIME_BASE = fractions.Fraction(1, OUT_RATE)
BITRATE = 32_000  # ample for mono speech at 48 kHz
# Real zeros are encoded for this many frames after speech, so the caller's decoder fades out
# along with our encoder before the cached silence packet takes over.
HANGOVER_FRAMES = 5
_ZEROS = np.zeros((1, OUT_FRAME), dtype=np.int16)


def _encoder() -> av.AudioCodecContext:
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = OUT_RATE, "mono", "s16"
    codec.bit_rate = BITRATE
    codec.options = {"application": "voip"}
    return codec


@functools.cache
def silence_packet() -> bytes:
    """What a settled encoder emits for 20 ms of digital silence."""
    codec, packet = _encoder(), b""
    for i in range(25):  # past the encoder's start-up, whose first packets are larger
        for p in codec.encode(_frame(_ZEROS, i * OUT_FRAME)):
            packet = bytes(p)
    return packet


def _frame(samples: np.ndarray, pts: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate, frame.pts = OUT_RATE, pts
    return frame


class OpusOut:
    """One call's outgoing Opus: `packet(pcm)` for each 20 ms, `None` meaning silence."""

    def __init__(self) -> None:
        self._codec: av.AudioCodecContext | None = None  # only while speaking or fading out
        self._quiet_frames = HANGOVER_FRAMES  # start settled: the first silence is cached
        self._pts = 0
        self.encoded = 0  # frames that went through the encoder (for tests and benchmarks)

    @property
    def encoding(self) -> bool:
        """An encoder is held: the agent is speaking or its last words are fading out."""
        return self._codec is not None

    def packet(self, pcm: Pcm | None) -> av.Packet[av.stream.Stream]:
        if pcm is None and self._quiet_frames >= HANGOVER_FRAMES:
            data = silence_packet()
            self._codec = None
        else:
            if self._codec is None:
                self._codec = _encoder()
            self._quiet_frames = 0 if pcm is not None else self._quiet_frames + 1
            samples = _ZEROS if pcm is None else pcm.reshape(1, -1)
            encoded = self._codec.encode(_frame(samples, self._pts))
            self.encoded += 1
            # libopus gives one packet per 20 ms frame; fall back to silence rather than skip a frame.
            data = bytes(encoded[-1]) if encoded else silence_packet()
        packet = av.Packet(data)
        packet.pts, packet.time_base = self._pts, TIME_BASE
        self._pts += OUT_FRAME
        return packet
