"""Deepgram Aura TTS over REST (`POST /v1/speak`) through the official SDK.

Raw linear16 at 48 kHz (container=none), the playout track's own rate, so nothing is
resampled and no WAV header has to be parsed; or (`opus=True`) Ogg Opus, whose packets are
played to the caller as they are. One sentence per request: the first
sentence of a reply plays while the next is synthesised.
"""

from __future__ import annotations

import re

import httpx
import numpy as np
from deepgram import AsyncDeepgramClient
from deepgram.core.api_error import ApiError

from gateway.media.ogg_opus import read_ogg_opus
from gateway.media.outbound import Voice
from gateway.media.pcm import OUT_RATE, resample
from gateway.providers.deepgram_env import environment


class SpeechFailed(Exception):
    pass


def voice_family(voice: str) -> str:
    """ "aura-2-thalia-en" -> "aura-2", "aura-asteria-en" -> "aura": what prices.py prices by."""
    found = re.match(r"aura(-\d+)?(?=-|$)", voice)
    return found.group(0) if found else voice


class DeepgramAura:
    def __init__(self, api_key: str, voice: str = "aura-2-thalia-en", base_url: str = "",
                 sample_rate: int = OUT_RATE, timeout: float = 10.0, opus: bool = False) -> None:  # fmt: skip
        self.voice = voice
        self.opus = opus
        self.name = f"deepgram:{voice_family(voice)}"
        self._rate = sample_rate  # Aura's linear16 rates: 8, 16, 24 (its default), 32 or 48 kHz
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)))
        self._client = AsyncDeepgramClient(api_key=api_key, environment=environment(base_url),
                                           httpx_client=self._http, max_retries=1)  # fmt: skip

    async def synthesize(self, text: str) -> Voice:
        if not text.strip():
            return np.zeros(0, dtype=np.int16)
        # Opus is always 48 kHz in Aura: no sample_rate with it.
        audio = {"encoding": "opus", "container": "ogg"} if self.opus else {
            "encoding": "linear16", "container": "none", "sample_rate": self._rate}  # fmt: skip
        try:
            chunks = [chunk async for chunk in self._client.speak.v1.audio.generate(
                text=text, model=self.voice, **audio)]  # fmt: skip
        except ApiError as exc:  # the key, the voice or the text was refused
            raise SpeechFailed(f"Deepgram speak answered {exc.status_code}: {exc.body}") from exc
        except httpx.HTTPError as exc:
            raise SpeechFailed(f"Deepgram speak failed: {type(exc).__name__}: {exc}") from exc
        body = b"".join(chunks)
        if self.opus:
            try:
                return read_ogg_opus(body)
            except ValueError as exc:
                raise SpeechFailed(f"unreadable Ogg Opus from Deepgram speak: {exc}") from exc
        pcm = np.frombuffer(body[: len(body) - len(body) % 2], dtype="<i2").astype(np.int16)
        return resample(pcm, self._rate, OUT_RATE)

    async def close(self) -> None:
        await self._http.aclose()
