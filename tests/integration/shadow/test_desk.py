"""Shadow mode's parts on the real bus, without media: the advisor (the real-estate dialog with the
shadow tool runner) against the real services, and the desk's routes behind operators' tokens."""

from __future__ import annotations

import aiohttp
from nats.aio.client import Client as NATS

from bus.client import BusClient
from caller.booking import BOOKING, CITY, NAME, PHONE_E164
from gateway import auth
from gateway.agent.config import AgentConfig
from gateway.agent.tools import ToolBox
from gateway.agent.vertical import load_vertical
from gateway.shadow.advisor import Advisor
from services.calendar.store import BookingRow
from services.crm_writer.store import LeadRow
from services.sms.store import OutboxRow
from tests.integration.agent.test_dialog import rows, services
from tests.integration.gateway_helpers import SECRET, gateway
from tests.integration.shadow.shadow_helpers import shadow_gateway


async def test_the_advisor_reads_for_its_recommendations_and_never_writes(nc: NATS) -> None:
    async with services(nc):
        tools = ToolBox(list(load_vertical("real_estate").tools), BusClient(nc))
        advisor = Advisor(AgentConfig.load("real_estate"), tools, "shadow-1")
        assert (await advisor.greeting()).reply.startswith("Hi, this is Ava")
        recs = [await advisor.hear(line.say) for line in BOOKING if line.say]
        assert await rows("crm_writer", LeadRow) == []  # the caller said yes: nothing was written...
        assert await rows("calendar", BookingRow) == [] and await rows("sms", OutboxRow) == []  # ...booked, texted
    (search,) = [a for a in recs[0].actions if a.tool == "search_listings"]
    assert not search.writes and search.result and search.result["listings"]  # the read ran: its results shown
    (slots,) = [a for a in recs[1].actions if a.tool == "check_availability"]  # the free times, read too
    assert slots.result and slots.result["slots"] and "Which works for you?" in recs[1].reply
    final = recs[-1]
    assert final.commits and advisor.outcome is final and final.reply == ""
    (intent,) = [a for a in final.actions if a.writes]
    assert (intent.tool, intent.args["phone"], intent.args["name"]) == ("write_lead", PHONE_E164, NAME)
    e = final.entities
    assert (e["city"], e["name"], e["phone"]) == (CITY, NAME, PHONE_E164)
    assert e["resource"] and e["time"] and e["time_zone"]


async def test_the_desk_is_for_operators_and_only_in_shadow_mode(nc: NATS) -> None:
    ops = {"Authorization": f"Bearer {auth.mint(SECRET, audience=auth.OPS_AUDIENCE)}"}
    caller = {"Authorization": f"Bearer {auth.mint(SECRET)}"}
    async with aiohttp.ClientSession() as http:
        async with gateway(nc) as gw, http.get(f"{gw.http_url}/desk", headers=ops) as resp:
            assert resp.status == 404 and (await resp.json())["error"] == "shadow_off"
        async with shadow_gateway(nc) as gw:
            for headers in ({}, caller):
                async with http.get(f"{gw.http_url}/desk", headers=headers) as resp:
                    assert resp.status == 401
            async with http.get(f"{gw.http_url}/desk", headers=ops) as resp:
                assert resp.status == 200 and resp.content_type == "text/html"
            async with http.get(f"{gw.http_url}/desk/queue", headers=ops) as resp:
                assert await resp.json() == {"agent": "real_estate", "waiting": [], "free_desks": 0, "calls": []}
            body = {"call_id": "nope", "tool": "book_showing", "args": {}}
            async with http.post(f"{gw.http_url}/desk/act", json=body, headers=ops) as resp:
                assert resp.status == 404 and (await resp.json())["error"] == "no_call"
            async with http.post(f"{gw.http_url}/desk/act", json=body, headers=caller) as resp:
                assert resp.status == 401
            desk_ws = gw.ws_url.replace("/ws", "/desk/ws")
            async with http.ws_connect(desk_ws, headers=caller) as ws:  # a caller's token is not a desk's
                refusal = await ws.receive_json(timeout=5)
                assert refusal["code"] == "unauthorized" and "wrong_audience" in refusal["message"]
