"""The small fallback TTS: espeak-ng (Debian package) as a subprocess."""

from __future__ import annotations

import asyncio
import io
import shutil
import wave

import numpy as np

from gateway.media.pcm import OUT_RATE, Pcm, resample


class Espeak:
    name = "espeak-ng"

    def __init__(self, voice: str = "en-us", words_per_minute: int = 165) -> None:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
        self._argv = [binary, "-v", voice, "-s", str(words_per_minute), "--stdout"]

    async def synthesize(self, text: str) -> Pcm:
        proc = await asyncio.create_subprocess_exec(
            *self._argv, text, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        out, _ = await proc.communicate()
        with wave.open(io.BytesIO(out)) as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            rate = w.getframerate()
        return resample(pcm, rate, OUT_RATE)
