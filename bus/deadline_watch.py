"""One timer per service process that cancels handlers whose deadline passed.

A per-request `asyncio.timeout` costs a timer-heap entry per request, about as
much as the rest of our per-request work together; sweeping the (bounded) set of
in-flight handlers every `resolution` seconds costs a dict entry instead, at the
price of cutting late handlers off up to `resolution` after their deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any


class DeadlineWatch:
    def __init__(self, resolution: float = 0.01) -> None:
        self._resolution = resolution
        self._deadlines: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def watch(self, task: asyncio.Task[Any], deadline_epoch_s: float) -> None:
        self._deadlines[task] = deadline_epoch_s
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep())

    def forget(self, task: asyncio.Task[Any]) -> None:
        self._deadlines.pop(task, None)
        self._expired.discard(task)

    def expired(self, task: asyncio.Task[Any]) -> bool:
        """True when this watch cancelled the task (rather than a shutdown)."""
        return task in self._expired

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    async def _sweep(self) -> None:
        # Runs only while something is watched; exits when the set empties.
        while self._deadlines:
            await asyncio.sleep(self._resolution)  # the sweep period, not a wait for state
            now = time.time()
            for task, deadline in list(self._deadlines.items()):
                if deadline <= now and task not in self._expired:
                    self._expired.add(task)
                    task.cancel()
