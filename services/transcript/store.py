"""transcript's table: one row per stored event, idempotent on event_id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bus.contracts import events_pb2
from services.timestamps import from_proto


class Base(DeclarativeBase):
    pass


class EventRow(Base):
    __tablename__ = "transcript_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    turn_index: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    event_bytes: Mapped[bytes] = mapped_column(LargeBinary)


class TranscriptStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def add(self, event: events_pb2.TranscriptEvent) -> bool:
        """Store an event; False if it was stored before (a redelivery)."""
        kind = event.WhichOneof("body") or "unknown"
        row = EventRow(
            event_id=event.event_id, call_id=event.call_id, kind=kind,
            turn_index=event.turn.turn_index if kind == "turn" else -1,
            occurred_at=from_proto(event.occurred_at) if event.HasField("occurred_at") else None,
            event_bytes=event.SerializeToString(deterministic=True),
        )  # fmt: skip
        try:
            async with self.sessions.begin() as session:
                if await session.get(EventRow, event.event_id) is not None:
                    return False
                session.add(row)
        except IntegrityError:
            return False  # a replica stored it at the same moment
        return True

    async def events(self, call_id: str) -> list[events_pb2.TranscriptEvent]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(EventRow.event_bytes)
                .where(EventRow.call_id == call_id)
                .order_by(EventRow.turn_index, EventRow.occurred_at, EventRow.event_id)
            )
            return [events_pb2.TranscriptEvent.FromString(b) for b in rows.scalars()]
