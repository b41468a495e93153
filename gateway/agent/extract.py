"""What a caller's turn says, for the real-estate flow: slots pulled out by rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser
import phonenumbers

from gateway.agent.numbers import money, normalise, price_range

YES = re.compile(r"\b(yes|yeah|yep|sure|ok|okay|please|sounds good|that works|perfect|great|absolutely|let'?s do it)\b")
NO = re.compile(r"\b(no|nope|not really|no thanks|don'?t|nah)\b")
REPEAT = re.compile(r"\b(repeat|say that again|come again|pardon|what did you say|again\?)\b")
GOODBYE = re.compile(r"\b(bye|goodbye|hang up|that'?s all|that is all)\b")
TYPES = {
    "single_family": r"\b(house|home|single family)\b",
    "condo": r"\b(condo|apartment|flat)\b",
    "townhouse": r"\b(townhouse|town house|townhome)\b",
}
TIME_WORDS = re.compile(
    r"\b(today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|morning|afternoon|evening|"
    r"noon|\d{1,2}(:\d\d)?\s*(am|pm|a\.m\.|p\.m\.|o'?clock)|\d{1,2}:\d\d|next week|at \d{1,2})\b"
)


@dataclass
class Heard:
    """Everything the rules found in one turn (None/empty: not mentioned)."""

    text: str
    city: str | None = None
    bedrooms: int | None = None
    max_price: int | None = None
    min_price: int | None = None
    property_type: str | None = None
    when: datetime | None = None
    phone: str | None = None
    name: str | None = None
    choice: int | None = None  # "the second one"
    yes: bool = False
    no: bool = False
    repeat: bool = False
    goodbye: bool = False
    correction: bool = False
    features: list[str] = field(default_factory=list)


ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "last": -1}


def hear(text: str, *, cities: Sequence[str], tz: ZoneInfo, now: datetime) -> Heard:
    raw = text.strip()
    t = normalise(raw)
    h = Heard(text=raw)
    for city in cities:
        if re.search(rf"\b{re.escape(city.lower())}\b", t):
            h.city = city
            break
    if m := re.search(r"\b(\d{1,2})\s*(?:bed|beds|bedroom|bedrooms|br|bd|bdr|bdrm)\b", t):
        h.bedrooms = int(m.group(1))
    prices = money(t)
    if span := price_range(t):
        h.min_price, h.max_price = span
    elif prices:
        if re.search(r"\bbetween\b", t) and len(prices) >= 2:
            h.min_price, h.max_price = min(prices[:2]), max(prices[:2])
        elif re.search(r"\b(over|above|more than|at least|minimum)\b", t):
            h.min_price = prices[0]
        else:
            h.max_price = prices[0]
    for kind, pattern in TYPES.items():
        if re.search(pattern, t):
            h.property_type = kind
    if "pool" in t:
        h.features.append("pool")
    h.phone = phone_in(t)
    h.when = when_in(t, tz=tz, now=now)
    if m := re.search(r"\b(?:my name is|this is|i am|i'm|it's|name's)\s+([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+)?)", t):
        candidate = m.group(1).strip()
        if not re.search(r"\b(looking|interested|calling|not|just|here|good|fine|ok|the)\b", candidate):
            h.name = candidate.title()
    for word, n in ORDINALS.items():
        if re.search(rf"\b{word}\b", t):
            h.choice = n
            break
    h.yes, h.no = bool(YES.search(t)), bool(NO.search(t))
    h.repeat, h.goodbye = bool(REPEAT.search(t)), bool(GOODBYE.search(t))
    h.correction = bool(re.search(r"\b(actually|instead|i meant|change|make it|rather)\b", t))
    return h


def phone_in(text: str) -> str | None:
    """A US phone number in the turn, as E.164, or None (digits may be spoken one by one)."""
    digits = re.sub(r"\D", "", re.sub(r"(\d)\s+(?=\d)", r"\1", text))
    for m in re.finditer(r"\+?1?\d{10}", digits):
        number = phonenumbers.parse(m.group(0), "US")
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def digits_said(text: str) -> int:
    """How many digits the caller said (to tell a bad number from no number)."""
    return len(re.sub(r"\D", "", normalise(text)))


def when_in(text: str, *, tz: ZoneInfo, now: datetime) -> datetime | None:
    """A future date and time in the listing's zone ("tuesday at 3:30 pm", "tomorrow morning")."""
    # "half past 2" -> "2:30", "quarter to 3" -> "2:45" (before anything reads the hour alone).
    text = re.sub(
        r"\b(?:a\s+)?(half|quarter)\s+past\s+(\d{1,2})\b", lambda m: f"{m[2]}:{30 if m[1] == 'half' else 15}", text
    )
    text = re.sub(r"\b(?:a\s+)?quarter\s+to\s+(\d{1,2})\b", lambda m: f"{int(m[1]) - 1 or 12}:45", text)
    if not TIME_WORDS.search(text):
        return None
    # "3 30 pm" / "at 3 30" (from "three thirty") -> "3:30"; "morning" etc. get a concrete hour.
    cleaned = re.sub(r"\b(\d{1,2})\s+(\d{2})\s*(am|pm)\b", r"\1:\2 \3", text)
    cleaned = re.sub(r"\b(at|around|by)\s+(\d{1,2})\s+([0-5]\d)\b", r"\1 \2:\3", cleaned)
    cleaned = re.sub(r"\b(\d{1,2}) o'?clock\b", r"\1:00", cleaned)
    cleaned = re.sub(r"\bat (\d{1,2})\b(?!\s*(?::|am|pm|a\.m|p\.m))", r"at \1:00", cleaned)
    for word, hour in (("morning", "10:00 am"), ("afternoon", "2:00 pm"), ("evening", "5:00 pm"), ("noon", "12:00 pm")):
        cleaned = cleaned.replace(word, hour)
    found = re.search(
        r"((?:today|tomorrow|next week|(?:next |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))"
        r"?(?:\s*(?:at|around|by)?\s*\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?)?)",
        cleaned,
    )
    phrase = " ".join(
        m.group(0)
        for m in re.finditer(
            r"today|tomorrow|next week|(?:next |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
            r"\d{1,2}(?::\d\d)?\s*(?:am|pm)|\d{1,2}:\d\d|(?<=at )\d{1,2}\b",
            cleaned,
        )
    )
    if not phrase or found is None:
        return None
    # An hour from 1 to 7 without am/pm is afternoon for a showing; saying so before parsing keeps
    # "at 2" said at 8 am today (as 2 am, which has passed, the future preference may make it tomorrow).
    phrase = re.sub(r"\b([1-7])(:\d\d)?\b(?!\s*(?:am|pm|:))", r"\1\2 pm", phrase)
    local_now = now.astimezone(tz)
    parsed = dateparser.parse(
        phrase,
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "TIMEZONE": tz.key,
            "RETURN_AS_TIMEZONE_AWARE": True,
        },
    )
    if parsed is None:
        return None
    if not re.search(r"\d", phrase):
        parsed = parsed.replace(hour=10, minute=0, second=0, microsecond=0)  # a day without a time: 10 am
    parsed = parsed.astimezone(tz)
    if parsed.hour < 8 and not re.search(r"\bam\b", phrase):
        parsed = parsed.replace(hour=parsed.hour + 12)  # "at 3" means 3 pm for a showing
    if parsed <= local_now and not re.search(r"day|tomorrow|week", phrase):
        parsed += timedelta(days=1)  # a time alone that has passed today means tomorrow
    return parsed if parsed > local_now else None
