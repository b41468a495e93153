from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.calendar.policy import ShowingHours

CHICAGO = ZoneInfo("America/Chicago")


def day_slots(day: date) -> list[datetime]:
    start = datetime.combine(day, time(0), tzinfo=CHICAGO).astimezone(UTC)
    return list(ShowingHours().slots(start, start + timedelta(days=1), CHICAGO))


def test_slots_follow_local_hours_across_a_dst_change() -> None:
    before, after = day_slots(date(2027, 3, 12)), day_slots(date(2027, 3, 15))  # DST starts 2027-03-14
    assert len(before) == len(after) == 18
    assert before[0].hour == 15 and after[0].hour == 14  # 9:00 CST = 15:00 UTC, 9:00 CDT = 14:00 UTC
    assert [s.astimezone(CHICAGO).time() for s in before] == [s.astimezone(CHICAGO).time() for s in after]


def test_sunday_has_no_slots_and_saturday_has() -> None:
    assert day_slots(date(2027, 3, 7)) == []  # Sunday
    assert len(day_slots(date(2027, 3, 6))) == 18  # Saturday


def test_why_not_names_the_reason() -> None:
    hours, now = ShowingHours(), datetime(2027, 3, 1, 12, tzinfo=UTC)

    def at(d: date, h: int, m: int = 0) -> datetime:
        return datetime.combine(d, time(h, m), tzinfo=CHICAGO).astimezone(UTC)

    assert hours.why_not(at(date(2027, 3, 2), 10), CHICAGO, now) is None
    assert hours.why_not(at(date(2027, 3, 2), 17, 30), CHICAGO, now) is None
    assert hours.why_not(at(date(2027, 3, 2), 18), CHICAGO, now) == "outside_hours"
    assert hours.why_not(at(date(2027, 3, 2), 10, 15), CHICAGO, now) == "outside_hours"
    assert hours.why_not(at(date(2027, 2, 26), 10), CHICAGO, now) == "in_the_past"
    assert hours.why_not(at(date(2027, 6, 1), 10), CHICAGO, now) == "too_far_ahead"
