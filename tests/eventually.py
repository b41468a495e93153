"""Waiting, in tests, for work another task or process does in the background (e.g. a
JetStream consumer storing events): re-check a condition until it holds or time runs out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 20.0) -> T:
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + timeout
    while True:
        value = await probe()
        if done(value) or loop.time() > give_up_at:
            return value
        await asyncio.sleep(0.05)  # the consumer has no completion signal to await
