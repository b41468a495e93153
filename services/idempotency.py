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
from sqlalchemy.ext.asyncio import AsyncSession

from bus import errors
from services.timestamps import utc_now

ReplyT = TypeVar("ReplyT", bound=Message)


class KeyRecord(Protocol):
    key: str
    request_sha256: str
    response: bytes
    created_at: datetime

    def __init__(self, *, key: str, request_sha256: str, response: bytes, created_at: datetime) -> None: ...


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
