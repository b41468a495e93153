"""Caller ID for the LLM engines, with the real `openai` SDK against the local stand-ins for OpenAI's
chat and Realtime servers: the model is told the number the call came from as one to offer (in its
system prompt / session instructions), and the engine lets a text go there only after the caller
said yes to that offer; a text before the offer, or after a no, is refused."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from nats.aio.client import Client as NATS

from bus.client import BusClient
from gateway.agent.chat_engine import ChatEngine
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.tools import ToolBox
from gateway.agent.usage import UsageMeter
from gateway.providers.llm.openai_chat import OpenAIChat
from gateway.responder import CallerTurn
from services.sms.store import OutboxRow
from tests.fakes.openai_realtime_server import Call, Step, Text
from tests.fakes.openai_realtime_server import serving as serving_realtime
from tests.fakes.openai_server import API_KEY, Reply, ToolCall, serving
from tests.integration.agent.test_dialog import rows, services
from tests.integration.agent.test_realtime_engine import Rig, texts
from verticals.real_estate import tools as real_estate_tools

pytestmark = [pytest.mark.usefixtures("store_env"), pytest.mark.slow]
CALLER_ID = "+17205550198"
OFFER = "Shall I text the details to the number you're calling from, ending in 0 1 9 8?"
LISTING = {"address": "1 Main St", "price": "$1", "bedrooms": "3", "bathrooms": "2", "photo_url": "x"}
SMS = {"to_phone": CALLER_ID, "template_id": "listing_details", "variables": LISTING}
EMPTY = np.zeros(0, dtype=np.int16)


def texting_model(body: Mapping[str, Any]) -> Reply:
    """Offers the caller ID when asked to text; texts it on the caller's answer (yes or no alike:
    the engine, not the model, decides whether that is allowed); straight away when told to hurry."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        return Reply("Done.")
    if "right now" in last["content"]:
        return Reply(tool_calls=(ToolCall("send_sms", json.dumps(SMS)),))
    if "text me" in last["content"]:
        return Reply(OFFER)
    return Reply(tool_calls=(ToolCall("send_sms", json.dumps(SMS)),))


async def chat_call(nc: NATS, base_url: str, call_id: str, caller_number: str | None) -> tuple[ChatEngine, OpenAIChat]:
    config = AgentConfig.load("real_estate")
    tools = ToolBox(real_estate_tools.ALL, BusClient(nc))
    model = OpenAIChat(api_key=API_KEY, base_url=base_url, model="gpt-4o-mini")
    engine = ChatEngine(model, config, tools, FrameDialog(config, tools, call_id), UsageMeter("real_estate"), call_id,
                        caller_number=caller_number)  # fmt: skip
    await engine.greeting()
    return engine, model


async def say(e: ChatEngine, text: str) -> None:
    [line async for line in e.respond(CallerTurn(index=1, audio=EMPTY, text=text))]


async def test_the_chat_model_offers_the_caller_id_and_texts_it_only_after_a_yes(nc: NATS) -> None:
    async with services(nc, "sms"), serving(texting_model) as fake:
        hurried, m1 = await chat_call(nc, fake.base_url, "call-1", CALLER_ID)
        await say(hurried, "Text me the details right now")
        too_early = json.loads(fake.requests[-1]["messages"][-1]["content"])
        declined, m2 = await chat_call(nc, fake.base_url, "call-2", CALLER_ID)
        await say(declined, "Can you text me the details?")
        await say(declined, "No, not that one")
        after_no = json.loads(fake.requests[-1]["messages"][-1]["content"])
        assert await rows("sms", OutboxRow) == []
        agreed, m3 = await chat_call(nc, fake.base_url, "call-3", CALLER_ID)
        await say(agreed, "Can you text me the details?")
        await say(agreed, "Yes, please")
        sent = json.loads(fake.requests[-1]["messages"][-1]["content"])
        withheld, m4 = await chat_call(nc, fake.base_url, "call-4", None)
        for model in (m1, m2, m3, m4):
            await model.close()
    prompt = fake.requests[0]["messages"][0]
    assert prompt["role"] == "system" and f"this phone call comes from {CALLER_ID}" in prompt["content"]
    assert "ending in 0 1 9 8" in prompt["content"] and "only after the caller says yes" in prompt["content"]
    assert too_early["error"] == "refused" and after_no["error"] == "refused"
    assert "error" not in sent and sent["message"]["to_phone_e164"] == CALLER_ID
    (row,) = await rows("sms", OutboxRow)
    assert row.to_phone_e164 == CALLER_ID
    # A call without caller ID (a WebRTC call, a withheld number) has no such paragraph.
    assert "Caller ID" not in withheld.messages[0]["content"]


async def test_the_realtime_session_is_told_the_caller_id_and_texts_it_only_after_a_yes(nc: NATS) -> None:
    sms = Call("send_sms", json.dumps(SMS))
    script: list[Step] = [[sms], Text("I'll ask first."), Text(OFFER), [sms], Text("Sent.")]
    async with services(nc, "sms"), serving_realtime(script) as fake:
        rig = Rig(nc, fake, caller_number=CALLER_ID)
        await rig.say("Text me the details right now")
        asked = texts(await rig.say("Can you text me the details?", index=2))
        lines = texts(await rig.say("yes, that one", index=3))
        await rig.engine.close()
    assert asked == [OFFER] and lines == ["Sent."]
    instructions = fake.of_type("session.update")[0]["session"]["instructions"]
    assert f"this phone call comes from {CALLER_ID}" in instructions and "never use it without asking" in instructions
    too_early, sent = fake.outputs()
    assert too_early["error"] == "refused" and sent["message"]["to_phone_e164"] == CALLER_ID
    (row,) = await rows("sms", OutboxRow)
    assert row.to_phone_e164 == CALLER_ID
