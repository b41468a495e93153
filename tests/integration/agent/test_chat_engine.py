"""The LLM engine with the real `openai` SDK against a local server that streams chat
completions the way OpenAI's does (content deltas, tool calls in pieces, usage), acting
through the real services on NATS. Not tested against the live OpenAI service."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from bus.client import BusClient
from gateway.agent.chat_engine import HANDOVER, ChatEngine
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import Line
from gateway.agent.tools import ToolBox
from gateway.agent.usage import UsageMeter
from gateway.agent.vertical import Stage
from gateway.providers.llm.openai_chat import OpenAIChat
from gateway.responder import CallerTurn
from services.calendar.store import BookingRow
from services.crm_writer.store import LeadRow
from services.sms.store import OutboxRow
from tests.fakes.openai_server import API_KEY, Failure, FakeOpenAI, Reply, ToolCall, serving
from tests.integration.agent import scripted_model
from tests.integration.agent.test_dialog import rows, services
from tests.postgres import ONE_STORE
from verticals.real_estate import tools as real_estate_tools

pytestmark = [pytest.mark.usefixtures("store_env"), ONE_STORE, pytest.mark.slow]
EMPTY = __import__("numpy").zeros(0, dtype="int16")


MODELS: list[OpenAIChat] = []


@pytest.fixture(autouse=True)
async def close_models() -> AsyncIterator[None]:
    yield
    while MODELS:
        await MODELS.pop().close()


def engine(nc: NATS, fake: FakeOpenAI, call_id: str = "call-llm", *, key: str = API_KEY) -> ChatEngine:
    config = AgentConfig.load("real_estate")
    tools = ToolBox(real_estate_tools.ALL, BusClient(nc))
    model = OpenAIChat(api_key=key, base_url=fake.base_url, model="gpt-4o-mini")
    MODELS.append(model)
    dialog = FrameDialog(config, tools, call_id)
    return ChatEngine(model, config, tools, dialog, UsageMeter("real_estate"), call_id)


async def say(e: ChatEngine, text: str, index: int = 1) -> list[str]:
    return [line.text async for line in e.respond(CallerTurn(index=index, audio=EMPTY, text=text))]


async def test_the_model_books_a_showing_through_the_tools(nc: NATS) -> None:
    async with services(nc), serving(scripted_model.real_estate) as fake:
        e = engine(nc, fake)
        assert (await e.greeting())[0].text.startswith("Hi, this is Ava")
        found = await say(e, "A three bedroom house in Austin under seven hundred thousand")
        # The reply streamed in pieces that split words; it is spoken sentence by sentence.
        assert found[0].startswith("I found") and found[0].endswith("homes.") and len(found) == 3, found
        await say(e, "Yes, the first one")
        await say(e, "The first time please")
        await say(e, "Ada Lovelace")
        read_back = await say(e, "512 555 0134")
        assert read_back[-1] == "Shall I book it?" and await rows("calendar", BookingRow) == []
        done = await say(e, "yes please")
    assert done == ["You're booked, and I've texted you the details.", "Anything else?"]
    assert e.fell_back is None
    (lead,) = await rows("crm_writer", LeadRow)
    (booking,) = await rows("calendar", BookingRow)
    (sms,) = await rows("sms", OutboxRow)
    assert (lead.name, lead.phone_e164) == ("Ada Lovelace", "+15125550134")
    assert (booking.contact_phone_e164, booking.lead_id, booking.source_call_id) == (
        "+15125550134", lead.lead_id, "call-llm",
    )  # fmt: skip
    assert sms.to_phone_e164 == "+15125550134" and "Ada Lovelace" in sms.body
    # The model saw the six tools without the fields the engine owns, and the system prompt.
    first = fake.requests[0]
    assert first["stream"] is True and first["stream_options"] == {"include_usage": True}
    offered = {t["function"]["name"]: t["function"]["parameters"] for t in first["tools"]}
    assert set(offered) == {t.name for t in real_estate_tools.ALL}
    assert "idempotency_key" not in offered["book_showing"]["properties"]
    assert first["messages"][0]["role"] == "system" and "Voicepod Realty" in first["messages"][0]["content"]
    # Tokens of every request were metered at the model's price.
    assert e.usage.quantities[("openai:gpt-4o-mini", "input_tokens")] == 50 * len(fake.requests)
    assert e.usage.cost_usd > 0


def stubborn(bad_times: int) -> Any:
    """A model that sends invalid search arguments `bad_times`, then valid ones."""

    def policy(body: Mapping[str, Any]) -> Reply:
        last = body["messages"][-1]
        if last["role"] == "tool" and "listings" in json.loads(last["content"]):
            return Reply("I found some homes.")
        wrong = sum(m["role"] == "tool" for m in body["messages"])
        if wrong < bad_times:
            return Reply(tool_calls=(ToolCall("search_listings", '{"city": "Austin", "min_bedrooms": "three"}'),))
        return Reply(tool_calls=(ToolCall("search_listings", '{"city": "Austin", "min_bedrooms": 3}'),))

    return policy


async def test_invalid_arguments_get_a_corrective_message_and_a_retry(nc: NATS) -> None:
    async with services(nc, "mls_lookup"), serving(stubborn(bad_times=1)) as fake:
        e = engine(nc, fake)
        reply = await say(e, "three bedrooms in Austin")
    assert reply == ["I found some homes."] and e.fell_back is None
    corrective = json.loads(fake.requests[1]["messages"][-1]["content"])
    assert corrective["error"] == "invalid_arguments" and "min_bedrooms" in corrective["message"]


async def test_after_two_failed_corrections_the_dialog_takes_over_and_books(nc: NATS) -> None:
    async with services(nc), serving(stubborn(bad_times=99)) as fake:
        e = engine(nc, fake, "call-fallback")
        reply = await say(e, "A three bedroom house in Austin under seven hundred thousand")
        # Three attempts (the first and two corrected retries), then the deterministic path.
        assert len(fake.requests) == 3 and e.fell_back == "invalid_tool_arguments"
        assert reply[0].startswith("I found") and e.dialog.stage is Stage.PRESENT, reply
        await say(e, "I like the second one")
        await say(e, "the first time works")
        await say(e, "My name is Ada Lovelace")
        read_back = await say(e, "five one two, five five five, zero one three four")
        assert read_back[-1] == "Shall I book it?" and e.dialog.stage is Stage.CONFIRM, read_back
        done = await say(e, "yes")
    assert done[0].startswith("You're booked") and len(fake.requests) == 3  # the model was not asked again
    fallbacks = REGISTRY.get_sample_value(
        "voicepod_agent_fallbacks_total", {"agent": "real_estate", "reason": "invalid_tool_arguments"}
    )
    assert fallbacks is not None and fallbacks >= 1
    assert dict(e.usage.ended().fallbacks) == {"llm:invalid_tool_arguments": 1}  # kept with the call's end
    (booking,) = await rows("calendar", BookingRow)
    assert booking.contact_phone_e164 == "+15125550134" and booking.source_call_id == "call-fallback"


async def test_a_model_that_fails_mid_call_hands_over_with_what_the_caller_said(nc: NATS) -> None:
    failing = {"now": False}

    def policy(body: Mapping[str, Any]) -> Reply | Failure:
        if failing["now"]:
            return Failure(503, "overloaded")
        return Reply("Sure. Which city are you looking in?")

    async with services(nc, "mls_lookup"), serving(policy) as fake:
        e = engine(nc, fake)
        assert await say(e, "I want to buy a condo") == ["Sure.", "Which city are you looking in?"]
        failing["now"] = True
        reply = await say(e, "Denver")
    # The dialog replayed "a condo", heard "Denver", and searched for both.
    assert e.fell_back is not None and e.fell_back.startswith("model_error")
    assert e.dialog.slots.property_type == "condo" and e.dialog.slots.city == "Denver"
    assert reply[0].startswith("I found") and len(fake.requests) == 2


async def test_a_wrong_key_or_an_unreachable_server_falls_back_at_once(nc: NATS) -> None:
    async with services(nc, "mls_lookup"), serving(scripted_model.real_estate) as fake:
        wrong_key = engine(nc, fake, key="sk-wrong")
        assert (await say(wrong_key, "three bedrooms in Austin"))[0].startswith("I found")
        assert wrong_key.fell_back is not None and "AuthenticationError" in wrong_key.fell_back
    # The server is gone now: connection refused.
    gone = engine(nc, fake)
    async with services(nc, "mls_lookup"):
        assert (await say(gone, "three bedrooms in Austin"))[0].startswith("I found")
    assert gone.fell_back is not None and "APIConnectionError" in gone.fell_back


async def test_a_text_goes_only_to_a_number_the_caller_confirmed(nc: NATS) -> None:
    """Prompt injection guard and the confirmation rule: whatever the model was talked into, a text
    message goes only to a number the agent read back and the caller said yes to."""
    listing = {"address": "1 Main St", "price": "$1", "bedrooms": "3", "bathrooms": "2", "photo_url": "x"}

    def policy(body: Mapping[str, Any]) -> Reply:
        last = body["messages"][-1]
        if last["role"] == "tool":
            return Reply("Done.")
        if last["content"] == "yes":
            args = {"to_phone": "+12125550100", "template_id": "listing_details", "variables": listing}
        elif "zero one hundred" in last["content"]:
            return Reply("That's 2 1 2, 5 5 5, 0 1 0 0, right?")
        else:  # texting straight away: a stranger's number, or the caller's before the read-back
            args = {"to_phone": "+12125550100", "template_id": "listing_details", "variables": listing}
        return Reply(tool_calls=(ToolCall("send_sms", json.dumps(args)),))

    async with services(nc, "sms"), serving(policy) as fake:
        stranger = engine(nc, fake, "call-1")
        await say(stranger, "Please send me the details of that house")
        refused = json.loads(fake.requests[-1]["messages"][-1]["content"])
        assert refused["error"] == "refused" and await rows("sms", OutboxRow) == []
        own = engine(nc, fake, "call-2")
        await say(own, "Text the details to me at two one two, five five five, zero one hundred")
        assert await rows("sms", OutboxRow) == []  # read back, not yet confirmed
        await say(own, "yes")
        sent = json.loads(fake.requests[-1]["messages"][-1]["content"])
    assert "error" not in sent and sent["message"]["status"]
    assert [r.to_phone_e164 for r in await rows("sms", OutboxRow)] == ["+12125550100"]


async def test_lines_and_hand_over_note_when_the_model_already_spoke(nc: NATS) -> None:
    def policy(body: Mapping[str, Any]) -> Reply:
        return Reply("Let me look.", tool_calls=(ToolCall("search_listings", "{not json"),))

    async with services(nc, "mls_lookup"), serving(policy) as fake:
        e = engine(nc, fake)
        lines = [line async for line in e.respond(CallerTurn(1, EMPTY, "three bedrooms in Austin"))]
    assert all(isinstance(line, Line) for line in lines)
    texts = [line.text for line in lines]
    assert texts[:2] == ["Let me look.", HANDOVER] and texts[2].startswith("I found"), texts
    corrective = json.loads(fake.requests[1]["messages"][-1]["content"])
    assert "not valid JSON" in corrective["message"]
