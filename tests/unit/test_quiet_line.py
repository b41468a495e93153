"""The quiet-line watch: one timer per call notices a caller's side that stopped sending mid-turn."""

from __future__ import annotations

import asyncio
import itertools
import time

from gateway.media.quiet_line import STALL_GRACE, QuietLineWatch


async def _watch_for(seconds: float, gap: float, in_turn: bool, frame_every: float | None) -> list[float]:
    quiet_at: list[float] = []
    start = time.monotonic()
    watch = QuietLineWatch(gap, lambda: in_turn, lambda: quiet_at.append(time.monotonic() - start))
    task = asyncio.create_task(watch.run())
    try:
        end = start + seconds
        while time.monotonic() < end:
            await asyncio.sleep(frame_every or seconds)
            if frame_every is not None:
                watch.heard()
    finally:
        task.cancel()
    return quiet_at


async def test_frames_arriving_keep_the_line_from_counting_as_quiet() -> None:
    assert await _watch_for(0.6, gap=0.1, in_turn=True, frame_every=0.02) == []


async def test_no_frames_in_a_turn_is_quiet_once_per_gap() -> None:
    quiet_at = await _watch_for(0.75, gap=0.2, in_turn=True, frame_every=None)
    # First after gap + the stall grace (0.3 s), then again a gap + grace later, while nothing comes.
    # Only lower bounds on time: a busy machine may wake the watch late, never early.
    assert 1 <= len(quiet_at) <= 2
    assert quiet_at[0] >= 0.2 + STALL_GRACE - 0.005
    assert all(b - a >= 0.2 + STALL_GRACE - 0.005 for a, b in itertools.pairwise(quiet_at))


async def test_no_frames_outside_a_turn_is_not_reported() -> None:
    assert await _watch_for(0.5, gap=0.1, in_turn=False, frame_every=None) == []
