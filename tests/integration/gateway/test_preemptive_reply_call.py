"""A real call through the gateway (lean link, Silero VAD, the real-estate agent on the real
services, Piper): with an incremental STT session, the reply to the caller's turn is prepared at
its pause and, the turn ending with the same text, goes out as prepared (VOICEPOD_PREEMPTIVE_REPLY);
with the setting off it is not. The STT's decoder is a stand-in that hears the same words whatever
it is given, at once: whisper's speed on a loaded machine decides how often the pause's decode is
ready in time (bench/turn_latency.py), not whether the call wires it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from concurrent.futures import Future
from contextlib import asynccontextmanager

import pytest
from nats.aio.client import Client as NATS

from caller.script import ScriptLine, scripted_call
from gateway import auth
from gateway.agent.config import AgentConfig
from gateway.agent.factory import agent_factory
from gateway.media.pcm import Pcm
from gateway.providers.stt import Interim, SttSession, Transcript
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.incremental import IncrementalSession
from gateway.providers.tts.piper_local import PiperLocal
from tests.integration.agent.test_dialog import services
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, RunningGateway, gateway

pytestmark = pytest.mark.slow

SAID = "A five bedroom townhouse in Denver, under nine hundred K."
HEARD = "A five bedroom townhouse in Denver under 900K."


class SameWords:
    """An STT whose every decode, interim or final, is `HEARD`, done at once."""

    name = "same-words"
    takes_opus = False
    detects_turns = False

    def __init__(self) -> None:
        self.decodes = 0

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> SttSession:
        return IncrementalSession(self, on_interim)

    @property
    def idle(self) -> bool:
        return True

    def submit(self, audio: Pcm, context: SpeechContext, *, interim: bool) -> Future[Transcript]:
        self.decodes += 1
        done: Future[Transcript] = Future()
        done.set_result(Transcript(text=HEARD, confidence=0.9, seconds=0.0, audio_seconds=len(audio) / 16_000))
        return done


@asynccontextmanager
async def agent_gateway(nc: NATS, preemptive: bool) -> AsyncIterator[RunningGateway]:
    async with services(nc), gateway(nc, stt=SameWords()) as gw:
        gw.state.settings = dataclasses.replace(gw.state.settings, preemptive_reply=preemptive)
        tts = PiperLocal()
        await asyncio.to_thread(tts.warm_up)
        gw.state.responder_factory = agent_factory(AgentConfig.load("real_estate"), gw.state.bus, tts)
        yield gw


@pytest.mark.timeout(120)
@pytest.mark.parametrize("preemptive", [True, pytest.param(False, marks=pytest.mark.long)])  # off: make test-long
async def test_the_reply_goes_out_as_prepared_at_the_callers_pause(nc: NATS, preemptive: bool) -> None:
    lines = [ScriptLine(SAID)]
    async with agent_gateway(nc, preemptive) as gw:
        # What is checked is known once the reply starts to play: no need to hear all of it.
        result = await scripted_call(gw.ws_url, lines, token=auth.mint(SECRET, ttl_seconds=120),
                                     ice_addresses=CALLER_ICE, last_reply="started")  # fmt: skip
    (latency,) = result.of_type("turn.latency")[-1:]
    (final,) = result.of_type("transcript.final")
    assert final["text"] == HEARD
    replies = [e["text"] for e in result.of_type("agent.text") if e["turn"] == 1]
    assert replies and replies[0].startswith(("I found", "I couldn't find", "I have"))
    assert latency["prepared"] is preemptive
    stages = sum(latency[f"{k}_seconds"] for k in ("vad_wait", "stt", "agent", "tts_first", "gateway"))
    assert abs(stages - latency["total_seconds"]) < 0.01, latency  # a prepared reply's split still adds up
    # Only the search ran. Prepared, it may have run more than once: the caller's comma is a pause too,
    # whose reply (the same words, with this STT) was prepared and dropped when they went on.
    started = result.of_type("tool.started")
    searches = [e["tool"] for e in started]
    assert set(searches) == {"search_listings"} and (len(searches) >= 1 if preemptive else len(searches) == 1)
    # A prepared reply's search says so (`ahead`): the operator can tell it from the turn's own.
    assert any(e["ahead"] for e in started) is preemptive, started
