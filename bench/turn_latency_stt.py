"""A stand-in STT for bench/turn_latency.py's ceiling run: each caller turn is heard as the script
line it is, at once, through the real incremental session (so the pause's text is final as soon as
the caller pauses). What is left is the gateway's own share: the VAD's wait, the engine, the first
phrase's synthesis, playout and the link; and what a reply prepared at the pause saves of it."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future

from gateway.media.pcm import IN_RATE, Pcm
from gateway.providers.stt import Interim, SttSession, Transcript
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.incremental import IncrementalSession


class _ScriptedDecoder:
    """Every decode of turn n is line n's text, done at once."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.turn = 0

    @property
    def idle(self) -> bool:
        return True

    def submit(self, audio: Pcm, context: SpeechContext, *, interim: bool) -> Future[Transcript]:
        done: Future[Transcript] = Future()
        text = self.lines[min(self.turn, len(self.lines) - 1)]
        done.set_result(Transcript(text=text, confidence=0.9, seconds=0.0, audio_seconds=len(audio) / IN_RATE))
        return done


class _ScriptedSession(IncrementalSession):
    def __init__(self, decoder: _ScriptedDecoder, on_interim: Interim | None) -> None:
        super().__init__(decoder, on_interim)
        self._decoder = decoder

    async def turn_ended(self, audio: Pcm) -> Transcript:
        heard = await super().turn_ended(audio)
        self._decoder.turn += 1  # the caller says its next line only after the reply to this one
        return heard


class ScriptedStt:
    name = "scripted"
    takes_opus = False
    detects_turns = False

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> SttSession:
        return _ScriptedSession(_ScriptedDecoder(self.lines), on_interim)
