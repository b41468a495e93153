"""A caller's question about a home read out, answered from its listing: "how many bathrooms does the
first one have?", "how much is the Harbor one?", "does it have a garage?". People ask before they
choose (held-out set 4 neil); taken as a pick, such a question once chose a time ("the first one"
was the first time offered). Only what the listing holds is said; the question asked before it is
asked again by the dialog."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.agent import readout, speech_text
from gateway.agent.frame import Frame
from gateway.agent.turn_parser import Turn
from verticals.real_estate import readouts

# Asking, not telling: an interrogative first, or a question mark.
_ASKS = re.compile(
    r"^\W*(?:(?:and|so|um|uh|ok|okay|sorry|wait|oh)\W+)*(?:how|what|what's|whats|does|do|is|are|has|when|where)\b"
)
# A feature asked about a home named ("does it have a garage?", "do any of them have a pool?"); "do you
# have anything with a pool?" is a new search, not a question about these.
_HOME_SUBJECT = (r"(?:it|they|that|this|that one|this one|either|any of (?:them|those|these)|"
                 r"(?:the|that|this)\s+(?:[a-z0-9]+\s+){0,3}(?:one|1|home|house|place|condo|listing))")  # fmt: skip
_FEATURE = re.compile(rf"\b(?:does|do|did|is there|has|have)\s+{_HOME_SUBJECT}\b.*?\b"
                      r"(garage|pool|yard|backyard|basement|fireplace|balcony|patio|view|parking|elevator|"
                      r"office|porch|deck|garden)s?\b")  # fmt: skip
# A new search asked as a question: "what about four bedrooms?", "is there one with a pool?".
_SEARCH_AGAIN = re.compile(r"\b(?:what about|how about|anything|something|any (?:homes?|houses?|condos?)|"
                           r"is there (?:one|a home|a house|anything)|do you have)\b")  # fmt: skip
# Whatever else the turn holds that is no reference to a home makes it more than a question.
_HOME_REFERENCES = {"listing", "choice", "price", "features"}
_ORDINAL = {"first": 0, "second": 1, "third": 2, "1st": 0, "2nd": 1, "3rd": 2, "last": -1}


def _baths(home: dict[str, Any]) -> str:
    baths = float(home.get("bathrooms", 0))
    return f"{baths:g}".replace(".5", " and a half") + f" bath{'s' if baths != 1 else ''}"


def _beds(home: dict[str, Any]) -> str:
    beds = int(home.get("bedrooms", 0))
    return "is a studio" if beds == 0 else f"has {readout.number(beds)} bedroom{'s' if beds != 1 else ''}"


# (what is asked, how the answer about one home is said)
_FACTS: Sequence[tuple[re.Pattern[str], Callable[[dict[str, Any]], str]]] = (
    (re.compile(r"\bbath(?:room)?s?\b"), lambda h: f"has {_baths(h)}"),
    (re.compile(r"\bbed(?:room)?s?\b"), _beds),
    (re.compile(r"\b(?:how much (?:is|does|are|for|would)|price|cost|costs|asking)\b"),
     lambda h: f"is {speech_text.price(int(h.get('price_usd', 0)))}"),
    (re.compile(r"\b(?:how big|square (?:feet|foot|footage)|sq ?ft|size)\b"),
     lambda h: f"is {int(h.get('square_feet', 0)):,} square feet" if h.get("square_feet") else "has no size listed"),
    (re.compile(r"\b(?:how old|year built|when was it built|built)\b"),
     lambda h: f"was built in {h['year_built']}" if h.get("year_built") else "has no year listed"),
)  # fmt: skip


@dataclass(frozen=True)
class Answer:
    homes: list[dict[str, Any]]  # the homes it is about
    lines: list[str]
    whole: bool  # the turn is only this question: nothing after it, no value that is no home reference


def whole_question(turn: Turn) -> bool:
    """ "How many baths does it have?" alone, not "Friday at 10 works. Does it have parking?" nor "how much
    is it? okay, that's too much" (which go on)."""
    raw = turn.said.raw
    tail = raw.rsplit("?", 1)[1] if "?" in raw else ""
    return not re.search(r"[a-z]{2,}", tail.lower()) and not set(turn.values) - _HOME_REFERENCES


def answer(turn: Turn, frame: Frame, talked_about: dict[str, Any] | None = None) -> Answer | None:
    """The answer to a question about the homes read out (or the one chosen, or `talked_about`: "does
    it have a garage?" after a question about one home), or None: no such question."""
    text, raw = turn.said.text, turn.said.raw
    if not (_ASKS.search(text) or raw.rstrip().endswith("?")) or _SEARCH_AGAIN.search(text):
        return None
    if {"city", "bedrooms", "bathrooms", "property_type"} & set(turn.values):
        return None  # "what four bedroom ones do you have?": criteria, a new search
    homes = _homes_meant(text, frame)
    if talked_about is not None and frame.listing is None and len(homes) > 1 and re.search(r"\b(it|that|this)\b", text):
        homes = [talked_about]
    if not homes:
        return None
    whole = whole_question(turn)
    if m := _FEATURE.search(text):
        return Answer(homes, _has(homes, m.group(1)), whole)
    for asked, say in _FACTS:
        if asked.search(text):
            return Answer(homes, [f"{readouts.street(home)} {say(home)}." for home in homes], whole)
    return None


def _homes_meant(text: str, frame: Frame) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = frame.get("matches", [])
    known = [*shown, *frame.get("more_matches", [])]
    for word, index in _ORDINAL.items():
        if re.search(rf"\b{word}\b", text) and shown and index < len(shown):
            return [shown[index]]
    for home in known:
        words = [w for w in re.findall(r"[a-z]+", readouts.street(home).lower()) if len(w) > 2]
        if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words[:-1] or words):
            return [home]
    if frame.listing is not None:
        return [frame.listing]
    return list(shown)


def _has(homes: list[dict[str, Any]], feature: str) -> list[str]:
    def listed(home: dict[str, Any]) -> bool:
        said = " ".join([str(home.get("description", "")), *map(str, home.get("features", []))]).lower()
        named = rf"\b(?:back)?{feature}s?\b" if feature == "yard" else rf"\b{feature}s?\b"
        negated = rf"\b(?:no|without|not an?)\s+(?:\w+\s+)?{feature}"
        return bool(re.search(named, said)) and not re.search(negated, said)

    having = [readouts.street(h) for h in homes if listed(h)]
    a = feature if feature == "parking" else f"{'an' if feature[0] in 'aeiou' else 'a'} {feature}"
    if len(homes) == 1:
        street = readouts.street(homes[0])
        return [f"Yes, {street} has {a}." if having else f"The listing for {street} doesn't mention {a}."]
    if not having:
        return [f"None of these lists {a}."]
    return [f"{readout.either(having).replace(' or ', ' and ')} {'has' if len(having) == 1 else 'have'} {a}."]
