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

    def plainly(self, noun: str) -> str:
        """The rule in one sentence, for a caller who keeps asking outside it:
        "We do showings Monday to Saturday, from 9 in the morning; the last one starts at 5:30."."""
        last = self.close_hour * 60 - self.slot_minutes
        start = f"{_twelve(self.open_hour * 60)} in the {'morning' if self.open_hour < 12 else 'afternoon'}"
        return f"We do {noun}s {_days(self.weekdays)}, from {start}; the last one starts at {_twelve(last)}."


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _twelve(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    spoken = str(hour % 12 or 12)
    return spoken if minute == 0 else f"{spoken}:{minute:02d}"


def _days(weekdays: frozenset[int]) -> str:
    """'Monday to Saturday' for a run of days, else 'on Monday, Wednesday and Friday'."""
    days = sorted(weekdays)
    if not days:
        return "on no day"
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{_DAY_NAMES[days[0]]} to {_DAY_NAMES[days[-1]]}"
    names = [_DAY_NAMES[d] for d in days]
    return "on " + (", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0])
