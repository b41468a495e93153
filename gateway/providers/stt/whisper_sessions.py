"""What both offline whisper providers share: one decode worker, and the sessions they open on it.

`WhisperLocal` (one model) and `WhisperBySlot` (a model per expected slot) differ only in how one
turn is decoded (`transcribe_now`); opening a session (per turn, or incremental: decoding while the
caller speaks, gateway/providers/stt/incremental.py) and queueing decodes on the worker (finals
ahead of interims, decode_worker.py) are the same for both, so they live here once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

from gateway.media.pcm import Pcm
from gateway.providers.stt import Interim, PerTurnSession, SttSession, Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.decode_worker import FINAL, INTERIM, DecodeWorker
from gateway.providers.stt.incremental import IncrementalSession


class WhisperSessions:
    takes_opus = False  # whisper transcribes the 16 kHz audio of a turn
    detects_turns = False  # our VAD ends the turns

    def __init__(self, *, incremental: bool) -> None:
        self.incremental = incremental  # sessions decode while the caller speaks
        self._executor = DecodeWorker()

    def transcribe_now(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        """One turn's text, on the calling thread (the worker's, or a benchmark's)."""
        raise NotImplementedError

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> SttSession:
        if opus:
            raise ValueError("whisper transcribes decoded turns; it cannot be fed Opus")
        return IncrementalSession(self, on_interim) if self.incremental else PerTurnSession(self)

    @property
    def idle(self) -> bool:
        return self._executor.idle

    def submit(self, audio: Pcm, context: SpeechContext, *, interim: bool) -> Future[Transcript]:
        # Through transcribe_now: an incremental final (often the last pause's decode) gets the same
        # care as a whole-turn one (WhisperBySlot: both models and the runners-up on a phone turn).
        return self._executor.submit_at(INTERIM if interim else FINAL, self.transcribe_now, audio, context)

    async def transcribe(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.transcribe_now, audio, context)
