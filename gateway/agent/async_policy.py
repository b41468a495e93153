"""Async mode as an agent configures it (the `async:` block of agents/<name>.yaml, docs/modes.md):
when callers reach the live agent, what a caller hears when they leave a message instead, and how
the callbacks that follow are tried (hours, attempts, back-off, deadline)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gateway.agent.hours import Hours

DEFAULT_GREETING = "Sorry we missed you. Please leave your name, your number and what you are looking for after the tone, and we will call you back."  # noqa: E501 - one spoken line


@dataclass(frozen=True)
class CallbackPolicy:
    # When callbacks are dialled (in the agent's zone); open_hour..close_hour, close exclusive.
    hours: Hours = field(default_factory=lambda: Hours(open_hour=9, close_hour=18))
    max_attempts: int = 3
    # A callback that reached voicemail (or nobody) is tried again this much later.
    retry_minutes: float = 120.0
    # Not tried after this long since the message was left.
    deadline_hours: float = 72.0

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> CallbackPolicy:
        raw = raw or {}
        return cls(
            hours=Hours.from_mapping(raw.get("hours") or {"open_hour": 9, "close_hour": 18}),
            max_attempts=max(1, int(raw.get("max_attempts", cls.max_attempts))),
            retry_minutes=float(raw.get("retry_minutes", cls.retry_minutes)),
            deadline_hours=float(raw.get("deadline_hours", cls.deadline_hours)),
        )


@dataclass(frozen=True)
class AsyncPolicy:
    # The live agent answers in these hours; outside them a caller leaves a voicemail.
    answering_hours: Hours = field(default_factory=lambda: Hours(open_hour=0, close_hour=24,
                                                                 weekdays=frozenset(range(7))))  # fmt: skip
    greeting: str = DEFAULT_GREETING
    # Callers beyond the gateway's capacity (VOICEPOD_MAX_CALLS) who may still leave a message.
    overflow_lines: int = 0
    # A message is cut at this length.
    max_message_seconds: float = 120.0
    callback: CallbackPolicy = field(default_factory=CallbackPolicy)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> AsyncPolicy | None:
        """None when the agent has no `async:` block: every caller reaches the live agent."""
        if raw is None:
            return None
        default = cls()
        hours = raw.get("answering_hours")
        return cls(
            answering_hours=Hours.from_mapping(hours) if hours else default.answering_hours,
            greeting=str(raw.get("voicemail_greeting", "")).strip() or DEFAULT_GREETING,
            overflow_lines=max(0, int(raw.get("overflow_lines", 0))),
            max_message_seconds=float(raw.get("max_message_seconds", cls.max_message_seconds)),
            callback=CallbackPolicy.from_mapping(raw.get("callback")),
        )


def is_open(hours: Hours, at: datetime) -> bool:
    """Whether `at` (in the zone the hours are kept in) is inside them; close_hour is exclusive."""
    minutes = at.hour * 60 + at.minute
    return at.weekday() in hours.weekdays and hours.open_hour * 60 <= minutes < hours.close_hour * 60


def next_open(hours: Hours, at: datetime) -> datetime | None:
    """`at` when it is inside the hours, else the next opening (None: the hours have no open day)."""
    if is_open(hours, at):
        return at
    for days in range(8):
        day = (at + timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
        opening = day + timedelta(hours=hours.open_hour)
        if opening > at and is_open(hours, opening):
            return opening
    return None
