"""Idempotency keys: the first reply to a key is stored and returned to every retry.

Each service keeps its own table (a model with key, request_sha256, response,
created_at). The record is written in the same transaction as the effect, so
either both exist or neither does.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol, TypeVar

from google.protobuf.message import Message
from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bus import errors
from services.timestamps import utc_now

ReplyT = TypeVar("ReplyT", bound=Message)


class KeyRecord(Protocol):
    key: str
    request_sha256: str
    response: bytes
    created_at: datetime

    def __init__(self, *, key: str, request_sha256: str, response: bytes, created_at: datetime) -> None: ...


class KeyColumns:
    """The columns of a service's idempotency-key table; the service names the table."""

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    response: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def digest(request: Message) -> str:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


async def replay(
    session: AsyncSession, model: type[KeyRecord], key: str, request: Message, reply_type: type[ReplyT]
) -> ReplyT | None:
    """The stored reply for this key, None for a new key, 409 if the key came with another request."""
    seen = await session.get(model, key)
    if seen is None:
        return None
    if seen.request_sha256 != digest(request):
        raise errors.Conflict(
            "idempotency_key was already used for a different request",
            reason="idempotency_key_reused",
            field="idempotency_key",
        )
    return reply_type.FromString(seen.response)


def remember(session: AsyncSession, model: type[KeyRecord], key: str, request: Message, reply: Message) -> None:
    session.add(
        model(key=key, request_sha256=digest(request), response=reply.SerializeToString(), created_at=utc_now())
    )


async def replay_after_race(
    sessions: async_sessionmaker[AsyncSession],
    model: type[KeyRecord],
    key: str,
    request: Message,
    reply_type: type[ReplyT],
) -> ReplyT | None:
    """After an IntegrityError: did a concurrent retry of this very request win (its reply is stored)?"""
    async with sessions() as session:
        return await replay(session, model, key, request, reply_type)
