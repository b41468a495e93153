"""What callers answer to the dialog's non-phone questions, in everyday phrasing, for bench/stt_slots.py.

Two phrasings pools and two sets of listings read out: the TUNING voices say the tuning lines
(about the tuning listings), the HELD-OUT voices other lines about other listings, so nothing of
the held-out set (voices, words, street names) was seen while choosing. The right answer of a line
is what the dialog's parser reads from the line as written (bench/stt_slots.py checks that every
line has one), so the score is "the parser got the right slot value", not word errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.stt.corpus import HELD_OUT, Voice

# The audio persona voices where calls fail (docs/evals.md), as evals/persona_audio.py speaks them
# (espeak-ng, 160 words a minute, default pitch), and one more of bench/stt/corpus.py's tuning voices.
TUNING = (
    Voice("029-m1", "espeak", "en-029+m1", 160, 50),
    Voice("scotland-f3", "espeak", "en-gb-scotland+f3", 160, 50),
    Voice("us-klatt", "espeak", "en-us+klatt", 160, 50),
    Voice("us-m1-phone", "espeak", "en-us+m1", 165, 45, telephone=True),
)
HELD_OUT_VOICES = HELD_OUT  # bench/stt/corpus.py's held-out voices: nothing here was tuned on them


@dataclass(frozen=True)
class SlotLine:
    slot: str  # the question it answers: time | city | criteria | listing | yes_no
    said: str


TUNING_LINES = {
    "time": ["Tuesday at four in the afternoon would be ideal.", "How about Thursday morning?",
             "Saturday around ten.", "Could we do Friday at two thirty?", "Wednesday after three.",
             "Monday at noon works for me."],
    "city": ["Somewhere in Tucson.", "We're looking in Charlotte.", "Austin, please.",
             "I'd like to live in San Antonio.", "Around Orlando.", "Raleigh, North Carolina."],
    "criteria": ["Three bedrooms, a condo.", "A house with four bedrooms.", "A two bedroom townhouse.",
                 "At least three bedrooms and two baths.", "A condo, please.", "We need five bedrooms."],
    "listing": ["The one on Cedar Trail.", "The second one.", "The cheaper one.",
                "I like the Spring Street one.", "The last one, please.", "The first one sounds good."],
    "yes_no": ["Yes, that's right.", "Yeah, sure.", "No, that's wrong.", "Correct.", "Nope.", "Yes please."],
}  # fmt: skip
HELD_OUT_LINES = {
    "time": ["I'm free on Thursday at eleven.", "Friday afternoon works for me.",
             "Let's say Tuesday at half past one.", "Sunday morning if possible.", "Next Wednesday at three PM.",
             "Maybe Saturday at nine."],
    "city": ["In Phoenix.", "My wife wants Nashville.", "Minneapolis.", "A place in Sacramento.",
             "Anything near Tampa.", "Salt Lake City, Utah."],
    "criteria": ["Four bedrooms would be great.", "We need a townhouse.", "A single family house with three bedrooms.",
                 "A two bedroom condo.", "Something with two bathrooms.", "A house, nothing fancy."],
    "listing": ["The one on Maple Avenue.", "Let's see the third one.", "The cheapest.", "The Willow Creek one.",
                "Number two.", "The bigger one, please."],
    "yes_no": ["That's correct.", "No.", "Absolutely.", "No thank you.", "Yep.", "Sounds good."],
}  # fmt: skip


def _listing(mls_id: str, street: str, price: int, beds: int, feet: int) -> dict[str, Any]:
    return {"mls_id": mls_id, "address": {"street": street}, "price_usd": price, "bedrooms": beds,
            "square_feet": feet}  # fmt: skip


TUNING_MATCHES = [
    _listing("T1", "1412 Cedar Trail", 455_000, 3, 1600),
    _listing("T2", "88 Spring Street", 410_000, 3, 1450),
    _listing("T3", "2301 Lakeview Drive", 520_000, 4, 2100),
]
HELD_OUT_MATCHES = [
    _listing("H1", "17 Maple Avenue", 380_000, 2, 1100),
    _listing("H2", "905 Willow Creek Road", 430_000, 3, 1500),
    _listing("H3", "3120 Harbor View Lane", 610_000, 4, 2400),
]


def lines(held_out: bool) -> list[SlotLine]:
    pool = HELD_OUT_LINES if held_out else TUNING_LINES
    return [SlotLine(slot, text) for slot, texts in pool.items() for text in texts]


def matches(held_out: bool) -> list[dict[str, Any]]:
    return HELD_OUT_MATCHES if held_out else TUNING_MATCHES
