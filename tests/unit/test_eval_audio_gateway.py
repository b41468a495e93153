"""The audio evals' in-process gateway is configured as `voicepod gateway` would be from the environment."""

from __future__ import annotations

import pytest

from evals.audio_gateway import AudioGateway
from gateway.providers.settings import ProviderSettings


@pytest.mark.parametrize("value", ["on", "off"])
def test_incremental_stt_follows_the_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("VOICEPOD_STT_INCREMENTAL", value)
    assert AudioGateway("nats://127.0.0.1:1", "real_estate").stt.incremental is (value == "on")


def test_incremental_stt_unset_is_the_product_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICEPOD_STT_INCREMENTAL", raising=False)
    monkeypatch.delenv("VOICEPOD_END_OF_TURN", raising=False)
    assert AudioGateway("nats://127.0.0.1:1", "real_estate").stt.incremental is ProviderSettings.stt_incremental
