"""Has the caller finished? Read from the words said so far (VOICEPOD_END_OF_TURN=text).

When the caller pauses, the incremental STT has (or soon has) the turn so far as text
(gateway/providers/stt/incremental.py). An English sentence cannot end on some words: an article
("the"), a preposition ("to", "for"), a conjunction ("and"), a contraction ("I'm", "it's"), a
filler ("um"); nor can "my name is" end on its "is". What the dialog expects says more: a phone
number with fewer than ten digits is still being said, an e-mail address with no "at" yet too.
Any of these makes the pause "incomplete" and the turn waits longer; otherwise "complete", and the
turn may end at the short pause.

The rules are general English, written without the benchmark's sentences in view
(bench/eot_speech.py keeps a held-out set). They err towards "incomplete": that only costs the
caller the longer wait, while a wrong "complete" cuts them off. Every verdict says why, for logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from gateway.agent.spoken_numbers import digit_string
from gateway.providers.stt import Transcript
from gateway.providers.stt.context import SpeechContext

ARTICLES = {"a", "an", "the", "every", "each", "another", "my", "your", "our", "their"}
PREPOSITIONS = {
    "of", "to", "for", "from", "with", "at", "by", "about", "around", "into", "onto", "than", "between",
    "near", "toward", "towards", "through", "via", "per", "on", "in", "under", "within", "across", "among",
    "without", "during", "until", "till", "including", "except", "like",
}  # fmt: skip
CONJUNCTIONS = {"and", "or", "but", "nor", "because", "cause", "if", "unless", "whether", "although", "while",
                "plus", "whereas"}  # fmt: skip
# Never the last word of a sentence: a contraction of a subject and a verb that needs its complement.
CONTRACTIONS = {
    "i'm", "you're", "we're", "they're", "it's", "that's", "there's", "here's", "he's", "she's", "what's",
    "i've", "we've", "you've", "they've", "i'll", "we'll", "you'll", "they'll", "it'll", "i'd", "we'd",
    "you'd", "they'd", "let's", "who's", "where's",
}  # fmt: skip
FILLERS = {"um", "uh", "er", "erm", "uhm", "umm", "uhh", "hmm", "mm", "ah", "eh"}
# "is" ends "yes it is" but not "my name is": the verb may end a sentence only after a pronoun.
LINKING_VERBS = {"is", "are", "was", "were", "am", "be", "being", "been", "'s"}
PRONOUNS = {"i", "you", "he", "she", "it", "we", "they", "that", "this", "there", "here", "who", "what", "which",
            "where", "so", "not", "one", "ones"}  # fmt: skip
# Spoken numbers and addresses in the middle: "one point", "john dot".
JOINERS = {"point", "dot", "dash", "hyphen", "underscore", "slash"}
# A particle that ends a phrasal verb ("hold on", "come in"): the word before it says so.
PHRASAL = {
    ("hold", "on"), ("come", "on"), ("go", "on"), ("carry", "on"), ("later", "on"), ("so", "on"), ("log", "on"),
    ("come", "in"), ("log", "in"), ("sign", "in"), ("check", "in"), ("move", "in"), ("fill", "in"),
    ("drop", "by"), ("stand", "by"), ("come", "by"), ("get", "by"), ("look", "around"), ("come", "around"),
    ("come", "through"), ("go", "through"), ("get", "through"), ("fall", "through"), ("for", "now"),
}  # fmt: skip
PHONE_DIGITS = 10
_WORD = re.compile(r"[a-z0-9@]+(?:'[a-z]+)?")


class HearsSoFar(Protocol):
    """What an STT session that decodes while the caller speaks can tell (incremental.py)."""

    def said_so_far(self) -> tuple[Transcript, SpeechContext] | None:
        """The open turn's text and the expectation it was decoded with, if a decode has heard all
        of the caller's speech so far; None: no such decode (yet)."""
        ...


def text_turns_problem(stt: str, incremental: bool) -> str | None:
    """Why VOICEPOD_END_OF_TURN=text cannot run with this STT (said at start), or None."""
    if stt != "whisper":
        return f"VOICEPOD_END_OF_TURN=text reads whisper's text while the caller speaks; VOICEPOD_STT={stt!r}"
    if not incremental:
        return "VOICEPOD_END_OF_TURN=text needs VOICEPOD_STT_INCREMENTAL=on (its default with text)"
    return None


@dataclass(frozen=True)
class TextVerdict:
    complete: bool
    reason: str  # why, in a few words (logged with the turn)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def judge_words(text: str, slot: str | None = None) -> TextVerdict:
    """`text`: the caller's turn so far as the STT wrote it; `slot`: what the dialog asked for
    (gateway/providers/stt/context.py SpeechContext.slot), None if nothing in particular."""
    words = words_of(text)
    if not words:
        return TextVerdict(False, "no words yet")
    if text.rstrip().endswith(("...", "…", "-", "—")):
        return TextVerdict(False, "trails off")
    expected = _expected(text, words, slot)
    if expected is not None:
        return expected
    last = words[-1]
    before = words[-2] if len(words) > 1 else ""
    if (before, last) in PHRASAL:
        return TextVerdict(True, f"ends on '{before} {last}'")
    for kind, listed in (("a filler", FILLERS), ("an article", ARTICLES), ("a preposition", PREPOSITIONS),
                         ("a conjunction", CONJUNCTIONS), ("a contraction", CONTRACTIONS),
                         ("a joining word", JOINERS)):  # fmt: skip
        if last in listed:
            return TextVerdict(False, f"ends on '{last}' ({kind})")
    if last in LINKING_VERBS and before not in PRONOUNS:
        return TextVerdict(False, f"ends on '{before} {last}'")
    return TextVerdict(True, f"ends on '{last}'")


def _expected(text: str, words: list[str], slot: str | None) -> TextVerdict | None:
    """What the dialog asked for, not there yet; None: nothing to say from it."""
    if slot == "phone":
        digits = len(digit_string(text))
        if 0 < digits < PHONE_DIGITS:
            return TextVerdict(False, f"a phone number of {digits} digits so far")
    if slot == "email" and "@" not in text and "at" not in words:
        return TextVerdict(False, "an e-mail address with no 'at' yet")
    return None
