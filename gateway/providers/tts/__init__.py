"""Text to speech: one interface, chosen by configuration (VOICEPOD_TTS)."""

from __future__ import annotations

from typing import Protocol

from gateway.media.pcm import Pcm


class TextToSpeech(Protocol):
    name: str

    async def synthesize(self, text: str) -> Pcm:
        """One sentence -> 48 kHz mono int16."""
        ...
