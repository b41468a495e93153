"""ICE restart and a vanished caller, through the gateway's /ws (lean stack, 127.0.0.1 only): a
caller built on our own endpoint re-offers from new sockets mid-call and keeps its call (id, turn
loop, media); a caller whose packets stop is hung up on within the inactivity window."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from bench.load.opus_mic import encode_opus
from caller.wav import read_wav
from gateway.call import Call
from gateway.rtc.endpoint import AudioEndpoint
from gateway.rtc.ice_options import LOOPBACK
from gateway.rtc.sdp import parse_description
from gateway.rtc.udp_mux import UdpMux
from tests.integration.gateway_helpers import RunningGateway, gateway, next_signal
from tests.speech import say

pytestmark = pytest.mark.timeout(60)
FRAME = b"\xf8\xff\xfe"  # an Opus packet of 20 ms of silence (TOC 0xf8: CELT FB 20 ms)


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@asynccontextmanager
async def _connected(gw: RunningGateway) -> AsyncIterator[tuple[Any, AudioEndpoint, str]]:
    """A /ws socket with a connected call: (socket, caller, call id)."""
    caller = AudioEndpoint(offering=True, ice=LOOPBACK)
    async with aiohttp.ClientSession() as http, http.ws_connect(gw.ws_url) as ws:
        try:
            await ws.send_json({"type": "offer", "sdp": await caller.offer()})
            _, answer = await next_signal(ws)
            assert answer["type"] == "answer", answer
            await caller.accept(answer["sdp"])
            await asyncio.wait_for(caller.start(), 10)
            call = _the_call(gw, answer["call_id"])
            async with asyncio.timeout(5):  # the gateway's side finishes DTLS a flight after the caller's
                while call.connection_state != "connected":
                    await asyncio.sleep(0.01)
            yield ws, caller, answer["call_id"]
        finally:
            await caller.close()


def _the_call(gw: RunningGateway, call_id: str) -> Call:
    (call,) = [c for c in gw.state.calls.all() if c.call_id == call_id]
    return call


async def _heard_by_the_gateway(gw: RunningGateway, call_id: str, caller: AudioEndpoint, packets: int) -> None:
    """The caller sends `packets` 20 ms packets; the call's endpoint counts them all."""
    endpoint = _the_call(gw, call_id).link._endpoint  # type: ignore[attr-defined]
    before = endpoint.packets_in
    for _ in range(packets):
        await caller.send(FRAME)
        await asyncio.sleep(0.02)  # paced as a microphone is
    async with asyncio.timeout(5):
        while endpoint.packets_in < before + packets:
            await asyncio.sleep(0.02)


async def _hears_the_gateway(caller: AudioEndpoint, packets: int) -> None:
    """The call's playout keeps sending (silence between replies): the caller receives it."""
    async with asyncio.timeout(5):
        got = 0
        while got < packets:
            if await caller.recv() is not None:
                got += 1


@pytest.mark.parametrize("shared_port", [False, True], ids=["socket_per_call", "udp_mux"])
async def test_a_caller_restarting_ice_on_its_socket_keeps_its_call_and_its_audio(nc: NATS, shared_port: bool) -> None:
    mux = await UdpMux.open(["127.0.0.1"], 0) if shared_port else None
    answered = _metric("voicepod_gateway_ice_restarts_total", outcome="answered")
    try:
        async with gateway(nc, media_stack="lean", dev_mode=True, agent="echo", udp_mux=mux) as gw:
            async with _connected(gw) as (ws, caller, call_id):
                await _heard_by_the_gateway(gw, call_id, caller, 10)
                await _hears_the_gateway(caller, 10)
                call = _the_call(gw, call_id)
                old_port = {c.split()[5] for c in parse_description(await caller.offer(), data=False).candidates}
                # The caller's network changed: new sockets, new ICE credentials, the same /ws socket.
                offer = await caller.restart_offer()
                new_port = {c.split()[5] for c in parse_description(offer, data=False).candidates}
                assert old_port.isdisjoint(new_port)
                await ws.send_json({"type": "offer", "sdp": offer})
                _, answer = await next_signal(ws)
                assert answer["type"] == "answer" and answer["call_id"] == call_id, answer
                await caller.accept_restart(answer["sdp"])
                async with asyncio.timeout(10):
                    while caller.restarts < 1:
                        await asyncio.sleep(0.02)
                # The audio resumes both ways, on the same call (the same turn loop, not a new call).
                await _heard_by_the_gateway(gw, call_id, caller, 10)
                await _hears_the_gateway(caller, 10)
                assert _the_call(gw, call_id) is call and call.ended is None
                assert call.connection_state == "connected" and len(gw.state.calls) == 1
                await ws.send_json({"type": "bye"})
            assert await gw.state.calls.wait_empty(5)
            assert call.ended == "caller_hangup"
        assert _metric("voicepod_gateway_ice_restarts_total", outcome="answered") == answered + 1
    finally:
        if mux is not None:
            mux.close()


