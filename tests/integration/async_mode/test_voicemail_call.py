"""A caller who rings after hours (the plain audio socket, as a phone bridge speaks it) hears the
voicemail greeting and its tone, speaks, hangs up: the message is stored in the object store and
its job queued for the async worker, under the call's id."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import numpy as np
from aiohttp import WSCloseCode
from nats.aio.client import Client as NATS

from bus import events
from gateway import auth
from gateway.agent.async_policy import AsyncPolicy
from gateway.agent.hours import Hours
from gateway.media.pcm import IN_RATE
from gateway.providers.tts.espeak import Espeak
from gateway.voicemail.answering import AFTER_HOURS, Answering, job_id_of
from gateway.voicemail.object_store import LocalDirectory
from gateway.voicemail.recording import from_wav
from gateway.voicemail.responder import VoicemailResponder
from tests.integration.async_mode.async_helpers import spoken, stream_messages
from tests.integration.gateway_helpers import SECRET, gateway

FRAME = 640  # 20 ms of L16 at 16 kHz
GREETING = "Sorry, we are closed. Leave a message."
# Open 9 to 5 on weekdays; the clock says Sunday night.
WEEKDAYS = AsyncPolicy(answering_hours=Hours(open_hour=9, close_hour=17, weekdays=frozenset(range(5))),
                       greeting=GREETING)  # fmt: skip
SUNDAY_NIGHT = datetime(2026, 12, 6, 22, 0, tzinfo=ZoneInfo("America/Chicago"))


async def test_an_after_hours_caller_leaves_a_message_that_is_stored_and_queued(nc: NATS, tmp_path: Path) -> None:
    words = spoken("Call me back please.", tmp_path)
    line = bytes(FRAME * 25) + words.astype("<i2").tobytes() + bytes(FRAME * 50)  # speech, then a second of quiet
    store = LocalDirectory(tmp_path / "objects")
    async with gateway(nc) as gw, aiohttp.ClientSession() as session:
        gw.state.answering = Answering("real_estate", "America/Chicago", WEEKDAYS, Espeak(), store, nc.jetstream(),
                                       clock=lambda: SUNDAY_NIGHT)  # fmt: skip
        url = gw.http_url.replace("http://", "ws://") + f"/telephony/socket?token={auth.mint(SECRET, ttl_seconds=60)}"
        async with session.ws_connect(url) as ws:
            await ws.send_str(json.dumps({"content-type": "audio/l16;rate=16000"}))
            greeting = bytearray()
            while len(greeting) < FRAME * 50:  # the greeting starts before the caller says a word
                msg = await ws.receive(timeout=10)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    greeting += msg.data
            (call,) = gw.state.calls.all()
            started = time.monotonic()
            for i in range(0, len(line), FRAME):  # real time, as a phone bridge sends
                await ws.send_bytes(line[i : i + FRAME])
                await asyncio.sleep(max(0.0, started + (i // FRAME + 1) * 0.02 - time.monotonic()))
            assert call.stt is None  # never transcribed live: the worker hears the message later
            await ws.send_str(json.dumps({"event": "stop"}))
            await ws.receive(timeout=10)
        await asyncio.wait_for(gw.state.calls.wait_empty(10), 11)
    assert np.abs(np.frombuffer(bytes(greeting), dtype="<i2")).max() > 1000  # a voice, not silence
    assert call.usage.quantities[(Espeak().name, "characters")] == len(GREETING)  # the call's realtime usage
    (job,) = await stream_messages(nc.jetstream(), events.VOICEMAIL)
    assert (job.job_id, job.call_id, job.channel, job.reason) == (job_id_of(call.call_id), call.call_id, "phone",
                                                                   AFTER_HOURS)  # fmt: skip
    assert job.recording_key == f"voicemail/real_estate/{call.call_id}.wav"
    pcm, rate = from_wav(await store.get(job.recording_key))
    assert rate == IN_RATE and abs(len(pcm) / IN_RATE - job.duration_seconds) < 0.5
    assert len(words) / IN_RATE - 0.5 < job.duration_seconds < len(words) / IN_RATE + 1.5  # the words, not the quiet


async def test_with_every_line_busy_a_caller_gets_an_overflow_voicemail_line_then_busy(
    nc: NATS, tmp_path: Path
) -> None:
    open_all_day = AsyncPolicy(greeting=GREETING, overflow_lines=1)
    async with gateway(nc, max_calls=0) as gw, aiohttp.ClientSession() as session:
        gw.state.answering = Answering("real_estate", "America/Chicago", open_all_day, Espeak(),
                                       LocalDirectory(tmp_path), nc.jetstream())  # fmt: skip
        url = gw.http_url.replace("http://", "ws://") + f"/telephony/socket?token={auth.mint(SECRET, ttl_seconds=60)}"
        async with session.ws_connect(url) as first, session.ws_connect(url) as second:
            await first.send_str(json.dumps({"content-type": "audio/l16;rate=16000"}))
            msg = await first.receive(timeout=10)  # the voicemail greeting: no live line was free
            assert msg.type == aiohttp.WSMsgType.BINARY
            (call,) = gw.state.calls.all()
            assert call.stt is None and isinstance(call.responder, VoicemailResponder)
            await second.send_str(json.dumps({"content-type": "audio/l16;rate=16000"}))
            refused = await second.receive(timeout=10)  # the overflow line is taken too
            assert refused.type == aiohttp.WSMsgType.CLOSE and second.close_code == WSCloseCode.TRY_AGAIN_LATER
            await first.send_str(json.dumps({"event": "stop"}))
        await asyncio.wait_for(gw.state.calls.wait_empty(10), 11)
    assert await stream_messages(nc.jetstream(), events.VOICEMAIL) == []  # not a word said: nothing queued
