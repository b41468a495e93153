"""calendar endpoints. Booking is atomic through the database: a unique index allows one
confirmed booking per resource and start, so of many concurrent requests one inserts
and the rest get "slot_taken" with the nearest free slots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bus import errors
from bus.contracts import calendar_pb2
from bus.service import RequestContext
from services import idempotency, phone, validation
from services.calendar.policy import ShowingHours, zone
from services.calendar.store import CANCELLED, CONFIRMED, BookingRow, CalendarStore, IdempotencyKeyRow, resource_of
from services.timestamps import as_utc, from_proto, to_proto, utc_now

DEFAULT_MAX_SLOTS = 12
MAX_SLOTS = 100
ALTERNATIVES = 3
ALTERNATIVES_WINDOW = timedelta(days=14)


def slot_proto(start: datetime, length: timedelta, agent_id: str, tz: str) -> calendar_pb2.TimeSlot:
    return calendar_pb2.TimeSlot(
        start_time=to_proto(start), end_time=to_proto(start + length), agent_id=agent_id, time_zone=tz
    )


def booking_proto(row: BookingRow) -> calendar_pb2.Booking:
    status = {CONFIRMED: calendar_pb2.BOOKING_STATUS_CONFIRMED, CANCELLED: calendar_pb2.BOOKING_STATUS_CANCELLED}
    return calendar_pb2.Booking(
        booking_id=row.booking_id,
        listing_id=row.listing_id,
        slot=calendar_pb2.TimeSlot(
            start_time=to_proto(row.start_time),
            end_time=to_proto(row.end_time),
            agent_id=row.agent_id,
            time_zone=row.time_zone,
        ),
        lead_id=row.lead_id,
        contact_name=row.contact_name,
        contact_phone_e164=row.contact_phone_e164,
        status=status[row.status],
        source_call_id=row.source_call_id,
        created_at=to_proto(row.created_at),
    )


class CalendarHandlers:
    def __init__(self, store: CalendarStore, hours: ShowingHours, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.hours = hours
        self.clock = clock

    async def free_slots(
        self, resource: str, start: datetime, end: datetime, tz: ZoneInfo, limit: int
    ) -> list[datetime]:
        now = self.clock()
        booked = await self.store.booked_starts(resource, start, end)
        free = (
            s for s in self.hours.slots(start, end, tz) if s not in booked and self.hours.why_not(s, tz, now) is None
        )
        return [s for _, s in zip(range(limit), free, strict=False)]

    async def unavailable(
        self, reason: str, resource: str, near: datetime, tz: ZoneInfo, agent_id: str
    ) -> calendar_pb2.SlotUnavailable:
        start = max(near, self.clock())
        alternatives = await self.free_slots(resource, start, start + ALTERNATIVES_WINDOW, tz, ALTERNATIVES)
        return calendar_pb2.SlotUnavailable(
            reason=reason, alternatives=[slot_proto(s, self.hours.slot, agent_id, tz.key) for s in alternatives]
        )

    async def get_availability(
        self, req: calendar_pb2.GetAvailabilityRequest, _: RequestContext
    ) -> calendar_pb2.GetAvailabilityResponse:
        listing_id = validation.required(req.listing_id, "listing_id")
        tz = zone(req.time_zone)
        now = self.clock()
        start = max(from_proto(req.from_time), now) if req.HasField("from_time") else now
        end = from_proto(req.to_time) if req.HasField("to_time") else start + timedelta(days=7)
        if end <= start:
            raise errors.BadRequest(
                "to_time must be after from_time (and after now)", reason="out_of_range", field="to_time"
            )
        end = min(end, now + timedelta(days=self.hours.horizon_days))
        if not 0 <= req.max_slots <= MAX_SLOTS:
            raise errors.BadRequest(f"max_slots must be 0..{MAX_SLOTS}", reason="out_of_range", field="max_slots")
        slots = await self.free_slots(
            resource_of(listing_id, req.agent_id), start, end, tz, req.max_slots or DEFAULT_MAX_SLOTS
        )
        return calendar_pb2.GetAvailabilityResponse(
            slots=[slot_proto(s, self.hours.slot, req.agent_id, tz.key) for s in slots], time_zone=tz.key
        )

    async def book_showing(
        self, req: calendar_pb2.BookShowingRequest, _: RequestContext
    ) -> calendar_pb2.BookShowingResponse:
        key = validation.bounded(validation.required(req.idempotency_key, "idempotency_key"), "idempotency_key", 200)
        listing_id = validation.bounded(validation.required(req.listing_id, "listing_id"), "listing_id", 100)
        tz = zone(req.time_zone)
        if not req.HasField("start_time"):
            raise errors.BadRequest("start_time is required", reason="missing_field", field="start_time")
        contact_phone = phone.to_e164(req.contact_phone, field="contact_phone") if req.contact_phone.strip() else ""
        agent_id = validation.bounded(req.agent_id, "agent_id", 100)
        resource = resource_of(listing_id, agent_id)
        start = from_proto(req.start_time)
        if (reason := self.hours.why_not(start, tz, self.clock())) is not None:
            return calendar_pb2.BookShowingResponse(
                unavailable=await self.unavailable(reason, resource, start, tz, agent_id)
            )
        row = BookingRow(
            listing_id=listing_id,
            resource=resource,
            agent_id=agent_id,
            start_time=start,
            end_time=start + self.hours.slot,
            time_zone=tz.key,
            lead_id=validation.bounded(req.lead_id, "lead_id", 100),
            contact_name=validation.bounded(req.contact_name, "contact_name", 200),
            contact_phone_e164=contact_phone,
            status=CONFIRMED,
            source_call_id=validation.bounded(req.source_call_id, "source_call_id", 100),
            created_at=self.clock(),
        )
        try:
            async with self.store.sessions.begin() as session:
                seen = await idempotency.replay(session, IdempotencyKeyRow, key, req, calendar_pb2.BookShowingResponse)
                if seen is not None:
                    return seen
                session.add(row)
                await session.flush()
                reply = calendar_pb2.BookShowingResponse(booking=booking_proto(row))
                idempotency.remember(session, IdempotencyKeyRow, key, req, reply)
            return reply
        except IntegrityError:
            pass
        # Lost a race: to a retry of this very request (its key is stored), or to another booking of the slot.
        seen = await idempotency.replay_after_race(
            self.store.sessions, IdempotencyKeyRow, key, req, calendar_pb2.BookShowingResponse
        )
        if seen is not None:
            return seen
        return calendar_pb2.BookShowingResponse(
            unavailable=await self.unavailable("slot_taken", resource, start, tz, agent_id)
        )

    async def cancel_booking(
        self, req: calendar_pb2.CancelBookingRequest, _: RequestContext
    ) -> calendar_pb2.CancelBookingResponse:
        booking_id = validation.required(req.booking_id, "booking_id")
        async with self.store.sessions.begin() as session:
            row = await session.get(BookingRow, booking_id)
            if row is None:
                raise errors.NotFound("no such booking", reason="booking_not_found")
            if row.status == CONFIRMED:  # cancelling twice is not an error: the booking is cancelled
                row.status = CANCELLED
                row.cancelled_at = self.clock()
                row.cancel_reason = validation.bounded(req.reason, "reason", 500)
            return calendar_pb2.CancelBookingResponse(booking=booking_proto(row))

    async def reschedule_booking(
        self, req: calendar_pb2.RescheduleBookingRequest, _: RequestContext
    ) -> calendar_pb2.RescheduleBookingResponse:
        key = validation.bounded(validation.required(req.idempotency_key, "idempotency_key"), "idempotency_key", 200)
        booking_id = validation.required(req.booking_id, "booking_id")
        if not req.HasField("new_start_time"):
            raise errors.BadRequest("new_start_time is required", reason="missing_field", field="new_start_time")
        new_start = from_proto(req.new_start_time)
        current = await self.store.get(booking_id)
        if current is None:
            raise errors.NotFound("no such booking", reason="booking_not_found")
        tz = zone(current.time_zone)
        if (reason := self.hours.why_not(new_start, tz, self.clock())) is not None:
            unavailable = await self.unavailable(reason, current.resource, new_start, tz, current.agent_id)
            return calendar_pb2.RescheduleBookingResponse(unavailable=unavailable)
        try:
            async with self.store.sessions.begin() as session:
                seen = await idempotency.replay(
                    session, IdempotencyKeyRow, key, req, calendar_pb2.RescheduleBookingResponse
                )
                if seen is not None:
                    return seen
                row = await session.get(BookingRow, booking_id)
                assert row is not None
                if row.status != CONFIRMED:
                    raise errors.Conflict("the booking was cancelled", reason="booking_cancelled")
                if as_utc(row.start_time) != new_start:
                    row.start_time, row.end_time = new_start, new_start + self.hours.slot
                    await session.flush()
                reply = calendar_pb2.RescheduleBookingResponse(booking=booking_proto(row))
                idempotency.remember(session, IdempotencyKeyRow, key, req, reply)
            return reply
        except IntegrityError:
            pass
        seen = await idempotency.replay_after_race(
            self.store.sessions, IdempotencyKeyRow, key, req, calendar_pb2.RescheduleBookingResponse
        )
        if seen is not None:
            return seen
        unavailable = await self.unavailable("slot_taken", current.resource, new_start, tz, current.agent_id)
        return calendar_pb2.RescheduleBookingResponse(unavailable=unavailable)
