"""calendar's tables and queries. Times are stored in UTC."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.idempotency import KeyColumns
from services.timestamps import as_utc

CONFIRMED = "confirmed"
CANCELLED = "cancelled"


class Base(DeclarativeBase):
    pass


class BookingRow(Base):
    __tablename__ = "calendar_bookings"

    booking_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    listing_id: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[str] = mapped_column(String(100))
    start_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    time_zone: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[str] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_phone_e164: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    source_call_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")


class IdempotencyKeyRow(KeyColumns, Base):
    __tablename__ = "calendar_idempotency_keys"


def resource_of(listing_id: str, agent_id: str) -> str:
    return agent_id or f"listing:{listing_id}"


class CalendarStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def booked_starts(self, resource: str, start: datetime, end: datetime) -> set[datetime]:
        async with self.sessions() as session:
            return await self.booked_starts_in(session, resource, start, end)

    @staticmethod
    async def booked_starts_in(session: AsyncSession, resource: str, start: datetime, end: datetime) -> set[datetime]:
        rows = await session.execute(
            select(BookingRow.start_time).where(
                BookingRow.resource == resource,
                BookingRow.status == CONFIRMED,
                BookingRow.start_time >= start,
                BookingRow.start_time < end,
            )
        )
        return {as_utc(t) for t in rows.scalars()}

    async def get(self, booking_id: str) -> BookingRow | None:
        async with self.sessions() as session:
            return await session.get(BookingRow, booking_id)
