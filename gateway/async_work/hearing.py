"""Batch STT for a whole message: an offline whisper model (the larger one by default, latency does
not matter here), no prompt biasing (nothing was asked), on the STT's one worker thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gateway.media.pcm import IN_RATE, Pcm, resample
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.stt.whisper_models import MODELS


@dataclass(frozen=True)
class Heard:
    text: str
    audio_seconds: float
    model: str


class BatchHearing:
    def __init__(self, model: str, threads: int = 2) -> None:
        if model not in MODELS:
            raise SystemExit(f"VOICEPOD_ASYNC_STT_MODEL must be one of {', '.join(sorted(MODELS))}, not {model!r}")
        self._stt = WhisperLocal(MODELS[model], threads=threads, bias=False)

    async def warm_up(self) -> None:
        """Load (and hash-check) the model now, on the STT's own thread: a job that comes meanwhile
        waits behind it there rather than loading it a second time."""
        await self._stt.transcribe(np.zeros(IN_RATE // 10, dtype=np.int16))

    async def hear(self, pcm: Pcm, rate: int) -> Heard:
        audio = pcm if rate == IN_RATE else resample(pcm, rate, IN_RATE)
        transcript = await self._stt.transcribe(audio)
        return Heard(transcript.text.strip(), len(audio) / IN_RATE, self._stt.name)
