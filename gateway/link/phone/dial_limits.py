"""Calls per number per time window: a number is not rung more than `limit` times in `window`
seconds (a misbehaving caller of `voicepod dial` must not harass anyone)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class DialLimits:
    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._dialled: dict[str, deque[float]] = {}

    def take(self, number: str) -> bool:
        """Count a dial to `number` if the window has room for it; False: refused, nothing counted."""
        now = self._clock()
        times = self._dialled.setdefault(number, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        # Numbers whose dials have all left the window hold no memory.
        for number in [n for n, t in self._dialled.items() if not t or t[-1] <= now - self.window]:
            del self._dialled[number]
