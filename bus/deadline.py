"""Absolute request deadlines in the `Pod-Deadline` header (Unix epoch milliseconds).

Absolute rather than relative so a deadline survives hops: every hop reads the
same instant and uses what is left of it as its own timeout. Hosts must keep
their clocks in sync (NTP); skew shows up as early or late expiry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from bus import headers


class InvalidDeadline(ValueError):
    """The header is present but not a positive integer."""


@dataclass(frozen=True, slots=True)
class Deadline:
    epoch_ms: int

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(int((time.time() + seconds) * 1000))

    def remaining(self) -> float:
        """Seconds left, negative once passed."""
        return self.epoch_ms / 1000.0 - time.time()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def header_value(self) -> str:
        return str(self.epoch_ms)

    @classmethod
    def parse(cls, value: str) -> Deadline:
        try:
            epoch_ms = int(value)
        except ValueError:
            raise InvalidDeadline(f"{headers.DEADLINE} must be epoch milliseconds, got {value!r}") from None
        if epoch_ms <= 0:
            raise InvalidDeadline(f"{headers.DEADLINE} must be positive, got {value!r}")
        return cls(epoch_ms)


def from_headers(msg_headers: Mapping[str, str] | None) -> Deadline | None:
    """The request's deadline, or None when the caller set none."""
    if not msg_headers:
        return None
    value = msg_headers.get(headers.DEADLINE)
    return None if value is None else Deadline.parse(value)
