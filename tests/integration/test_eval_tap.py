"""The eval's bus tap (evals.tap) on a real nats-server: every write request the agent sends is
recorded with the caller turn it was made in, decoded, and the eval's own "someone else" left out;
a service that is down is not tapped (its callers must still get "no responders")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError

from bus import subjects
from bus.contracts import calendar_pb2, crm_pb2, sms_pb2
from evals.tap import BOOK, LEAD, SMS, SOMEONE_ELSE, ToolTap
from services.timestamps import to_proto

START = datetime(2026, 12, 8, 20, 30, tzinfo=UTC)


def booking(call_id: str, phone: str) -> bytes:
    request = calendar_pb2.BookShowingRequest(
        listing_id="AUS00116", start_time=to_proto(START), time_zone="America/Chicago", contact_phone=phone,
        source_call_id=call_id,
    )  # fmt: skip
    return request.SerializeToString()


async def test_requests_are_stamped_with_the_turn_they_were_made_in(nc: NATS) -> None:
    tap = ToolTap()
    await tap.start(nc, ("calendar", "crm_writer", "sms"))
    await nc.publish(subjects.BOOK_SHOWING.subject, booking(SOMEONE_ELSE, "+15125550100"))
    await tap.settle(0)
    lead = crm_pb2.UpsertLeadRequest(phone="512-555-0134", source_call_id="c")
    await nc.publish(subjects.UPSERT_LEAD.subject, lead.SerializeToString())
    await nc.publish(subjects.BOOK_SHOWING.subject, booking("c", "+15125550134"))
    await tap.settle(4)
    text = sms_pb2.SendSmsRequest(to_phone="+15125550134", source_call_id="c")
    await nc.publish(subjects.SEND_SMS.subject, text.SerializeToString())
    await tap.settle(5)
    await tap.stop()
    # Within one turn the order of different requests is not kept (one subscription per endpoint).
    assert sorted((c.turn, c.tool, c.phone) for c in tap.calls) == [
        (4, BOOK, "+15125550134"), (4, LEAD, "512-555-0134"), (5, SMS, "+15125550134"),
    ]  # fmt: skip
    (book,) = [c for c in tap.calls if c.tool == BOOK]
    assert book.start == START and book.time_zone == "America/Chicago" and book.listing_id == "AUS00116"


async def test_a_service_that_is_down_is_not_tapped(nc: NATS) -> None:
    tap = ToolTap()
    await tap.start(nc, ("crm_writer",))  # calendar and sms are down
    with pytest.raises(NoRespondersError):
        await nc.request(subjects.SEND_SMS.subject, b"", timeout=2)
    await tap.stop()
