"""A caller's correction inside one breath: "two bedrooms, no, sorry, three" means three bedrooms,
"Wednesday at two, oh, actually no, make it three" means Wednesday at three (held-out persona
rosalind: both were taken as first said). The number said after the repair takes the place of the
one before it, with that one's words ("bedrooms") kept, so every slot's parser sees one value.

Works on normalised text (gateway/agent/numbers.normalise: digits, no commas). A digit run is left
alone ("5 1 2 no 5 1 3" is a phone number corrected in parts: the number's own business).
"""

from __future__ import annotations

import re

# What people say between the number they said and the one they meant. One of the first group
# must be there ("make it 3" alone is no repair of anything).
_REPAIR_WORD = r"(?:no|nope|sorry|actually|i mean|wait|rather|scratch that|correction)"
_FILLER = r"(?:oh|0|um|uh|er|make it|let's say|lets say|let's make it|or|it's|its|i'd say)"
_REPAIR = re.compile(
    rf"(?<![\d:]\s)(?<![\d:])\b(?P<old>\d{{1,2}}(?::\d\d)?)(?P<words>(?:\s+(?!{_REPAIR_WORD}\b)[a-z]+){{0,2}}?)"
    rf"(?P<marker>(?:\s+{_FILLER})*\s+{_REPAIR_WORD}(?:\s+(?:{_REPAIR_WORD}|{_FILLER}))*)"
    rf"\s+(?P<new>\d{{1,2}}(?::\d\d)?)\b(?!\s+\d)(?P<after>\s+[a-z]+)?"
)
# Words that say what a number counts: a repair that names another ("2 baths, no, 3 bedrooms") is
# two values, not one corrected.
_UNITS = re.compile(r"\b(bed|beds|bedroom|bedrooms|bath|baths|bathroom|bathrooms|am|pm|o'clock|thirty)\b")


def self_repaired(text: str) -> str:
    return _REPAIR.sub(_repair, text)


def _repair(m: re.Match[str]) -> str:
    words, after = m["words"] or "", m["after"] or ""
    said_unit, new_unit = _UNITS.search(words), _UNITS.search(after)
    if said_unit and new_unit and said_unit[0].rstrip("s") != new_unit[0].rstrip("s"):
        return m[0]
    return f"{m['new']}{words}{after}"  # "at 2, no, 3 pm": a unit said with the new number comes too
