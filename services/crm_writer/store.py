"""crm_writer's tables and queries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.idempotency import KeyColumns


class Base(DeclarativeBase):
    pass


class LeadRow(Base):
    __tablename__ = "crm_leads"

    lead_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    name: Mapped[str] = mapped_column(String(200))
    phone_e164: Mapped[str] = mapped_column(String(20), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    interest: Mapped[str] = mapped_column(String(1000))
    budget_usd: Mapped[int] = mapped_column(BigInteger)
    notes: Mapped[str] = mapped_column(Text)
    source_call_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdempotencyKeyRow(KeyColumns, Base):
    __tablename__ = "crm_idempotency_keys"


class LeadStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @staticmethod
    async def lead_by_phone(session: AsyncSession, phone_e164: str) -> LeadRow | None:
        return (await session.execute(select(LeadRow).where(LeadRow.phone_e164 == phone_e164))).scalar_one_or_none()

    async def get(self, *, lead_id: str = "", phone_e164: str = "") -> LeadRow | None:
        async with self.sessions() as session:
            if lead_id:
                return await session.get(LeadRow, lead_id)
            return await self.lead_by_phone(session, phone_e164)
