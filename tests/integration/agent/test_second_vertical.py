"""The seam between the generic dialog and a business: a clinic (tests/verticals/clinic/) books
on the same calendar, CRM and SMS services through the same dialog, with nothing clinic-specific
under gateway/agent/."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from nats.aio.client import Client as NATS

from bus.client import BusClient
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.tools import ToolBox
from gateway.agent.vertical import Stage, load_vertical
from services.calendar.store import BookingRow
from services.crm_writer.store import LeadRow
from services.sms.store import OutboxRow
from tests.integration.agent.test_dialog import rows, services
from tests.postgres import ONE_STORE

pytestmark = [pytest.mark.usefixtures("store_env"), ONE_STORE, pytest.mark.slow]
CLINIC = Path(__file__).resolve().parents[2] / "verticals" / "clinic" / "clinic.yaml"
ROOT = Path(__file__).resolve().parents[3]


def next_monday_8am() -> datetime:
    now = datetime.now(ZoneInfo("America/New_York"))
    day = now.date() + timedelta(days=(7 - now.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, 8, tzinfo=ZoneInfo("America/New_York"))


async def test_a_clinic_books_an_appointment_through_the_generic_dialog(nc: NATS) -> None:
    config = AgentConfig.from_yaml(CLINIC)
    vertical = load_vertical(config.vertical)
    monday = next_monday_8am()
    async with services(nc, "calendar", "crm_writer", "sms"):
        dialog = FrameDialog(config, ToolBox(list(vertical.tools), BusClient(nc)), "clinic-1", clock=lambda: monday)
        assert dialog.greeting()[0].startswith("Hi, this is Sam")
        # Everything in one turn, out of order: name, phone, time, doctor, reason.
        read_back = await dialog.respond(
            "I'm Ann Rivera, six one seven five five five zero one zero zero, wednesday at ten, "
            "a checkup with doctor Patel"
        )
        assert dialog.stage is Stage.CONFIRM and read_back[-1] == "Shall I book it?", read_back
        assert (
            "a checkup with Dr. Patel on Wednesday" in " ".join(read_back) and "6 1 7, 5 5 5, 0 1 0 0" in read_back[-2]
        )
        assert await rows("calendar", BookingRow) == []  # nothing before the yes
        done = await dialog.respond("yes please")
    assert dialog.stage is Stage.DONE and done[0].startswith("You're booked with Dr. Patel"), done
    (booking,) = await rows("calendar", BookingRow)
    (lead,) = await rows("crm_writer", LeadRow)
    (text,) = await rows("sms", OutboxRow)
    wednesday_10 = (monday + timedelta(days=2)).replace(hour=10)
    assert (booking.listing_id, booking.start_time.replace(tzinfo=ZoneInfo("UTC"))) == ("clinic-patel", wednesday_10)
    assert (booking.lead_id, lead.name, lead.phone_e164) == (lead.lead_id, "Ann Rivera", "+16175550100")
    assert text.to_phone_e164 == "+16175550100" and "Dr. Patel" in text.body


def test_the_generic_agent_knows_no_clinic() -> None:
    """Nothing under gateway/agent/ names the clinic's words: its slots, tools and flow live in its package."""
    words = ("clinic", "doctor", "patient", "appointment")
    generic = ROOT / "gateway" / "agent"
    offenders = [f"{p.name}: {w}" for p in generic.rglob("*.py") for w in words if w in p.read_text().lower()]
    assert offenders == []
