"""calendar through NATS, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from nats.aio.client import Client as NATS

from bus import errors, subjects
from bus.client import BusClient
from bus.contracts import calendar_pb2 as cal
from services.calendar.service import DEFINITION
from tests.integration.services_helpers import running
from tests.postgres import ONE_STORE

pytestmark = pytest.mark.usefixtures("store_env")
TZ = "America/Chicago"


def ts(value: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(value)
    return t


def weekday_at(hour: int, minute: int = 0, days_ahead: int = 3) -> datetime:
    """A Monday–Friday at least `days_ahead` days from now, at hour:minute in Chicago, as UTC."""
    day = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def book(key: str, start: datetime, **extra: object) -> cal.BookShowingRequest:
    fields: dict[str, object] = {"listing_id": "MLS-1", "agent_id": "agent-7", "time_zone": TZ, **extra}
    return cal.BookShowingRequest(idempotency_key=key, start_time=ts(start), **fields)  # type: ignore[arg-type]


async def test_availability_is_inside_working_hours_and_skips_booked_slots(nc: NATS) -> None:
    bus = BusClient(nc)
    day_start = weekday_at(0)
    ask = cal.GetAvailabilityRequest(
        listing_id="MLS-1",
        agent_id="agent-7",
        time_zone=TZ,
        from_time=ts(day_start),
        to_time=ts(day_start + timedelta(days=1)),
        max_slots=100,
    )
    async with running(DEFINITION, nc):
        before = await bus.call(subjects.GET_AVAILABILITY, ask, timeout=5)
        made = await bus.call(subjects.BOOK_SHOWING, book("b1", weekday_at(10)), timeout=5)
        after = await bus.call(subjects.GET_AVAILABILITY, ask, timeout=5)
    local = [s.start_time.ToDatetime(tzinfo=UTC).astimezone(ZoneInfo(TZ)) for s in before.slots]
    assert len(local) == 18  # 9:00 .. 17:30 every 30 minutes
    assert (local[0].time(), local[-1].time()) == (time(9), time(17, 30))
    assert before.time_zone == TZ and all(s.time_zone == TZ for s in before.slots)
    assert made.WhichOneof("outcome") == "booking"
    assert len(after.slots) == 17
    assert ts(weekday_at(10)) not in [s.start_time for s in after.slots]


async def test_same_key_returns_the_same_booking(nc: NATS) -> None:
    bus = BusClient(nc)
    req = book("again", weekday_at(11), contact_phone="512-555-0140", contact_name="Cy")
    async with running(DEFINITION, nc):
        first = await bus.call(subjects.BOOK_SHOWING, req, timeout=5)
        second = await bus.call(subjects.BOOK_SHOWING, req, timeout=5)
    assert first == second and first.booking.contact_phone_e164 == "+15125550140"
    assert first.booking.status == cal.BOOKING_STATUS_CONFIRMED


async def test_100_concurrent_requests_for_one_slot_book_exactly_once(nc: NATS) -> None:
    bus = BusClient(nc)
    slot = weekday_at(14)
    async with running(DEFINITION, nc):
        replies = await asyncio.gather(
            *(bus.call(subjects.BOOK_SHOWING, book(f"race-{i}", slot), timeout=60) for i in range(100))
        )
    won = [r for r in replies if r.WhichOneof("outcome") == "booking"]
    lost = [r.unavailable for r in replies if r.WhichOneof("outcome") == "unavailable"]
    assert len(won) == 1 and len(lost) == 99
    assert all(u.reason == "slot_taken" and len(u.alternatives) == 3 for u in lost)
    assert all(ts(slot) not in [a.start_time for a in u.alternatives] for u in lost)


async def test_outside_hours_and_past_slots_come_with_alternatives(nc: NATS) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        night = await bus.call(subjects.BOOK_SHOWING, book("n", weekday_at(22)), timeout=5)
        odd = await bus.call(subjects.BOOK_SHOWING, book("o", weekday_at(10, 10)), timeout=5)
        past = await bus.call(subjects.BOOK_SHOWING, book("p", datetime.now(UTC) - timedelta(days=1)), timeout=5)
    assert night.unavailable.reason == "outside_hours" and odd.unavailable.reason == "outside_hours"
    assert past.unavailable.reason == "in_the_past"
    for alt in night.unavailable.alternatives:
        local = alt.start_time.ToDatetime(tzinfo=UTC).astimezone(ZoneInfo(TZ))
        assert time(9) <= local.time() <= time(17, 30)


async def test_cancel_frees_the_slot_and_reschedule_moves_atomically(nc: NATS) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        a = (await bus.call(subjects.BOOK_SHOWING, book("a", weekday_at(9)), timeout=5)).booking
        b = (await bus.call(subjects.BOOK_SHOWING, book("b", weekday_at(9, 30)), timeout=5)).booking
        onto_b = await bus.call(
            subjects.RESCHEDULE_BOOKING,
            cal.RescheduleBookingRequest(
                idempotency_key="r1", booking_id=a.booking_id, new_start_time=ts(weekday_at(9, 30))
            ),
            timeout=5,
        )
        moved = await bus.call(
            subjects.RESCHEDULE_BOOKING,
            cal.RescheduleBookingRequest(
                idempotency_key="r2", booking_id=a.booking_id, new_start_time=ts(weekday_at(15))
            ),
            timeout=5,
        )
        cancelled = await bus.call(
            subjects.CANCEL_BOOKING, cal.CancelBookingRequest(booking_id=b.booking_id), timeout=5
        )
        rebook_b = await bus.call(subjects.BOOK_SHOWING, book("c", weekday_at(9, 30)), timeout=5)
        rebook_a_old = await bus.call(subjects.BOOK_SHOWING, book("d", weekday_at(9)), timeout=5)
        with pytest.raises(errors.Conflict):
            await bus.call(
                subjects.RESCHEDULE_BOOKING,
                cal.RescheduleBookingRequest(
                    idempotency_key="r3", booking_id=b.booking_id, new_start_time=ts(weekday_at(16))
                ),
                timeout=5,
            )
        with pytest.raises(errors.NotFound):
            await bus.call(subjects.CANCEL_BOOKING, cal.CancelBookingRequest(booking_id="nope"), timeout=5)
    assert onto_b.unavailable.reason == "slot_taken"
    assert moved.booking.slot.start_time == ts(weekday_at(15))
    assert cancelled.booking.status == cal.BOOKING_STATUS_CANCELLED
    assert rebook_b.WhichOneof("outcome") == "booking" and rebook_a_old.WhichOneof("outcome") == "booking"


@ONE_STORE  # refused before the store: one database is enough
@pytest.mark.parametrize(
    ("req", "field"),
    [
        (cal.BookShowingRequest(idempotency_key="k", listing_id="L", time_zone="Mars/Olympus"), "time_zone"),
        (cal.BookShowingRequest(idempotency_key="k", listing_id="L", time_zone=""), "time_zone"),
        (cal.BookShowingRequest(idempotency_key="k", listing_id="L", time_zone=TZ), "start_time"),
        (cal.BookShowingRequest(listing_id="L", time_zone=TZ), "idempotency_key"),
        (cal.BookShowingRequest(idempotency_key="k", time_zone=TZ), "listing_id"),
    ],
)
async def test_bad_booking_requests_are_400_naming_the_field(nc: NATS, req: cal.BookShowingRequest, field: str) -> None:
    async with running(DEFINITION, nc):
        with pytest.raises(errors.BadRequest) as caught:
            await BusClient(nc).call(subjects.BOOK_SHOWING, req, timeout=5)
    assert caught.value.field == field
