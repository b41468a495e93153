"""VOICEPOD_RTC_UDP_PORT: one port per worker, unset by default, the lean stack's only."""

from __future__ import annotations

import pytest

from gateway.settings import GatewaySettings


def test_unset_means_a_socket_per_call() -> None:
    assert GatewaySettings.from_env({}).rtc_udp_port == 0
    assert GatewaySettings.from_env({"VOICEPOD_WORKER": "3"}).rtc_udp_port == 0


def test_each_worker_gets_the_port_plus_its_index() -> None:
    assert GatewaySettings.from_env({"VOICEPOD_RTC_UDP_PORT": "50000"}).rtc_udp_port == 50000
    env = {"VOICEPOD_RTC_UDP_PORT": "50000", "VOICEPOD_WORKER": "1"}
    assert GatewaySettings.from_env(env).rtc_udp_port == 50001


def test_a_bad_port_or_the_aiortc_stack_is_refused() -> None:
    with pytest.raises(ValueError, match="VOICEPOD_RTC_UDP_PORT must be a port number"):
        GatewaySettings.from_env({"VOICEPOD_RTC_UDP_PORT": "70000"})
    with pytest.raises(ValueError, match="VOICEPOD_RTC_UDP_PORT must be an integer"):
        GatewaySettings.from_env({"VOICEPOD_RTC_UDP_PORT": "fifty"})
    with pytest.raises(ValueError, match="VOICEPOD_RTC_UDP_PORT needs VOICEPOD_MEDIA_STACK=lean"):
        GatewaySettings.from_env({"VOICEPOD_RTC_UDP_PORT": "50000", "VOICEPOD_MEDIA_STACK": "aiortc"})
