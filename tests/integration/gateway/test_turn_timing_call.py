"""A past call's slow turn explained: a real call through the in-process gateway (two typed turns,
the second answered by a slow engine), its turn.latency stored with the transcript by the real
transcript service, and `voicepod transcript CALL_ID` naming the stage that made turn 2 slow."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator

import numpy as np
import pytest
from nats.aio.client import Client as NATS

from bus import subjects
from bus.client import BusClient
from bus.contracts import transcript_pb2 as tr
from bus.settings import BusSettings
from caller.client import dial
from caller.script import Conversation, ScriptedMicrophone
from gateway import auth
from gateway.call import Call
from gateway.media.pcm import OUT_RATE
from gateway.responder import CallerTurn, EchoResponder, Speech
from pod import ops_bus
from pod.transcript_command import show_transcript
from tests.eventually import eventually
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, gateway
from tests.integration.test_ops_commands import services
from tests.nats_fixture import NatsServer

pytestmark = pytest.mark.slow  # a real call, as the other call tests (still run by `make test`)
ENGINE_WAIT = 0.6  # what the engine takes over turn 2: the stage the transcript must name


class SlowSecondTurn(EchoResponder):
    """Answers each typed turn with 0.2 s of audio; over turn 2 the engine is slow (a tool call or
    model round standing in: the wait is the engine's, so it lands in the `agent` stage)."""

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        if turn.index == 2:
            await asyncio.sleep(ENGINE_WAIT)
        yield Speech(text=f"you typed {turn.text}", audio=np.zeros(OUT_RATE // 5, dtype=np.int16))


def answered(conversation: Conversation, turn: int) -> bool:
    return conversation.done >= turn


async def test_a_past_calls_transcript_says_which_stage_made_a_turn_slow(
    nc: NATS, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[Call] = []

    def responder(call: Call) -> SlowSecondTurn:
        calls.append(call)
        return SlowSecondTurn()

    async with services(nc), gateway(nc) as gw:
        gw.state.responder_factory = responder
        conversation = Conversation()
        async with dial(gw.ws_url, ScriptedMicrophone(), token=auth.mint(SECRET, ttl_seconds=60),
                        on_event=conversation.on_event, ice_addresses=CALLER_ICE, typing=True) as call:  # fmt: skip
            for turn, text in ((1, "one"), (2, "two")):
                await call.type_text(text)
                await conversation.until(functools.partial(answered, conversation, turn), f"the reply to {turn}", 10)
        call_id = calls[0].call_id

        async def transcript() -> tr.Transcript:
            asked = tr.GetTranscriptRequest(call_id=call_id)
            return (await BusClient(nc).call(subjects.GET_TRANSCRIPT, asked, timeout=5)).transcript

        stored = await eventually(transcript, lambda t: len(t.turn_timings) == 2 and t.HasField("ended"))
        async with ops_bus.services(BusSettings(nats_url=nats_server.url, connect_timeout=5), 5) as s:
            capsys.readouterr()  # the test process's own log lines
            assert await show_transcript(s, call_id, as_json=False) == 0
            text = capsys.readouterr().out
            assert await show_transcript(s, call_id, as_json=True) == 0
            doc = json.loads(capsys.readouterr().out)

    first, second = stored.turn_timings
    assert (first.turn, second.turn) == (1, 2)
    assert second.agent_seconds >= ENGINE_WAIT > first.agent_seconds
    stages = (second.vad_wait_seconds, second.stt_seconds, second.agent_seconds, second.tts_first_seconds,
              second.gateway_seconds)  # fmt: skip
    assert second.total_seconds == pytest.approx(sum(stages), abs=0.005)
    # The operator's view: each reply's split on the timeline, after the turn it answers; the slow one named.
    latency = [line for line in text.splitlines() if " latency " in line]
    assert len(latency) == 2 and "turn 2 answered in" in latency[1] and "agent 0.6" in latency[1]
    assert "(slowest)" in latency[1].split("agent ")[1].split(",")[0]
    assert "slowest reply: turn 2 answered in" in text
    lines = text.splitlines()
    said_two = next(i for i, line in enumerate(lines) if line.split()[-2:] == ["caller", "two"])
    assert lines.index(latency[1]) > said_two
    assert [(x["turn"], x["slowest"]) for x in doc["turn_latency"]][1] == (2, "agent")
    assert doc["turn_latency"][1]["stages"]["agent"] >= ENGINE_WAIT
