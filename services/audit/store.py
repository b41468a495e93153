"""audit's table: append (idempotent on event_id), read by call, verify the chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from google.protobuf.message import DecodeError
from sqlalchemy import BigInteger, DateTime, LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bus.contracts import events_pb2
from services.audit.chain import canonical, entry_hash
from services.timestamps import as_utc, from_proto, utc_now

VERIFY_BATCH = 1000


class Base(DeclarativeBase):
    pass


class EntryRow(Base):
    __tablename__ = "audit_entries"

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    call_id: Mapped[str] = mapped_column(String(100), index=True)
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(40))
    event_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_broken: int = 0
    detail: str = ""


class AuditStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def append(self, event: events_pb2.AuditEvent) -> bool:
        """Append at the end of the chain; False if this event_id is already there (a redelivery)."""
        data = canonical(event)
        for _attempt in range(10):
            try:
                async with self.sessions.begin() as session:
                    seen = await session.execute(select(EntryRow.sequence).where(EntryRow.event_id == event.event_id))
                    if seen.first() is not None:
                        return False
                    last = (
                        await session.execute(select(EntryRow).order_by(EntryRow.sequence.desc()).limit(1))
                    ).scalar_one_or_none()
                    sequence = 1 if last is None else last.sequence + 1
                    prev = "" if last is None else last.hash
                    session.add(EntryRow(
                        sequence=sequence, event_id=event.event_id, call_id=event.call_id,
                        occurred_at=from_proto(event.occurred_at) if event.HasField("occurred_at") else None,
                        actor=event.actor, action=event.action, outcome=event.outcome, event_bytes=data,
                        prev_hash=prev, hash=entry_hash(sequence, prev, data), recorded_at=utc_now(),
                    ))  # fmt: skip
                return True
            except IntegrityError:
                continue  # a replica appended the same sequence (or the same event) first: look again
        raise RuntimeError("could not append to the audit chain after 10 attempts")

    async def trail(self, call_id: str) -> list[EntryRow]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(EntryRow).where(EntryRow.call_id == call_id).order_by(EntryRow.sequence)
            )
            return list(rows.scalars())

    async def _all(self) -> AsyncIterator[EntryRow]:
        after = 0
        while True:
            async with self.sessions() as session:
                rows = list((await session.execute(
                    select(EntryRow).where(EntryRow.sequence > after).order_by(EntryRow.sequence).limit(VERIFY_BATCH)
                )).scalars())  # fmt: skip
            if not rows:
                return
            for row in rows:
                yield row
            after = rows[-1].sequence

    async def verify(self) -> Verdict:
        """Recompute the chain from the first entry; name the first entry that does not fit."""
        prev_hash, expected, checked = "", 1, 0
        async for row in self._all():
            problem = _problem(row, expected, prev_hash)
            if problem:
                return Verdict(ok=False, checked=checked, first_broken=row.sequence, detail=problem)
            prev_hash, expected, checked = row.hash, expected + 1, checked + 1
        return Verdict(ok=True, checked=checked)


def _problem(row: EntryRow, expected: int, prev_hash: str) -> str:
    if row.sequence != expected:
        return f"entry {expected} is missing (next is {row.sequence})"
    if row.prev_hash != prev_hash:
        return "prev_hash does not match the previous entry's hash"
    if row.hash != entry_hash(row.sequence, row.prev_hash, row.event_bytes):
        return "hash does not match the entry's contents"
    try:
        event = events_pb2.AuditEvent.FromString(row.event_bytes)
    except DecodeError:
        return "stored event bytes do not decode"
    occurred = from_proto(event.occurred_at) if event.HasField("occurred_at") else None
    columns = (row.event_id, row.call_id, row.actor, row.action, row.outcome,
               as_utc(row.occurred_at) if row.occurred_at else None)  # fmt: skip
    if columns != (event.event_id, event.call_id, event.actor, event.action, event.outcome, occurred):
        return "columns differ from the hashed event"
    return ""
