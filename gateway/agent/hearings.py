"""Which hearing of a caller turn answers the question asked: the top one, else the first of the
STT's runners-up that does.

A voice the STT does not know comes back as other words ("Tuesday at 4 PM" as "to use that for
the end"); another hearing of the same audio (other beams, another model) often holds the answer.
Only the slot the dialog asked for may be filled from a runner-up: "which city?" answered by a
second hearing gives a city and nothing else, so a runner-up never sets a time, a name or a number
the caller was not asked for. A yes is never taken from a runner-up while a booking is being
confirmed (there the yes is the only guard); a no is, as it only asks what to change. Whatever is
taken is read back before anything is booked, as any value is.

Phone numbers have their own rule (contact.py PhoneCollector: the first hearing that holds a whole
number), names and e-mail addresses none yet: those questions are left to the top hearing here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta

from gateway.agent.frame import Frame, Said, Slot
from gateway.agent.numbers import normalise
from gateway.agent.self_repair import self_repaired
from gateway.agent.time_phrases import TimeAsk
from gateway.agent.turn_parser import Turn, parse_turn

YES_NO = "yes_no"
# Questions a runner-up may answer, besides the flow's own slots and the yes/no ones.
OWN = frozenset({"time"})
# What answers each yes/no question the dialog asks (its `_asked` names).
YES_NO_QUESTIONS = frozenset({YES_NO, "confirm", "anything_else", "heard_time"})
# "Which one?" after a read-out is answered by a pick ("the second one") too.
PICKED = "choice"
WHOLE_DAY = timedelta(hours=23)  # a window this long is a day without a time of day


@dataclasses.dataclass(frozen=True)
class Question:
    """What the last question asked for, as the parser's slot names."""

    slots: frozenset[str]  # a value for any of these answers it
    yes_no: bool = False  # a yes or a no answers it
    yes_taken: bool = True  # False: only the top hearing may say yes (a booking's read-back)
    day_known: bool = False  # times were offered on a day: "at 3" answers in full

    @property
    def asks(self) -> bool:
        return bool(self.slots) or self.yes_no


NOTHING = Question(frozenset())


def question(
    asked: str | None, flow_slots: Collection[str], *, confirming: bool = False, picking: bool = False
) -> Question:
    """The question named `asked` (the dialog's last question), in slot names. A question the flow
    asks about what to book but that names no one slot ("what should I change: the budget, the
    bedrooms or the area?") is answered by any of the flow's slots. `picking`: the options asked
    about were just read out (homes for a flow slot, times for the time), so "the second one"
    answers too."""
    if asked is None or asked in ("phone", "name", "email", "change"):
        return NOTHING
    if asked in YES_NO_QUESTIONS:
        return Question(frozenset(), yes_no=True, yes_taken=not confirming and asked != "confirm")
    if asked in OWN:  # after times were read out, "the second one" answers too, and a time needs no day
        return Question(frozenset({asked, PICKED} if picking else {asked}), day_known=picking)
    if asked in flow_slots:
        return Question(frozenset({asked, PICKED} if picking else {asked}))
    return Question(frozenset(flow_slots))


def answers(turn: Turn, asked: Question, *, top: bool = True, whole: bool = False) -> bool:
    """Whether the turn answers the question; `whole`: in full (a time with its day and a time of day:
    "Ben's day at eleven" answers "which day and time?" only in part, as today at 11)."""
    if any(turn.values.get(name) is not None for name in asked.slots):
        return not whole or asked.day_known or all(_whole(name, turn.values.get(name)) for name in asked.slots)
    return asked.yes_no and (turn.no or (turn.yes and (top or asked.yes_taken)))


def _whole(name: str, value: object) -> bool:
    """A time is whole with its day and a time of day ("Friday" alone, or "in the afternoon" alone, is
    part of one); other values are whole as heard."""
    if name != "time" or not isinstance(value, TimeAsk):
        return True
    return value.day_said and (value.end is None or value.end - value.start < WHOLE_DAY)


def hearing_of(said: Said, text: str) -> Said:
    """The same moment, heard as `text`."""
    return dataclasses.replace(said, raw=text.strip(), text=self_repaired(normalise(text.strip())), alternatives=())


def answering_turn(said: Said, slots: Sequence[Slot], asked: Question) -> Turn:
    """The top hearing's turn when it answers `asked` in full (or nothing was asked, or there is no
    other hearing); else the first runner-up that answers it in full; else the top hearing's turn if
    it answers in part; else the first runner-up that does. From a runner-up only the asked slot's
    values (or its yes or no) are taken, into the top hearing's turn."""
    top = parse_turn(said, slots)
    if not asked.asks or not said.alternatives or answers(top, asked, whole=True):
        return top
    others = [parse_turn(hearing_of(said, text), slots) for text in said.alternatives]
    chosen = next((o for o in others if answers(o, asked, top=False, whole=True)), None)
    if chosen is None and answers(top, asked):
        return top
    chosen = chosen or next((o for o in others if answers(o, asked, top=False)), None)
    if chosen is None:
        return top
    # The top hearing's turn, with the asked slot's values (or the yes/no) from the runner-up: what the
    # top hearing got of other slots stays (a caller's first turn says several things at once).
    kept = {name: value for name, value in chosen.values.items() if name in asked.slots}
    if asked.yes_no:
        return dataclasses.replace(top, yes=chosen.yes and asked.yes_taken and not chosen.no, no=chosen.no)
    return dataclasses.replace(top, values={**top.values, **kept}, guessed=frozenset(kept))


def _polarity(turn: Turn) -> str | None:
    return "no" if turn.no else "yes" if turn.yes else None


def hearings_disagree(turn: Turn, slots: Sequence[Slot]) -> bool:
    """The STT's hearings of a yes/no turn say yes and no ("that's right" heard "not right" by one
    model, "that's right" by the other): at a booking's read-back neither is taken, the caller is
    asked for a plain yes or no (the STT hears a read-back's answer with both models)."""
    top = _polarity(turn)
    if top is None:
        return False
    others = (_polarity(parse_turn(hearing_of(turn.said, text), slots)) for text in turn.said.alternatives)
    return any(other is not None and other != top for other in others)


def answer_words(slots: Sequence[Slot], asked: Question, frame: Frame) -> str | None:
    """The words an answer to `asked` is likely to hold, from the hints of the slots it asks for
    (Slot.hint: "a condo, a townhouse"; the streets just read out), for the STT's second hearing.
    None when none of them has any."""
    hints = (slot.hint(frame) for slot in slots if slot.name in asked.slots and slot.hint is not None)
    words = list(dict.fromkeys(h for h in hints if h))
    return " ".join(words) or None


def checker(said: Said, slots: Sequence[Slot], asked: Question) -> Callable[[str], bool] | None:
    """For the STT, before the turn is heard: does a hearing answer the question? (It pays for
    another hearing only when the first does not.) `said` is the moment the question was asked
    (its frame copied: the check runs on the STT's thread). None when no question is asked that a
    runner-up could answer."""
    if not asked.asks:
        return None
    frozen = dataclasses.replace(said, frame=dataclasses.replace(said.frame, values=dict(said.frame.values)))
    return lambda text: answers(parse_turn(hearing_of(frozen, text), slots), asked, whole=True)
