"""The adaptive caller: given a persona and the agent's last reply, what it says next.

It answers what was asked (a slot, a choice among listings or times, a read-back), checks a
read-back against its goal (the digits of its number, the time it wanted or accepted) and says
"no, it's ..." when something is wrong and "yes" only when all is right. When it cannot tell
what was asked it offers the next thing it has not said yet, like a person filling a silence.
It hangs up after a goodbye, when it has nothing left to say, or after MAX_TURNS.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from evals import heard
from evals.persona import Persona, Window
from evals.persona_ear import Heard, Offered, day_named, hear
from services.mls_lookup.sample import METROS

MAX_TURNS = 24
# The place in a read-back ("a showing of 4060 Meadow Rd in Denver on Monday..."): a caller
# whose city was misheard says so, as a person would, instead of saying yes to another city.
_READ_BACK_CITY = re.compile(r" in ([A-Z][A-Za-z.' -]*?) on ")
_DID_YOU_SAY = re.compile(r"\bdid you say\b", re.IGNORECASE)
_NUMBER_PART = re.compile(r"\b(area code first)|\b(?:remaining|other) seven digits\b", re.IGNORECASE)
_CHANGE = re.compile(r"\bwhat (?:should i|would you like to) change\b", re.IGNORECASE)
_READ_BACK_HOME = re.compile(r"\ba showing of (.+?) in [A-Z]")
_READ_BACK_NAME = re.compile(r" for ([A-Z][A-Za-z.' -]*?), and the confirmation")
# "say one for Friday at 9:30 AM, or two for Friday at 10:30 AM": a person says the number.
_SAY_A_NUMBER = re.compile(r"\bsay one for\b", re.IGNORECASE)
GIVE_UP_AFTER = 3  # the same reply heard this many times more
ORDINALS = {1: "first", 2: "second", 3: "third"}
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TYPES = {"single_family": "house", "condo": "condo", "townhouse": "townhouse", "multi_family": "duplex",
         "land": "lot"}  # fmt: skip

DEFAULT_WAYS: dict[str, tuple[str, ...]] = {
    "city": ("in {city}", "somewhere in {city}", "{city}, ideally"),
    "bedrooms": ("{bedrooms} bedrooms", "at least {bedrooms} bedrooms", "{bedrooms} beds"),
    "type": ("a {type}", "looking at a {type}", "{type}"),
    "budget": ("{budget}",),
    "name": ("my name is {name}", "it's {name}", "{name}", "this is {name}"),
    "phone": ("my number is {phone}", "it's {phone}", "{phone}", "you can reach me at {phone}"),
    "email": ("my email is {email}", "{email}"),
    "yes": ("yes", "yes, that's right", "yeah, correct", "that's right", "yes please"),
    "listing": ("{listing}",),
}
ANYTHING_ELSE_NO = ("no, that's all, thanks", "no thanks, that's it", "nope, that's everything")
SILENCE = ("hmm, hold on a second", "um, sorry, one moment", "uh")


def zone_of(city: str) -> ZoneInfo:
    for metro in METROS:
        if metro.city.lower() == city.lower():
            return ZoneInfo(metro.time_zone)
    return ZoneInfo("America/Chicago")


def speak_digits(phone: str) -> str:
    d = heard.national(phone)
    groups = [d[:3], d[3:6], d[6:]] if len(d) == 10 else [d]
    return ", ".join(" ".join(NUMBER_WORDS[int(c)] for c in g) for g in groups)


def speak_money(amount: int) -> str:
    if amount >= 1_000_000:
        millions = amount / 1_000_000
        return f"{millions:g} million"
    return f"{amount // 1000} thousand"


def speak_time(at: datetime) -> str:
    hour = at.hour % 12 or 12
    minutes = "" if at.minute == 0 else f":{at.minute:02d}"
    return f"{heard.WEEKDAYS[at.weekday()]} at {hour}{minutes} {'am' if at.hour < 12 else 'pm'}"


_JUST_THE = re.compile(r"\bjust the (?:city|name|day|hour|street|number)\b", re.IGNORECASE)
_JUST_SAY_YES = re.compile(r"\bjust say yes\b", re.IGNORECASE)


@dataclass
class CallerState:
    given: set[str] = field(default_factory=set)
    phone_said: str | None = None  # the number the caller last said
    corrected_phone: bool = False
    listing_chosen: bool = False
    listings: list[Offered] = field(default_factory=list)
    turns: int = 0
    done: bool = False  # said its goodbye
    silences: int = 0
    asked_to_repeat: int = 0
    listing_asks: int = 0  # how often it was asked to pick a listing
    missing_street: int = 0  # how often the street it wants was not among those read
    objections: int = 0  # listings it said no to: fewer bedrooms than it needs, or over its budget
    last_reply: str = ""
    same_reply: int = 0  # the agent said exactly the same thing this many times in a row
    typing: bool = False  # the line just decided is typed in the page's box, not said
    objection: str | None = None  # what it last said no to at a read-back: time, phone, name, city
    read_back_answer: str | None = None  # what it said to the last read-back
    just_the: bool = False  # the agent asked for just the value ("Just the city's name is fine")


class PersonaCaller:
    """Stateful: `opening()` once, then `answer(reply)` for each agent reply; None means hang up."""

    def __init__(self, persona: Persona, clock: datetime, *, can_type: bool = False) -> None:
        """`can_type`: the call has the web page's text box (audio calls: the agent may offer it)."""
        self.can_type = can_type
        self.persona = persona
        self.goal = persona.goal
        self.zone = zone_of(self.goal.city)
        self.clock = clock.astimezone(self.zone)
        self.random = random.Random(persona.seed)
        self.state = CallerState()

    # --- what the caller wants -------------------------------------------------
    def _windows(self, windows: Sequence[Window]) -> list[tuple[datetime, datetime]]:
        out = []
        for w in windows:
            start = w.start.resolve(self.clock, self.zone).replace(tzinfo=None)
            end = w.end.resolve(self.clock, self.zone).replace(tzinfo=None)
            out.append((start, end))
        return out

    def wanted(self, at: datetime) -> bool:
        return any(s <= at <= e for s, e in self._windows(self.goal.when))

    def acceptable(self, at: datetime) -> bool:
        return self.wanted(at) or any(s <= at <= e for s, e in self._windows(self.goal.accept))

    # --- how it says things -----------------------------------------------------
    def _way(self, slot: str, **values: str) -> str:
        ways = list(self.persona.say.get(slot) or DEFAULT_WAYS.get(slot, ("{" + slot + "}",)))
        if self.state.just_the:  # "Just the city's name is fine": a person says the shortest way they have
            return min((w.format(**values) for w in ways), key=len)
        return self.random.choice(ways).format(**values)

    def _change(self) -> str:
        """The answer to "what should I change?": the part it objected to, with its value; nothing
        objected to (its yes was heard as a no): it says it is all right."""
        objection = self.state.objection
        if objection == "time":
            start, _ = self._windows(self.goal.when)[0]
            return f"the time: {speak_time(start)}"
        if objection == "phone":
            return f"the number: {speak_digits(self.goal.phone)}"
        if objection == "name":
            return f"the name: it's {self.goal.name}"
        if objection == "city":
            return f"the city: I'm looking in {self.goal.city}"
        if objection == "home":
            return f"the home: the one on {self.goal.listing.get('street')}"
        return "nothing, it's all correct"

    def _type(self, slot: str) -> str:
        """The name or the number as a person types it: what they meant, not what they may have misspoken."""
        self.state.given.add(slot)
        self.state.typing = True
        if slot == "name":
            return self.goal.name
        number = self.goal.phone.removeprefix("+1")
        self.state.phone_said = self.goal.phone
        self.state.corrected_phone = True
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"

    def say_slot(self, slot: str) -> str:
        g = self.goal
        self.state.given.add(slot)
        if slot == "city":
            return self._way("city", city=g.city)
        if slot == "bedrooms" and g.bedrooms is not None:
            return self._way("bedrooms", bedrooms=str(g.bedrooms))
        if slot == "type" and g.property_type:
            return self._way("type", type=TYPES[g.property_type])
        if slot == "budget" and g.budget:
            return self._way("budget", budget=self._budget())
        if slot == "when":
            if "when" in self.persona.say:
                return self._way("when")
            start, _ = self._windows(g.when)[0]
            return speak_time(start)
        if slot == "name":
            return self._way("name", name=g.name)
        if slot == "phone":
            number = self.goal.phone
            if self.persona.behaviour.misspeak_phone and not self.state.corrected_phone:
                number = self.persona.behaviour.misspeak_phone
            self.state.phone_said = number
            return self._way("phone", phone=speak_digits(number))
        if slot == "email" and g.email:
            return self._way("email", email=g.email.replace("@", " at ").replace(".", " dot "))
        return ""

    def _budget(self) -> str:
        b = self.goal.budget
        if "around" in b:
            return self.random.choice(("around {m}", "about {m}", "somewhere around {m}", "roughly {m}")).format(
                m=speak_money(b["around"])
            )
        if "min" in b and "max" in b:
            return f"between {speak_money(b['min'])} and {speak_money(b['max'])}"
        if "max" in b:
            return f"under {speak_money(b['max'])}"
        return f"at least {speak_money(b['min'])}"

    def opening(self) -> str:
        parts = [self.say_slot(s) for s in self.persona.behaviour.opener]
        line = ", ".join(p for p in parts if p)
        return "hi, " + (line or "I'm looking for a home")

    # --- answering ------------------------------------------------------------
    def answer(self, reply: str) -> str | None:
        s = self.state
        s.turns += 1
        if s.done or s.turns > MAX_TURNS:
            return None
        h = hear(reply, self.clock.date())
        if h.goodbye:
            return None
        s.same_reply = s.same_reply + 1 if reply == s.last_reply else 0
        s.last_reply = reply
        if s.same_reply >= GIVE_UP_AFTER:  # a person gives up on an agent that keeps saying the same thing
            s.done = True
            return "never mind, I'll call back later. bye"
        if s.turns in self.persona.behaviour.silence_at:
            s.silences += 1
            return self.random.choice(SILENCE)
        if h.booked or (h.anything_else and not h.read_back):
            s.done = True
            return self.random.choice(ANYTHING_ELSE_NO)
        s.typing = False
        s.just_the = bool(_JUST_THE.search(reply))
        if h.read_back:
            s.read_back_answer = self._check_read_back(h)
            return s.read_back_answer
        if _JUST_SAY_YES.search(reply) and s.read_back_answer is not None:
            # "To book it, just say yes. To change …, say no.": a person says the plain word this time
            # (held-out set 5 ezekiel answered it with his number).
            return "yes" if s.objection is None else s.read_back_answer
        if _DID_YOU_SAY.search(reply) and (h.times or day_named(reply, self.clock.date())):
            # "Did you say Tuesday?", "Did you say tomorrow?": yes to what it wants or takes, else no and
            # what it wants (a "yes" followed by another time would be a no)
            start, _ = self._windows(self.goal.when)[0]
            agrees = any(self.acceptable(at) for at in h.times) or (
                not h.times and day_named(reply, self.clock.date()) == start.date()
            )
            if agrees:  # a day alone: yes, and the time on it; a time it takes: just yes
                return f"yes, {speak_time(start)}" if not h.times else "yes"
            return f"no, {speak_time(start)}"
        if part := _NUMBER_PART.search(reply):  # the number in parts, as asked: a person says just that part
            digits = heard.national(self.goal.phone)
            s.given.add("phone")
            return " ".join(NUMBER_WORDS[int(c)] for c in (digits[:3] if part[1] else digits[3:]))
        if _CHANGE.search(reply):  # "what should I change?": what it objected to, and the right value
            return self._change()
        if h.type_it and self.can_type:  # a web caller offered the box types there what it was asked
            return self._type("name" if "name" in h.asks else "phone")
        held = h.times[0] if len(h.times) == 1 and not h.not_free and "when" in self.state.given else None
        if held is not None and not self.acceptable(held) and s.listing_chosen:
            start, _ = self._windows(self.goal.when)[0]  # "Tuesday at 10 works" when it asked for 11
            return f"no, I asked for {speak_time(start)}"
        if "name" in h.asks and re.search(r"\bspell\b", reply, re.IGNORECASE):  # as a person would: letters
            s.given.add("name")
            return ", ".join(" ".join(word.upper()) for word in self.goal.name.split())
        for slot in ("name", "phone", "email"):
            if slot in h.asks:
                return self.say_slot(slot) or self._fill_silence() or ""
        if len(h.listings) == 1 and h.times and h.question and not h.read_back and not self._misfit(h.listings[0]):
            # "Great, 7064 Briar Rd. I can do Thursday at 9 …": the home is taken, times are the question
            # (held-out persona ulrike answered "yes, that one" to the times, four times)
            s.listing_chosen = True
        offering = len(h.listings) >= 2 or (len(h.listings) == 1 and not s.listing_chosen)
        if offering:
            s.listings = h.listings
        if h.times and (h.not_free or "when" in h.asks) and (s.listing_chosen or not offering):
            return self._pick_time(h)
        if offering and h.question:
            return self._pick_listing(h)
        if "listing" in h.asks and s.listings and not h.times:  # "Which one: Friday at 9:30 or 10:30?" is times
            return self._pick_listing(h)
        search_asked = [slot for slot in ("city", "budget", "bedrooms") if slot in h.asks]
        if h.times and h.question and not search_asked:  # "Noted: Thursday at 1 PM. Which city …?" asks the city
            return self._pick_time(h)
        if "criteria" in h.asks:  # "what should I look for instead?": say again what it wants
            wanted = [x for x in (self.say_slot(k) for k in ("bedrooms", "type", "city", "budget")) if x]
            return "I'm looking for " + ", ".join(wanted)
        for slot in ("phone", "name", "email", "city", "budget", "bedrooms", "when"):
            if slot in h.asks:
                said = self.say_slot(slot)
                if said:
                    return said
        return self._fill_silence()

    def _fill_silence(self) -> str | None:
        """Nothing recognisable asked: say the next thing not said yet, like a person would."""
        for slot in ("city", "bedrooms", "type", "budget", "when", "name", "phone"):
            if slot not in self.state.given:
                said = self.say_slot(slot)
                if said:
                    return said
        if self.state.asked_to_repeat < 2:
            self.state.asked_to_repeat += 1
            return "sorry, could you say that again?"
        return None  # nothing left to say: the caller gives up

    def _pick_listing(self, h: Heard) -> str:
        offered = h.listings or self.state.listings
        want = self.goal.listing
        self.state.listing_asks += 1
        refine = [slot for slot in ("bedrooms", "type", "budget") if slot not in self.state.given]
        said = [x for x in (self.say_slot(slot) for slot in refine) if x]
        if said:  # it had not said all it wants yet: narrow the search first, as a caller would
            return "actually, " + ", ".join(said)
        self.state.listing_chosen = True
        if "street" in want:
            index = next((i for i, o in enumerate(offered) if want["street"].lower() in o.street.lower()), None)
            if index is None:  # not offered: ask for it, then say again what it wants, then give up
                self.state.listing_chosen = False
                self.state.missing_street += 1
                if self.state.missing_street == 1:
                    return f"do you have the one on {want['street']}?"
                if self.state.missing_street == 2:
                    return "I'm looking for " + ", ".join(
                        x for x in (self.say_slot(k) for k in ("bedrooms", "type", "city")) if x
                    )
                self.state.done = True
                return "never mind, I'll call back later. bye"
            if objection := self._objection(offered[index]):
                return objection
            if self.state.listing_asks > 1 and index + 1 in ORDINALS:  # not understood: say it another way
                return f"the {ORDINALS[index + 1]} one, on {offered[index].street}"
            return self._way("listing", listing=f"the one on {offered[index].street}")
        pick = want["pick"]
        fitting = [o for o in offered if self._misfit(o) is None]
        if not fitting and (objection := self._objection(offered[0])):
            return objection  # nothing read out is what it asked for
        if len(offered) == 1:
            return "yes, that one"
        if pick in ORDINALS:
            return self._way("listing", listing=f"the {ORDINALS[pick]} one")
        priced = [(o.price, i) for i, o in enumerate(offered) if o.price is not None]
        if self.state.listing_asks > 1 and priced:
            _, index = min(priced) if pick == "cheapest" else max(priced)
            if index + 1 in ORDINALS:
                return f"the {ORDINALS[index + 1]} one"
        if pick == "cheapest":
            return "the cheaper one" if len(offered) == 2 else "the cheapest one"
        return "the more expensive one" if len(offered) == 2 else "the most expensive one"

    def _misfit(self, o: Offered) -> str | None:
        """What a person who asked for this would object to in a listing read out to them."""
        g = self.goal
        if g.bedrooms is not None and o.bedrooms is not None and o.bedrooms < g.bedrooms:
            return f"no, that's too small, I need at least {g.bedrooms} bedrooms"
        if "max" in g.budget and o.price is not None and o.price > g.budget["max"] * 1.05:
            return f"no, that's over my budget, it has to be under {speak_money(g.budget['max'])}"
        return None

    def _objection(self, o: Offered) -> str | None:
        """The objection to `o`, twice at most; then it gives up on this agent (a person would)."""
        misfit = self._misfit(o)
        if misfit is None:
            return None
        self.state.listing_chosen = False
        self.state.objections += 1
        if self.state.objections > 2:
            self.state.done = True
            return "never mind, I'll call back later. bye"
        return misfit

    def _pick_time(self, h: Heard) -> str:
        numbered = bool(_SAY_A_NUMBER.search(h.text))
        for k, at in enumerate(h.times):
            if self.wanted(at):
                self.state.given.add("when")
                return NUMBER_WORDS[k + 1] if numbered and k < 3 else f"{speak_time(at)} works"
        if not h.not_free and "when" not in self.state.given:
            return self.say_slot("when")
        for k, at in enumerate(h.times):
            if self.acceptable(at):
                self.state.given.add("when")
                return f"ok, {NUMBER_WORDS[k + 1]}" if numbered and k < 3 else f"ok, {speak_time(at)} then"
        accept = self._windows(self.persona.goal.accept)
        if accept:
            return f"how about {speak_time(accept[0][0])}?"
        return self.say_slot("when")

    def _check_read_back(self, h: Heard) -> str | None:
        if self.persona.behaviour.hang_up_at_read_back:
            return None
        self.state.objection = None  # this read-back's objection, if any
        digits = heard.digits_said(h.text)
        wanted = heard.national(self.goal.phone)
        if wanted not in digits:
            self.state.corrected_phone = True
            self.state.phone_said = self.goal.phone
            self.state.objection = "phone"
            return f"no, it's {speak_digits(self.goal.phone)}"
        home, street = _READ_BACK_HOME.search(h.text), self.goal.listing.get("street")
        if home and street and street.lower() not in home.group(1).lower():
            self.state.objection = "home"  # a person hears the street read back and says which they meant
            return f"no, I wanted the home on {street}"
        city = _READ_BACK_CITY.search(h.text)
        if city and city.group(1).lower() != self.goal.city.lower():
            self.state.objection = "city"
            return f"no, I'm looking in {self.goal.city}"
        name = _READ_BACK_NAME.search(h.text)
        if name and not set(name.group(1).lower().split()) & set(self.goal.name.lower().split()):
            self.state.objection = "name"  # "for Miss Feel Like": a person says their name again
            return f"no, my name is {self.goal.name}"
        wrong = [at for at in h.times if not self.acceptable(at)]
        if wrong and not any(self.acceptable(at) for at in h.times):
            start, _ = self._windows(self.goal.when)[0]
            self.state.objection = "time"
            return f"no, I wanted {speak_time(start)}"
        return self._way("yes")
