"""The calls this process holds: capacity (in all, and per token subject), lookup, and ending them
all on drain.

A line is taken by an agent's call (call.py) or, in shadow mode, by a leg of a call at the desk
(shadow/leg.py: the caller's, or the person's): each counts toward VOICEPOD_MAX_CALLS and its
token's per-subject limit, shows in `/calls` and the console, and is ended on drain alike."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from gateway import metrics
from gateway.call import Call
from gateway.call_history import CallHistory


class LiveCall(Protocol):
    """What the registry holds of a call or a desk leg."""

    call_id: str
    history: CallHistory  # its recent figures, for the console

    def summary(self) -> dict[str, Any]: ...

    async def hang_up(self, reason: str) -> None: ...


class CallRegistry:
    def __init__(self, max_calls: int) -> None:
        self.max_calls = max_calls
        self._calls: dict[str, LiveCall] = {}
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

    def add(self, call: LiveCall, owner: str | None = None) -> None:
        self._calls[call.call_id] = call
        if owner is not None:
            self._owners[call.call_id] = owner
        self._empty.clear()
        metrics.CALLS_ACTIVE.set(len(self._calls))

    def remove(self, call: LiveCall) -> None:
        self._calls.pop(call.call_id, None)
        self._owners.pop(call.call_id, None)
        if not self._calls:
            self._empty.set()
        metrics.CALLS_ACTIVE.set(len(self._calls))

    def get(self, call_id: str) -> Call | None:
        """The agent's call with this id (a desk leg is not one)."""
        call = self._calls.get(call_id)
        return call if isinstance(call, Call) else None

    def all(self) -> list[Call]:
        """The agent's calls."""
        return [call for call in self._calls.values() if isinstance(call, Call)]

    def live(self) -> list[LiveCall]:
        """Every line taken: the agent's calls and the desk's legs."""
        return list(self._calls.values())

    async def wait_empty(self, timeout: float) -> bool:
        """Wait (up to timeout) for live calls to end by themselves; True if they all did."""
        try:
            await asyncio.wait_for(self._empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def end_all(self, reason: str) -> None:
        await asyncio.gather(*(call.hang_up(reason) for call in self.live()))
