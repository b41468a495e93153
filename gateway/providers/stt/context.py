"""What the dialog expects to hear next, so an STT can bias its decoding toward it.

The dialog knows the slot it just asked for ("phone", "name", "time", "city", "listing",
"yes_no", "email") and the words that may come back (city names, street names of the listings
it read). A session is told before each caller turn (`session.expect(context)`); a provider
uses what it can (whisper: a decoding prompt and hotwords, a second hearing when the first does
not answer the question) and ignores the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SLOTS = ("phone", "name", "time", "city", "listing", "yes_no", "email")


@dataclass(frozen=True)
class SpeechContext:
    slot: str | None = None  # one of SLOTS, or None: nothing in particular
    phrases: tuple[str, ...] = ()  # words likely in the answer: cities, streets, names
    # Words the answer is likely to hold, for a turn heard again (second_hearing.py): the slot's own
    # vocabulary from the dialog ("a condo, a townhouse"; the streets of the homes read out).
    answer_words: str | None = None
    # Whether a hearing answers the question asked (the dialog's parser, gateway/agent/hearings.py):
    # an STT may hear a turn again, other ways, when its first hearing does not. None: no such check.
    answers: Callable[[str], bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.slot is not None and self.slot not in SLOTS:
            raise ValueError(f"unknown slot {self.slot!r}; expected one of {', '.join(SLOTS)}")


NO_CONTEXT = SpeechContext()
