"""Whisper with the model picked per turn by what the dialog asked for: the offline default.

A phone number goes to whisper base (with the phone prompt and beam search): on the held-out voices
it got as many numbers right as base everywhere and, unlike tiny.en with beam search, wrote no
digits on noise-only turns. Every other turn goes to tiny.en, as good there at half the CPU
(docs/performance.md, "Offline STT candidates"). Phone turns are one or two of a call's turns, so
the call costs about what tiny.en alone costs. One worker thread for both, like one model: turns
queue instead of two decoders fighting over the cores.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

from gateway.media.pcm import Pcm
from gateway.providers.stt import Interim, PerTurnSession, SttSession, Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.decode_worker import FINAL, INTERIM, DecodeWorker
from gateway.providers.stt.incremental import IncrementalSession
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.stt.whisper_models import BASE, TINY_EN, WhisperModelFiles

PRECISE_SLOTS = frozenset({"phone"})


class WhisperBySlot:
    takes_opus = False
    detects_turns = False

    def __init__(
        self,
        small: WhisperModelFiles = TINY_EN,
        precise: WhisperModelFiles = BASE,
        threads: int = 2,
        *,
        incremental: bool = False,
    ) -> None:
        self.small = WhisperLocal(small, threads)
        self.precise = WhisperLocal(precise, threads)
        self.name = f"{small.name}+{precise.name.removeprefix('whisper-')}"
        self.incremental = incremental  # sessions decode while the caller speaks (incremental.py)
        self._executor = DecodeWorker()

    def warm_up(self) -> None:
        self.small.warm_up()
        self.precise.warm_up()

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> SttSession:
        if opus:
            raise ValueError("whisper transcribes decoded turns; it cannot be fed Opus")
        return IncrementalSession(self, on_interim) if self.incremental else PerTurnSession(self)

    @property
    def idle(self) -> bool:
        return self._executor.idle

    def submit(self, audio: Pcm, context: SpeechContext, *, interim: bool) -> Future[Transcript]:
        stt = self.model_for(context)
        return self._executor.submit_at(INTERIM if interim else FINAL, stt.transcribe_now, audio, context)

    def model_for(self, context: SpeechContext) -> WhisperLocal:
        return self.precise if context.slot in PRECISE_SLOTS else self.small

    async def transcribe(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        stt = self.model_for(context)
        return await asyncio.get_running_loop().run_in_executor(self._executor, stt.transcribe_now, audio, context)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.small.close()
        self.precise.close()
