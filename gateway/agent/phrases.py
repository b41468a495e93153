"""Where a reply is cut for speech: its first sentence at a phrase boundary, everything else as
whole sentences.

A TTS synthesises a text in one go (Piper runs its model once per sentence and nothing finer), so a
reply's first audio waits for the whole first sentence: ~0.3 s for a long read-back on a busy
machine. A first phrase of a few words is synthesised in tens of ms and plays while the rest of
the sentence is synthesised. Cuts fall only where a speaker pauses anyway: after a comma, colon,
semicolon or dash, or (a long sentence without one) before a conjunction or preposition; never
inside a number ("$650,000", "9 1 9, 5 5 5", "two hundred and fifty", "9, 9:30 or 10 AM").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.agent.sentences import SentenceBuffer

WHOLE_UP_TO = 6  # words: a sentence this short is synthesised fast enough whole
PUNCTUATED_HEAD = (2, 8)  # words before a comma, colon, semicolon or dash where the cut may fall
WORD_HEAD = (4, 7)  # the same before a conjunction or preposition, when no punctuation is near
_CLAUSE_END = (",", ";", ":")
_DASHES = {"—", "–", "-", "--"}
# Words a long clause is cut before: conjunctions first, then prepositions (after a verb, as in
# "goes by", a preposition is a worse place: the head's 4 words make that rarer).
_CONJUNCTIONS = {"and", "but", "or", "so", "because", "which", "who", "where", "when", "while", "if", "than"}
_PREPOSITIONS = {"with", "for", "in", "on", "at", "from", "near", "under", "over", "to", "after", "before", "by"}
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


def pieces(text: str, *, first: bool) -> list[Piece]:
    """`text` as whole sentences; with `first` (a reply's first line), its first sentence in two."""
    buffer = SentenceBuffer()
    sentences = buffer.feed(text + " ")
    if rest := buffer.flush():
        sentences.append(rest)
    out = [Piece(s, s) for s in sentences]
    if first and out:
        out[:1] = first_phrase(sentences[0])
    return out


def first_phrase(sentence: str) -> list[Piece]:
    """The sentence as a short head and the rest, or whole when no good cut comes early enough."""
    words = sentence.split()
    if len(words) <= WHOLE_UP_TO:
        return [Piece(sentence, sentence)]
    at = _punctuated_cut(words) or _word_cut(words)
    if at is None:
        return [Piece(sentence, sentence)]
    head, tail = " ".join(words[:at]), " ".join(words[at:])
    spoken = head if head.endswith(_CLAUSE_END) or words[at - 1] in _DASHES else head + ","
    return [Piece(head, spoken, cut=True), Piece(tail, tail)]


def _punctuated_cut(words: list[str]) -> int | None:
    """How many words the head takes: the first clause end in range that is not inside a number."""
    low, high = PUNCTUATED_HEAD
    for at in range(low, min(high, len(words) - 1) + 1):
        last = words[at - 1]
        if last in _DASHES:
            if not _between_numbers(words[at - 2], words[at]):
                return at
        elif last.endswith(_CLAUSE_END) and len(last) > 1 and not _between_numbers(last, words[at]):
            return at
    return None


def _word_cut(words: list[str]) -> int | None:
    """The head up to the first conjunction in range, else the first preposition; not inside a number."""
    low, high = WORD_HEAD
    for kind in (_CONJUNCTIONS, _PREPOSITIONS):
        for at in range(low, min(high, len(words) - 2) + 1):
            if words[at].lower() in kind and not _between_numbers(words[at - 1], words[at + 1]):
                return at
    return None


def _between_numbers(before: str, after: str) -> bool:
    """ "9, 9:30", "5 5 5, 0 1 3 4", "hundred and fifty", "3 to 4": one number, not a place to pause."""
    return _numeric(before) and _numeric(after)


def _numeric(word: str) -> bool:
    bare = word.strip("\"'()[],;:.!?")
    return bool(_NUMERAL.match(bare)) or bare.lower() in _NUMBER_WORDS
