"""`voicepod up` as a user runs it: a real supervisor, real nats-server, real children."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import nats
import pytest

from bus import subjects
from tests.integration.pod_helpers import Pod, child_pid, descendants, running_pod, wait_until_gone

pytestmark = pytest.mark.slow


@pytest.fixture
async def pod(tmp_path: Path) -> AsyncIterator[Pod]:
    async with running_pod(tmp_path / "state") as running:
        yield running


async def test_up_starts_everything_healthy_and_stops_with_no_process_left(pod: Pod) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("healthz", "readyz"):
            async with http.get(pod.gateway_url + path) as resp:
                assert resp.status == 200, path
        # /metrics is on the gateway's own ops port (a free one, never 9090 assumed), not the call port.
        async with http.get(pod.gateway_url + "metrics") as resp:
            assert resp.status == 404
        async with http.get(pod.metrics_url) as resp:
            assert resp.status == 200 and "voicepod_gateway_calls_active" in await resp.text()
        assert not pod.metrics_url.startswith(pod.gateway_url)
    assert pod.nats_url.startswith("nats://127.0.0.1:")

    nc = await nats.connect(pod.nats_url)
    try:
        for name in subjects.SERVICE_NAMES:
            info = json.loads((await nc.request(f"$SRV.INFO.{name}", b"", timeout=5)).data)
            listed = {e["subject"] for e in info["endpoints"]}
            assert listed == {e.subject for e in subjects.endpoints_of(name)}, name
    finally:
        await nc.close()

    children = descendants(pod.process.pid)
    # nats-server, six services, the gateway
    assert len(children) >= 8
    pod.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(pod.process.wait(), 60) == 0
    assert await wait_until_gone(children, 5) == set()


async def test_children_die_with_a_killed_supervisor(pod: Pod) -> None:
    children = descendants(pod.process.pid)
    assert len(children) >= 8
    pod.process.kill()
    await pod.process.wait()
    assert await wait_until_gone(children, 20) == set()


async def test_a_crashed_service_is_restarted(pod: Pod) -> None:
    nc = await nats.connect(pod.nats_url)
    try:
        first = json.loads((await nc.request("$SRV.PING.sms", b"", timeout=5)).data)["id"]
        os.kill(child_pid(pod, "sms"), signal.SIGKILL)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + 30
        while True:
            try:
                again = json.loads((await nc.request("$SRV.PING.sms", b"", timeout=1)).data)["id"]
                if again != first:
                    break
            except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                pass
            assert loop.time() < give_up_at, "sms was not restarted"
            await asyncio.sleep(0.1)  # the supervisor restarts it after a back-off
    finally:
        await nc.close()


async def test_voicepod_call_talks_to_the_pod_with_the_printed_token(pod: Pod, tmp_path: Path) -> None:
    from tests.speech import say

    assert "?token=" in pod.open_url
    token = pod.open_url.split("?token=", 1)[1]
    wav = say("Hello, is anybody there?", tmp_path / "hello.wav", pad_seconds=2.0)
    ws_url = pod.gateway_url.replace("http://", "ws://") + "ws"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", "call", "--wav", str(wav), "--record", str(tmp_path / "out.wav"),
        "--url", ws_url, "--token", token, "--tail", "3", "--ice-address", "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    events = [json.loads(line)["type"] for line in out.decode().splitlines()]
    assert proc.returncode == 0, err.decode()
    assert "speech.started" in events and "turn.ended" in events
    assert (tmp_path / "out.wav").stat().st_size > 48_000  # more than half a second of 48 kHz audio
    no_token = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", "call", "--wav", str(wav), "--url", ws_url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(no_token.communicate(), 60)
    assert no_token.returncode == 1 and b"unauthorized" in err