async def test_a_re_offer_that_cannot_be_used_is_refused_and_the_call_goes_on(nc: NATS) -> None:
    async with gateway(nc, media_stack="lean", dev_mode=True, agent="echo") as gw:
        async with _connected(gw) as (ws, caller, call_id):
            await ws.send_json({"type": "offer", "sdp": await caller.offer()})  # the same credentials again
            _, error = await next_signal(ws)
            assert error["type"] == "error" and error["code"] == "bad_sdp", error
            assert "keeps its ICE credentials" in error["message"] and "the call goes on" in error["message"]
            await _heard_by_the_gateway(gw, call_id, caller, 5)
            assert _the_call(gw, call_id).ended is None


async def test_a_caller_that_vanishes_is_hung_up_on_within_the_inactivity_window(nc: NATS) -> None:
    window = 1.0
    ended = _metric("voicepod_gateway_calls_ended_total", reason="media_inactive")
    async with gateway(nc, media_stack="lean", dev_mode=True, agent="echo", media_inactivity_timeout=window) as gw:
        async with _connected(gw) as (ws, caller, call_id):
            await _heard_by_the_gateway(gw, call_id, caller, 5)
            call = _the_call(gw, call_id)
            # Its network is gone: nothing more leaves its sockets (no DTLS goodbye, no RTCP, no consent).
            await caller._ice.close()
            vanished = time.monotonic()
            _, bye = await next_signal(ws, timeout=10)
            took = time.monotonic() - vanished
            assert bye == {"type": "bye", "reason": "media_inactive"}
            # Within the window (and a report's worth of RTCP that may have been on its way), not consent's 30 s.
            assert window - 0.1 < took < window + 2.5, took
            assert call.ended == "media_inactive" and call.summary()["ended"] == "media_inactive"  # the call_ended log
    assert _metric("voicepod_gateway_calls_ended_total", reason="media_inactive") == ended + 1


async def test_a_caller_that_keeps_sending_is_not_hung_up_on(nc: NATS) -> None:
    window = 0.5
    async with gateway(nc, media_stack="lean", dev_mode=True, agent="echo", media_inactivity_timeout=window) as gw:
        async with _connected(gw) as (_ws, caller, call_id):
            await _heard_by_the_gateway(gw, call_id, caller, 75)  # 1.5 s: three windows
            assert _the_call(gw, call_id).ended is None


@pytest.mark.long  # two spoken turns in real time: ~10 s
async def test_the_turn_after_an_ice_restart_is_the_same_calls_next_turn(nc: NATS, tmp_path: Path) -> None:
    speech = encode_opus(read_wav(say("I am looking for a house in Austin.", tmp_path / "a.wav", pad_seconds=1.5)))
    async with gateway(nc, media_stack="lean", dev_mode=True, agent="echo") as gw:
        async with _connected(gw) as (ws, caller, call_id):
            messages: list[dict[str, Any]] = []

            async def read() -> None:
                async for msg in ws:
                    messages.append(json.loads(msg.data))

            async def turns_ended(n: int) -> list[int]:
                async with asyncio.timeout(15):
                    while True:
                        ended = [m["event"]["turn"] for m in messages
                                 if m["type"] == "event" and m["event"]["type"] == "turn.ended"]  # fmt: skip
                        if len(ended) >= n:
                            return ended
                        await asyncio.sleep(0.05)

            async def speak() -> None:
                for payload in speech:
                    await caller.send(payload)
                    await asyncio.sleep(0.02)

            reader = asyncio.create_task(read())
            try:
                await speak()
                assert await turns_ended(1) == [1]
                await ws.send_json({"type": "offer", "sdp": await caller.restart_offer()})
                async with asyncio.timeout(10):
                    while not any(m["type"] == "answer" for m in messages):
                        await asyncio.sleep(0.02)
                (answer,) = [m for m in messages if m["type"] == "answer"]
                assert answer["call_id"] == call_id
                await caller.accept_restart(answer["sdp"])
                async with asyncio.timeout(10):
                    while caller.restarts < 1:
                        await asyncio.sleep(0.02)
                await speak()
                # The same call's turn loop heard the second turn: turn 2, not a new call's turn 1.
                assert await turns_ended(2) == [1, 2]
                call = _the_call(gw, call_id)
                assert call.ended is None and call.turn_loop.turns == 2
            finally:
                reader.cancel()
