"""Where a reply is cut for speech: its first sentence at a phrase boundary, the rest as whole
sentences unless one would not be synthesised before the audio ahead of it has played.

A TTS synthesises a text in one go (Piper runs its model once per sentence and nothing finer), so a
reply's first audio waits for the whole first sentence: ~0.3 s for a long read-back on a busy
machine. A first phrase of a few words is synthesised in tens of ms and plays while the rest is
synthesised. For that to be in time, no piece may be much longer than what plays before it: a long
sentence after a short one ("Thanks, Dee." then a read-back) is cut too, at the latest pause that
keeps it within GROWTH times the sentence (or, within a sentence, the piece) before.

Cuts fall only where a speaker pauses anyway: after a comma, colon, semicolon or dash, or (the
first phrase of a long sentence without one) before a conjunction or preposition; never inside a
number ("$650,000", "9 1 9, 5 5 5", "two hundred and fifty", "9, 9:30 or 10 AM").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.agent.sentences import SentenceBuffer

# Lengths as spoken (spoken_length: ~16 a second of speech). Piper makes ~1 s of speech in ~30 ms
# on an idle core and 2-3 times that on this busy 2-core machine.
WHOLE_UP_TO = 30  # a reply's first sentence this short is synthesised fast enough whole
FIRST_HEAD = (5, 32)  # a first phrase: "Sure," up to "Let me read that back:", "I found one home that fits:"
WORD_HEAD_FROM = 12  # a first phrase cut before a word, not a pause: at least "You're booked"
# A piece may be this many times as long as the one before it: it is synthesised while that one
# plays, and Piper on one busy core makes ~1 s of speech in 0.1-0.3 s.
GROWTH = 3.0
_CLAUSE_END = (",", ";", ":")
_DASHES = {"—", "–", "-", "--"}
# Words a long first sentence without a pause is cut before: conjunctions, else prepositions.
_CONJUNCTIONS = {"and", "but", "or", "so", "because", "which", "who", "where", "when", "while", "if", "than"}
_PREPOSITIONS = {"with", "for", "in", "on", "at", "from", "near", "under", "over", "to", "after", "before", "by"}
_JOINS_NUMBERS = {"and", "or", "to", "by", "than"}  # "hundred and fifty", "9 or 10", "3 to 4", "10 by 12"
_NUMBER_WORDS = {
    "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "hundred", "thousand", "million", "half", "double", "triple",
}  # fmt: skip
_NUMERAL = re.compile(r"^[$#]?\d[\d,.:/-]*(st|nd|rd|th|k|m|%)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Piece:
    """One stretch of a reply to synthesise and play."""

    text: str  # as written: what the transcript and the heard fraction of a barge-in use
    say: str  # as synthesised: a cut before a word gets a comma (the tone of an unfinished sentence)
    cut: bool = False  # it ends mid-sentence: the rest of its sentence follows at once


class ReplyCutter:
    """Cuts one reply, line by line as the engine gives them (it remembers the last piece's length)."""

    def __init__(self) -> None:
        # Spoken length of what plays while the next piece is synthesised: the last piece within a
        # sentence, the whole sentence before (0: nothing yet, the reply's first piece is next).
        self._last = 0.0

    def cut(self, line: str) -> list[Piece]:
        out: list[Piece] = []
        for sentence in sentences(line):
            out += self._sentence(sentence)
        return out

    def _sentence(self, sentence: str) -> list[Piece]:
        words = sentence.split()
        out: list[Piece] = []
        if self._last == 0.0:
            head = first_phrase(words)
            if head is not None:
                out.append(_head(words, head))
                self._last, words = spoken_length(out[-1].text), words[head:]
        while spoken_length(" ".join(words)) > GROWTH * self._last > 0:
            at = _within(words, GROWTH * self._last)
            if at is None:
                break
            out.append(_head(words, at))
            self._last, words = spoken_length(out[-1].text), words[at:]
        rest = " ".join(words)
        out.append(Piece(rest, rest))
        self._last = spoken_length(sentence)
        return out


def sentences(text: str) -> list[str]:
    buffer = SentenceBuffer()
    out = buffer.feed(text + " ")
    if rest := buffer.flush():
        out.append(rest)
    return out


def first_phrase(words: list[str]) -> int | None:
    """How many words the first phrase of a reply takes: None, the sentence is spoken whole."""
    if spoken_length(" ".join(words)) <= WHOLE_UP_TO:
        return None
    low, high = FIRST_HEAD
    fits = [at for at in _pauses(words, 1) if low <= spoken_length(" ".join(words[:at])) <= high]
    return fits[0] if fits else _word_cut(words)


def spoken_length(text: str) -> float:
    """About how long `text` takes to say, in characters: a digit is said as a word ("5": "five")."""
    return len(text) + 3 * sum(c.isdigit() for c in text)


def _head(words: list[str], at: int) -> Piece:
    head = " ".join(words[:at])
    spoken = head if head.endswith(_CLAUSE_END) or words[at - 1] in _DASHES else head + ","
    return Piece(head, spoken, cut=True)


def _within(words: list[str], budget: float) -> int | None:
    """The latest pause whose head fits in `budget`; else the first pause at all (a shorter piece
    than the whole still comes sooner)."""
    pauses = _pauses(words)
    fits = [at for at in pauses if spoken_length(" ".join(words[:at])) <= budget]
    return fits[-1] if fits else (pauses[0] if pauses else None)


def _pauses(words: list[str], shortest: int = 2) -> list[int]:
    """Every punctuated boundary (as a head's word count) with `shortest` words or more before it
    and two or more after it."""
    found, at = [], shortest
    while (at := _punctuated_cut(words, at, len(words) - 2) or 0) > 0:
        found.append(at)
        at += 1
    return found


def _punctuated_cut(words: list[str], low: int, high: int) -> int | None:
    """The first clause end in [low, high] words that is not inside a number."""
    for at in range(max(low, 1), min(high, len(words) - 1) + 1):
        last = words[at - 1]
        if last in _DASHES:
            if at >= 2 and not _between_numbers(words[at - 2], words[at]):
                return at
        elif last.endswith(_CLAUSE_END) and len(last) > 1 and not _between_numbers(last, words[at]):
            return at
    return None


def _word_cut(words: list[str]) -> int | None:
    """The longest first phrase that ends before a conjunction, else before a preposition ("goes by"
    is a worse place than "goes by text | to"); never inside a number."""
    for kind in (_CONJUNCTIONS, _PREPOSITIONS):
        fits = [
            at for at in range(2, len(words) - 1)
            if words[at].lower() in kind
            and not (words[at].lower() in _JOINS_NUMBERS and _between_numbers(words[at - 1], words[at + 1]))
            and WORD_HEAD_FROM <= spoken_length(" ".join(words[:at])) <= FIRST_HEAD[1]
        ]  # fmt: skip
        if fits:
            return fits[-1]
    return None


def _between_numbers(before: str, after: str) -> bool:
    """ "9, 9:30", "5 5 5, 0 1 3 4", "hundred and fifty", "3 to 4": one number, not a place to pause."""
    return _numeric(before) and _numeric(after)


def _numeric(word: str) -> bool:
    bare = word.strip("\"'()[],;:.!?")
    return bool(_NUMERAL.match(bare)) or bare.lower() in _NUMBER_WORDS
