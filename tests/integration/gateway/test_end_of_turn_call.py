"""A real call whose turn the end-of-turn model ends, long before its maximum silence."""

from __future__ import annotations

from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from caller.client import place_call
from gateway import auth
from gateway.turns import TurnSettings
from tests.integration.gateway_helpers import SECRET, gateway
from tests.speech import say

# A non-default turn mode through a real call: run by `make test-long` (make test keeps its budget).
pytestmark = pytest.mark.long


async def test_a_finished_sentence_is_ended_by_the_model_after_a_short_silence(nc: NATS, tmp_path: Path) -> None:
    speech = say("Thank you, that is all.", tmp_path / "done.wav", pad_seconds=3.0)
    model = TurnSettings(end_of_turn="model", eot_silence_ms=200, eot_max_silence_ms=2000)
    async with gateway(nc, turn_settings=model) as gw:
        result = await place_call(gw.ws_url, speech, token=auth.mint(SECRET, ttl_seconds=60), tail_seconds=4)
    (turn,) = result.of_type("turn.ended")
    assert 1.0 < turn["speech_seconds"] < 3.0
    (latency,) = result.of_type("turn.latency")
    # the silence waited: 200 ms, then the model's "complete" (~60-300 ms); without it, 2 s
    assert 0.2 <= latency["vad_wait_seconds"] < 1.2
    assert result.recorder.voiced_seconds() > 1.0  # the echo of the turn came back
