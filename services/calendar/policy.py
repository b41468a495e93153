"""When showings can happen: a slot grid inside working hours, in the listing's zone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bus import errors


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    if not name.strip():
        raise errors.BadRequest(
            "time_zone is required (IANA name, e.g. America/Chicago)", reason="missing_field", field=field
        )
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise errors.BadRequest(f"{name!r} is not an IANA time zone", reason="invalid_time_zone", field=field) from None


@dataclass(frozen=True)
class ShowingHours:
    open_hour: int = 9
    close_hour: int = 18
    slot_minutes: int = 30
    # Monday=0 ... Sunday=6
    weekdays: frozenset[int] = frozenset(range(6))
    # How far ahead availability and booking reach.
    horizon_days: int = 60

    @property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    def why_not(self, start: datetime, tz: ZoneInfo, now: datetime) -> str | None:
        """None if `start` is a bookable slot start, else the reason it is not."""
        if start <= now:
            return "in_the_past"
        if start > now + timedelta(days=self.horizon_days):
            return "too_far_ahead"
        local = start.astimezone(tz)
        minutes = local.hour * 60 + local.minute
        if (
            local.weekday() not in self.weekdays
            or local.second
            or local.microsecond
            or minutes % self.slot_minutes
            or not self.open_hour * 60 <= minutes <= self.close_hour * 60 - self.slot_minutes
        ):
            return "outside_hours"
        return None

    def slots(self, start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[datetime]:
        """Slot starts in [start, end), in UTC, earliest first."""
        day = start.astimezone(tz).date()
        while True:
            if day.weekday() in self.weekdays:
                opening = datetime.combine(day, time(self.open_hour), tzinfo=tz)
                closing = datetime.combine(day, time(self.close_hour), tzinfo=tz)
                t = opening
                while t + self.slot <= closing:
                    utc = t.astimezone(UTC)
                    if utc >= end:
                        return
                    if utc >= start:
                        yield utc
                    t += self.slot
            day += timedelta(days=1)
            if datetime.combine(day, time(0), tzinfo=tz) >= end:
                return
