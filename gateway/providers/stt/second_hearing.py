"""A turn heard again, other ways, when its first hearing does not answer the question asked.

The dialog knows what would answer its question ("which day and time?": a time) and hands the STT
that check with its context (SpeechContext.answers, gateway/agent/hearings.py). Most turns answer
on the first hearing and cost nothing more. When one does not (a voice whisper tiny.en writes as
other words: "Tuesday at 4 PM" as "to use that for the end"), the turn is decoded again by the
hearers given, in order, each only while none of the hearings so far answers; their hearings come
back as the transcript's alternatives, and the dialog takes the first that answers (only for the
slot it asked). A turn heard as nobody speaking is not heard again: another decode of noise could
only invent an answer. Chosen on the tuning voices of bench/stt_slots.py (docs/performance.md).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence

from gateway.media.pcm import IN_RATE, Pcm
from gateway.providers.stt import Transcript
from gateway.providers.stt.context import SpeechContext

Hearer = Callable[[Pcm, SpeechContext], Sequence[str]]  # the turn's hearings, most likely first

# The words of a slot as a prompt for a second hearing by tiny.en (tuning voices, time: 10 -> 16 of 24
# lines with base's beams after it). Only a second hearing gets it, and only of a turn in which someone
# was heard: a prompt is text whisper may copy (docs/performance.md). The dialog may give its own words
# for the question (SpeechContext.answer_words: a vertical's criteria, the streets read out). Left out:
# yes/no (a "yes" copied out of noise would confirm).
SLOT_WORDS = {"time": "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday. Morning, afternoon, at 10, at 4 PM."}
# A prompted decode can run away into a list ("Monday, Monday, Monday, ..."): no caller says that.
MAX_WORDS_PER_SECOND = 5
MAX_SAME_WORD = 3


def slot_words(context: SpeechContext) -> str | None:
    return context.answer_words or SLOT_WORDS.get(context.slot or "")


def plausible(hearing: str, audio_seconds: float) -> bool:
    """Not a decode that ran away: no more words than the audio could hold, no word said over and over."""
    words = re.findall(r"[a-z0-9']+", hearing.lower())
    if not words:
        return False
    return len(words) <= MAX_WORDS_PER_SECOND * audio_seconds and Counter(words).most_common(1)[0][1] <= MAX_SAME_WORD


def heard_again(first: Transcript, audio: Pcm, context: SpeechContext, hearers: Sequence[Hearer]) -> Transcript:
    answers = context.answers
    if answers is None or not first.text.strip() or answers(first.text):
        return first
    started = time.perf_counter()
    found = list(first.alternatives)
    for hear in hearers:
        if any(answers(h) for h in found):
            break
        found += [h for h in hear(audio, context) if plausible(h, len(audio) / IN_RATE)]
    alternatives = tuple(dict.fromkeys(h for h in found if h != first.text))
    return dataclasses.replace(first, alternatives=alternatives,
                               seconds=first.seconds + time.perf_counter() - started)  # fmt: skip
