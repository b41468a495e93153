"""What the caller agreed to in this call, read from the conversation itself: the shared rule
of every engine that acts for a caller ("read it back, act only after a yes").

A phone number is CONFIRMED when the agent read it back in a question and the caller's next
turn said yes (and not no); so is the call's caller ID when the agent offered it (named its
ending: caller_id.py) and the caller said yes. The caller AGREED when their latest turn is a yes to a question the
agent asked. The LLM engines check tool calls against it (tool_policy.refusal), so a model that
was talked into it, or skipped the read-back, cannot text an unconfirmed number or book before
the yes.
"""

from __future__ import annotations

from gateway.agent.caller_id import offered_in, usable_caller_id
from gateway.agent.contact import phone_from
from gateway.agent.numbers import normalise
from gateway.agent.turn_parser import NO, YES


class Consent:
    def __init__(self, caller_id: str | None = None) -> None:
        self.caller_id = usable_caller_id(caller_id)  # the phone network's number: offered, not yet confirmed
        self.confirmed_phones: set[str] = set()
        self.agreed = False  # the caller's latest turn said yes to the agent's question
        self._agent_lines: list[str] = []  # what the agent said since the caller last spoke

    def agent_said(self, text: str) -> None:
        if text:
            self._agent_lines.append(text)

    def caller_said(self, text: str) -> None:
        said, asked = normalise(text), " ".join(self._agent_lines)
        if not asked:
            # The same turn heard again (a provider's transcript after ours) or the caller going on:
            # it can take a yes back, never give one the agent did not ask for.
            self.agreed = self.agreed and not NO.search(said)
            return
        self._agent_lines = []
        self.agreed = "?" in asked and bool(YES.search(said)) and not NO.search(said)
        read_back = phone_from(normalise(asked))
        if self.agreed and read_back is not None:
            self.confirmed_phones.add(read_back)
        elif self.agreed and self.caller_id is not None and offered_in(normalise(asked), self.caller_id):
            self.confirmed_phones.add(self.caller_id)

    def phone_confirmed(self, number: str) -> bool:
        e164 = phone_from(normalise(number))
        return e164 is not None and e164 in self.confirmed_phones
