"""A whisper decoding prompt from what the dialog expects to hear (gateway/providers/stt/context.py).

Whisper continues the style of the text before it: a prompt that writes a phone number as
digits makes the decoder write digits ("512-555-0134") rather than words or a dropped
"five"; a list of the agent's cities makes "condo in Austin" likelier than "con dune Austin".
The prompts were chosen on the TUNING voices of bench/stt/corpus.py, never on the held-out ones.
A prompt is also text whisper may copy: each one was checked on noise-only turns.
"""

from __future__ import annotations

from gateway.providers.stt.context import SpeechContext

# Only prompts that helped on the tuning voices AND never came back as words on a line with nobody
# speaking. Tried and dropped: an example name ("My name is Maria Lopez": "Priya Johnson" came back as
# "Maria Johnson"), an example e-mail address (copied into other addresses), example times
# ("Saturday at 10 AM": tiny.en wrote "Friday at 10 AM" on three of three noise-only turns). Not tried: a yes/no
# prompt (a "yes" copied out of noise would confirm a booking). Dropped too: a city sentence ending "a condo in" (the
# caller's own "a condo in" was then dropped from the text). The slot's phrases (the agent's cities)
# are given as a plain list.
SLOT_PROMPTS = {
    # In words, not digits: whisper then writes "double five, oh" as said instead of collapsing the
    # repeats into a digit group with one missing (tuning set, base: 2 -> 8 of 16 numbers exactly right).
    "phone": "Phone number: five one two, five five five, oh one three four. Double five, triple five, oh.",
}
MAX_PHRASES = 30
# Beam search where one token decides a digit: on the tuning voices tiny.en got 11 of 24 phone numbers
# exactly right with 5 beams against 8 with greedy decoding, for ~13 % more CPU on those turns only.
SLOT_BEAMS = {"phone": 5}


def beams(context: SpeechContext) -> int:
    return SLOT_BEAMS.get(context.slot or "", 1)


def prompt(context: SpeechContext) -> str | None:
    """The initial prompt for a turn expected to answer `context`; None (no prompt, whisper as it was)
    when the dialog said nothing about the turn."""
    base = SLOT_PROMPTS.get(context.slot or "")
    phrases = ", ".join(context.phrases[:MAX_PHRASES])
    if base and phrases:
        return f"{phrases}. {base}"
    return base or (f"{phrases}." if phrases else None)
