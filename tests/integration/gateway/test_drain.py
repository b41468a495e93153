"""SIGTERM on a gateway process with a live call: readiness turns false, new offers are
refused, the live call keeps going until the drain timeout, then gets a polite bye."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import pytest

from gateway.settings import LOOPBACK_ENV
from proc.ports import free_port
from tests.integration.gateway.test_signaling import offer_sdp
from tests.integration.gateway_helpers import next_signal
from tests.nats_fixture import NatsServer

pytestmark = pytest.mark.slow


async def test_sigterm_drains_live_calls_then_exits(nats_server: NatsServer) -> None:
    port = free_port()
    env = {**os.environ, "NATS_URL": nats_server.url, "VOICEPOD_DEV_MODE": "1", "VOICEPOD_STT": "none",
           "VOICEPOD_AGENT": "echo", "VOICEPOD_CALL_DRAIN_TIMEOUT": "3", "VOICEPOD_LOG_FORMAT": "json",
           **LOOPBACK_ENV}  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", "gateway", "--workers", "1", "--host", "127.0.0.1", "--port", str(port),
        "--ops-host", "127.0.0.1", "--ops-port", str(free_port()), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"{base}/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)  # polling the process's readiness probe while it starts
            async with http.ws_connect(f"ws://127.0.0.1:{port}/ws") as live, \
                    http.ws_connect(f"ws://127.0.0.1:{port}/ws") as late:  # fmt: skip
                await live.send_json({"type": "offer", "sdp": await offer_sdp()})
                assert (await live.receive_json(timeout=10))["type"] == "answer"
                proc.send_signal(signal.SIGTERM)
                for _ in range(200):  # until the process has taken the signal (its probe says so), 10 s at most
                    async with http.get(f"{base}/readyz") as resp:
                        ready = (resp.status, (await resp.json())["checks"]["accepting_calls"])
                    if ready != (200, True):
                        break
                    await asyncio.sleep(0.05)  # polling the process's readiness probe
                await late.send_json({"type": "offer", "sdp": await offer_sdp()})
                refused = await late.receive_json(timeout=10)
                started = asyncio.get_running_loop().time()
                _, bye = await next_signal(live, timeout=15)
                waited = asyncio.get_running_loop().time() - started
        code = await asyncio.wait_for(proc.wait(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert ready == (503, False)
    assert refused["code"] == "draining"
    assert bye == {"type": "bye", "reason": "drain"} and 1.5 < waited < 6
    assert code == 0
