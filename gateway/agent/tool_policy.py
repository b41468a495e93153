"""What an LLM may and may not decide about a tool call, the same for every LLM engine.

The model never sees, and cannot set, the fields that make writes safe to repeat
(idempotency keys, call ids): the engine derives them from the call, so a retried or
replayed intent is applied once. And some calls are refused whatever the model was
talked into (consent.py): a number is used only once the caller confirmed its read-back, and a
booking or a lead is written only after the caller's yes, as the deterministic dialog does.

A reply prepared before the caller has surely finished (gateway/agent/rehearsal.py) may be thrown
away, so it may only call tools that change nothing (`may_rehearse`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.agent.consent import Consent
from gateway.agent.tools import Tool

ENGINE_FIELDS = ("idempotency_key", "call_id")


def model_spec(tool: Tool) -> dict[str, Any]:
    """The tool as the model sees it (Chat Completions shape): without the engine's fields."""
    schema = dict(tool.schema)
    schema["properties"] = {k: v for k, v in schema.get("properties", {}).items() if k not in ENGINE_FIELDS}
    if "required" in schema:
        schema["required"] = [k for k in schema["required"] if k not in ENGINE_FIELDS]
    return {"type": "function", "function": {"name": tool.name, "description": tool.description, "parameters": schema}}


def engine_args(tool: Tool, args: Mapping[str, Any], call_id: str) -> dict[str, Any]:
    """The model's arguments with the engine's fields set: same call, same intent -> same key."""
    fields = tool.schema.get("properties", {})
    out = {k: v for k, v in args.items() if k not in ENGINE_FIELDS}
    if "call_id" in fields:
        out["call_id"] = call_id
    if "idempotency_key" in fields:
        detail = {"book_showing": out.get("start_time"), "send_sms": out.get("template_id")}.get(tool.name, "")
        out["idempotency_key"] = f"{call_id}:{tool.name}:{detail or ''}"
    return out


def refusal(tool: Tool, args: Mapping[str, Any], consent: Consent) -> str:
    """Why the engine will not make this call whatever the model says ("" if it will)."""
    number = str(args.get(tool.confirmed_phone) or "") if tool.confirmed_phone else ""
    if number and not consent.phone_confirmed(number):
        return (
            "Refused: this phone number was not confirmed by the caller. Read it back to the caller in digit "
            "groups, ask if it is right, and use it only after they say yes."
        )
    if tool.needs_yes and not consent.agreed:
        return (
            "Refused: the caller has not agreed yet. Read everything back (the time in words, the name, the phone "
            "number in digit groups), ask 'Shall I book it?', and act only after the caller says yes."
        )
    return ""


def may_rehearse(tool: Tool) -> bool:
    """May run for a reply that may be thrown away: only a tool its vertical marked as only reading
    (a search, a lookup); a booking, a lead or a text never runs before the caller's turn has ended."""
    return tool.read_only
