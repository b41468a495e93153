"""Has the caller finished? Smart Turn v3.2 (audio only) on onnxruntime.

The model is the CPU ONNX file the pipecat-ai wheel ships (BSD-2-Clause, 8.7 MB); the file is
found through the package's installed-files list, so nothing of pipecat is imported (it is
installed with --no-deps: its own dependencies, protobuf < 7 among them, clash with ours). It
is checked against a pinned SHA-256 before use, like the VAD.

It hears the last 8 s of the turn (shorter turns are padded with silence in front), as
Whisper-style log-mel features (gateway/media/log_mel.py), and answers the probability that
the speaker has finished. One inference per pause: the turn detector asks once its short
silence has passed, on a single worker thread shared by every call in the process (inferences
queue rather than fight the calls' media for the cores; onnxruntime releases the GIL).
"""

from __future__ import annotations

import importlib.metadata
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

from gateway.media import log_mel
from gateway.media.onnx_cpu import hash_checked_session
from gateway.media.pcm import Pcm

MODEL_PACKAGE = "pipecat-ai"
MODEL_FILE = "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
MODEL_SHA256 = "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"
INSTALL_HINT = f"pip install --no-deps {MODEL_PACKAGE}==1.14.0"


class EndOfTurnJudge(Protocol):
    """Asked once per pause; answers later, off the caller's thread."""

    def judge(self, audio: Pcm) -> Future[float]:
        """The probability (0..1) that the turn whose 16 kHz audio this is has ended."""
        ...


def model_path() -> Path:
    try:
        dist = importlib.metadata.distribution(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeError(f"the end-of-turn model comes in the {MODEL_PACKAGE} wheel: {INSTALL_HINT}") from None
    return Path(str(dist.locate_file(MODEL_FILE)))


def model_window(audio: Pcm) -> np.ndarray:
    """The turn's last 8 s as floats in [-1, 1], silence in front of a shorter turn."""
    tail = audio[-log_mel.SAMPLES :].astype(np.float32) / 32768.0
    return np.pad(tail, (log_mel.SAMPLES - len(tail), 0))


class SmartTurn:
    """The model itself, synchronous: probability(audio) runs one inference on this thread."""

    def __init__(self, path: Path | None = None) -> None:
        self._session = hash_checked_session(path or model_path(), MODEL_SHA256, "end-of-turn model")

    def probability(self, audio: Pcm) -> float:
        features = log_mel.log_mel(model_window(audio))[np.newaxis]
        (out,) = self._session.run(None, {"input_features": features})
        return float(np.clip(np.asarray(out).reshape(-1)[0], 0.0, 1.0))  # the graph ends in a sigmoid


class ThreadedJudge:
    """EndOfTurnJudge over a SmartTurn, on one worker thread for the whole process."""

    def __init__(self, model: SmartTurn, pool: ThreadPoolExecutor) -> None:
        self._model = model
        self._pool = pool

    def judge(self, audio: Pcm) -> Future[float]:
        return self._pool.submit(self._model.probability, audio)


_shared: ThreadedJudge | None = None


def shared_judge() -> ThreadedJudge:
    """The process's judge: the model loaded (and hash-checked) on first use, one thread."""
    global _shared
    if _shared is None:
        _shared = ThreadedJudge(SmartTurn(), ThreadPoolExecutor(1, thread_name_prefix="end-of-turn"))
    return _shared
