"""The dialog contract's checks, run on EVERY call whatever its scenario expects (not opt-in):

- confirmed: nothing is booked, no lead written and no text sent unless, before that request,
  the agent read back the phone number (its digits, any grouping) and the time (day and clock
  time), and the caller's next line was a yes. The phone and time checked are the ones in the
  request itself, so a read-back of one number followed by a booking for another fails.
- no_loops: no agent question asked more than twice in a call (normalised text; a repeat the
  caller asked for, "sorry, can you repeat that?", is not counted). A read-back asks about what
  it reads: read again with a corrected name, number or time it is another question, read again
  unchanged it is the same one. Likewise "Which works for you?" after other times were offered
  (or "Which one …?" after other homes were read out) is another question.

Both read only the call record (what was said, and the write requests stamped with the caller
turn they were made in, evals.tap), so they judge any engine the same way.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from evals import heard
from evals.persona_ear import listings_offered, times_named
from evals.record import CallRecord
from evals.tap import BOOK, ToolCall

MAX_ASKED = 2


@dataclass(frozen=True)
class Breach:
    assertion: str
    expected: str
    actual: str


def _local(call: ToolCall) -> datetime | None:
    if call.start is None:
        return None
    return call.start.astimezone(ZoneInfo(call.time_zone)) if call.time_zone else call.start


def _booking_time(calls: Sequence[ToolCall], action: ToolCall) -> datetime | None:
    """The time a write is about: a booking's own, else the call's booking made with or before it."""
    if action.tool == BOOK:
        return _local(action)
    books = [c for c in calls if c.tool == BOOK and c.turn <= action.turn and c.start is not None]
    same_turn = [c for c in books if c.turn == action.turn]
    chosen = (same_turn or books)[-1:] if books else []
    return _local(chosen[0]) if chosen else None


def _replies_by_turn(record: CallRecord) -> dict[int, str]:
    out = {0: " ".join(record.greeting)}
    out.update({t.index: t.reply for t in record.turns})
    return out


def _said(record: CallRecord) -> dict[int, str]:
    return {t.index: t.said for t in record.turns}


def _describe(phone: str, when: datetime | None) -> str:
    digits = heard.national(phone) or "(no number)"
    groups = f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits
    return groups + (f" and {when:%A %H:%M}" if when is not None else "")


def _reads_back(text: str, phone: str, when: datetime | None, today: datetime) -> bool:
    """Does `text` read back `phone` (and, for a booking, its day and time)?"""
    if not heard.says_phone(text, phone):
        return False
    return when is None or heard.says_time(text, when, today)


def unconfirmed(record: CallRecord) -> list[Breach]:
    """Every write request made without a read-back of its phone (and time) answered by a yes."""
    replies, said = _replies_by_turn(record), _said(record)
    clock = record.clock
    breaches = []
    for action in record.tool_calls:
        when = _booking_time(record.tool_calls, action)
        today = clock.astimezone(when.tzinfo) if when is not None else clock

        where = [j for j in range(action.turn) if _reads_back(replies.get(j, ""), action.phone, when, today)]
        wanted = f"'{_describe(action.phone, when)}' read back, then a yes, before turn {action.turn}"
        name = f"confirmed.{action.tool}"
        if not where:
            heard_phone = [j for j in range(action.turn) if heard.says_phone(replies.get(j, ""), action.phone)]
            got = (f"the number was read (turn {heard_phone[-1]}) but not with the time" if heard_phone
                   else "never read back")  # fmt: skip
            breaches.append(Breach(name, wanted, f"{action.tool} at turn {action.turn}: {got}"))
            continue
        answer = said.get(where[-1] + 1, "")
        if not heard.is_yes(answer):
            breaches.append(Breach(name, wanted, f"{action.tool} at turn {action.turn}: the read-back at turn "
                                                 f"{where[-1]} was answered {answer!r}"))  # fmt: skip
    return breaches


def _asked(record: CallRecord) -> dict[str, list[int]]:
    """Each normalised agent question and the turns it was asked in (repeats the caller asked for left out)."""
    asked: dict[str, list[int]] = defaultdict(list)
    said = _said(record)
    for turn, reply in _replies_by_turn(record).items():
        if turn and heard.asks_repeat(said.get(turn, "")):
            continue
        head = re.split(r"[^.?!]*\?", reply, maxsplit=1)[0]  # what the reply says before it asks
        offered = (*(o.street for o in listings_offered(reply)), *times_named(head, record.clock.date()))
        read = _read_back(reply)
        for q in heard.questions(reply):
            # "Which one would you like to see?" after other homes (or times) were offered is a new question.
            key = f"{q} {offered}" if offered else q
            asked[f"{key} | {read}" if read else key].append(turn)
    return asked


def _read_back(reply: str) -> str:
    """What a read-back reads ("Let me read that back: <this>. Shall I book it?"), normalised; '' if
    the reply reads back no phone number."""
    if len(heard.digits_said(reply)) < 10:
        return ""
    statements = re.sub(r"[^.?!]*\?", " ", reply)
    return heard.plain(statements.rsplit(": ", 1)[-1])


def reasks(record: CallRecord) -> int:
    """How many times the agent asked a question it had asked before (the persona metric)."""
    return sum(len(turns) - 1 for turns in _asked(record).values())


def repeated_questions(record: CallRecord) -> list[Breach]:
    """Questions the agent asked more than MAX_ASKED times, leaving out the repeats asked for."""
    asked = _asked(record)
    return [
        Breach("no_loops", f"asked at most {MAX_ASKED} times", f"{q!r} asked {len(turns)} times (turns {turns})")
        for q, turns in asked.items()
        if len(turns) > MAX_ASKED
    ]


def breaches(record: CallRecord) -> list[Breach]:
    return [*unconfirmed(record), *repeated_questions(record)]
