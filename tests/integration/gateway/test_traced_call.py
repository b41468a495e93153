"""A real call through the gateway, traced: the call's span, ended with its reason, and its turn's
span with the stages under it (the echo agent, no STT)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from nats.aio.client import Client as NATS
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from caller.client import place_call
from caller.wav import RATE, read_wav, write_wav
from gateway import auth
from tests.eventually import eventually
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, gateway
from tests.spans import is_child, named, spans
from tests.speech import say

__all__ = ["spans"]  # the fixture
pytestmark = pytest.mark.long  # a real call: seconds of audio (make test keeps its budget)


async def test_a_real_call_is_a_trace_with_its_turn_and_stages(
    nc: NATS, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    words = read_wav(say("Hello, is the house on Canyon Court still for sale?", tmp_path / "1.wav"))
    write_wav(tmp_path / "call.wav", np.concatenate((words, np.zeros(RATE * 4, dtype=np.int16))))
    async with gateway(nc) as gw:
        result = await place_call(gw.ws_url, tmp_path / "call.wav", token=auth.mint(SECRET, ttl_seconds=60),
                                  tail_seconds=2, ice_addresses=CALLER_ICE)  # fmt: skip

        async def names() -> list[str]:
            return [s.name for s in spans.get_finished_spans()]

        await eventually(names, lambda got: "call" in got, timeout=10)  # the gateway ends the call after the caller
    assert [e["turn"] for e in result.of_type("turn.ended")] == [1]
    finished = spans.get_finished_spans()
    call, turn = named(finished, "call"), named(finished, "turn")
    assert call.attributes and call.attributes["voicepod.ended"] and call.attributes["voicepod.channel"] == "webrtc"
    assert is_child(turn, call) and turn.attributes and turn.attributes["voicepod.turn"] == 1
    for stage in ("vad_wait", "stt", "engine", "tts_first", "playout"):
        assert is_child(named(finished, stage), turn), stage
    (latency,) = result.of_type("turn.latency")
    assert turn.attributes["voicepod.latency.total_seconds"] == pytest.approx(latency["total_seconds"], abs=0.001)
