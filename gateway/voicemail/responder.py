"""The responder of a call that leaves a voicemail: the greeting and a tone, then silence while the
caller speaks; their turns' audio is the message. When the call ends (the caller hangs up, or the
message reaches its limit) the message is stored and a job queued for the async worker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import numpy as np
import structlog

from gateway.agent.usage import UsageMeter
from gateway.media.pcm import IN_RATE, OUT_RATE, Pcm
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.tts import TextToSpeech
from gateway.responder import CallerTurn, Speech

log = structlog.get_logger("gateway.voicemail")

# Between the caller's turns (our VAD cut them), a short pause keeps the message's words apart.
_GAP = np.zeros(int(IN_RATE * 0.3), dtype=np.int16)


def tone(seconds: float = 0.4, hz: float = 880.0) -> Pcm:
    """The beep after the greeting: speak now."""
    t = np.arange(int(OUT_RATE * seconds)) / OUT_RATE
    return (np.sin(2 * np.pi * hz * t) * 8000).astype(np.int16)


class VoicemailResponder:
    def __init__(
        self, tts: TextToSpeech, greeting: str, max_seconds: float,
        on_message: Callable[[Pcm], Awaitable[None]], hang_up: Callable[[str], None], usage: UsageMeter | None = None,
    ) -> None:  # fmt: skip
        """`on_message`: store and queue the message (at the call's end, if the caller said anything);
        `hang_up`: end the call (the message reached `max_seconds`)."""
        self._tts = tts
        self._greeting = greeting
        self._max_samples = int(max_seconds * IN_RATE)
        self._on_message = on_message
        self._hang_up = hang_up
        self._usage = usage  # the call's: its greeting's characters are realtime cost
        self._parts: list[Pcm] = []
        self._samples = 0
        self._closed = False
        self.started = time.monotonic()

    async def greeting(self) -> Speech | None:
        voice = await self._tts.synthesize(self._greeting)
        if self._usage is not None:
            self._usage.add(self._tts.name, "characters", len(self._greeting))
        if isinstance(voice, np.ndarray):  # PCM: the tone follows the words (Opus speech plays as it came)
            voice = np.concatenate([voice, np.zeros(OUT_RATE // 5, dtype=np.int16), tone()])
        return Speech(text=self._greeting, audio=voice)

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        if self._samples < self._max_samples and len(turn.audio):
            audio = turn.audio[: self._max_samples - self._samples]
            self._parts.extend((audio, _GAP))
            self._samples += len(audio)
            if self._samples >= self._max_samples:
                self._hang_up("message_limit")
        return
        yield  # an async generator that says nothing

    def heard(self, turn: int, text: str) -> None:
        return None

    def listening_for(self) -> SpeechContext:
        return NO_CONTEXT

    @property
    def seconds(self) -> float:
        return self._samples / IN_RATE

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._parts:
            log.info("voicemail_empty")  # a hang-up without a word: nothing to call back about
            return
        await self._on_message(np.concatenate(self._parts))
