"""The whole stack by voice: a scripted caller speaks Piper-synthesised lines over WebRTC to an
in-process gateway (Silero VAD, whisper tiny.en, the real-estate agent, Piper) whose tools
reach the real services on the test nats-server, and books a showing.

The caller takes turns on the gateway's events (agent.done), not on silence, so the test holds
on a busy 2-core machine: it never talks over the agent and never waits a guessed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import pytest
from nats.aio.client import Client as NATS

from bus import subjects
from bus.client import BusClient
from bus.contracts import crm_pb2
from caller.booking import BEDROOMS, BOOKING, BUDGET_USD, CITY, NAME, PHONE_E164
from caller.client import dial
from caller.script import ScriptedMicrophone, ScriptLine, scripted_call, voice_lines
from gateway import auth
from gateway.agent.config import AgentConfig
from gateway.agent.factory import agent_factory
from gateway.providers.tts.piper_local import PiperLocal
from services.calendar.store import BookingRow
from services.sms.store import OutboxRow
from tests.integration.agent.test_dialog import rows, services
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, RunningGateway, gateway

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def agent_gateway(nc: NATS) -> AsyncIterator[RunningGateway]:
    """The gateway as `voicepod gateway` runs it offline: whisper, the real-estate agent, Piper."""
    async with gateway(nc, stt="whisper") as gw:
        tts = PiperLocal()
        assert gw.state.stt is not None
        for warm_up in (gw.state.stt.warm_up, tts.warm_up):  # type: ignore[attr-defined]
            await asyncio.to_thread(warm_up)  # load the models before the first caller, as the server does
        gw.state.responder_factory = agent_factory(AgentConfig.load("real_estate"), gw.state.bus, tts)
        gw.state.agent_name = "real_estate"
        yield gw


@pytest.mark.timeout(400)
async def test_a_caller_books_a_showing_by_voice(nc: NATS) -> None:
    async with services(nc), agent_gateway(nc) as gw:
        result = await scripted_call(
            gw.ws_url, BOOKING, token=auth.mint(SECRET, ttl_seconds=600), ice_addresses=CALLER_ICE
        )
        lead = await BusClient(nc).call(subjects.GET_LEAD, crm_pb2.GetLeadRequest(phone=PHONE_E164), timeout=5)
    spoken = sum(1 for line in BOOKING if line.say)
    assert [e["turn"] for e in result.of_type("turn.ended")] == list(range(1, spoken + 1))
    # Turn-taking: the caller never spoke over the agent, and every reply was played to the end.
    assert not result.of_type("barge_in") and not any(e["barge_in"] for e in result.of_type("speech.started"))
    # The caller hangs up once it hears "you're booked": every reply before that was played in full.
    assert [e["turn"] for e in result.of_type("agent.done")] == list(range(spoken))
    latencies = result.of_type("turn.latency")
    assert [e["turn"] for e in latencies][: spoken - 1] == list(range(1, spoken))
    for event in latencies:
        stages = sum(event[f"{k}_seconds"] for k in ("vad_wait", "stt", "agent", "tts_first", "gateway"))
        assert abs(stages - event["total_seconds"]) < 0.01, event
    # The criteria were heard (the lead's interest names the booked listing), then the name and number.
    assert (lead.lead.name, lead.lead.phone_e164, lead.lead.budget_usd) == (NAME, PHONE_E164, BUDGET_USD)
    (booking,) = await rows("calendar", BookingRow)
    assert lead.lead.interest == f"{BEDROOMS} bedroom home in {CITY}: {booking.listing_id}"
    assert (booking.contact_phone_e164, booking.contact_name, booking.lead_id) == (PHONE_E164, NAME, lead.lead.lead_id)
    (sms,) = await rows("sms", OutboxRow)
    assert sms.to_phone_e164 == PHONE_E164 and NAME.split()[0] in sms.body


@pytest.mark.timeout(120)
async def test_voicepod_call_script_speaks_a_yaml_script(nc: NATS, tmp_path: Path) -> None:
    script = tmp_path / "hello.yaml"
    script.write_text('- say: "Hello there."\n  expect: "looking to buy"\n- expect: "which city"\n')
    record = tmp_path / "agent.wav"
    async with agent_gateway(nc) as gw:
        argv = [sys.executable, "-m", "pod.cli", "call", "--script", str(script), "--url", gw.ws_url,
                "--record", str(record), "--ice-address", "127.0.0.1"]  # fmt: skip
        env = {**os.environ, "VOICEPOD_TOKEN": auth.mint(SECRET, ttl_seconds=600)}
        proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 100)
    assert proc.returncode == 0, err.decode()
    events = [json.loads(line) for line in out.decode().splitlines()]
    (heard,) = [e["text"] for e in events if e["type"] == "transcript.final"]
    assert "hello" in heard.lower()
    # It spoke once the greeting had been played, and hung up on hearing the question it expected.
    assert [e["turn"] for e in events if e["type"] == "agent.done"] == [0]
    assert any("which city" in e["text"].lower() for e in events if e["type"] == "agent.text" and e["turn"] == 1)
    assert record.stat().st_size > 48_000 * 2  # more than a second of the agent's voice


class MuteWhenDone(ScriptedMicrophone):
    """Sends its line, then nothing at all: like a paused or replaced track, Opus DTX or a lost link."""

    async def recv(self) -> av.AudioFrame:
        if self._line is None and self._spoken is not None:
            await asyncio.Event().wait()  # no more frames, ever
        return await super().recv()


@pytest.mark.timeout(60)
async def test_a_turn_ends_when_the_callers_audio_stops_arriving(nc: NATS) -> None:
    """The turn-2 stall of an earlier caller: speech.started, then no frames, and the turn never ended."""
    (line,) = await voice_lines([ScriptLine("I'm looking for a house in Austin.")])
    assert line.pcm is not None
    mic = MuteWhenDone()
    ended = asyncio.Event()

    def on_event(event: dict[str, Any]) -> None:
        if event["type"] == "turn.ended":
            ended.set()

    token = auth.mint(SECRET, ttl_seconds=60)
    async with (
        gateway(nc) as gw,
        dial(gw.ws_url, mic, token=token, on_event=on_event, ice_addresses=CALLER_ICE) as call,
    ):
        await mic.say(line.pcm)
        await asyncio.wait_for(ended.wait(), 5)
    (turn,) = call.result.of_type("turn.ended")
    assert abs(turn["speech_seconds"] - len(line.pcm) / 16_000) < 0.5
