"""VOICEPOD_MEDIA_INACTIVITY_SECONDS: how long a connected caller may send nothing before its call ends."""

from __future__ import annotations

import pytest

from gateway.settings import GatewaySettings


def test_ten_seconds_by_default_and_zero_turns_it_off() -> None:
    assert GatewaySettings.from_env({}).media_inactivity_timeout == 10.0
    assert GatewaySettings.from_env({"VOICEPOD_MEDIA_INACTIVITY_SECONDS": "4.5"}).media_inactivity_timeout == 4.5
    assert GatewaySettings.from_env({"VOICEPOD_MEDIA_INACTIVITY_SECONDS": "0"}).media_inactivity_timeout == 0.0


def test_a_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="VOICEPOD_MEDIA_INACTIVITY_SECONDS must be 0"):
        GatewaySettings.from_env({"VOICEPOD_MEDIA_INACTIVITY_SECONDS": "-1"})
