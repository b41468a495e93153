"""Whisper with the model picked per turn by what the dialog asked for: the offline default.

A phone number goes to whisper base (with the phone prompt and beam search): unlike tiny.en with
beam search it wrote no digits on noise-only turns. When base heard someone, tiny.en hears the turn
too and its hearings join base's runners-up: the two models miss different numbers, and the dialog
takes the first hearing that holds a whole number (held-out voices: 37.5 % of numbers from base's
hearings alone, 47.2 % with tiny.en's after them; docs/performance.md, "Offline STT candidates").
Every other turn goes to tiny.en alone, as good there at half the CPU. Phone turns are one or two
of a call's turns, so the call costs about what tiny.en alone costs. One worker thread for both,
like one model: turns queue instead of two decoders fighting over the cores.

A non-phone turn whose tiny.en hearing does not answer the question asked (the dialog's check in
its context) is heard again, and those hearings become its alternatives (second_hearing.py). A
yes/no answer is heard by base too, so the dialog can tell when the two models disagree.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence

from gateway.media.pcm import Pcm
from gateway.providers.stt import Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.providers.stt.forced_score import ForcedScorer
from gateway.providers.stt.phone_rescore import Scorer, best_first
from gateway.providers.stt.second_hearing import Hearer, heard_again, slot_words
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.stt.whisper_models import BASE, TINY_EN, WhisperModelFiles
from gateway.providers.stt.whisper_prompt import prompt
from gateway.providers.stt.whisper_sessions import WhisperSessions

PRECISE_SLOTS = frozenset({"phone"})
PHONE = SpeechContext(slot="phone")
# Answers where a caller may give a number unasked ("no, it's 704 555 0143" at the read-back). Not
# turns with no context: the evals' ear transcribes whole replies full of prices and addresses.
RENUMBERED_SLOTS = frozenset({"yes_no", "name"})
# Yes/no answers (a booking's read-back among them) are heard by base too: tiny.en wrote "that's right"
# as "not right" for an audio persona, three times; a read-back turn is short and comes once or twice
# a call, so the second decode costs little. Where the two disagree the dialog asks again.
DOUBLE_HEARD = frozenset({"yes_no"})
_DIGITS = re.compile(r"\d|\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b", re.IGNORECASE)


def _holds_a_number(text: str) -> bool:
    """Seven digits or more, as figures or words: a phone number, whole or nearly."""
    return len(_DIGITS.findall(text)) >= 7


class WhisperBySlot(WhisperSessions):
    def __init__(
        self,
        small: WhisperModelFiles = TINY_EN,
        precise: WhisperModelFiles = BASE,
        threads: int = 2,
        *,
        incremental: bool = False,
        phone_scorers: Sequence[Scorer] = (),
    ) -> None:
        super().__init__(incremental=incremental)
        self.small = WhisperLocal(small, threads)
        self.precise = WhisperLocal(precise, threads)
        # Scorers that reorder a phone turn's numbers by how well each fits the audio
        # (phone_rescore.py, `forced_scorers`). Off by default: +1 number in 72 on the held-out
        # voices for ~2 CPU-s more on the turns it reorders (docs/performance.md).
        self.phone_scorers = tuple(phone_scorers)
        self.name = f"{small.name}+{precise.name.removeprefix('whisper-')}"

    def warm_up(self) -> None:
        self.small.warm_up()
        self.precise.warm_up()

    def model_for(self, context: SpeechContext) -> WhisperLocal:
        return self.precise if context.slot in PRECISE_SLOTS else self.small

    def transcribe_now(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        stt = self.model_for(context)
        heard = stt.transcribe_now(audio, context)
        if stt is self.small and context.slot in RENUMBERED_SLOTS and _holds_a_number(heard.text):
            # A phone number where something else was asked ("no, it's 704 555 0143" at the read-back):
            # heard again as a number is heard, so it gets the same care.
            return self.transcribe_now(audio, PHONE)
        if stt is self.small:  # heard again only when it does not answer the question (second_hearing.py)
            heard = heard_again(heard, audio, context, self._hearers())
            if context.slot in DOUBLE_HEARD and heard.text:
                return self._base_too(heard, audio, context)
            return heard
        if not heard.text:  # base heard nobody: tiny.en would only invent digits
            return heard
        second = self.small.transcribe_now(audio, context)
        more = [h for h in (second.text, *second.alternatives) if h]
        hearings = list(dict.fromkeys((heard.text, *heard.alternatives, *more)))
        started = time.perf_counter()
        text, *alternatives = best_first(audio, hearings, self.phone_scorers)
        spent = heard.seconds + second.seconds + time.perf_counter() - started
        return dataclasses.replace(heard, text=text, alternatives=tuple(alternatives), seconds=spent)

    def _base_too(self, heard: Transcript, audio: Pcm, context: SpeechContext) -> Transcript:
        """A yes/no answer heard by base as well: its hearing joins the runners-up, so the dialog sees
        when the two models hear a yes and a no (hearings.py `hearings_disagree`)."""
        second = self.precise.transcribe_now(audio, context)
        if not second.text or second.text in (heard.text, *heard.alternatives):
            return dataclasses.replace(heard, seconds=heard.seconds + second.seconds)
        return dataclasses.replace(heard, alternatives=(*heard.alternatives, second.text),
                                   seconds=heard.seconds + second.seconds)  # fmt: skip

    def _hearers(self) -> tuple[Hearer, ...]:
        """Who hears a turn again when tiny.en's hearing does not answer the question, in order: tiny.en's
        beams after the slot's words (a time), then base's beams (bench/stt_slots.py)."""

        def small(audio: Pcm, context: SpeechContext) -> list[str]:
            words = slot_words(context)
            return self.small.hearings(audio, words) if words else []

        return small, lambda audio, context: self.precise.hearings(audio, prompt(context))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.small.close()
        self.precise.close()


def forced_scorers(
    small: WhisperModelFiles = TINY_EN, precise: WhisperModelFiles = BASE, threads: int = 2
) -> list[Scorer]:
    """Both models scoring a phone turn's numbers with the phone prompt, for `phone_scorers`."""
    return [ForcedScorer(m, prompt(PHONE), threads) for m in (precise, small)]
