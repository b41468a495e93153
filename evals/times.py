"""Moments as scenarios write them: "monday 09:30", "tomorrow 15:00", "+2d 10:00", or ISO 8601.

Relative on purpose: a scenario must hold on any day it runs, while the calendar service
refuses times in the past or beyond its horizon by the real clock. A relative moment is
resolved against a base instant (the real now for a scenario's clock, the scenario's clock
for an expectation) in a given zone (the agent's, or the listing's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RELATIVE = re.compile(
    r"^(?P<day>today|tomorrow|\+\d{1,2}d|" + "|".join(WEEKDAYS) + r")\s+(?P<hour>\d{1,2}):(?P<minute>\d\d)"
    r"(?:\s+(?P<zone>[A-Za-z_]+/[A-Za-z_/]+|UTC))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Moment:
    """A parsed moment; `resolve` turns it into an instant."""

    text: str
    day: str = ""  # today | tomorrow | +Nd | a weekday; empty for an absolute moment
    at: time = time(0)
    zone: str | None = None  # an explicit zone overrides the one resolve() is given
    absolute: datetime | None = None

    def resolve(self, base: datetime, tz: ZoneInfo) -> datetime:
        """The instant this moment names, after `base` (aware) in zone `tz`."""
        if self.absolute is not None:
            return self.absolute if self.absolute.tzinfo else self.absolute.replace(tzinfo=tz)
        zone = ZoneInfo(self.zone) if self.zone else tz
        local = base.astimezone(zone)
        if self.day in WEEKDAYS:
            # The first such weekday, today included, whose time is not before `base`.
            for offset in range(8):
                candidate = _at(local.date() + timedelta(days=offset), self.at, zone)
                if candidate.weekday() == WEEKDAYS.index(self.day) and candidate >= base:
                    return candidate
        days = {"today": 0, "tomorrow": 1}.get(self.day)
        if days is None:
            days = int(self.day[1:-1])
        return _at(local.date() + timedelta(days=days), self.at, zone)


def _at(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def parse(text: str) -> Moment:
    """Parse a moment; ValueError with the accepted forms when it is none of them."""
    raw = text.strip()
    m = _RELATIVE.match(raw)
    if m is not None:
        hour, minute = int(m["hour"]), int(m["minute"])
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r}: no such time of day")
        zone = m["zone"]
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{text!r}: {zone!r} is not an IANA time zone") from None
        return Moment(text=raw, day=m["day"].lower(), at=time(hour, minute), zone=zone)
    try:
        return Moment(text=raw, absolute=datetime.fromisoformat(raw))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a moment: write 'monday 09:30', 'tomorrow 15:00', '+2d 10:00' "
            "(optionally followed by an IANA zone), or an ISO 8601 date-time"
        ) from None
