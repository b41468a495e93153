"""Notices when the caller's side stops sending audio in the middle of a turn.

A paused or replaced microphone track, Opus DTX or a lost link means no frames at all,
so the VAD never hears the silence that would end the turn. One timer per call does
the watching: frames only stamp a time (no task, future or timer per 20 ms frame, which
cost ~12 % of the media thread at 24 calls), and the watch wakes about once per gap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# An event loop that stalled wakes this watch late, with frames still queued behind it:
# they get this long to come through before the line counts as quiet.
STALL_GRACE = 0.1


class QuietLineWatch:
    def __init__(self, gap: float, in_turn: Callable[[], bool], on_quiet: Callable[[], None]) -> None:
        self.gap = gap
        self._in_turn = in_turn
        self._on_quiet = on_quiet
        self._last = time.monotonic()

    def heard(self) -> None:
        """A frame came in."""
        self._last = time.monotonic()

    async def run(self) -> None:
        """Call `on_quiet` each time a turn is open and no frame has come for `gap` seconds."""
        while True:
            wait = self._last + self.gap - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if not self._in_turn():
                await asyncio.sleep(self.gap)
                continue
            last = self._last
            await asyncio.sleep(STALL_GRACE)
            if self._last == last:
                self._on_quiet()
                self._last = time.monotonic()  # what on_quiet fed counts as heard
