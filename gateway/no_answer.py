"""Silence after the agent has finished speaking: a caller who says nothing is asked whether they
are still there (with the question again), at most twice; then the agent says goodbye and hangs up.

A person on the phone does the same; without it a caller whose "yes" the VAD missed, or who put
the phone down, hears nothing forever. The clock starts when the agent's reply has been heard
in full and stops at the first sign of the caller (speech likely, a turn, a key, typed text).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client import Counter

NUDGE = "Are you still there?"
GIVE_UP = "I can't hear you, so I'll hang up now. Please call us back any time. Goodbye."
MAX_NUDGES = 2


def _nobody(_times: int) -> None:
    pass


NUDGES = Counter("voicepod_no_answer_nudges_total", "Silences the agent answered, by what it said.", ["said"])


class NoAnswerWatch:
    def __init__(self, seconds: float, on_silence: Callable[[int], None]) -> None:
        """`seconds`: silence after the agent's reply before a nudge (0: never); `on_silence(n)`:
        the n-th silence in a row (n > MAX_NUDGES: time to give up)."""
        self.seconds = seconds
        self.nudges = 0  # in a row, since the caller last took a turn
        self._on_silence = on_silence
        self._timer: asyncio.TimerHandle | None = None

    def agent_done(self) -> None:
        """The caller has heard the agent out: their turn, and the clock starts."""
        self.stop()
        if self.seconds > 0:
            self._timer = asyncio.get_running_loop().call_later(self.seconds, self._fire)

    def caller_stirred(self) -> None:
        """Speech likely, a key or typed text: the clock stops (a turn that follows resets the count)."""
        self.stop()

    def caller_turn(self) -> None:
        self.stop()
        self.nudges = 0

    def release(self) -> None:
        """The call has ended: let go of its loop (the callback is the loop's: a cycle otherwise)."""
        self.stop()
        self._on_silence = _nobody

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        self.nudges += 1
        NUDGES.labels("goodbye" if self.nudges > MAX_NUDGES else "nudge").inc()
        self._on_silence(self.nudges)
