"""What a call left behind, read straight from the services' stores after it ended.

The stores, not the agent's words: "You're booked" means nothing unless a confirmed booking
row, a lead and a queued text exist, with the right listing, time, name and number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.store import CONFIRMED, BookingRow
from services.crm_writer.store import LeadRow
from services.mls_lookup.store import ListingRow
from services.sms.store import MessageRow
from services.storage import StoreSettings, open_database
from services.timestamps import as_utc


@dataclass(frozen=True)
class Booking:
    booking_id: str
    listing_id: str
    start: datetime  # UTC
    time_zone: str
    lead_id: str
    contact_name: str
    contact_phone: str
    call_id: str


@dataclass(frozen=True)
class Lead:
    lead_id: str
    name: str
    phone: str
    budget_usd: int
    interest: str


@dataclass(frozen=True)
class Text:
    to: str
    body: str
    status: str


@dataclass(frozen=True)
class Listed:
    """A booked listing as the MLS store holds it (to check what was booked without the agent's state)."""

    mls_id: str
    street: str
    city: str
    bedrooms: int
    price_usd: int
    property_type: str
    time_zone: str
    agent_name: str


@dataclass
class Effects:
    """Rows written for the call under test (rows of other "callers", e.g. a taken slot, left out)."""

    bookings: list[Booking] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    listings: dict[str, Listed] = field(default_factory=dict)  # the booked ones, by MLS id


async def _rows(state_dir: Path, service: str, model: type[Any], *where: Any) -> list[Any]:
    if not (state_dir / f"{service}.db").exists():
        return []  # the service never ran (down): it wrote nothing
    engine = await open_database(service, StoreSettings(state_dir=state_dir))
    try:
        async with AsyncSession(engine) as session:
            return list((await session.execute(select(model).where(*where))).scalars())
    finally:
        await engine.dispose()


async def read_effects(state_dir: Path, call_id: str) -> Effects:
    bookings = [
        Booking(
            booking_id=r.booking_id,
            listing_id=r.listing_id,
            start=as_utc(r.start_time),
            time_zone=r.time_zone,
            lead_id=r.lead_id,
            contact_name=r.contact_name,
            contact_phone=r.contact_phone_e164,
            call_id=r.source_call_id,
        )
        for r in await _rows(state_dir, "calendar", BookingRow)
        if r.source_call_id == call_id and r.status == CONFIRMED
    ]
    leads = [
        Lead(lead_id=r.lead_id, name=r.name, phone=r.phone_e164, budget_usd=r.budget_usd, interest=r.interest)
        for r in await _rows(state_dir, "crm_writer", LeadRow)
        if r.source_call_id == call_id
    ]
    texts = [
        Text(to=r.to_phone_e164, body=r.body, status=r.status)
        for r in await _rows(state_dir, "sms", MessageRow)
        if r.source_call_id == call_id
    ]
    booked = {b.listing_id for b in bookings}
    listings = {
        r.mls_id: Listed(
            r.mls_id,
            r.street,
            r.city,
            r.bedrooms,
            r.price_usd,
            r.property_type,
            r.time_zone,
            str(r.document.get("agent_name", "")),
        )
        for r in (await _rows(state_dir, "mls_lookup", ListingRow, ListingRow.mls_id.in_(booked)) if booked else [])
    }
    return Effects(bookings=bookings, leads=leads, texts=texts, listings=listings)
