"""The deterministic dialog: frame-based, mixed initiative, confirmed before it acts.

Every caller turn is parsed for every slot the flow knows (the vertical's: city, budget,
listing...; the dialog's own: time, name, phone, an ordinal pick), whatever was asked, so
information may come in any order and several pieces in one turn. The dialog then asks only
for what is still missing, in order: what to book (the vertical's flow), when (timing.py),
the name, the phone number. With everything known it reads it all back and asks "Shall I book
it?"; only a yes writes, books and texts (confirmation.md in docs/agents.md). "No, it's ..."
replaces a value and reads back again; a bare no asks what to change. A question is asked at
most twice, then another strategy takes over (reask.py), and a caller can always leave.

It is the offline default and the fallback path of an LLM agent (which replays the caller's
turns into it).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.agent import readout
from gateway.agent.config import AgentConfig
from gateway.agent.contact import EMAIL, NAME, PHONE, CallerIdOffer, PhoneCollector
from gateway.agent.frame import Frame, Said, Slot
from gateway.agent.hearings import Question as AskedFor
from gateway.agent.hearings import answer_words, answering_turn, checker, hearings_disagree, question
from gateway.agent.numbers import normalise
from gateway.agent.read_back import ReadBack
from gateway.agent.reask import Question, ReAskPolicy, Strategy
from gateway.agent.self_repair import self_repaired
from gateway.agent.slots_common import CHOICE, TIME
from gateway.agent.time_phrases import DIGIT_RUN, TimeAsk
from gateway.agent.timing import NUMBERED, TimeNegotiation
from gateway.agent.tools import ToolBox, ToolError
from gateway.agent.turn_parser import NOTHING_ELSE, Turn
from gateway.agent.vertical import Committed, Outcome, Stage, Vertical, load_vertical
from gateway.call_origin import Typing

# Questions answered only by these values: progress on anything else counts on.
ANSWERED_BY = {"time": {"time", "choice"}}
CONTACT_QUESTIONS = frozenset({"name", "phone", "email", "caller_id"})


def name_question(typing: Typing | None) -> Question:
    """A name is letters: a phone's keypad can't type it, the web page's box can."""
    spell = ["Could you spell your name for me, letter by letter?"]
    return Question(
        "name",
        ask=[NAME.ask],
        again=["Sorry, I didn't catch your name. Could you say it again?"],
        strategies=(
            Strategy("spell", [*spell, "Or type it in the box on your screen."] if typing == "text_box" else spell),
            Strategy("skip", ["No problem, we can go on without it."]),
        ),
    )


def _now() -> datetime:
    return datetime.now(ZoneInfo("UTC"))


