"""A cloud voice with a local one behind it: when the provider fails or is slow to
answer, the sentence is spoken by the offline voice instead of not at all."""

from __future__ import annotations

import asyncio

import structlog
from prometheus_client import Counter

from gateway.media.outbound import Voice
from gateway.providers.tts import TextToSpeech

log = structlog.get_logger("gateway.tts")
FALLBACKS = Counter("voicepod_gateway_tts_fallbacks_total", "Sentences spoken by the backup voice.", ["provider"])


class FallbackTTS:
    def __init__(self, primary: TextToSpeech, backup: TextToSpeech, timeout: float = 5.0) -> None:
        self.primary = primary
        self.backup = backup
        self.timeout = timeout
        self.name = primary.name

    def warm_up(self) -> None:
        warm = getattr(self.backup, "warm_up", None)
        if warm is not None:
            warm()

    async def synthesize(self, text: str) -> Voice:
        try:
            return await asyncio.wait_for(self.primary.synthesize(text), self.timeout)
        except Exception as exc:  # any failure of the cloud voice: the caller still hears the sentence
            FALLBACKS.labels(self.primary.name).inc()
            log.warning("tts_fallback", provider=self.primary.name, error=f"{type(exc).__name__}: {exc}")
            return await self.backup.synthesize(text)
