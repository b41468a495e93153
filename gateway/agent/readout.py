"""Read-outs for the ear: short, grouped, at most three items, numbers as people say them.

"Monday the 7th at 9, 9:30 or 10 AM" instead of three full dates; "one home" rather than
"1 homes"; a list of choices never longer than three.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

MAX_ITEMS = 3
_SMALL = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number(n: int) -> str:
    """Small counts in words ("two"), larger ones as digits (the voice reads them well)."""
    return _SMALL[n] if 0 <= n < len(_SMALL) else str(n)


def count(n: int, noun: str) -> str:
    """ "one home", "12 homes" (the voice reads digits well; "one" is how a single thing is said)."""
    return f"one {noun}" if n == 1 else f"{n} {noun}s"


def ordinal_day(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def day(moment: datetime) -> str:
    return f"{moment.strftime('%A')} the {ordinal_day(moment.day)}"


def clock(moment: datetime, meridiem: bool = True) -> str:
    hour = moment.strftime("%I").lstrip("0")
    minutes = "" if moment.minute == 0 else f":{moment.minute:02d}"
    return f"{hour}{minutes} {moment.strftime('%p')}" if meridiem else f"{hour}{minutes}"


def moment(when: datetime) -> str:
    """One time in words: "Friday the 7th at 2 PM"."""
    return f"{day(when)} at {clock(when)}"


def either(items: Sequence[str], joiner: str = "or") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {joiner} {items[-1]}"


def times(moments: Sequence[datetime]) -> str:
    """Up to three times, grouped by day: "Monday the 7th at 9, 9:30 or 10 AM, or Tuesday the 8th at 9 AM"."""
    chosen = sorted(moments[:MAX_ITEMS])
    groups: list[list[datetime]] = []
    for m in chosen:
        if groups and groups[-1][0].date() == m.date():
            groups[-1].append(m)
        else:
            groups.append([m])
    spoken = []
    for group in groups:
        same_half = len({m.strftime("%p") for m in group}) == 1
        clocks = [clock(m, meridiem=not same_half or m is group[-1]) for m in group]
        spoken.append(f"{day(group[0])} at {either(clocks)}")
    if len(spoken) > 1 and any(len(g) > 1 for g in groups):
        return ", or ".join(spoken)  # "Monday the 7th at 9 or 9:30 AM, or Tuesday the 8th at 9 AM"
    return either(spoken)


def ordinals(n: int) -> str:
    """How to pick from n options: "the first, the second or the third"."""
    names = ("the first", "the second", "the third")
    return either(list(names[: min(n, MAX_ITEMS)]))
