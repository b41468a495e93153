"""What a piece of async work has settled so far, kept in a JetStream key-value bucket so that an
item redone after its worker died goes on from there: a message's transcript (no second STT), its
callback slot (chosen once: booked again under the same idempotency key, the calendar replays it),
and which callback item a dial belongs to (its outcome comes later, in the audit stream)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

BUCKET = "VOICEPOD_ASYNC"


class Checkpoints:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext) -> Checkpoints:
        try:
            kv = await js.key_value(BUCKET)
        except nats.js.errors.BucketNotFoundError:
            # A week: long past any job's or callback's life.
            config = KeyValueConfig(bucket=BUCKET, storage=StorageType.FILE, ttl=7 * 86400.0)
            with contextlib.suppress(nats.js.errors.BadRequestError):  # made meanwhile by a sibling
                return cls(await js.create_key_value(config))
            kv = await js.key_value(BUCKET)
        return cls(kv)

    async def get(self, key: str) -> dict[str, Any]:
        try:
            entry = await self._kv.get(key)
        except nats.js.errors.KeyNotFoundError:
            return {}
        return dict(json.loads(entry.value)) if entry.value else {}

    async def update(self, key: str, **values: Any) -> dict[str, Any]:
        """Add `values` to what `key` holds (one writer per key: the worker holding its item)."""
        held = {**await self.get(key), **values}
        await self._kv.put(key, json.dumps(held).encode())
        return held

    async def forget(self, key: str) -> None:
        with contextlib.suppress(nats.js.errors.KeyNotFoundError):
            await self._kv.delete(key)
