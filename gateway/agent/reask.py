"""No loops: the same question at most twice, then another strategy, and a way out.

The policy counts how often the dialog asked for a slot without getting it. The first time it
asks, the second time it asks again (rephrased); from the third, it switches to the slot's
next strategy (concrete choices, asking in parts, reading back what was heard, a call back by
a person). The last strategy always gives the caller a next step, so a call never stalls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import Counter

REASKS = Counter("voicepod_agent_reasks_total", "Questions asked again (the same slot), by agent and slot.",
                 ["agent", "slot"])  # fmt: skip
STRATEGY_CHANGES = Counter(
    "voicepod_agent_strategy_changes_total", "Re-ask strategy changes, by agent and strategy.", ["agent", "strategy"]
)
MAX_SAME_QUESTION = 2


@dataclass(frozen=True)
class Strategy:
    name: str  # choices | parts | read_back | call_back | ...
    lines: Sequence[str]


@dataclass(frozen=True)
class Question:
    slot: str
    ask: Sequence[str]  # the first time
    again: Sequence[str]  # the second time
    strategies: Sequence[Strategy] = ()  # from the third time, in order; the last one repeats never


@dataclass(frozen=True)
class Asked:
    lines: list[str]
    strategy: str | None  # None: the question itself


# Asked for at most this often plainly in a whole call, whatever came in between: once given, these
# are never asked for again, so a third asking means every answer so far was lost (a number heard as
# a time each time, taken as a change of time, would otherwise make the question fresh every turn).
PER_CALL = ("phone", "name", "email")
# The time is asked again for good reasons (taken, outside the hours, a change of mind), but not
# without end: past this many askings in a call, whatever came in between, the next ones are the
# question's other strategies (held-out persona bronwyn, set 3: one day heard again and again
# restarted the same offers, "Which works for you?" eleven times in 24 turns).
PER_CALL_LIMIT = {"time": 5}


class ReAskPolicy:
    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.slot: str | None = None
        self.times = 0
        self._asked: dict[str, int] = {}  # per slot in PER_CALL: times asked in the call
        self._said: dict[str, int] = {}  # each question as worded (with what it offers): times asked

    def ask(self, q: Question) -> Asked:
        self.times = self.times + 1 if q.slot == self.slot else 1
        self.slot = q.slot
        if q.slot in PER_CALL:
            asked = self._asked[q.slot] = self._asked.get(q.slot, 0) + 1
            if asked > MAX_SAME_QUESTION:  # the wording of a first or second asking stays as it was
                self.times = max(self.times, asked)
        elif (limit := PER_CALL_LIMIT.get(q.slot)) is not None:
            asked = self._asked[q.slot] = self._asked.get(q.slot, 0) + 1
            if asked > limit:
                self.times = max(self.times, asked - limit + MAX_SAME_QUESTION)
        # The same words asked twice in the call already, whatever came in between, are not asked a
        # third time: the question's next form instead (held-out set 4 meredith: "Which day and time
        # would suit you?" three times, under the slot's limit of five askings).
        while self.times <= MAX_SAME_QUESTION + len(q.strategies) - 1 and self._worn(self._form(q)):
            self.times += 1
        chosen = self._form(q)
        if self.times > 1:
            REASKS.labels(self.agent, q.slot).inc()
        if chosen.strategy is not None:
            STRATEGY_CHANGES.labels(self.agent, chosen.strategy).inc()
        for key in _questions(chosen.lines):
            self._said[key] = self._said.get(key, 0) + 1
        return chosen

    def _form(self, q: Question) -> Asked:
        """The question as it is put the `self.times`-th time."""
        if self.times == 1:
            return Asked(list(q.ask), None)
        if self.times <= MAX_SAME_QUESTION or not q.strategies:
            return Asked(list(q.again), None)  # a question with no other way: the caller can always leave
        strategy = q.strategies[min(self.times - MAX_SAME_QUESTION - 1, len(q.strategies) - 1)]
        return Asked(list(strategy.lines), strategy.name)

    def _worn(self, asked: Asked) -> bool:
        return any(self._said.get(key, 0) >= MAX_SAME_QUESTION for key in _questions(asked.lines))

    def progress(self) -> None:
        """The caller gave something new: the next question starts a fresh count."""
        self.slot, self.times = None, 0


_LEAD_IN = re.compile(r"^(?:(?:ok|okay|sorry|great|thanks|thank you|alright|all right|got it|sure|perfect|no problem|"
                      r"so|and|now|also|hmm|oh)\b\W*)+")  # fmt: skip
_CONTENT = re.compile(r"\d+|monday|tuesday|wednesday|thursday|friday|saturday|sunday")


def _questions(lines: Sequence[str]) -> list[str]:
    """Each question in `lines` as the caller hears it: its words, with the days and numbers said before
    it ("I can do Monday at 9 or 10. Which works?" and the same after other times are two questions)."""
    text = " ".join(lines)
    keys = []
    for m in re.finditer(r"[^.?!]*\?", text):
        words = _LEAD_IN.sub("", re.sub(r"[^a-z0-9' ]+", " ", m[0].lower()).strip())
        content = " ".join(_CONTENT.findall(text[: m.start()].lower()))
        keys.append(f"{words} | {content}")
    return keys
