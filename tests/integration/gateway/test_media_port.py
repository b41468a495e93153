"""The gateway on one UDP port (VOICEPOD_RTC_UDP_PORT): its calls' candidates and media are all on
that port, a caller's echo comes back through it, and a port in use stops start-up with what to do."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from caller.client import dial, place_call
from caller.script import ScriptedMicrophone
from gateway import auth
from gateway.rtc.ice_options import LOOPBACK
from gateway.server import open_media_port
from gateway.settings import LOOPBACK_ENV, GatewaySettings
from tests.integration.gateway_helpers import CALLER_ICE, SECRET, gateway
from tests.integration.rtc.rtc_helpers import loopback_mux
from tests.speech import say


def _candidate_ports(sdp: str) -> set[int]:
    return {int(line.split()[5]) for line in sdp.splitlines() if line.startswith("a=candidate:")}


async def test_every_call_is_answered_and_carried_on_the_one_port(nc: NATS) -> None:
    async with loopback_mux() as mux, gateway(nc, udp_mux=mux, max_calls_per_token=0) as gw, AsyncExitStack() as calls:
        token = auth.mint(SECRET, ttl_seconds=60)
        live = []
        for _ in range(3):
            dialled = dial(gw.ws_url, ScriptedMicrophone(), token=token, ice_addresses=CALLER_ICE)
            live.append(await calls.enter_async_context(dialled))
        assert all(_candidate_ports(c.result.answer) == {mux.port} for c in live)
        pairs = [call.link._endpoint._ice._nominated[1] for call in gw.state.calls.all()]  # type: ignore[attr-defined]
        assert len(pairs) == 3
        assert {p.local_candidate.port for p in pairs} == {mux.port}
        assert len({p.remote_addr for p in pairs}) == 3  # three callers, each its own
        assert mux.sockets[0].calls == 3
    assert mux.sockets[0].calls == 0 and mux.sockets[0].addresses == 0


@pytest.mark.long
async def test_two_callers_each_hear_their_own_echo_through_the_one_port(nc: NATS, tmp_path: Path) -> None:
    sentences = ["Hello, I am looking for a house in Austin.", "Good morning, what is on the market in Boston today?"]
    wavs = [say(text, tmp_path / f"{i}.wav", pad_seconds=2.0) for i, text in enumerate(sentences)]
    token = auth.mint(SECRET, ttl_seconds=60)
    async with loopback_mux() as mux, gateway(nc, udp_mux=mux) as gw:
        calls = (place_call(gw.ws_url, wav, token=token, tail_seconds=5, ice_addresses=CALLER_ICE) for wav in wavs)
        results = await asyncio.gather(*calls)
    for result in results:
        assert result.connected_after is not None
        assert _candidate_ports(result.answer) == {mux.port}
        (turn,) = result.of_type("turn.ended")
        assert result.recorder.voiced_seconds() > 0.7 * turn["speech_seconds"]  # its own turn, echoed back
    short, long = sorted(r.of_type("turn.ended")[0]["speech_seconds"] for r in results)
    assert long - short > 0.5  # two different sentences, each heard by its own call
    assert sum(mux.dropped().values()) == 0


async def test_the_server_opens_the_port_its_settings_name() -> None:
    free = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    assert await open_media_port(GatewaySettings(ice=LOOPBACK)) is None  # unset: a socket per call
    mux = await open_media_port(GatewaySettings(ice=LOOPBACK, rtc_udp_port=port))
    assert mux is not None
    try:
        assert [s.local for s in mux.sockets] == [("127.0.0.1", port)]
        with pytest.raises(SystemExit, match=f"UDP port {port} on 127.0.0.1 is already in use"):
            await open_media_port(GatewaySettings(ice=LOOPBACK, rtc_udp_port=port))
    finally:
        mux.close()


@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=pytest.mark.long)])  # ~4-5 s each: a process
async def test_the_gateway_refuses_to_start_on_a_media_port_in_use(workers: str) -> None:
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    first = port - (int(workers) - 1)  # with two workers, the second one's port is the taken one
    env = {**os.environ, **LOOPBACK_ENV, "VOICEPOD_DEV_MODE": "1", "NATS_URL": "nats://127.0.0.1:1",
           "VOICEPOD_RTC_UDP_PORT": str(first), "VOICEPOD_STT": "none", "VOICEPOD_AGENT": "echo"}  # fmt: skip
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "pod.cli", "gateway", "--workers", workers, "--port", "1", "--ops-port", "2",
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        taken.close()
    assert proc.returncode == 1
    assert f"UDP port {port} on 127.0.0.1 is already in use" in err.decode()
