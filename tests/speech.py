"""Real speech for media tests, synthesised with espeak-ng (Debian package; .ci/run installs it)."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from tests.system_tools import require_tool


def espeak() -> str:
    return require_tool("espeak-ng", "espeak-ng")


def say(text: str, path: Path, *, pad_seconds: float = 0.0) -> Path:
    """Write `text` as speech to a WAV, with optional trailing silence."""
    subprocess.run([espeak(), "-w", str(path), text], check=True, timeout=30)
    if pad_seconds:
        with wave.open(str(path)) as w:
            params, pcm = w.getparams(), w.readframes(w.getnframes())
        silence = np.zeros(int(params.framerate * pad_seconds), dtype=np.int16).tobytes()
        with wave.open(str(path), "wb") as w:
            w.setparams(params)
            w.writeframes(pcm + silence)
    return path
