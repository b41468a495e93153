"""Real calls: an aiortc caller dials an in-process gateway over /ws and WebRTC."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from bench.load import lean_swarm
from bench.load.opus_mic import encode_opus
from caller.client import dial, place_call
from caller.script import Conversation, ScriptedMicrophone
from caller.wav import RATE, read_wav, write_wav
from gateway import auth
from gateway.app import OPS_AUDIENCE
from gateway.call import Call
from gateway.link.lean_link import LeanLink
from gateway.media.opus_in import OpusIn
from gateway.media.outbound import PlayoutTrack
from gateway.responder import EchoResponder
from gateway.rtc.dtls import DtlsSrtp
from gateway.rtc.endpoint import AudioEndpoint
from gateway.rtc.ice_guard import GuardedConnection, MediaPortGuard
from gateway.rtc.udp_mux import MuxedTransport, UdpMux
from gateway.settings import MEDIA_STACKS
from gateway.signaling import Session
from tests.eventually import eventually
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, event_is, gateway
from tests.speech import say

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return say("Hello, I am looking for a three bedroom house in Austin.", tmp_path_factory.mktemp("wav") / "a.wav",
               pad_seconds=3.0)  # fmt: skip


def token() -> str:
    return auth.mint(SECRET, ttl_seconds=60)


def call_threads() -> list[str]:
    """Threads other than the process-wide default executor (aiortc encodes there; it is shared)."""
    return [t.name for t in threading.enumerate() if not t.name.startswith("asyncio_")]


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_a_call_hears_its_turn_echoed_back_and_reports_events(stack: str, nc: NATS, speech: Path) -> None:
    async with gateway(nc, media_stack=stack) as gw:
        # Baseline once the connection's own request machinery exists (it starts on first use).
        threads_before, tasks_before = call_threads(), len(asyncio.all_tasks())
        result = await place_call(gw.ws_url, speech, token=token(), tail_seconds=5, ice_addresses=CALLER_ICE,
                                  hang_up_on=event_is("agent.done", 1))  # fmt: skip
        all_ended = await gw.state.calls.wait_empty(5)
    kinds = [e["type"] for e in result.events]
    assert result.call_id and result.connected_after is not None
    for kind in ("call.started", "speech.started", "turn.ended", "agent.text", "turn.latency"):
        assert kind in kinds, kinds
    (turn,) = result.of_type("turn.ended")
    assert 2.0 < turn["speech_seconds"] < 4.5  # espeak says the sentence in about 3 s
    # The echo of a ~3 s sentence came back as audio.
    assert result.recorder.voiced_seconds() > 2.0
    latency = result.of_type("turn.latency")[0]["total_seconds"]
    assert 0.5 <= latency < 2.0  # stop_ms of silence (0.6 s) plus the media path
    assert all_ended
    # aiortc's per-track decoder thread and our per-call tasks are gone with the call.
    for _ in range(50):
        if call_threads() == threads_before:
            break
        await asyncio.sleep(0.1)  # aiortc joins its decoder thread in the background after close()
    assert call_threads() == threads_before
    # (The caller's aiortc connection ends its own tasks in the background after close(), too.)
    tasks_after = await eventually(lambda: asyncio.sleep(0, len(asyncio.all_tasks())), lambda n: n <= tasks_before, 5)
    assert tasks_after <= tasks_before


async def test_calls_endpoint_needs_an_ops_token_and_lists_live_calls(nc: NATS, speech: Path) -> None:
    async with gateway(nc) as gw, aiohttp.ClientSession() as http:
        call = asyncio.create_task(
            place_call(gw.ws_url, speech, token=token(), tail_seconds=1, ice_addresses=CALLER_ICE)
        )
        while not gw.state.calls.all():
            await asyncio.sleep(0.05)  # the call registers once the offer arrives
        async with http.get(f"{gw.http_url}/calls") as resp:
            assert resp.status == 401
        async with http.get(f"{gw.http_url}/calls", headers={"Authorization": f"Bearer {token()}"}) as resp:
            assert resp.status == 401  # a caller's token is not an operator's
        ops = auth.mint(SECRET, audience=OPS_AUDIENCE)
        async with http.get(f"{gw.http_url}/calls", headers={"Authorization": f"Bearer {ops}"}) as resp:
            listed = await resp.json()
        result = await call
    assert [c["call_id"] for c in listed["calls"]] == [result.call_id]
    assert {"rtt_seconds", "jitter_seconds", "packets_received"} <= set(listed["calls"][0]["media"])


@pytest.mark.parametrize("stack", MEDIA_STACKS)
async def test_barge_in_stops_the_agent_within_150_ms(stack: str, nc: NATS, tmp_path: Path) -> None:
    first = read_wav(say("Please tell me everything about the house on Canyon Court, in detail.", tmp_path / "1.wav"))
    second = read_wav(say("Wait, stop, stop.", tmp_path / "2.wav"))
    # First sentence, 1.2 s of silence (the turn ends and the echo starts), then interrupt 1 s into it.
    gap = np.zeros(int(RATE * 2.2), dtype=np.int16)
    write_wav(tmp_path / "barge.wav", np.concatenate((first, gap, second, np.zeros(RATE * 2, dtype=np.int16))))
    before = REGISTRY.get_sample_value("voicepod_gateway_barge_in_stop_seconds_count") or 0.0
    stops_under_150ms_before = REGISTRY.get_sample_value("voicepod_gateway_barge_in_stop_seconds_bucket",
                                                         {"le": "0.15"}) or 0.0  # fmt: skip
    async with gateway(nc, media_stack=stack) as gw:
        result = await place_call(gw.ws_url, tmp_path / "barge.wav", token=token(), tail_seconds=2,
                                  ice_addresses=CALLER_ICE, hang_up_on=event_is("turn.ended", 2))  # fmt: skip
    barge = result.of_type("barge_in")
    assert barge, [e["type"] for e in result.events]
    assert 0 < barge[0]["heard_fraction"] < 1
    assert [e["barge_in"] for e in result.of_type("speech.started")][:2] == [False, True]
    after = REGISTRY.get_sample_value("voicepod_gateway_barge_in_stop_seconds_count") or 0.0
    under = REGISTRY.get_sample_value("voicepod_gateway_barge_in_stop_seconds_bucket", {"le": "0.15"}) or 0.0
    assert after - before >= 1 and under - stops_under_150ms_before == after - before


async def test_concurrent_calls_on_the_lean_stack_each_get_their_media_back(nc: NATS, speech: Path) -> None:
    # The capacity harness's callers (our endpoint, never decoding) against the gateway itself: six
    # calls at once each connect and hear the gateway's stream for the whole call. Whether every
    # frame comes on time is a capacity figure (bench/gateway_load.py), not something a test on a
    # shared 2-core machine can hold: a starved event loop sends fewer frames, but never none.
    packets = encode_opus(read_wav(speech))
    async with gateway(nc, media_stack="lean", max_calls=8, dev_mode=True) as gw:
        tallies = await asyncio.gather(*(lean_swarm.one_call(gw.ws_url, packets, i * 37, 4, 1) for i in range(6)))
        all_ended = await gw.state.calls.wait_empty(5)
    frames = [t.frames for t in tallies]
    assert all(n >= 0.5 * 4 * 50 for n in frames), frames  # 4 s of 20 ms frames, half of them at the least
    assert all(t.late <= t.frames for t in tallies)
    assert all_ended


@pytest.mark.parametrize("one_port", [False, True], ids=["port_per_call", "one_udp_port"])
async def test_an_ended_lean_call_is_freed_without_waiting_for_the_garbage_collector(
    nc: NATS, speech: Path, one_port: bool
) -> None:
    # Reference cycles (a callback back to the call, a cancelled task's frame) kept every ended call,
    # its decoder, DTLS and buffers alive until a full GC pass: ~100 MB under churn in the soak.
    kept = (Call, LeanLink, AudioEndpoint, GuardedConnection, MediaPortGuard, DtlsSrtp, OpusIn, PlayoutTrack, Session,
            MuxedTransport)  # fmt: skip

    async def alive() -> list[str]:
        return [type(o).__name__ for o in gc.get_objects() if isinstance(o, kept)]

    mux = await UdpMux.open(["127.0.0.1"], 0) if one_port else None
    async with gateway(nc, media_stack="lean", dev_mode=True, udp_mux=mux) as gw:
        gc.collect()
        gc.disable()
        try:
            result = await lean_swarm.run(gw.ws_url, calls=3, seconds=2, warmup=0.5, wav=speech)
            assert await gw.state.calls.wait_empty(5)
            left = await eventually(alive, lambda names: not names, 5)
        finally:
            gc.enable()
    if mux is not None:
        mux.close()
    assert result["connected"] == 3
    assert left == [], _holders(kept)


def _holders(kept: tuple[type, ...]) -> str:
    """What still refers to an ended call's objects: the cycle to break, named in the failure."""
    lines = []
    for obj in [o for o in gc.get_objects() if isinstance(o, kept)][:3]:
        for ref in gc.get_referrers(obj):
            if not isinstance(ref, list):  # the lists are this function's own
                lines.append(f"{type(obj).__name__} <- {type(ref).__name__}: {repr(ref)[:200]}")
    return "\n".join(lines)


async def test_a_web_caller_can_type_a_turn_when_its_page_has_a_box(nc: NATS) -> None:
    """The offer says the page has a text box (the agent may offer it); a typed turn is a turn like
    a spoken one: its text is the transcript, and the agent answers it."""
    origins: list[Call] = []
    async with gateway(nc) as gw:

        def echo(call: Call) -> EchoResponder:
            origins.append(call)
            return EchoResponder()

        gw.state.responder_factory = echo
        conversation = Conversation()
        async with dial(gw.ws_url, ScriptedMicrophone(), token=token(), on_event=conversation.on_event,
                        ice_addresses=CALLER_ICE, typing=True) as call:  # fmt: skip
            await call.type_text("five one two, 555 0134")
            await conversation.until(lambda: 1 in conversation.heard, "the typed turn", 10)
    assert [c.origin.typing for c in origins] == ["text_box"]
    assert conversation.heard[1] == "five one two, 555 0134"
