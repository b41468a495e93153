"""Keys a phone caller presses (DTMF), gathered into one typed entry for the dialog.

"Press or say your number": ten keys are an answer like a spoken turn. An entry ends at `#`,
after MAX_KEYS keys, or when no key comes for PAUSE_SECONDS; `*` starts it over. The entry is
handed on as text (the digits), so the dialog reads it like speech and the transcript shows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

PAUSE_SECONDS = 3.0  # a caller looking at a card between groups of digits
MAX_KEYS = 11  # a US number with its leading 1


class Keypad:
    def __init__(self, on_entry: Callable[[str], None], pause: float = PAUSE_SECONDS) -> None:
        self._on_entry = on_entry
        self._pause = pause
        self._keys: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self.entries = 0

    def press(self, key: str) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if key == "*":
            self._keys.clear()
            return
        if key == "#":
            self._flush()
            return
        self._keys.append(key)
        if len(self._keys) >= MAX_KEYS:
            self._flush()
            return
        self._timer = asyncio.get_running_loop().call_later(self._pause, self._flush)

    def close(self) -> None:
        """The call ended: keys still pending are dropped (nobody is there to answer)."""
        if self._timer is not None:
            self._timer.cancel()
        self._keys.clear()
        self._on_entry = _nobody

    def _flush(self) -> None:
        self._timer = None
        if self._keys:
            entry, self._keys = "".join(self._keys), []
            self.entries += 1
            self._on_entry(entry)


def _nobody(_entry: str) -> None:
    pass
