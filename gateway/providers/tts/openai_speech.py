"""OpenAI speech (`/v1/audio/speech`) through the official SDK: raw 24 kHz PCM out,
resampled to the 48 kHz the playout track sends, or (`opus=True`) Ogg Opus whose packets are
played to the caller as they are, without our encoder. One sentence per request, so the
first sentence of a reply plays while the next is synthesised."""

from __future__ import annotations

import httpx2  # the HTTP client openai 3.x is built on (its own dependency)
import numpy as np
import openai

from gateway.media.ogg_opus import read_ogg_opus
from gateway.media.outbound import Voice
from gateway.media.pcm import OUT_RATE, resample

PCM_RATE = 24_000  # response_format="pcm": 24 kHz, 16-bit little-endian, mono


class SpeechFailed(Exception):
    pass


class OpenAISpeech:
    def __init__(
        self, api_key: str, base_url: str = "", model: str = "gpt-4o-mini-tts", voice: str = "alloy",
        timeout: float = 10.0, opus: bool = False,
    ) -> None:  # fmt: skip
        self.model = model
        self.opus = opus
        self.voice = voice
        self.name = f"openai:{model}"
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url or None, max_retries=1,
            timeout=openai.Timeout(timeout, connect=min(timeout, 3.0)),
        )  # fmt: skip

    async def synthesize(self, text: str) -> Voice:
        try:
            response = await self._client.audio.speech.create(
                model=self.model, voice=self.voice, input=text, response_format="opus" if self.opus else "pcm"
            )
        except (openai.APIError, httpx2.HTTPError) as exc:
            raise SpeechFailed(f"{type(exc).__name__}: {exc}") from exc
        body = response.content
        if self.opus:
            try:
                return read_ogg_opus(body)
            except ValueError as exc:  # not what was asked for: the fallback voice speaks instead
                raise SpeechFailed(f"unreadable Ogg Opus: {exc}") from exc
        pcm = np.frombuffer(body[: len(body) - len(body) % 2], dtype="<i2").astype(np.int16)
        return resample(pcm, PCM_RATE, OUT_RATE)

    async def close(self) -> None:
        await self._client.close()
