"""WAV in (as a paced microphone track) and WAV out (the agent's voice)."""

from __future__ import annotations

import asyncio
import fractions
import time
import wave
from pathlib import Path
from typing import cast

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from numpy.typing import NDArray

RATE = 48_000
FRAME = 960  # 20 ms at 48 kHz


async def keep_time(start: float | None, pts: int, rate: int) -> float:
    """Wait until sample `pts` is due, as a microphone delivers it; returns the clock's start."""
    now = time.monotonic()
    start = now if start is None else start
    due = start + pts / rate
    if due > now:
        await asyncio.sleep(due - now)  # real-time pacing
    return start


def mic_frame(chunk: NDArray[np.int16], pts: int, rate: int) -> av.AudioFrame:
    """One 20 ms mono frame at `pts`; a short last chunk is padded with silence."""
    size = rate // 50
    if len(chunk) < size:
        chunk = np.concatenate((chunk, np.zeros(size - len(chunk), dtype=np.int16)))
    frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = rate, pts, fractions.Fraction(1, rate)
    return frame


def read_wav(path: Path) -> NDArray[np.int16]:
    """Mono int16 at 48 kHz, whatever the file's rate or channel count."""
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        channels, rate = w.getnchannels(), w.getframerate()
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
    if rate != RATE:
        n = round(len(pcm) * RATE / rate)
        pcm = np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm).astype(np.int16)
    return pcm


def write_wav(path: Path, pcm: NDArray[np.int16], rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype(np.int16).tobytes())


class WavMicrophone(MediaStreamTrack):
    """Plays `pcm` in real time after `lead_in` seconds of silence, then silence forever.
    `finished` is set once the last sample has gone out."""

    kind = "audio"

    def __init__(self, pcm: NDArray[np.int16], lead_in: float = 0.5) -> None:
        super().__init__()
        silence = np.zeros(int(lead_in * RATE), dtype=np.int16)
        self._pcm = np.concatenate((silence, pcm))
        self._pos = 0
        self._start: float | None = None
        self.finished = asyncio.Event()

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        self._start = await keep_time(self._start, self._pos, RATE)
        chunk = self._pcm[self._pos : self._pos + FRAME]
        if len(chunk) < FRAME and not self.finished.is_set():
            self.finished.set()
        frame = mic_frame(chunk, self._pos, RATE)
        self._pos += FRAME
        return frame


class Recorder:
    """Collects the agent's audio (48 kHz mono) from the remote track."""

    def __init__(self) -> None:
        self._chunks: list[NDArray[np.int16]] = []
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        self.first_voice_at: float | None = None  # monotonic time of the first non-silent frame
        self.last_voice_at: float | None = None  # and of the latest one
        # Samples received since the last voiced one: the agent's silence on the audio's own clock.
        self.quiet_samples = 0
        self._received = asyncio.Event()

    async def consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            for out in self._resampler.resample(frame):  # type: ignore[arg-type]
                pcm = cast(NDArray[np.int16], out.to_ndarray().reshape(-1))  # s16 resampler; typed as any dtype
                if np.abs(pcm).max(initial=0) > 500:
                    self.last_voice_at = time.monotonic()
                    if self.first_voice_at is None:
                        self.first_voice_at = self.last_voice_at
                    self.quiet_samples = 0
                else:
                    self.quiet_samples += len(pcm)
                self._chunks.append(pcm)
            self._received.set()

    async def quiet_for(self, seconds: float) -> None:
        """Return once the latest `seconds` of received audio were silent (the agent's voice has
        arrived in full and stopped, whatever the network and decoder delays)."""
        while self.quiet_samples < seconds * RATE:
            self._received.clear()
            await self._received.wait()

    @property
    def audio(self) -> NDArray[np.int16]:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)

    def voiced_seconds(self, threshold: int = 500) -> float:
        """How much of the recording carries sound (20 ms frames above a small amplitude)."""
        a = self.audio
        frames = a[: len(a) // FRAME * FRAME].reshape(-1, FRAME)
        return float((np.abs(frames).max(axis=1) > threshold).sum() * FRAME / RATE)
