"""The offline real-estate agent, text in and text out, against the real services on NATS."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bus import subjects
from bus.client import BusClient
from bus.contracts import crm_pb2
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.tools import ToolBox
from gateway.agent.vertical import Stage
from services.calendar.store import BookingRow
from services.registry import DEFINITIONS
from services.sms.store import OutboxRow
from services.storage import StoreSettings, open_database
from tests.integration.services_helpers import running
from tests.postgres import ONE_STORE
from verticals.real_estate import tools as real_estate_tools

pytestmark = [pytest.mark.usefixtures("store_env"), pytest.mark.slow]


@contextlib.asynccontextmanager
async def services(nc: NATS, *names: str) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        for name in names or ("mls_lookup", "calendar", "crm_writer", "sms"):
            await stack.enter_async_context(running(DEFINITIONS[name], nc))
        yield


def agent(nc: NATS, call_id: str = "call-1") -> FrameDialog:
    return FrameDialog(AgentConfig.load("real_estate"), ToolBox(real_estate_tools.ALL, BusClient(nc)), call_id)


async def rows(service: str, model: type) -> list[Any]:
    engine = await open_database(service, StoreSettings.from_env())
    try:
        async with AsyncSession(engine) as session:
            return list((await session.execute(select(model))).scalars())
    finally:
        await engine.dispose()


async def test_a_whole_call_books_a_showing_writes_the_lead_and_texts_the_caller(nc: NATS) -> None:
    async with services(nc):
        a = agent(nc)
        assert "Voicepod Realty" in a.greeting()[0]
        found = await a.respond("Hi, I'm looking for a three bedroom house in Austin under seven hundred thousand")
        assert a.stage is Stage.PRESENT and found[0].startswith("I found") and "Austin" in found[1]
        chosen = a.slots.matches[1]
        times = await a.respond("I like the second one")
        assert a.stage is Stage.TIME and a.slots.listing == chosen and len(a.slots.offered) == 3
        asked_name = await a.respond("the second time works")
        assert a.stage is Stage.NAME and a.slots.when == a.slots.offered[1], asked_name
        await a.respond("My name is Ada Lovelace")
        assert a.stage is Stage.PHONE
        read_back = await a.respond("It's five one two, five five five, zero one three four")
        # Nothing is written, booked or texted before the caller's yes to the read-back.
        assert a.stage is Stage.CONFIRM and read_back[-1] == "Shall I book it?", read_back
        assert "5 1 2, 5 5 5, 0 1 3 4" in read_back[0] and "Ada Lovelace" in read_back[0]
        # The city is read back with the street: a misheard city can still be caught here.
        assert f"{chosen['address']['street']} in Austin on " in read_back[0], read_back
        assert await rows("calendar", BookingRow) == [] and await rows("sms", OutboxRow) == []
        done = await a.respond("yes")
        lead = await BusClient(nc).call(subjects.GET_LEAD, crm_pb2.GetLeadRequest(phone="+15125550134"), timeout=5)
    assert a.stage is Stage.DONE and done[0].startswith("You're booked"), done
    assert "5 1 2, 5 5 5, 0 1 3 4" in done[1]
    assert times[1].startswith("I can do") and lead.lead.name == "Ada Lovelace"
    (booking,) = await rows("calendar", BookingRow)
    assert (booking.listing_id, booking.contact_phone_e164, booking.lead_id) == (
        chosen["mls_id"],
        "+15125550134",
        lead.lead.lead_id,
    )
    (sms,) = await rows("sms", OutboxRow)
    assert sms.to_phone_e164 == "+15125550134" and "Ada" in sms.body and chosen["address"]["street"] in sms.body


@ONE_STORE
async def test_corrections_repeat_taken_slots_and_a_bad_phone(nc: NATS) -> None:
    async with services(nc):
        a = agent(nc, "call-2")
        await a.respond("a condo in Denver please")
        assert a.slots.city == "Denver" and a.slots.property_type == "condo"
        again = await a.respond("sorry, can you repeat that?")
        assert again == a.last_said
        await a.respond("actually make it Phoenix")  # a correction re-runs the search
        assert a.slots.city == "Phoenix" and a.stage is Stage.PRESENT
        await a.respond("the first one")
        taken = a.slots.offered[0]
        # Someone else books that slot meanwhile.
        listing = a.slots.listing
        await a.tools.call("book_showing", {
            "idempotency_key": "someone-else", "listing_id": listing["mls_id"], "time_zone": listing["time_zone"],
            "agent_id": listing["agent"]["agent_id"], "start_time": taken.isoformat(), "contact_name": "Bo",
            "contact_phone": "+15125550199",
        })  # fmt: skip
        reply = await a.respond("the first one")
        assert "already taken" in reply[1] and taken not in a.slots.offered and a.stage is Stage.TIME, reply
        which = await a.respond("yes")  # a yes to several times is a question back, never the first
        assert which[0].startswith("Which one") and a.stage is Stage.TIME, which
        await a.respond("the first")
        await a.respond("I'm Grace Hopper")
        bad = await a.respond("my number is five five five one two three four")
        assert a.stage is Stage.PHONE and "doesn't look right" in bad[0], bad
        await a.respond("5 1 2 5 5 5 0 1 7 7")
        assert a.stage is Stage.CONFIRM
        await a.respond("yes")
    assert a.stage is Stage.DONE


@ONE_STORE
async def test_a_service_that_is_down_gets_an_apology_and_a_next_step(nc: NATS) -> None:
    async with services(nc, "calendar", "crm_writer", "sms"):  # no mls_lookup
        a = agent(nc, "call-4")
        reply = await a.respond("three bedrooms in Austin")
    assert reply[0].startswith("I'm sorry, I couldn't search the listings") and "try again" in reply[1]
    assert a.stage is Stage.NEEDS and not a.ended


@ONE_STORE
async def test_yes_after_an_apology_retries_the_failed_step_once_the_service_is_back(nc: NATS) -> None:
    """Each service down in turn at the step that needs it; "yes" runs that step again, with the
    same idempotency keys, so the lead, booking and text exist exactly once."""
    a = agent(nc, "call-5")
    async with services(nc, "calendar", "crm_writer", "sms"):
        down = await a.respond("three bedrooms in Austin")
    assert "try again" in down[1]
    async with services(nc, "mls_lookup", "crm_writer", "sms"):
        found = await a.respond("yes please")
        assert a.stage is Stage.PRESENT and found[0].startswith("I found"), found
        down = await a.respond("the second one")
        assert down[0].startswith("Great") and "couldn't check the calendar" in down[1] and a.stage is Stage.TIME
    async with services(nc, "mls_lookup", "calendar", "crm_writer", "sms"):
        times = await a.respond("yes")
        assert a.stage is Stage.TIME and a.slots.listing == a.slots.matches[1] and "Which works" in times[0]
        await a.respond("the first time")
        await a.respond("Ada Lovelace")
    async with services(nc, "mls_lookup", "calendar", "sms"):
        await a.respond("five one two, five five five, zero one three four")
        down = await a.respond("yes")
        assert down[0].startswith("I'm sorry, I couldn't book the showing") and a.stage is Stage.CONFIRM
    async with services(nc, "mls_lookup", "calendar", "crm_writer"):
        booked = await a.respond("yes")
        assert booked[0].startswith("You're booked") and "try the text again" in booked[2], booked
    async with services(nc, "sms"):
        texted = await a.respond("sure")
    assert texted[0].startswith("I've texted the details"), texted
    assert len(await rows("calendar", BookingRow)) == 1 and len(await rows("sms", OutboxRow)) == 1


@ONE_STORE
async def test_a_yes_that_says_more_is_heard_as_a_new_answer_not_a_retry(nc: NATS) -> None:
    a = agent(nc, "call-6")
    async with services(nc, "calendar", "crm_writer", "sms"):
        await a.respond("three bedrooms in Austin")
    async with services(nc, "mls_lookup"):
        found = await a.respond("yes, but in Denver")
    assert a.slots.city == "Denver" and found[0].startswith("I found"), found


@ONE_STORE
async def test_a_city_corrected_at_the_read_back_searches_again_and_books_nothing(nc: NATS) -> None:
    async with services(nc):
        a = agent(nc)
        await a.respond("I'm looking for a three bedroom house in Austin")
        await a.respond("the first one")
        await a.respond("the first time works")
        await a.respond("My name is Ada Lovelace")
        read_back = await a.respond("It's five one two, five five five, zero one three four")
        assert a.stage is Stage.CONFIRM and " in Austin on " in read_back[0], read_back
        again = await a.respond("no, I'm looking in Denver")
        assert a.stage is not Stage.CONFIRM and a.slots.city == "Denver", again
        assert await rows("calendar", BookingRow) == [] and await rows("sms", OutboxRow) == []
