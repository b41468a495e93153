"""sms tables and queries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.timestamps import utc_now

QUEUED, SENT, DELIVERED, FAILED, UNDELIVERED = "queued", "sent", "delivered", "failed", "undelivered"
FINAL = {DELIVERED, FAILED, UNDELIVERED}


class Base(DeclarativeBase):
    pass


class MessageRow(Base):
    __tablename__ = "sms_messages"

    message_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    to_phone_e164: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(64), default="")
    error_message: Mapped[str] = mapped_column(String(500), default="")
    source_call_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxRow(Base):
    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(32), ForeignKey("sms_messages.message_id"), unique=True)
    to_phone_e164: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OptOutRow(Base):
    __tablename__ = "sms_opt_outs"

    phone_e164: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SmsStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def by_key(self, key: str) -> MessageRow | None:
        async with self.sessions() as session:
            return (
                await session.execute(select(MessageRow).where(MessageRow.idempotency_key == key))
            ).scalar_one_or_none()

    async def get(self, message_id: str) -> MessageRow | None:
        async with self.sessions() as session:
            return await session.get(MessageRow, message_id)

    async def opted_out(self, phone_e164: str) -> bool:
        async with self.sessions() as session:
            return await session.get(OptOutRow, phone_e164) is not None

    async def set_opt_out(self, phone_e164: str, opted_out: bool, source: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(OptOutRow).where(OptOutRow.phone_e164 == phone_e164))
            if opted_out:
                session.add(OptOutRow(phone_e164=phone_e164, source=source, created_at=utc_now()))

    async def update(self, message_id: str, **fields: str) -> MessageRow:
        async with self.sessions.begin() as session:
            row = await session.get(MessageRow, message_id)
            assert row is not None
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = utc_now()
            return row

    async def outbox(self, limit: int = 50) -> list[OutboxRow]:
        async with self.sessions() as session:
            rows = await session.execute(select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit))
            return list(rows.scalars())
