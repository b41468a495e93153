"""The calls this process holds: capacity (in all, and per token subject), lookup, and ending them
all on drain."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from gateway import metrics

if TYPE_CHECKING:
    from gateway.call import Call


class CallRegistry:
    def __init__(self, max_calls: int) -> None:
        self.max_calls = max_calls
        self._calls: dict[str, Call] = {}
        self._owners: dict[str, str] = {}  # call id -> the token subject that opened it
        self._empty = asyncio.Event()
        self._empty.set()

    def __len__(self) -> int:
        return len(self._calls)

    def full(self) -> bool:
        return len(self._calls) >= self.max_calls

    def held_by(self, owner: str) -> int:
        """Live calls opened with tokens of this subject."""
        return sum(1 for held in self._owners.values() if held == owner)

    def add(self, call: Call, owner: str | None = None) -> None:
        self._calls[call.call_id] = call
        if owner is not None:
            self._owners[call.call_id] = owner
        self._empty.clear()
        metrics.CALLS_ACTIVE.set(len(self._calls))

    def remove(self, call: Call) -> None:
        self._calls.pop(call.call_id, None)
        self._owners.pop(call.call_id, None)
        if not self._calls:
            self._empty.set()
        metrics.CALLS_ACTIVE.set(len(self._calls))

    def get(self, call_id: str) -> Call | None:
        return self._calls.get(call_id)

    def all(self) -> list[Call]:
        return list(self._calls.values())

    async def wait_empty(self, timeout: float) -> bool:
        """Wait (up to timeout) for live calls to end by themselves; True if they all did."""
        try:
            await asyncio.wait_for(self._empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def end_all(self, reason: str) -> None:
        await asyncio.gather(*(call.hang_up(reason) for call in self.all()))
