"""The plain audio socket (gateway/link/phone/socket_wire.py), spoken by a bridge written here
from its documented framing: a JSON first message, binary L16 audio both ways, keys, marks."""

from __future__ import annotations

import asyncio
import json
import time
import wave
from pathlib import Path

import aiohttp
import numpy as np
from aiohttp import WSCloseCode
from nats.aio.client import Client as NATS

from gateway import auth
from gateway.call import Call
from gateway.responder import Responder
from tests.integration.gateway_helpers import SECRET, gateway
from tests.integration.phone.phone_helpers import transcript_of, turn_said
from tests.speech import say

FRAME = 640  # 20 ms of L16 at 16 kHz


async def test_no_token_no_socket_and_a_start_it_cannot_use_closes_it(nc: NATS) -> None:
    async with gateway(nc) as gw, aiohttp.ClientSession() as session:
        url = gw.http_url.replace("http://", "ws://") + "/telephony/socket"
        try:
            await session.ws_connect(url)
            raise AssertionError("connected without a token")
        except aiohttp.WSServerHandshakeError as e:
            assert e.status == 401
        token = auth.mint(SECRET, ttl_seconds=60)
        for start in ('{"content-type": "audio/opus;rate=48000"}', "hello", '{"marks": true}'):
            async with session.ws_connect(f"{url}?token={token}") as ws:
                await ws.send_str(start)
                msg = await ws.receive(timeout=10)
                assert msg.type == aiohttp.WSMsgType.CLOSE and ws.close_code == WSCloseCode.POLICY_VIOLATION, start
        assert len(gw.state.calls) == 0


async def test_l16_audio_round_trip_with_marks_and_keys_as_a_turn(nc: NATS, tmp_path: Path) -> None:
    with wave.open(str(say("I would like to see the house on Elm Street.", tmp_path / "l.wav"))) as w:
        pcm22, rate = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16), w.getframerate()
    pcm = np.interp(np.arange(0, len(pcm22), rate / 16000), np.arange(len(pcm22)), pcm22).astype("<i2")
    line = pcm.tobytes() + bytes(FRAME * 50)  # then a second of silence: the turn ends
    async with gateway(nc) as gw, aiohttp.ClientSession() as session:
        calls: list[Call] = []
        make = gw.state.responder_factory

        def responder(call: Call) -> Responder:
            calls.append(call)
            return make(call)

        gw.state.responder_factory = responder
        url = gw.http_url.replace("http://", "ws://") + f"/telephony/socket?token={auth.mint(SECRET, ttl_seconds=60)}"
        async with session.ws_connect(url) as ws:
            await ws.send_str(json.dumps({"content-type": "audio/l16;rate=16000", "marks": True}))
            started = time.monotonic()
            for i in range(0, len(line), FRAME):  # real time, as a phone bridge sends
                await ws.send_bytes(line[i : i + FRAME])
                await asyncio.sleep(max(0.0, started + (i // FRAME + 1) * 0.02 - time.monotonic()))
            back, marks = bytearray(), list[dict[str, str]]()
            while not marks:  # the echo of the line, then its mark
                msg = await ws.receive(timeout=20)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    assert len(msg.data) == FRAME  # whole 20 ms frames
                    back += msg.data
                else:
                    marks.append(json.loads(msg.data))
            await ws.send_str(json.dumps(marks[0]))  # "played"
            await ws.send_str(json.dumps({"event": "websocket:dtmf", "digit": "7", "duration": 250}))
            await ws.send_str(json.dumps({"event": "dtmf", "digit": "#"}))
            await turn_said(nc, calls[0].call_id, "7")  # the keys were a turn of the caller's
            await ws.send_str(json.dumps({"event": "stop"}))
            await ws.receive(timeout=10)  # our close
        await asyncio.wait_for(gw.state.calls.wait_empty(10), 11)
    (call,) = calls
    assert marks == [{"event": "mark", "name": "u1"}] and call.ended == "caller_hangup"
    assert abs(len(back) / 2 / 16000 - len(pcm) / 16000) < 1.0  # the line came back whole (echo)
    transcript = await transcript_of(nc, call.call_id)
    assert transcript[0].call_started.channel == "phone"
    assert [e.turn.text for e in transcript if e.HasField("turn")][-1:] == ["7"]  # the keys' turn
