"""The calendar service's settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from bus.settings import env_int
from services.calendar.policy import ShowingHours


def showing_hours(env: Mapping[str, str] | None = None) -> ShowingHours:
    """VOICEPOD_SHOWING_OPEN_HOUR, VOICEPOD_SHOWING_CLOSE_HOUR, VOICEPOD_SHOWING_SLOT_MINUTES."""
    env = os.environ if env is None else env
    return ShowingHours(
        open_hour=env_int(env, "VOICEPOD_SHOWING_OPEN_HOUR", ShowingHours.open_hour),
        close_hour=env_int(env, "VOICEPOD_SHOWING_CLOSE_HOUR", ShowingHours.close_hour),
        slot_minutes=env_int(env, "VOICEPOD_SHOWING_SLOT_MINUTES", ShowingHours.slot_minutes),
    )
