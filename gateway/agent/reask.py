"""No loops: the same question at most twice, then another strategy, and a way out.

The policy counts how often the dialog asked for a slot without getting it. The first time it
asks, the second time it asks again (rephrased); from the third, it switches to the slot's
next strategy (concrete choices, asking in parts, reading back what was heard, a call back by
a person). The last strategy always gives the caller a next step, so a call never stalls.
"""

from __future__ import annotations

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
        if self.times == 1:
            return Asked(list(q.ask), None)
        if self.times <= MAX_SAME_QUESTION:
            REASKS.labels(self.agent, q.slot).inc()
            return Asked(list(q.again), None)
        REASKS.labels(self.agent, q.slot).inc()
        if not q.strategies:
            return Asked(list(q.again), None)  # a question with no other way: the caller can always leave
        index = min(self.times - MAX_SAME_QUESTION - 1, len(q.strategies) - 1)
        strategy = q.strategies[index]
        STRATEGY_CHANGES.labels(self.agent, strategy.name).inc()
        return Asked(list(strategy.lines), strategy.name)

    def progress(self) -> None:
        """The caller gave something new: the next question starts a fresh count."""
        self.slot, self.times = None, 0
