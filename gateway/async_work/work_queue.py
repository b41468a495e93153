"""Taking work items off a JetStream work-queue stream, shared by every worker replica through one
durable pull consumer: each item goes to one worker at a time, and is gone once acknowledged.

A handler says what became of its item: done (acked), not yet (`Later`: handed back, to come again
after a delay: a callback outside its hours), or it raised: a service that refused it for good (400,
404, 409) ends it (logged, never redelivered), anything else hands it back to be tried again, later
each time (5 s, 10 s, ... up to 5 minutes: a service that is down, NATS reconnecting). While
a handler works, JetStream is told so (in-progress acks), so a long job keeps its item, and a worker
killed mid-job stops telling it: the item goes to another worker after `ack_wait`. Handlers are
idempotent (every side effect carries a key derived from the item), so an item redone after a crash
takes effect once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic

import nats.errors
import structlog
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter

from bus import errors
from bus.events import EventStream, EventT, ensure_stream

log = structlog.get_logger("gateway.async_work")
ITEMS = Counter("voicepod_async_items_total", "Async work items taken, by queue and outcome.", ["queue", "outcome"])
RETRY_DELAY, MAX_RETRY_DELAY = 5.0, 300.0  # a handler that raised: tried again this much later, doubling
REFUSED_FOR_GOOD = frozenset({400, 404, 409})


@dataclass(frozen=True)
class Later:
    """Not now: hand the item back to come again in `seconds`."""

    seconds: float


Handler = Callable[[EventT], Awaitable[Later | None]]


class WorkQueue(Generic[EventT]):
    def __init__(
        self, js: JetStreamContext, stream: EventStream[EventT], durable: str, handler: Handler[EventT], *,
        ack_wait_seconds: float,
    ) -> None:  # fmt: skip
        self._js = js
        self._stream = stream
        self._durable = durable
        self._handler = handler
        self._ack_wait = ack_wait_seconds
        self._task: asyncio.Task[None] | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self._stopping = asyncio.Event()
        self._handling = False

    async def start(self) -> None:
        await ensure_stream(self._js, self._stream)
        config = ConsumerConfig(
            durable_name=self._durable, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait, max_deliver=-1, max_ack_pending=64,
        )  # fmt: skip
        self._sub = await self._js.pull_subscribe(
            f"{self._stream.subject_prefix}.>", durable=self._durable, stream=self._stream.name, config=config
        )
        self._task = asyncio.create_task(self._run(self._sub))

    async def stop(self) -> None:
        """Finish the item in hand, then stop."""
        self._stopping.set()
        if self._task is None:
            return
        if not self._handling:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._sub is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()

    async def _run(self, sub: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            try:
                msgs = await sub.fetch(1, timeout=1.0)  # one at a time: a job holds a core for seconds
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except nats.errors.Error as exc:
                log.warning("work_fetch_failed", queue=self._stream.name, error=str(exc) or type(exc).__name__)
                await asyncio.sleep(0.5)  # back-off while NATS reconnects
                continue
            self._handling = True
            try:
                for msg in msgs:
                    await self._one(msg)
            finally:
                self._handling = False

    async def _one(self, msg: Msg) -> None:
        queue = self._stream.name
        try:
            item = self._stream.message.FromString(msg.data)
        except DecodeError:
            log.error("work_item_undecodable", queue=queue, subject=msg.subject)
            ITEMS.labels(queue, "undecodable").inc()
            await msg.term()
            return
        beating = asyncio.create_task(self._still_working(msg))
        try:
            later = await self._handler(item)
        except errors.ServiceError as e:
            if e.code not in REFUSED_FOR_GOOD:
                await self._retry(msg, e)
                return
            log.error("work_item_refused", queue=queue, code=e.code, reason=e.reason, message=e.message)
            ITEMS.labels(queue, "refused").inc()
            await msg.term()
            return
        except Exception as e:
            await self._retry(msg, e)
            return
        finally:
            beating.cancel()
        if later is not None:
            ITEMS.labels(queue, "later").inc()
            await msg.nak(delay=max(later.seconds, 0.1))
            return
        await msg.ack_sync()  # acked for sure before the next: a lost ack would mean the item twice
        ITEMS.labels(queue, "done").inc()

    async def _retry(self, msg: Msg, exc: Exception) -> None:
        tries = msg.metadata.num_delivered or 1
        log.warning("work_item_failed", queue=self._stream.name, delivered=tries, error=repr(exc)[:300],
                    exc_info=not isinstance(exc, errors.BusError))  # fmt: skip
        ITEMS.labels(self._stream.name, "retried").inc()
        await msg.nak(delay=min(RETRY_DELAY * 2 ** (tries - 1), MAX_RETRY_DELAY))

    async def _still_working(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(self._ack_wait / 3)  # well within ack_wait, so the item stays ours
            with contextlib.suppress(nats.errors.Error):
                await msg.in_progress()
