"""Caller ID for the LLM engines (chat, Realtime), as the frame dialog has it (contact.CallerIdOffer):
the number the phone network says the call came from is told to the model as something to OFFER,
never to use. The model asks ("Shall I text the confirmation to the number you're calling from,
ending in 0 1 9 8?"); a yes to that question confirms it in the call's Consent, and only then may a
text go there (tool_policy.refusal). Caller ID can be withheld, shared or spoofed: the full number
is in the prompt so the model can read it back, and a model that skips the question is refused.
"""

from __future__ import annotations

import re

from gateway.agent.contact import CallerIdOffer

_DIGITS_APART = re.compile(r"(?<=\d)[\s,.\-]+(?=\d)")  # "0 1 9 8", "0-1-9-8" -> "0198"


def usable_caller_id(number: str | None) -> str | None:
    """The caller ID when the phone slot could hold it (a valid US number, E.164), else None."""
    return CallerIdOffer(number).number


def caller_id_note(number: str | None) -> str:
    """The system prompt's paragraph about the caller's number ("" when there is none to offer)."""
    usable = usable_caller_id(number)
    if usable is None:
        return ""
    ending = " ".join(usable[-4:])
    return (
        f"Caller ID: this phone call comes from {usable}. Caller ID can be wrong or belong to someone else, so "
        "never use it without asking: when you need the caller's phone number, first offer this one, e.g. "
        f'"Shall I text the confirmation to the number you\'re calling from, ending in {ending}?". Use it only '
        "after the caller says yes; if they say no, ask for the number and read it back."
    )


def offered_in(question: str, caller_id: str) -> bool:
    """Whether the agent's (normalised) question names the caller ID: its last four digits as a group
    and the word "number" (the whole number read back is a read-back like any other: consent.py)."""
    groups = re.findall(r"\d+", _DIGITS_APART.sub("", question))
    return "number" in question and caller_id[-4:] in groups
