"""Whisper with the model picked per turn by what the dialog asked for: the offline default.

A phone number goes to whisper base (with the phone prompt and beam search): unlike tiny.en with
beam search it wrote no digits on noise-only turns. When base heard someone, tiny.en hears the turn
too and its hearings join base's runners-up: the two models miss different numbers, and the dialog
takes the first hearing that holds a whole number (held-out voices: 37.5 % of numbers from base's
hearings alone, 47.2 % with tiny.en's after them; docs/performance.md, "Offline STT candidates").
Every other turn goes to tiny.en alone, as good there at half the CPU. Phone turns are one or two
of a call's turns, so the call costs about what tiny.en alone costs. One worker thread for both,
like one model: turns queue instead of two decoders fighting over the cores.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from concurrent.futures import Future

from gateway.media.pcm import Pcm
from gateway.providers.stt import Interim, PerTurnSession, SttSession, Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.decode_worker import FINAL, INTERIM, DecodeWorker
from gateway.providers.stt.incremental import IncrementalSession
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.stt.whisper_models import BASE, TINY_EN, WhisperModelFiles

PRECISE_SLOTS = frozenset({"phone"})
PHONE = SpeechContext(slot="phone")
# Answers where a caller may give a number unasked ("no, it's 704 555 0143" at the read-back). Not
# turns with no context: the evals' ear transcribes whole replies full of prices and addresses.
RENUMBERED_SLOTS = frozenset({"yes_no", "name"})
_DIGITS = re.compile(r"\d|\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b", re.IGNORECASE)


def _holds_a_number(text: str) -> bool:
    """Seven digits or more, as figures or words: a phone number, whole or nearly."""
    return len(_DIGITS.findall(text)) >= 7


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
        # Through transcribe_now: an incremental final (often the last pause's decode) gets the same
        # care for phone numbers as a whole-turn one (both models, the runners-up).
        return self._executor.submit_at(INTERIM if interim else FINAL, self.transcribe_now, audio, context)

    def model_for(self, context: SpeechContext) -> WhisperLocal:
        return self.precise if context.slot in PRECISE_SLOTS else self.small

    async def transcribe(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.transcribe_now, audio, context)

    def transcribe_now(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        stt = self.model_for(context)
        heard = stt.transcribe_now(audio, context)
        if stt is self.small and context.slot in RENUMBERED_SLOTS and _holds_a_number(heard.text):
            # A phone number where something else was asked ("no, it's 704 555 0143" at the read-back):
            # heard again as a number is heard, so it gets the same care.
            return self.transcribe_now(audio, PHONE)
        if stt is self.small or not heard.text:  # base heard nobody: tiny.en would only invent digits
            return heard
        second = self.small.transcribe_now(audio, context)
        more = [h for h in (second.text, *second.alternatives) if h]
        alternatives = tuple(dict.fromkeys(h for h in (*heard.alternatives, *more) if h != heard.text))
        return dataclasses.replace(heard, alternatives=alternatives, seconds=heard.seconds + second.seconds)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.small.close()
        self.precise.close()
