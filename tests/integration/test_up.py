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
import pytest_asyncio

from bus import subjects
from tests.integration.pod_helpers import Pod, child_pid, descendants, running_pod, wait_until_gone

# One pod for the module (starting one takes seconds of the suite each time): the tests that only
# look at it, call it or crash a service it restarts share it, and the test that stops it runs last.
# A killed supervisor needs a pod of its own.
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pod") / "state"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pod(state_dir: Path) -> AsyncIterator[Pod]:
    async with running_pod(state_dir) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def own_pod(tmp_path: Path) -> AsyncIterator[Pod]:
    async with running_pod(tmp_path / "state") as running:
        yield running


async def test_up_starts_everything_healthy(pod: Pod, state_dir: Path) -> None:
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
        # The printed desk URL's token is an operator's; the desk itself waits for VOICEPOD_SHADOW=on.
        async with http.get(pod.desk_url) as resp:
            assert resp.status == 404 and (await resp.json())["error"] == "shadow_off"
        # The console the banner lists: its ops token opens it; the six services and the gateway answer it.
        assert pod.console_url.startswith(pod.gateway_url + "console?token=")
        async with http.get(pod.console_url) as resp:
            assert resp.status == 200 and "voicepod console" in await resp.text()
        async with http.get(pod.gateway_url + "console") as resp:
            assert resp.status == 401
        token = pod.console_url.split("?token=", 1)[1]
        async with http.get(f"{pod.gateway_url}console/api/services?token={token}") as resp:
            answering = {instance["name"] for instance in (await resp.json())["instances"]}
        assert answering == {*subjects.SERVICE_NAMES, "gateway"}
    assert pod.nats_url.startswith("nats://127.0.0.1:")

    nc = await nats.connect(pod.nats_url)
    try:
        for name in subjects.SERVICE_NAMES:
            info = json.loads((await nc.request(f"$SRV.INFO.{name}", b"", timeout=5)).data)
            listed = {e["subject"] for e in info["endpoints"]}
            assert listed == {e.subject for e in subjects.endpoints_of(name)}, name
    finally:
        await nc.close()

    # The operators' commands find this pod's NATS (on a free port) in its state directory.
    left_by_up = state_dir / "nats_url"
    assert left_by_up.read_text().strip() == pod.nats_url
    calls = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", "calls", "--state-dir", str(left_by_up.parent),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "NATS_URL"},
    )  # fmt: skip
    out, err = await calls.communicate()
    assert (calls.returncode, out, err) == (0, b"no calls\n", b"")


async def test_children_die_with_a_killed_supervisor(own_pod: Pod) -> None:
    children = descendants(own_pod.process.pid)
    assert len(children) >= 8
    own_pod.process.kill()
    await own_pod.process.wait()
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


@pytest.mark.long
async def test_up_in_shadow_mode_serves_the_desk_at_the_printed_url(tmp_path: Path) -> None:
    async with running_pod(tmp_path / "state", {"VOICEPOD_SHADOW": "on"}) as pod, aiohttp.ClientSession() as http:
        async with http.get(pod.desk_url) as resp:
            assert resp.status == 200 and "voicepod desk" in await resp.text()
        async with http.get(pod.desk_url.replace("/desk?", "/desk/queue?")) as resp:
            assert (await resp.json())["agent"] == "real_estate"


async def test_up_stops_with_no_process_left(pod: Pod, state_dir: Path) -> None:
    # Last in the module: it stops the shared pod.
    left_by_up = state_dir / "nats_url"
    assert pod.process.returncode is None and left_by_up.exists()
    children = descendants(pod.process.pid)
    # nats-server, six services, the gateway
    assert len(children) >= 8
    pod.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(pod.process.wait(), 60) == 0
    assert await wait_until_gone(children, 5) == set()
    assert not left_by_up.exists()  # a stopped pod leaves no URL to a server that is gone
