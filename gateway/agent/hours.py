"""When bookings can happen, as the agent explains it to a caller (the calendar service decides;
these rules only say WHY a requested time is not free: outside hours, in the past, too far ahead)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Hours:
    open_hour: int = 9
    close_hour: int = 18
    weekdays: frozenset[int] = frozenset(range(6))  # Monday..Saturday
    slot_minutes: int = 30
    horizon_days: int = 60

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> Hours:
        raw = raw or {}
        return cls(
            open_hour=int(raw.get("open_hour", cls.open_hour)),
            close_hour=int(raw.get("close_hour", cls.close_hour)),
            weekdays=frozenset(raw.get("weekdays", cls.weekdays)),
            slot_minutes=int(raw.get("slot_minutes", cls.slot_minutes)),
            horizon_days=int(raw.get("horizon_days", cls.horizon_days)),
        )

    def why_not(self, start: datetime, now: datetime) -> str:
        """Why `start` (in the resource's zone) is not bookable, given the calendar did not offer it."""
        if start <= now:
            return "in_the_past"
        if start > now + timedelta(days=self.horizon_days):
            return "too_far_ahead"
        minutes = start.hour * 60 + start.minute
        if (
            start.weekday() not in self.weekdays
            or not self.open_hour * 60 <= minutes <= self.close_hour * 60 - self.slot_minutes
        ):
            return "outside_hours"
        return "taken"
