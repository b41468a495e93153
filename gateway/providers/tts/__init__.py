"""Text to speech: one interface, chosen by configuration (VOICEPOD_TTS).

A provider returns 48 kHz PCM, or, when it can return Opus and is set to (VOICEPOD_TTS_AUDIO=opus),
the Opus packets themselves, which the call plays as they are (no decode, no re-encode)."""

from __future__ import annotations

from typing import Protocol

from gateway.media.outbound import Voice


class TextToSpeech(Protocol):
    name: str

    async def synthesize(self, text: str) -> Voice:
        """One sentence -> 48 kHz mono int16, or Opus packets."""
        ...
