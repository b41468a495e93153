"""The deterministic real-estate agent: slot filling by rules, tools over the bus.

greet -> what are you looking for -> search MLS -> read back the best matches -> offer a
showing -> pick a time (alternatives when taken) -> name -> phone -> write the lead ->
book -> SMS confirmation -> goodbye. Handles "no", "repeat that", corrections
("actually Tuesday") and a service that does not answer. It is the offline default and
the fallback path of an LLM agent.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gateway.agent import speech_text as say
from gateway.agent.config import AgentConfig
from gateway.agent.extract import Heard, digits_said, hear
from gateway.agent.tools import ToolBox, ToolError


class Stage(enum.Enum):
    NEEDS = "needs"
    PRESENT = "present"
    TIME = "time"
    NAME = "name"
    PHONE = "phone"
    DONE = "done"


@dataclass
class Slots:
    city: str | None = None
    bedrooms: int | None = None
    max_price: int | None = None
    min_price: int | None = None
    property_type: str | None = None
    features: list[str] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    listing: dict[str, Any] | None = None
    offered: list[datetime] = field(default_factory=list)
    when: datetime | None = None
    name: str | None = None
    phone: str | None = None
    booking_id: str | None = None
    lead_id: str | None = None


def _only_agrees(h: Heard) -> bool:
    """A bare "yes" (to "shall I try again?"): nothing in the turn that asks for something else."""
    says_more = (h.city, h.bedrooms, h.max_price, h.min_price, h.property_type, h.when, h.phone, h.name, h.choice)
    return h.yes and not h.no and all(v is None for v in says_more) and not h.features and not h.correction


def _pick(h: Heard, count: int) -> int | None:
    """Which of `count` options the caller chose: "the second one", "the last", or yes to a single one."""
    if h.choice is not None:
        index = h.choice - 1 if h.choice > 0 else count - 1
        return index if 0 <= index < count else None
    return 0 if h.yes and count >= 1 else None


def _now() -> datetime:
    return datetime.now(ZoneInfo("UTC"))


class RealEstateDialog:
    def __init__(self, config: AgentConfig, tools: ToolBox, call_id: str, clock: Callable[[], datetime] = _now):
        self.config = config
        self.tools = tools
        self.call_id = call_id
        self.clock = clock
        self.stage = Stage.NEEDS
        self.slots = Slots()
        self.last_said: list[str] = []
        self.last_heard: str | None = None  # after a barge-in: the part of last_said the caller heard
        self.ended = False
        # The step a service failed to answer, run again when the caller says "yes" to our offer to retry.
        self._retry: Callable[[], Awaitable[list[str]]] | None = None

    # --- public ---------------------------------------------------------------

    def greeting(self) -> list[str]:
        return self._say([self.config.greeting])

    async def respond(self, text: str) -> list[str]:
        h = hear(text, cities=self.config.cities, tz=self._tz(), now=self.clock())
        if h.repeat and self.last_said:
            return self._say(list(self.last_said))  # said again in full
        if h.goodbye:
            self.ended = True
            return self._say([f"Thanks for calling {self.config.company}. Goodbye!"])
        retry, self._retry = self._retry, None
        if retry is not None and _only_agrees(h):
            return self._say(await retry())
        handler = {
            Stage.NEEDS: self._needs,
            Stage.PRESENT: self._present,
            Stage.TIME: self._time,
            Stage.NAME: self._name,
            Stage.PHONE: self._phone,
            Stage.DONE: self._done,
        }[self.stage]
        return self._say(await handler(h))

    def heard(self, text: str) -> None:
        """Barge-in: the caller heard only `text` of what we last said. last_said stays whole: a
        "what did you say?" after cutting in asks for what was missed, so a repeat says it all."""
        self.last_heard = text

    # --- stages ---------------------------------------------------------------

    async def _needs(self, h: Heard) -> list[str]:
        self._remember_needs(h)
        if self.slots.city is None:
            return ["Which city are you looking in?"]
        return await self._search()

    async def _present(self, h: Heard) -> list[str]:
        if self._remember_needs(h):
            return await self._search()
        if h.no and h.choice is None:
            self.stage = Stage.NEEDS
            return ["No problem. What should I look for instead?"]
        matches = self.slots.matches
        index = _pick(h, len(matches))
        if index is None:
            return ["Which one would you like to see? Say first, second or third."]
        self.slots.listing = matches[index]
        return await self._offer_times(f"Great choice: {say.listing(matches[index])}.")

    async def _time(self, h: Heard) -> list[str]:
        offered = self.slots.offered
        index = _pick(h, len(offered)) if offered else None
        if index is not None and (h.choice is not None or h.when is None):
            pick = offered[index]
        elif h.when is not None:
            pick = h.when
        else:
            return ["What day and time would suit you? For example, Thursday at 10 AM."]
        return await self._choose_time(pick)

    async def _name(self, h: Heard) -> list[str]:
        if h.correction and h.when:
            return await self._choose_time(h.when)
        # "it's the third one" still picks from a list; it is no name.
        picking = h.name is None and h.choice is not None and bool(re.search(r"\bthe\b", h.text.lower()))
        name = None if picking else h.name or self._bare_name(h.text)
        if not name:
            return ["Sorry, I didn't catch your name. Could you say it again?"]
        self.slots.name = name
        self.stage = Stage.PHONE
        return [f"Thanks, {name.split()[0]}. What's the best phone number to text your confirmation to?"]

    async def _phone(self, h: Heard) -> list[str]:
        if h.correction and h.when:
            return await self._choose_time(h.when)
        if h.phone is None:
            if digits_said(h.text) >= 7:
                return ["That number doesn't look right. Could you say it again, digit by digit, with the area code?"]
            return ["What's the best phone number to reach you?"]
        self.slots.phone = h.phone
        return await self._finish()

    async def _done(self, h: Heard) -> list[str]:
        if h.no:
            self.ended = True
            return [f"Thanks for calling {self.config.company}. Goodbye!"]
        return ["Is there anything else I can help you with?"]

    # --- steps with tools -----------------------------------------------------

    async def _search(self) -> list[str]:
        s = self.slots
        args: dict[str, Any] = {"city": s.city, "limit": 3}
        for key, value in (
            ("max_price_usd", s.max_price),
            ("min_price_usd", s.min_price),
            ("min_bedrooms", s.bedrooms),
            ("property_type", s.property_type),
        ):
            if value:
                args[key] = value
        if s.features:
            args["text"] = " ".join(s.features)
        try:
            found = (await self.tools.call("search_listings", args, call_id=self.call_id)).data
        except ToolError as exc:
            return self._apology(exc, "search the listings", self._search)
        s.matches = found.get("listings", [])
        if not s.matches:
            self.stage = Stage.NEEDS
            return [
                f"I couldn't find homes in {s.city} matching that. Would you like to change the budget, "
                "the bedrooms or the area?"
            ]
        self.stage = Stage.PRESENT
        ordinals = ("First", "Second", "Third")
        total = found.get("total_count", len(s.matches))
        best = "Here is the best match." if len(s.matches) == 1 else "Here are the best matches."
        lines = [f"I found {say.count(total, 'home')}. {best}"]
        lines += [f"{ordinals[i]}: {say.listing(item)}." for i, item in enumerate(s.matches)]
        lines.append("Would you like to see one of them?")
        return lines

    async def _offer_times(self, lead_in: str) -> list[str]:
        listing = self.slots.listing or {}
        try:
            free = await self._free_slots(self.clock(), 3)
        except ToolError as exc:
            return self._apology(exc, "check the calendar", lambda: self._offer_times(lead_in))
        self.stage = Stage.TIME
        self.slots.offered = free
        if not free:
            return [lead_in, "I don't see any open showing times in the next week. What day works for you?"]
        options = ", ".join(say.when(t) for t in free[:-1]) + f", or {say.when(free[-1])}"
        where = listing.get("address", {}).get("street", "the home")
        return [lead_in, f"I can show {where} on {options}. Which works for you?"]

    async def _choose_time(self, pick: datetime) -> list[str]:
        try:
            near = await self._free_slots(pick, 3)
        except ToolError as exc:
            return self._apology(exc, "check the calendar", lambda: self._choose_time(pick))
        if near and near[0] == pick.astimezone(near[0].tzinfo):
            self.slots.when = pick
            # A time corrected later in the flow keeps what is known: go on to the first missing slot.
            if self.slots.phone:
                return await self._finish()
            if self.slots.name:
                self.stage = Stage.PHONE
                return [f"{say.when(pick)} works. What's the best phone number to text your confirmation to?"]
            self.stage = Stage.NAME
            return [f"{say.when(pick)} works. May I have your name?"]
        self.slots.offered = near
        self.stage = Stage.TIME
        if not near:
            return ["That time isn't available, and nothing is open right after it. What other day works?"]
        return [
            f"Sorry, {say.when(pick)} isn't available. The nearest times are "
            + " or ".join(say.when(t) for t in near)
            + ". Which would you like?"
        ]

    async def _free_slots(self, start: datetime, count: int) -> list[datetime]:
        listing = self.slots.listing or {}
        tz = listing.get("time_zone") or self.config.time_zone
        args = {
            "listing_id": listing["mls_id"],
            "agent_id": listing.get("agent", {}).get("agent_id", ""),
            "time_zone": tz,
            "from_time": start.isoformat(),
            "to_time": (start + timedelta(days=7)).isoformat(),
            "max_slots": count,
        }
        data = (await self.tools.call("check_availability", args, call_id=self.call_id)).data
        return [
            datetime.fromisoformat(s["start_time"].replace("Z", "+00:00")).astimezone(ZoneInfo(tz))
            for s in data.get("slots", [])
        ]

    async def _finish(self) -> list[str]:
        s = self.slots
        listing = s.listing or {}
        assert s.when is not None and s.phone is not None
        interest = f"{listing.get('bedrooms', '')} bedroom home in {s.city}: {listing.get('mls_id', '')}"
        try:
            lead = await self.tools.call(
                "write_lead",
                {
                    "idempotency_key": f"{self.call_id}:lead",
                    "name": s.name or "",
                    "phone": s.phone,
                    "interest": interest,
                    "budget_usd": s.max_price or 0,
                    "call_id": self.call_id,
                },
                call_id=self.call_id,
            )
            s.lead_id = lead.data.get("lead", {}).get("lead_id")
            booked = await self.tools.call(
                "book_showing",
                {
                    "idempotency_key": f"{self.call_id}:showing:{s.when.isoformat()}",
                    "listing_id": listing["mls_id"],
                    "agent_id": listing.get("agent", {}).get("agent_id", ""),
                    "time_zone": listing.get("time_zone") or self.config.time_zone,
                    "start_time": s.when.isoformat(),
                    "contact_name": s.name or "",
                    "contact_phone": s.phone,
                    "lead_id": s.lead_id or "",
                    "call_id": self.call_id,
                },
                call_id=self.call_id,
            )
        except ToolError as exc:
            if exc.kind == "rejected" and exc.field in ("phone", "contact_phone"):
                s.phone = None
                self.stage = Stage.PHONE
                return ["That number doesn't seem to be valid. Could you give me another one?"]
            return self._apology(exc, "book the showing", self._finish)
        if "unavailable" in booked.data:
            s.when = None
            return await self._choose_time(self.clock())
        s.booking_id = booked.data["booking"]["booking_id"]
        self.stage = Stage.DONE
        confirm = f"You're booked to see {listing.get('address', {}).get('street', 'the home')} on {say.when(s.when)}."
        return [confirm, *await self._confirm_by_sms()]

    async def _confirm_by_sms(self) -> list[str]:
        s = self.slots
        listing = s.listing or {}
        address = listing.get("address", {})
        assert s.when is not None and s.phone is not None
        try:
            await self.tools.call(
                "send_sms",
                {
                    # The same key on a retry: a text the service took before it failed is not sent twice.
                    "idempotency_key": f"{self.call_id}:sms:{s.booking_id}",
                    "to_phone": s.phone,
                    "template_id": "showing_confirmation",
                    "call_id": self.call_id,
                    "variables": {
                        "name": (s.name or "there").split()[0],
                        "address": f"{address.get('street', '')}, {address.get('city', '')}",
                        "when": say.when(s.when),
                        "agent_name": listing.get("agent", {}).get("name", "our agent"),
                    },
                },
                call_id=self.call_id,
            )
        except ToolError:
            self._retry = self._confirm_by_sms
            return [
                "I couldn't send the text message right now, but your showing is booked.",
                "Shall I try the text again?",
            ]
        return [f"I've texted the details to {say.phone(s.phone)}.", "Is there anything else I can help you with?"]

    # --- helpers --------------------------------------------------------------

    def _remember_needs(self, h: Heard) -> bool:
        """Take any search criteria the turn contains; True if something changed."""
        s, changed = self.slots, False
        for name in ("city", "bedrooms", "max_price", "min_price", "property_type"):
            value = getattr(h, name)
            if value is not None and value != getattr(s, name):
                setattr(s, name, value)
                changed = True
        if h.features and h.features != s.features:
            s.features, changed = list(h.features), True
        return changed

    def _apology(self, exc: ToolError, doing: str, retry: Callable[[], Awaitable[list[str]]]) -> list[str]:
        if exc.kind in ("timeout", "unavailable", "failed"):
            self._retry = retry
            return [
                f"I'm sorry, I couldn't {doing} just now; our system is slow to answer.",
                "Shall I try again? Just say yes, or tell me what you'd like to do.",
            ]
        return [f"I'm sorry, I couldn't {doing}: {exc.message}."]

    def _bare_name(self, text: str) -> str | None:
        words = [w for w in text.replace(".", " ").replace(",", " ").split() if w.isalpha()]
        filler = {"it's", "its", "i", "am", "my", "name", "is", "this", "uh", "um", "sure", "yes", "yeah", "okay"}
        kept = [w for w in words if w.lower() not in filler][:3]
        return " ".join(w.capitalize() for w in kept) or None

    def _tz(self) -> ZoneInfo:
        return ZoneInfo((self.slots.listing or {}).get("time_zone") or self.config.time_zone)

    def _say(self, lines: list[str]) -> list[str]:
        self.last_said, self.last_heard = list(lines), None
        return lines
