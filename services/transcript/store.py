"""transcript's table: one row per stored event, idempotent on event_id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bus.contracts import events_pb2
from services.timestamps import as_utc, from_proto

SHADOW_KINDS = ("shadow_turn", "shadow_outcome")  # the body kinds shadow mode records (docs/modes.md)


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


@dataclass
class StoredCall:
    """A call as its stored start, end and final turns tell it."""

    call_id: str
    started: events_pb2.TranscriptEvent
    ended: events_pb2.CallEnded | None = None
    turns: list[events_pb2.TranscriptTurn] = field(default_factory=list)


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

    async def shadow_records(self, since: datetime | None, agent_name: str) -> list[events_pb2.TranscriptEvent]:
        """Shadow-mode records (desk turns, outcomes) at or after `since`, of one agent ("": any), oldest first."""
        query = select(EventRow.event_bytes).where(EventRow.kind.in_(SHADOW_KINDS))
        if since is not None:
            query = query.where(EventRow.occurred_at >= as_utc(since))
        query = query.order_by(EventRow.occurred_at, EventRow.event_id)
        out = []
        async with self.sessions() as session:
            for raw in (await session.execute(query)).scalars():
                event = events_pb2.TranscriptEvent.FromString(raw)
                body = event.shadow_turn if event.WhichOneof("body") == "shadow_turn" else event.shadow_outcome
                if not agent_name or body.agent_name == agent_name:
                    out.append(event)
        return out

    async def recent_calls(self, since: datetime | None, agent_name: str, limit: int) -> list[StoredCall]:
        """Calls started at or after `since` (any agent when ""), newest first, at most `limit`."""
        query = select(EventRow.event_bytes).where(EventRow.kind == "call_started")
        if since is not None:
            query = query.where(EventRow.occurred_at >= as_utc(since))
        query = query.order_by(EventRow.occurred_at.desc(), EventRow.event_id)
        calls: dict[str, StoredCall] = {}
        async with self.sessions() as session:
            # Streamed: the agent is inside the stored bytes, so a filtered listing may read past `limit` rows.
            rows = await session.stream(query)
            async for raw in rows.scalars():
                started = events_pb2.TranscriptEvent.FromString(raw)
                if agent_name and started.call_started.agent_name != agent_name:
                    continue
                calls.setdefault(started.call_id, StoredCall(started.call_id, started))
                if len(calls) >= limit:
                    break
            await rows.close()
            if calls:
                await self._add_ends_and_turns(session, calls)
        return list(calls.values())

    @staticmethod
    async def _add_ends_and_turns(session: AsyncSession, calls: dict[str, StoredCall]) -> None:
        ids: Sequence[str] = list(calls)
        rows = await session.execute(
            select(EventRow.event_bytes)
            .where(EventRow.call_id.in_(ids), EventRow.kind.in_(("turn", "call_ended")))
            .order_by(EventRow.turn_index, EventRow.occurred_at, EventRow.event_id)
        )
        for raw in rows.scalars():
            event = events_pb2.TranscriptEvent.FromString(raw)
            call = calls[event.call_id]
            if event.WhichOneof("body") == "call_ended":
                call.ended = event.call_ended
            else:
                call.turns.append(event.turn)
