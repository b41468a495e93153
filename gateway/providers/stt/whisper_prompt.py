"""A whisper decoding prompt from what the dialog expects to hear (gateway/providers/stt/context.py).

Whisper continues the style of the text before it: a prompt that writes a phone number as
digits makes the decoder write digits ("512-555-0134") rather than words or a dropped
"five"; a list of the agent's cities makes "condo in Austin" likelier than "con dune Austin".
The prompts were chosen on the TUNING voices of bench/stt/corpus.py, never on the held-out ones.
"""

from __future__ import annotations

from gateway.providers.stt.context import SpeechContext

# Short: a long prompt costs decoder time on every turn and can leak its own words into the text.
SLOT_PROMPTS = {
    # In words, not digits: whisper then writes "double five, oh" as said instead of collapsing the
    # repeats into a digit group with one missing (tuning set: 2 -> 8 of 16 numbers exactly right).
    "phone": "Phone number: five one two, five five five, oh one three four. Double five, triple five, oh.",
    "name": "My name is Maria Lopez. That's L-O-P-E-Z.",
    "email": "It's maria dot lopez at gmail dot com.",
    "time": "Saturday at 10 AM. Friday at half past three.",
    "yes_no": "Yes, that's right. No.",
    "listing": "The first one. The cheaper one.",
    "city": "I'm looking for a condo in",
}
MAX_PHRASES = 30


def prompt(context: SpeechContext) -> str | None:
    """The initial prompt for a turn expected to answer `context`; None (no prompt, whisper as it was)
    when the dialog said nothing about the turn."""
    base = SLOT_PROMPTS.get(context.slot or "")
    phrases = ", ".join(context.phrases[:MAX_PHRASES])
    if base and phrases:
        return f"{phrases}. {base}"
    return base or (f"{phrases}." if phrases else None)
