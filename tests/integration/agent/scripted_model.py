"""A scripted "model" behind the local OpenAI server: it reads the conversation the way a
real model would (last message, tool results so far) and answers with text or tool calls
for the real-estate flow. The tool results it reads are the real services' answers."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tests.fakes.openai_server import Reply, ToolCall


def _results(messages: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest result of each tool, by tool name."""
    names = {c["id"]: c["function"]["name"] for m in messages for c in m.get("tool_calls") or ()}
    out: dict[str, dict[str, Any]] = {}
    for m in messages:
        if m["role"] == "tool":
            out[names[m["tool_call_id"]]] = json.loads(m["content"])
    return out


def _call(tool: str, **args: Any) -> Reply:
    return Reply(tool_calls=(ToolCall(tool, json.dumps(args)),))


def real_estate(body: Mapping[str, Any]) -> Reply:
    messages = body["messages"]
    last = messages[-1]
    done = _results(messages)
    users = [m["content"] for m in messages if m["role"] == "user"]
    if last["role"] == "tool":
        return _after_tool(done, users)
    text = last["content"].lower()
    said = [m.get("content") or "" for m in messages if m["role"] == "assistant"]
    if said and "shall i book it" in said[-1].lower() and text.startswith("yes"):
        name, phone = _contact(users)
        return _call("write_lead", name=name, phone=phone, interest="3 bedroom home in Austin")
    if "austin" in text:
        return _call("search_listings", city="Austin", min_bedrooms=3, max_price_usd=700_000, limit=3)
    if "first one" in text:
        home = done["search_listings"]["listings"][0]
        return _call("check_availability", listing_id=home["mls_id"], agent_id=home["agent"]["agent_id"],
                     time_zone=home["time_zone"], max_slots=3)  # fmt: skip
    if "first time" in text:
        return Reply("Great, that works. May I have your name?")
    if re.search(r"\d{3}", text):
        digits = re.sub(r"\D", "", text)
        spaced = ", ".join(" ".join(part) for part in (digits[:3], digits[3:6], digits[6:]))
        return Reply(f"Let me read that back: the first time, for {users[-2]}, texting {spaced}. Shall I book it?")
    if "bye" in text:
        return Reply("Thanks for calling. Goodbye!")
    return Reply("Thanks. And what number should I text the confirmation to?")


def _contact(users: list[str]) -> tuple[str, str]:
    """(name, phone) the caller gave: the number is the last turn with digits, the name the turn before it."""
    at = max(i for i, u in enumerate(users) if re.search(r"\d{3}", u))
    return users[at - 1], users[at]


def _after_tool(done: dict[str, dict[str, Any]], users: list[str]) -> Reply:
    last_tool = list(done)[-1]
    if last_tool == "search_listings":
        found = done["search_listings"]
        street = found["listings"][0]["address"]["street"]
        return Reply(f"I found {found['total_count']} homes. The first is {street}. Would you like to see it?")
    if last_tool == "check_availability":
        return Reply("I can show it at the first time or the second time. Which works for you?")
    home = done["search_listings"]["listings"][0]
    slot = done["check_availability"]["slots"][0]["start_time"]
    if last_tool == "write_lead":
        lead = done["write_lead"]["lead"]
        return _call("book_showing", listing_id=home["mls_id"], agent_id=home["agent"]["agent_id"],
                     time_zone=home["time_zone"], start_time=slot.replace("Z", "+00:00"),
                     contact_name=lead["name"], contact_phone=lead["phone_e164"], lead_id=lead["lead_id"])  # fmt: skip
    if last_tool == "book_showing":
        return _call("send_sms", to_phone=done["write_lead"]["lead"]["phone_e164"], template_id="showing_confirmation",
                     variables={"name": _contact(users)[0], "address": home["address"]["street"], "when": slot,
                                "agent_name": home["agent"]["name"]})  # fmt: skip
    return Reply("You're booked, and I've texted you the details. Anything else?")
