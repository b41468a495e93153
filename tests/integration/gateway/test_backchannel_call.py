"""A real call: the caller's "uh-huh" over the agent's reply only pauses it; the reply plays on to its end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from nats.aio.client import Client as NATS

from caller.client import place_call
from caller.wav import RATE, read_wav, write_wav
from gateway import auth
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, gateway
from tests.speech import say

# A second turn-taking path through a real call: run by `make test-long` (make test keeps its budget).
pytestmark = pytest.mark.long


async def test_a_backchannel_pauses_the_echo_and_it_plays_to_its_end(nc: NATS, tmp_path: Path) -> None:
    first = read_wav(say("Please tell me everything about the house on Canyon Court, in detail.", tmp_path / "1.wav"))
    uh_huh = read_wav(say("Uh-huh.", tmp_path / "2.wav"))
    # The sentence, 2.2 s of silence (the turn ends and its echo starts), "uh-huh" ~1.5 s into the echo.
    gap = np.zeros(int(RATE * 2.2), dtype=np.int16)
    write_wav(tmp_path / "call.wav", np.concatenate((first, gap, uh_huh, np.zeros(RATE * 6, dtype=np.int16))))
    async with gateway(nc) as gw:  # the echo agent, no STT: a short sound is let pass by its length
        result = await place_call(gw.ws_url, tmp_path / "call.wav", token=auth.mint(SECRET, ttl_seconds=60),
                                  tail_seconds=3, ice_addresses=CALLER_ICE)  # fmt: skip
    assert [e["barge_in"] for e in result.of_type("speech.started")] == [False, True]
    (paused,) = result.of_type("agent.paused")
    (resumed,) = result.of_type("agent.resumed")
    assert paused["turn"] == resumed["turn"] == 1 and 0.3 < resumed["paused_seconds"] < 2.0
    assert not result.of_type("barge_in") and [e["turn"] for e in result.of_type("turn.ended")] == [1]
    assert [e["turn"] for e in result.of_type("agent.done")][-1] == 1  # the echo played to its end
