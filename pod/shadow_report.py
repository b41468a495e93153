"""The figures of `voicepod shadow report`, from the stored shadow-mode records (docs/modes.md).

Per agent, over the shadow calls' outcomes: how often the agent's final action (book / not) was
the person's; for each entity the person's booking named (resource, time, name, phone), how often
the agent had understood the same; the calls where the agent would have gone wrong (a different
action or any different entity), and each difference. The go-live gate: the share of calls it
would have got right, and the eval pass rate, each at least the agent's bar (agents/*.yaml go_live).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bus.contracts import events_pb2

COMPARED = ("resource", "time", "name", "phone")


def same(entity: str, human: str, agent: str) -> bool:
    """Whether two spellings of an entity are the same value (a time in any offset, a phone number
    with or without its country code and separators, a name in any case)."""
    if entity == "time":
        try:
            return datetime.fromisoformat(human).astimezone(UTC) == datetime.fromisoformat(agent).astimezone(UTC)
        except ValueError:
            return human == agent
    if entity == "phone":
        return re.sub(r"\D", "", human)[-10:] == re.sub(r"\D", "", agent)[-10:] != ""
    return " ".join(human.casefold().split()) == " ".join(agent.casefold().split())


@dataclass(frozen=True)
class Difference:
    call_id: str
    what: str  # "action" or an entity's name
    human: str
    agent: str


@dataclass
class AgentFigures:
    agent: str
    calls: int = 0
    desk_turns: int = 0
    actions_agreed: int = 0
    entities_compared: dict[str, int] = field(default_factory=dict)
    entities_agreed: dict[str, int] = field(default_factory=dict)
    wrong_calls: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def action_agreement(self) -> float | None:
        return self.actions_agreed / self.calls if self.calls else None

    @property
    def entity_agreement(self) -> float | None:
        compared = sum(self.entities_compared.values())
        return sum(self.entities_agreed.values()) / compared if compared else None

    @property
    def wrong_rate(self) -> float | None:
        """The share of calls where the agent would have gone wrong."""
        return self.wrong_calls / self.calls if self.calls else None

    @property
    def agreement(self) -> float | None:
        """The share of calls where it would have done what the person did: the gate's figure."""
        return None if self.wrong_rate is None else 1.0 - self.wrong_rate

    def add(self, call_id: str, outcome: Any) -> None:
        self.calls += 1
        wrong = False
        if outcome.human_action == outcome.recommended_action:
            self.actions_agreed += 1
        else:
            wrong = True
            self.differences.append(Difference(call_id, "action", outcome.human_action, outcome.recommended_action))
        for entity in COMPARED:
            human = outcome.human_entities.get(entity, "")
            if not human:
                continue  # the person's booking did not name it: nothing to compare
            agent = outcome.recommended_entities.get(entity, "")
            self.entities_compared[entity] = self.entities_compared.get(entity, 0) + 1
            if same(entity, human, agent):
                self.entities_agreed[entity] = self.entities_agreed.get(entity, 0) + 1
            else:
                wrong = True
                self.differences.append(Difference(call_id, entity, human, agent or "(none)"))
        self.wrong_calls += wrong

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent, "calls": self.calls, "desk_turns": self.desk_turns,
            "action_agreement": self.action_agreement, "entity_agreement": self.entity_agreement,
            "entities": {e: {"compared": n, "agreed": self.entities_agreed.get(e, 0)}
                         for e, n in self.entities_compared.items()},
            "wrong_rate": self.wrong_rate, "agreement": self.agreement,
            "differences": [d.__dict__ for d in self.differences],
        }  # fmt: skip


def figures(records: Iterable[events_pb2.TranscriptEvent]) -> dict[str, AgentFigures]:
    """Per agent, from the records (the last outcome stored for a call counts)."""
    out: dict[str, AgentFigures] = {}
    outcomes: dict[str, events_pb2.TranscriptEvent] = {}
    for event in records:
        kind = event.WhichOneof("body")
        if kind == "shadow_turn":
            agent = event.shadow_turn.agent_name
            out.setdefault(agent, AgentFigures(agent)).desk_turns += 1
        elif kind == "shadow_outcome":
            outcomes[event.call_id] = event
    for call_id, event in outcomes.items():
        agent = event.shadow_outcome.agent_name
        out.setdefault(agent, AgentFigures(agent)).add(call_id, event.shadow_outcome)
    return out


@dataclass(frozen=True)
class Gate:
    agreement: float | None
    eval_pass_rate: float | None
    bar_agreement: float
    bar_eval: float

    @property
    def passed(self) -> bool:
        return (self.agreement is not None and self.agreement >= self.bar_agreement
                and self.eval_pass_rate is not None and self.eval_pass_rate >= self.bar_eval)  # fmt: skip

    def why(self) -> str:
        def part(name: str, value: float | None, bar: float) -> str:
            return f"{name} {'unknown' if value is None else f'{value:.0%}'} (bar {bar:.0%})"

        return ", ".join((part("shadow agreement", self.agreement, self.bar_agreement),
                          part("eval pass rate", self.eval_pass_rate, self.bar_eval)))  # fmt: skip