class FrameDialog:
    def __init__(
        self,
        config: AgentConfig,
        tools: ToolBox,
        call_id: str,
        clock: Callable[[], datetime] = _now,
        vertical: Vertical | None = None,
        caller_number: str | None = None,
        typing: Typing | None = None,
    ) -> None:
        """`caller_number`: the phone network's caller ID (E.164), offered for the phone slot;
        `typing`: how the caller can type (a phone's keypad, the web page's box), offered for a
        number not heard."""
        self.config = config
        self.tools = tools
        self.call_id = call_id
        self.clock = clock
        self.frame = Frame()
        self.vertical = vertical or load_vertical(config.vertical)
        self.flow = self.vertical.flow(self)
        self.timing = TimeNegotiation(config.hours, self.flow.noun)
        self.phone = PhoneCollector(typing)
        self.name_question = name_question(typing)
        self.caller_id = CallerIdOffer(caller_number)
        self.policy = ReAskPolicy(config.name)
        self.last_said: list[str] = []
        self.last_heard: str | None = None  # after a barge-in: the part of last_said the caller heard
        self.ended = False
        self.confirming = False  # everything was read back; the next yes books
        self.booked = False
        self.asked: str | None = None  # the slot the last question asked for
        self._resource_id: str | None = None
        self.read_back = ReadBack(self)
        self._held_guess: TimeAsk | None = None  # a time only a runner-up heard, asked about
        self._guesses_asked: set[tuple[datetime, datetime | None]] = set()  # times asked about (once each)
        self._heard: dict[str, object] = {}  # the last value heard for each slot
        self.skipped: set[str] = set()  # slots the caller could not give and we went on without
        # The step a service failed to answer, run again when the caller says "yes" to our offer to retry.
        self._retry: Callable[[], Awaitable[list[str]]] | None = None
        self._kept: str | None = None  # said once: a time heard in passing did not replace the held one
        self._answered_last = False  # the last reply answered the caller's question and asked ours again

    # --- what the engine and the evals read --------------------------------------

    @property
    def slots(self) -> Frame:
        return self.frame

    @property
    def stage(self) -> Stage:
        if self.booked:
            return Stage.DONE
        if (flow_stage := self.flow.stage) is not None:
            return flow_stage
        if self.timing.when is None:
            return Stage.TIME
        if not self.frame.name and "name" not in self.skipped:
            return Stage.NAME
        if not self.frame.phone:
            return Stage.PHONE
        return Stage.CONFIRM

    @property
    def expecting(self) -> str | None:
        """The slot the agent is asking for next ("city", "listing", "time", "name", "phone",
        "yes_no"), e.g. to bias the speech recogniser; None when it asks for nothing."""
        if self.ended:
            return None
        yes_no = ("confirm", "anything_else", "caller_id", "heard_time")
        return "yes_no" if self.asked in yes_no else self.asked

    @property
    def all_slots(self) -> Sequence[Slot]:
        return [*self.flow.slots, TIME, CHOICE, NAME, PHONE, EMAIL]

    def answer_check(self) -> Callable[[str], bool] | None:
        """For the STT, before the caller's next turn: whether a hearing of it answers the question
        just asked (the STT hears a turn again when its first hearing does not); None: nothing asked
        that another hearing could answer."""
        if self.ended:
            return None
        said = Said(raw="", text="", now=self.clock(), tz=self._tz(), frame=self.frame, expecting=self.asked)
        return checker(said, self.all_slots, self._question())

    def answer_words(self) -> str | None:
        """For the STT: words the answer to the question just asked is likely to hold (the slots' hints)."""
        return None if self.ended else answer_words(self.all_slots, self._question(), self.frame)

    def _question(self) -> AskedFor:
        flow_slots = [slot.name for slot in self.flow.slots]
        read_out = "times" if self.asked == "time" else "listings"  # what "the second one" would pick from
        return question(self.asked, flow_slots, confirming=self.confirming, picking=self.frame.last_list == read_out)

    # --- Host (what a vertical's flow may use) ------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def ask(self, question: Question) -> list[str]:
        asked = self.policy.ask(question)
        self.asked = question.slot
        if asked.strategy == "parts" and question.slot == "phone":
            self.phone.in_parts = True
        if asked.strategy == "skip":
            self.skipped.add(question.slot)
        if asked.strategy == "call_back":
            self.ended = True
            return [*asked.lines, f"Thanks for calling {self.config.company}. Goodbye!"]
        return asked.lines

    def apology(self, exc: ToolError, doing: str, retry: Callable[[], Awaitable[list[str]]]) -> list[str]:
        if exc.kind in ("timeout", "unavailable", "failed"):
            self._retry = retry
            self.asked = "yes_no"
            return [
                f"I'm sorry, I couldn't {doing} just now; our system is slow to answer.",
                "Shall I try again? Just say yes, or tell me what you'd like to do.",
            ]
        return [f"I'm sorry, I couldn't {doing}: {exc.message}."]

    def offer_retry(self, lines: list[str], retry: Callable[[], Awaitable[list[str]]]) -> list[str]:
        self._retry = retry
        self.asked = "yes_no"
        return lines

    # --- the engine's interface ---------------------------------------------------

    def greeting(self) -> list[str]:
        # A greeting asks for what the flow needs first (the city, for real estate): the first turn's
        # speech recognition may lean towards it like any answer to a question.
        self.asked = self.flow.slots[0].name if self.flow.slots else None
        return self._say([self.config.greeting])

    def heard(self, text: str) -> None:
        """Barge-in: the caller heard only `text` of what we last said. last_said stays whole: a
        "what did you say?" after cutting in asks for what was missed, so a repeat says it all."""
        self.last_heard = text

    async def respond(self, text: str, alternatives: tuple[str, ...] = ()) -> list[str]:
        said = Said(raw=text.strip(), text=self_repaired(normalise(text.strip())), now=self.clock(), tz=self._tz(),
                    frame=self.frame, expecting=self.asked, alternatives=alternatives)  # fmt: skip
        # The top hearing, or the STT's first runner-up that answers the question asked (hearings.py).
        turn = answering_turn(said, self.all_slots, self._question())
        if turn.repeat and self.last_said and not turn.values:
            return self._say(list(self.last_said))  # said again in full
        if turn.goodbye and not (self.confirming and turn.bare_yes):
            return self._say(self._goodbye())
        if turn.only_hold:
            return ["Sure, take your time."]  # the question stays open; "say that again" still repeats it
        answered = self.flow.answer(turn)
        if answered is not None and answered.whole:
            # A question about what is offered, and nothing else: answered, and the open question asked
            # again, once (nothing in it is a pick: "the first one" in it once chose the first time offered).
            self.asked = self.flow.expecting or self.asked
            again = [] if answered.asks or self._answered_last else self._open_question()
            lines = self._say([*answered.lines, *again])
            self._answered_last = True
            return lines
        self._answered_last = False
        retry, self._retry = self._retry, None
        if retry is not None and turn.bare_yes:
            lines = await retry()
            self.asked = self.flow.expecting or self.asked  # e.g. a search it ran asks which home
            return self._say(lines)
        if self.booked:
            return self._say(self._after_booking(turn))
        lines = [*(answered.lines if answered else []), *await self._advance(turn)]
        kept, self._kept = self._kept, None
        return self._say([kept, *lines] if kept and not self.booked else lines)

    # --- the flow -------------------------------------------------------------

    async def _advance(self, turn: Turn) -> list[str]:
        confirming, self.confirming = self.confirming, False
        if confirming and self.read_back.same_name_again(turn):
            return self.read_back.spell_name()
        if confirming and hearings_disagree(turn, self.all_slots):
            return self.read_back.unsure_answer()
        if confirming and not turn.hold and (turn.bare_yes or (turn.yes and not turn.no and self._agrees(turn))):
            return await self._commit()
        if (confirming or self.asked == "change") and self.read_back.other_choice(turn):
            lines = self.flow.choose_again()
            self.asked = self.flow.expecting or self.asked
            return lines
        unclear_change = False
        if self.asked == "change" and not turn.values:
            unclear_change = not self.read_back.reopen(turn.text)
        if confirming:
            self.read_back.refused(turn)
        if (held := self.timing.dispute(turn)) is not None:
            self.asked = "time"
            return [f"Sorry, I keep hearing {readout.moment(held)}.", "Which day would you like? Just the day is fine."]
        took = self._take(turn)
        if "phone" in took and self.read_back.number_refused_before():
            return self.read_back.same_number_again()
        if took and self._answers_question(took):
            self.policy.progress()
        if confirming and turn.bare_no and "phone" not in took and self.frame.phone:
            return self.read_back.what_to_change()
        if unclear_change and not took and not turn.yes and self.frame.phone:
            # "what should I change?" answered with nothing it can use (digits heard unusable cleared
            # the number: then the number is asked for, saying what was heard)
            return self.read_back.ask_change()
        if heard := self._time_heard_back(turn):
            return heard
        step = await self.flow.settle(turn)
        lines = list(step.lines)
        if not step.done:
            self.asked = self.flow.expecting or self.asked
            return [*self._noted(turn), *lines]
        resource = self.flow.resource
        assert resource is not None
        if resource.id != self._resource_id:
            if self._resource_id is not None:
                self.timing.forget()
            self._resource_id = resource.id
        try:
            timed = await self.timing.step(turn, self.flow.free_slots, self.clock(), self._tz(), self.ask)
        except ToolError as exc:
            return [*lines, *self.apology(exc, "check the calendar", lambda: self._advance(_nothing(turn)))]
        lines += timed.lines
        self.frame.set("offered", list(self.timing.offered))
        self.frame.set("when", self.timing.when)
        if not timed.done:
            self.frame.set("last_list", "times")
            self.asked = "time"
            return lines
        if not self.frame.name and "name" not in self.skipped:
            lines += self.ask(self.name_question)
            if "name" not in self.skipped:
                return lines
        if "name" in turn.values and self.frame.name:
            lines.append(f"Thanks, {self.frame.name.split()[0]}.")
        if not self.frame.phone:
            if self.caller_id.can_offer:
                return [*lines, *self.ask(self.caller_id.question())]
            if self.phone.in_parts and self.phone.area is not None and "phone" not in turn.values:
                rest = self.phone.after_area()
                return [*lines, *(rest if rest is not None else self.read_back.hand_over())]
            return [*lines, *self.ask(self.phone.question())]
        return [*lines, *self.read_back.read()]

    def _time_heard_back(self, turn: Turn) -> list[str] | None:
        """A time only another hearing of the turn held (the top one was other words: "thank you very
        much" for "tomorrow at eleven") is asked about before it is checked: "Did you say ...?". The
        answer: a yes checks it, a no asks for the time again; anything else goes on as usual."""
        if self.asked == "heard_time":
            held, self._held_guess = self._held_guess, None
            if held is not None and turn.bare_yes:
                self.timing.requested = held
            elif held is not None and turn.bare_no:
                return self.ask(
                    Question(
                        "time",
                        ask=["Sorry about that. Which day and time would suit you?"],
                        again=["Which day and time would suit you? For example, Thursday at 10 AM."],
                    )
                )
            return None
        if "time" in turn.guessed and self.timing.requested is not None:
            guess = self.timing.requested
            if (guess.start, guess.end) in self._guesses_asked:
                # The same time in another hearing again (held-out persona wendell: "Did you say
                # tomorrow?" four times): asked about once; now it goes on as heard, checked and read back.
                return None
            self._guesses_asked.add((guess.start, guess.end))
            self._held_guess, self.timing.requested = self.timing.requested, None
            self.asked = "heard_time"
            guess = self._held_guess
            said = readout.moment(guess.start) if guess.exact else (guess.label or readout.day(guess.start))
            return [f"Did you say {said}?"]
        return None

    def _agrees(self, turn: Turn) -> bool:
        """A yes that repeats what was read back ("yes, Friday at 2 is fine") is still a yes."""
        when = self.timing.when
        for name, value in turn.values.items():
            if name == "time":
                wall = (when.hour, when.minute, when.date()) if when else None
                if not (value.exact and wall == (value.start.hour, value.start.minute, value.start.date())):
                    return False
            elif name != "choice" and self.frame.get(name) != value:
                return False
        return True

    def _noted(self, turn: Turn) -> list[str]:
        """Say what was taken from a turn that answered ahead of the question (kept for later)."""
        took = []
        asked: TimeAsk | None = turn.values.get("time")
        if asked is not None:
            # As taken: "10:30" said about a Thursday already asked for is Thursday at 10:30, not today
            asked = self.timing.requested or asked
            took.append(asked.label or readout.moment(asked.start))
        if turn.values.get("name"):
            took.append(str(turn.values["name"]).split()[0])
        if turn.values.get("phone"):
            took.append("your number")
        return [f"Noted: {readout.either(took, 'and')}."] if took else []

    def _answers_question(self, took: set[str]) -> bool:
        """Whether what was heard is progress on the question being counted. A question about what
        to book ("which one would you like to see?") is not answered by a time, a name or a number
        given ahead: asked again after those, it is still the same question and counts on. Nor is
        "which time?" answered by a name or a number (a caller whose time the STT cannot hear, giving
        the rest meanwhile, would otherwise hear the time question afresh after each of them)."""
        if self.policy.slot in ANSWERED_BY:
            return bool(took & ANSWERED_BY[self.policy.slot])
        about_what = {slot.name for slot in self.flow.slots}
        if self.policy.slot not in about_what:
            return True
        return any(name in about_what or name == "choice" for name in took)

    def _take(self, turn: Turn) -> set[str]:
        """Take the dialog's own slots from the turn; the names of the values new in it (the same
        answer said again is no progress: the question's count goes on)."""
        if turn.values.get("time") is not None and self.timing.when is not None and not self._changes_time(turn):
            # A held, checked time is not replaced by a time read from a turn that answered
            # something else; the caller hears it was kept and can still change it.
            heard: TimeAsk = turn.values.pop("time")
            held = self.timing.when
            if (heard.start.hour, heard.start.minute, heard.start.date()) != (held.hour, held.minute, held.date()):
                self._kept = f"I've kept {readout.moment(held)} for the {self.flow.noun}."
        # A time already refused, asked for again, is the caller insisting: no progress.
        insisted = self.timing.refused_before(turn.values.get("time")) or self.timing.same_day_as_offered(
            turn.values.get("time")
        )
        took = {
            name
            for name, value in turn.values.items()
            if self._heard.get(name) != value and not (name == "time" and insisted)
        }
        self._heard.update(turn.values)
        # "The first one" picks a time only while times are the question: asked for the area code
        # ("the first three digits?") an audio persona said it, and 9 AM replaced the time it chose.
        picking_time = self.frame.last_list == "times" and self.asked not in CONTACT_QUESTIONS
        numbered = any(line.startswith(NUMBERED) for line in self.last_said)
        self.timing.take(turn, picking_time, numbered)
        if name := turn.values.get("name"):
            self.frame.set("name", name)
        if email := turn.values.get("email"):
            self.frame.set("email", email)
        number = turn.values.get("phone") or (self.phone.take(turn.said) if self._trying_a_number(turn) else None)
        if not number and self.asked == "caller_id" and turn.yes and not turn.no:
            number = self.caller_id.number  # a yes to the number the call came from (read back before booking)
        if number:
            self.frame.set("phone", number)
            took.add("phone")
        elif self.asked in ("confirm", "change") and self._trying_a_number(turn):
            # "No, it's 7 0 4, 5 5, 0 1 4 3" at the read-back: a number meant to replace the one read,
            # heard unusable. The read one is wrong; ask for it again (saying what was heard).
            self.frame.clear("phone")
        return took

    def _trying_a_number(self, turn: Turn) -> bool:
        """The caller is giving a phone number: asked for one, or digits said at the read-back."""
        if self.asked == "phone":
            return True
        if self.asked not in ("confirm", "change"):
            return False
        # A run of digits, or seven digits or more in groups a misheard word broke ("7 0 4, time, time,
        # time, 0 1 4 3" for "five five five"), unless they were a time.
        digits = len(re.findall(r"\d", turn.text))
        return bool(DIGIT_RUN.search(turn.text)) or (digits >= 7 and "time" not in turn.values)

    def _changes_time(self, turn: Turn) -> bool:
        """A new time replaces the held one only when the caller clearly asks for it: a change word
        ("actually", "instead", "make it"), a time given where a time was asked (or at the
        read-back), or a day and time said while no phone number is being said."""
        asked: TimeAsk = turn.values["time"]
        held = self.timing.when
        if asked.whole_day and held is not None and asked.start.date() == held.date() and not turn.correction:
            return False  # the day of the held time said again ("Wednesday" for "Wednesday at 11"): kept
        if turn.correction or self.asked in ("time", "change", "confirm"):
            return True
        saying_number = "phone" in turn.values or self.asked == "phone" or bool(DIGIT_RUN.search(turn.text))
        return asked.day_said and not saying_number

    async def _commit(self) -> list[str]:
        try:
            result: Committed = await self.flow.commit()
        except ToolError as exc:
            self.confirming = False
            return self.apology(exc, f"book the {self.flow.noun}", self._commit)
        if result.outcome is Outcome.BOOKED:
            self.booked = True
            self.asked = "yes_no"
            return result.lines
        if result.outcome is Outcome.TIME_GONE:
            self.timing.forget()
            return [*result.lines, *await self._advance(_nothing_turn(self))]
        # Outcome.PHONE_REJECTED: the service refused the number; ask for another one.
        self.frame.clear("phone")
        self.asked = "phone"
        return [*result.lines, "Could you give me another number?"]

    def _after_booking(self, turn: Turn) -> list[str]:
        if turn.no or NOTHING_ELSE.search(turn.text):
            return self._goodbye()
        return self.ask(Question(
            "anything_else",
            ask=["Is there anything else I can help you with?"],
            again=["Anything else I can help with? If not, just say no."],
            strategies=(Strategy("call_back", ["For anything else, a person from our team can call you back."]),),
        ))  # fmt: skip

    def _goodbye(self) -> list[str]:
        self.ended = True
        self.asked = None
        return [f"Thanks for calling {self.config.company}. Goodbye!"]

    def _tz(self) -> ZoneInfo:
        resource = self.flow.resource
        return ZoneInfo(resource.time_zone if resource else self.config.time_zone)

    def _open_question(self) -> list[str]:
        """The question the last reply asked, to ask again after answering the caller's own."""
        return [line for line in (self.last_said or [])[-1:] if line.rstrip().endswith("?")]

    def _say(self, lines: list[str]) -> list[str]:
        self.last_said, self.last_heard = list(lines), None
        return lines


def _nothing(turn: Turn) -> Turn:
    """The same moment without the caller's words (a retried step must not re-take them)."""
    return Turn(said=turn.said)


def _nothing_turn(dialog: FrameDialog) -> Turn:
    said = Said(raw="", text="", now=dialog.clock(), tz=dialog._tz(), frame=dialog.frame, expecting=None)
    return Turn(said=said)
