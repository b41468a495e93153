"""What follows a callback's outcome, per the agent's policy: reached a person -> done; reached a
machine, nobody, or a busy line -> tried again `retry_minutes` later, up to `max_attempts` and never
after the deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from bus.contracts import async_work_pb2
from gateway.agent.async_policy import CallbackPolicy
from gateway.async_work.timestamps import from_ts, to_ts

RETRIED = frozenset({"voicemail", "no-answer", "busy"})


def item_id_of(job_id: str, attempt: int) -> str:
    return f"{job_id}-cb{attempt}"


def next_attempt(
    item: async_work_pb2.CallbackItem, outcome: str, policy: CallbackPolicy, now: datetime
) -> async_work_pb2.CallbackItem | None:
    """The item to queue after `outcome` (None: nothing more to try)."""
    if outcome not in RETRIED or item.attempt >= item.max_attempts:
        return None
    at = now + timedelta(minutes=policy.retry_minutes)
    if at > from_ts(item.deadline):
        return None
    retry = async_work_pb2.CallbackItem()
    retry.CopyFrom(item)
    retry.attempt = item.attempt + 1
    retry.item_id = item_id_of(item.job_id, retry.attempt)
    retry.not_before.CopyFrom(to_ts(at))
    return retry
