"""Speech to text: one interface, chosen by configuration (VOICEPOD_STT)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.media.pcm import Pcm


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float  # 0..1, the provider's own estimate
    seconds: float  # time the provider took


class SpeechToText(Protocol):
    name: str

    async def transcribe(self, audio: Pcm) -> Transcript:
        """One caller turn (16 kHz mono int16, as endpointed by our VAD) -> its text."""
        ...
