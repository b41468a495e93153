"""Async mode's rules, no I/O: answering and callback hours, who leaves a voicemail, the callback
retry policy, object keys, and a message read with the dialog's parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bus.contracts import async_work_pb2
from gateway.agent.async_policy import DEFAULT_GREETING, AsyncPolicy, CallbackPolicy, is_open, next_open
from gateway.agent.config import AgentConfig
from gateway.agent.hours import Hours
from gateway.async_work.reading import read_message
from gateway.async_work.retry import next_attempt
from gateway.async_work.timestamps import from_ts, to_ts
from gateway.call_origin import CallOrigin
from gateway.providers.tts.espeak import Espeak
from gateway.voicemail.answering import AFTER_HOURS, OVERFLOW, Answering
from gateway.voicemail.object_store import LocalDirectory

CHICAGO = ZoneInfo("America/Chicago")
WEEKDAYS_9_TO_5 = Hours(open_hour=9, close_hour=17, weekdays=frozenset(range(5)))
MONDAY = datetime(2026, 12, 7, tzinfo=CHICAGO)  # a Monday


def test_hours_are_open_from_the_opening_hour_until_before_the_closing_one() -> None:
    assert not is_open(WEEKDAYS_9_TO_5, MONDAY.replace(hour=8, minute=59))
    assert is_open(WEEKDAYS_9_TO_5, MONDAY.replace(hour=9))
    assert is_open(WEEKDAYS_9_TO_5, MONDAY.replace(hour=16, minute=59))
    assert not is_open(WEEKDAYS_9_TO_5, MONDAY.replace(hour=17))
    assert not is_open(WEEKDAYS_9_TO_5, MONDAY.replace(hour=12) - timedelta(days=1))  # Sunday


def test_the_next_opening_is_now_when_open_else_the_next_open_days_first_hour() -> None:
    assert next_open(WEEKDAYS_9_TO_5, MONDAY.replace(hour=10)) == MONDAY.replace(hour=10)
    assert next_open(WEEKDAYS_9_TO_5, MONDAY.replace(hour=7)) == MONDAY.replace(hour=9)
    friday_night = MONDAY.replace(hour=20) + timedelta(days=4)
    assert next_open(WEEKDAYS_9_TO_5, friday_night) == MONDAY.replace(hour=9) + timedelta(days=7)
    assert next_open(Hours(weekdays=frozenset()), MONDAY) is None


def test_the_agents_async_block_is_read_and_an_agent_without_one_has_no_voicemail(tmp_path: Path) -> None:
    policy = AgentConfig.load("real_estate").async_mode
    assert policy is not None and policy.overflow_lines == 2 and policy.callback.max_attempts == 3
    assert policy.callback.hours.open_hour == 9 and policy.callback.hours.close_hour == 18
    assert AsyncPolicy.from_mapping(None) is None
    bare = AsyncPolicy.from_mapping({})
    assert bare is not None and bare.greeting == DEFAULT_GREETING and is_open(bare.answering_hours, MONDAY)


def answering(policy: AsyncPolicy, now: datetime, tmp_path: Path) -> Answering:
    return Answering("real_estate", "America/Chicago", policy, Espeak(), LocalDirectory(tmp_path),
                     js=None, clock=lambda: now)  # type: ignore[arg-type]  # fmt: skip  # never publishes here


def test_after_hours_or_over_capacity_a_caller_who_rang_leaves_a_voicemail(tmp_path: Path) -> None:
    policy = AsyncPolicy(answering_hours=WEEKDAYS_9_TO_5, overflow_lines=2)
    inbound, outbound = CallOrigin("phone"), CallOrigin("phone", direction="outbound")
    night, noon = (
        answering(policy, MONDAY.replace(hour=22), tmp_path),
        answering(policy, MONDAY.replace(hour=12), tmp_path),
    )
    assert night.reason(inbound, busy=False) == AFTER_HOURS
    assert night.reason(outbound, busy=False) is None  # we rang them: the live agent talks
    assert noon.reason(inbound, busy=False) is None
    assert noon.reason(inbound, busy=True) == OVERFLOW
    assert [noon.refuses(held, max_calls=4) for held in (3, 4, 5, 6)] == [False, False, False, True]


def item(attempt: int = 1, max_attempts: int = 3, deadline_hours: float = 24) -> async_work_pb2.CallbackItem:
    now = datetime(2026, 12, 7, 15, tzinfo=UTC)
    return async_work_pb2.CallbackItem(item_id=f"job-vm-cb{attempt}", job_id="job-vm", attempt=attempt,
                                       max_attempts=max_attempts, not_before=to_ts(now),
                                       deadline=to_ts(now + timedelta(hours=deadline_hours)))  # fmt: skip


@pytest.mark.parametrize("outcome", ["voicemail", "no-answer", "busy"])
def test_a_machine_nobody_or_a_busy_line_is_tried_again_later_under_a_new_item(outcome: str) -> None:
    now = datetime(2026, 12, 7, 15, 5, tzinfo=UTC)
    retry = next_attempt(item(), outcome, CallbackPolicy(retry_minutes=90), now)
    assert retry is not None and (retry.item_id, retry.attempt) == ("job-vm-cb2", 2)
    assert from_ts(retry.not_before) == now + timedelta(minutes=90)


def test_a_person_reached_the_last_attempt_or_the_deadline_ends_the_callback() -> None:
    now = datetime(2026, 12, 7, 15, 5, tzinfo=UTC)
    policy = CallbackPolicy(retry_minutes=90)
    assert next_attempt(item(), "human", policy, now) is None
    assert next_attempt(item(attempt=3), "voicemail", policy, now) is None
    assert next_attempt(item(deadline_hours=1), "voicemail", policy, now) is None  # 90 min is past it


async def test_object_keys_stay_inside_the_directory(tmp_path: Path) -> None:
    store = LocalDirectory(tmp_path)
    await store.put("voicemail/a/b.wav", b"RIFF")
    assert await store.get("voicemail/a/b.wav") == b"RIFF"
    for bad in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(ValueError):
            await store.put(bad, b"")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b.wav", "voicemail"]  # no temporary left


def test_a_message_is_read_with_the_dialogs_parsers_the_first_name_kept() -> None:
    config = AgentConfig.load("real_estate")
    left = MONDAY.replace(hour=21)
    message = read_message("Hi, this is Dana Reyes. I want a 3 bedroom house in Denver under 500,000. "
                           "Call me back tomorrow at 10 am on 303 555 0199. Thanks!", config, None, left)  # type: ignore[arg-type]  # fmt: skip  # no tool runs
    assert (message.name, message.phone) == ("Dana Reyes", "+13035550199")
    assert message.asked_time == MONDAY.replace(hour=10) + timedelta(days=1)
    assert message.wants["city"] == "Denver" and message.wants["bedrooms"] == "3"
    assert "price: high 500000" in message.interest
