"""A cloud STT with the offline one behind it: a turn the provider could not finish
(refused key, lost connection, no final in time) is transcribed by whisper from the
turn's audio, so the caller is understood instead of asked to repeat."""

from __future__ import annotations

import dataclasses

import structlog
from prometheus_client import Counter

from gateway.media.pcm import Pcm
from gateway.providers.stt import (
    Interim,
    PerTurnTranscriber,
    SpeechHeard,
    SpeechToText,
    SttSession,
    Transcript,
    TurnHeard,
)
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext

log = structlog.get_logger("gateway.stt")
FALLBACKS = Counter("voicepod_gateway_stt_fallbacks_total", "Turns transcribed by the backup STT.", ["provider"])


class FallbackSTT:
    def __init__(self, primary: SpeechToText, backup: PerTurnTranscriber) -> None:
        self.primary = primary
        self.backup = backup
        self.name = primary.name
        self.takes_opus = primary.takes_opus  # the backup transcribes the turn's audio, decoded for the VAD
        # With the provider ending turns there is no turn audio of ours: the backup cannot step in.
        self.detects_turns = primary.detects_turns

    def warm_up(self) -> None:
        warm = getattr(self.backup, "warm_up", None)
        if warm is not None:
            warm()

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> SttSession:
        return _Session(self, self.primary.open(on_interim, opus=opus))


class _Session:
    def __init__(self, owner: FallbackSTT, primary: SttSession) -> None:
        self._owner = owner
        self._primary = primary
        self._context = NO_CONTEXT

    def feed(self, frame: Pcm) -> None:
        self._primary.feed(frame)

    def feed_opus(self, packet: bytes | None) -> None:
        self._primary.feed_opus(packet)

    def feed_vad(self, speech: float, turn_frames: int) -> None:
        self._primary.feed_vad(speech, turn_frames)

    def detect_turns(self, on_speech: SpeechHeard, on_turn: TurnHeard) -> None:
        self._primary.detect_turns(on_speech, on_turn)  # type: ignore[attr-defined]

    def expect(self, context: SpeechContext) -> None:
        self._context = context
        self._primary.expect(context)

    async def turn_ended(self, audio: Pcm) -> Transcript:
        try:
            heard = await self._primary.turn_ended(audio)
        except Exception as exc:  # any failure of the cloud STT: the turn is still understood
            log.warning("stt_failed", provider=self._owner.name, error=f"{type(exc).__name__}: {exc}")
            heard = Transcript(text="", confidence=0.0, seconds=0.0, complete=False)
        if heard.complete:
            return heard
        FALLBACKS.labels(self._owner.name).inc()
        log.warning("stt_fallback", provider=self._owner.name, partial=bool(heard.text))
        backup = await self._owner.backup.transcribe(audio, self._context)
        # Billing stays the provider's (it was sent the audio); the time is what the caller waited.
        return dataclasses.replace(backup, seconds=heard.seconds + backup.seconds, audio_seconds=heard.audio_seconds)

    async def close(self) -> None:
        await self._primary.close()
