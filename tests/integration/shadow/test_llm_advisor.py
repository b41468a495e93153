"""Shadow mode with an LLM agent (VOICEPOD_ENGINE=chat): the recommendations come from the chat
engine, with the real `openai` SDK against the local fake OpenAI server (tests/fakes/openai_server.py)
and the real services on NATS. Its reads run; its writes are noted, answered "not run" and never sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from nats.aio.client import Client as NATS

from bus.client import BusClient
from caller.booking import PHONE_E164
from caller.client import dial
from caller.script import ScriptedMicrophone
from gateway import auth
from gateway.agent.chat_engine import ChatEngine
from gateway.agent.config import AgentConfig
from gateway.agent.tools import ToolBox
from gateway.phone_settings import PhoneSettings
from gateway.providers.llm.openai_chat import OpenAIChat
from gateway.providers.settings import ProviderSettings
from gateway.shadow.advisor import Advisor
from services.calendar.store import BookingRow
from services.crm_writer.store import LeadRow
from services.sms.store import OutboxRow
from tests.fakes.openai_server import API_KEY, Reply, ToolCall, serving
from tests.fakes.twilio_standin import TwilioStandIn
from tests.integration.agent import scripted_model
from tests.integration.agent.test_dialog import rows, services
from tests.integration.gateway_helpers import CALLER_ICE, SECRET
from tests.integration.phone.phone_helpers import TWILIO_AUTH_TOKEN
from tests.integration.shadow.shadow_helpers import ScriptedHearing, Watch, shadow_gateway
from verticals.real_estate import tools as real_estate_tools

pytestmark = pytest.mark.slow
CALLER = ("A three bedroom house in Austin under seven hundred thousand", "Yes, the first one",
          "The first time please", "Ada Lovelace", "512 555 0134", "yes please")  # fmt: skip


def shadow_model(body: Mapping[str, Any]) -> Reply:
    """The scripted real-estate model (tests/integration/agent/scripted_model.py), and what a model does
    when told a write was not run: goes on from the arguments it sent (the booking after the lead)."""
    messages = body["messages"]
    last = messages[-1]
    if last["role"] != "tool" or json.loads(last["content"]).get("status") != "not_run":
        return scripted_model.real_estate(body)
    sent = {c["id"]: c["function"] for m in messages for c in m.get("tool_calls") or ()}[last["tool_call_id"]]
    if sent["name"] != "write_lead":
        return Reply("You're booked. Anything else?")
    lead = json.loads(sent["arguments"])
    results = scripted_model._results(messages)  # each tool's latest answer, by name
    home = results["search_listings"]["listings"][0]
    args = {"listing_id": home["mls_id"], "agent_id": home["agent"]["agent_id"], "time_zone": home["time_zone"],
            "start_time": results["check_availability"]["slots"][0]["start_time"], "contact_name": lead["name"],
            "contact_phone": lead["phone"]}  # fmt: skip
    return Reply(tool_calls=(ToolCall("book_showing", json.dumps(args)),))


async def test_an_llm_agent_recommends_and_none_of_its_writes_is_made(nc: NATS) -> None:
    async with services(nc), serving(shadow_model) as fake:
        model = OpenAIChat(api_key=API_KEY, base_url=fake.base_url, model="gpt-4o-mini")
        try:
            tools = ToolBox(list(real_estate_tools.ALL), BusClient(nc))
            advisor = Advisor(AgentConfig.load("real_estate"), tools, "shadow-llm", model=model)
            assert isinstance(advisor.engine, ChatEngine)
            assert (await advisor.greeting()).reply.startswith("Hi, this is Ava")
            recs = [await advisor.hear(text) for text in CALLER]
            after = await advisor.hear("Thanks, bye")  # the model's conversation is whole after the writes
        finally:
            await model.close()
        assert await rows("crm_writer", LeadRow) == [] and await rows("calendar", BookingRow) == []
        assert await rows("sms", OutboxRow) == []  # the caller said yes: nothing was written, booked, texted
    assert recs[0].reply.startswith("I found") and not recs[0].commits  # the model's words, not the dialog's
    (search,) = recs[0].actions
    assert (search.tool, search.writes) == ("search_listings", False) and search.result and search.result["listings"]
    (slots,) = recs[1].actions
    assert slots.tool == "check_availability" and slots.result and slots.result["slots"]
    assert recs[4].reply.endswith("Shall I book it?") and not any(r.commits for r in recs[:-1])
    final = recs[-1]
    assert final.commits and advisor.outcome is final and final.reply == "You're booked. Anything else?"
    assert [(a.tool, a.writes) for a in final.actions] == [("write_lead", True), ("book_showing", True)]
    home = search.result["listings"][0]
    e = final.entities  # what the LLM understood: its tool calls' arguments
    assert (e["resource"], e["time_zone"], e["name"], e["phone"]) == (home["mls_id"], home["time_zone"],
                                                                     "Ada Lovelace", "512 555 0134")  # fmt: skip
    assert e["time"] == slots.result["slots"][0]["start_time"]
    assert after.reply == "Thanks for calling. Goodbye!" and not after.actions
    offered = {t["function"]["name"] for t in fake.requests[0]["tools"]}
    assert offered == {t.name for t in real_estate_tools.ALL}  # the model may recommend a write...
    told = [m for m in fake.requests[-1]["messages"] if m["role"] == "tool" and '"not_run"' in m["content"]]
    assert len(told) == 2  # ...and is told each one was passed to the desk
    assert advisor.engine.fell_back is None and advisor.usage.quantities[("openai:gpt-4o-mini", "input_tokens")] > 0


@pytest.mark.timeout(90)
async def test_the_desk_gets_the_llm_engines_recommendations(nc: NATS) -> None:
    """A gateway whose agent has the chat engine: the desk's recommendation for a caller's turn is the model's."""
    desk, mic = Watch(), ScriptedMicrophone()
    ops = auth.mint(SECRET, audience=auth.OPS_AUDIENCE, subject="desk-1", ttl_seconds=600)
    async with serving(shadow_model) as fake, services(nc, "mls_lookup"):
        providers = ProviderSettings(engine="chat", openai_api_key=API_KEY, openai_base_url=fake.base_url)
        async with shadow_gateway(nc, stt=ScriptedHearing([], CALLER[:1]), providers=providers,
                                  phone=PhoneSettings(twilio_auth_token=TWILIO_AUTH_TOKEN)) as gw:  # fmt: skip
            async with dial(gw.ws_url.replace("/ws", "/desk/ws"), mic, token=ops, on_event=desk,
                            ice_addresses=CALLER_ICE):  # fmt: skip
                await desk.until(lambda: bool(desk.of("desk.waiting")), "the desk to wait for a caller")
                twilio = TwilioStandIn(gw.http_url, TWILIO_AUTH_TOKEN, caller=PHONE_E164)
                await twilio.ring()
                await twilio.connect()
                try:
                    await desk.until(lambda: bool(desk.of("shadow.recommendation")), "the caller put through")
                    await twilio.press("1#")  # a turn: the scripted STT is not needed for keys
                    await desk.until(lambda: len(desk.of("shadow.recommendation")) > 1, "a recommendation")
                finally:
                    await twilio.hang_up()
            model = gw.state.desk.model if gw.state.desk is not None else None
            if isinstance(model, OpenAIChat):
                await model.close()
    first = desk.of("shadow.recommendation")[1]
    assert first["caller_text"] == "1" and fake.requests  # the model was asked...
    assert fake.requests[-1]["messages"][-1] == {"role": "user", "content": "1"}  # ...about the caller's turn
    assert first["reply"] == "Thanks. And what number should I text the confirmation to?"  # and it answered
