"""`voicepod gateway --workers 2`: two processes on one port share the callers, /metrics on
their shared ops port (whichever answers) counts both and is not on the call port, a killed
worker is restarted while the other keeps its calls, and SIGTERM drains them all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from caller.client import LiveCall, dial
from caller.script import ScriptedMicrophone
from gateway.settings import LOOPBACK_ENV
from proc.ports import free_port
from tests.integration.pod_helpers import alive, descendants, kill_tree, wait_until_gone
from tests.nats_fixture import NatsServer

pytestmark = pytest.mark.slow

CALLS = 12  # spread by the kernel's hash: all on one worker has odds of 2 in 4,096


@contextlib.asynccontextmanager
async def workers(nats_server: NatsServer, port: int, ops_port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {**os.environ, "NATS_URL": nats_server.url, "VOICEPOD_DEV_MODE": "1", "VOICEPOD_STT": "none",
           "VOICEPOD_AGENT": "echo", "VOICEPOD_LOG_FORMAT": "json", "VOICEPOD_MAX_CALLS": "20",
           **LOOPBACK_ENV}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", "gateway", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
        "--ops-host", "127.0.0.1", "--ops-port", str(ops_port),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        await kill_tree(process)


async def until(check: object, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + timeout
    while not await check():  # type: ignore[operator]
        assert loop.time() < give_up_at, what
        await asyncio.sleep(0.1)  # polling processes we did not spawn directly, or an HTTP probe


async def metric_sum(http: aiohttp.ClientSession, url: str, name: str) -> float:
    async with http.get(url) as resp:
        text = await resp.text()
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE))


def worker_pids(parent: int) -> set[int]:
    """The live gateway workers under `parent` (a process may exit between listing and reading it)."""
    found = set()
    for pid in descendants(parent):
        with contextlib.suppress(OSError):
            if b"--reuse-port" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
    return found


def sockets_on(port: int, pid: int, state: str) -> int:
    """TCP sockets on local `port` in `state` (/proc/net/tcp: 01 established, 0A listening) that
    process `pid` holds open."""
    inodes = set()
    with contextlib.suppress(OSError):  # the process may be gone
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if (target := os.readlink(fd)).startswith("socket:["):
                    inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, found, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        count += local_port == port and found == state and inode in inodes
    return count


def established_on(port: int, pid: int) -> int:
    """TCP connections to `port` that process `pid` holds open."""
    return sockets_on(port, pid, "01")


@pytest.mark.timeout(180)
async def test_two_workers_share_one_port_metrics_restart_and_drain(nats_server: NatsServer) -> None:
    port, ops_port = free_port(), free_port()
    base, ops = f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{ops_port}/"
    # No keep-alive: the only connections the workers hold open are the calls' /ws sockets.
    no_keep_alive = aiohttp.TCPConnector(force_close=True)
    async with workers(nats_server, port, ops_port) as parent, aiohttp.ClientSession(connector=no_keep_alive) as http:

        async def both_up() -> bool:
            kids = list(worker_pids(parent.pid))
            # Both listening on the call port: a worker still starting would leave every call to the other.
            if len(kids) < 2 or not all(sockets_on(port, pid, "0A") for pid in kids):
                return False
            try:
                return await metric_sum(http, ops + "metrics", "voicepod_gateway_peer_connections") == 0
            except aiohttp.ClientError:
                return False

        await until(both_up, 60, "two workers did not come up")
        async with http.get(base + "metrics") as resp:
            assert resp.status == 404  # callers' port: no /metrics
        pids = worker_pids(parent.pid)
        async with contextlib.AsyncExitStack() as stack:
            calls: list[LiveCall] = []
            for _ in range(CALLS):
                calls.append(await stack.enter_async_context(dial(base.replace("http", "ws") + "ws",
                                                                  ScriptedMicrophone(),
                                                                  ice_addresses=("127.0.0.1",))))  # fmt: skip
            per_worker = {pid: established_on(port, pid) for pid in pids}
            # (>=: a scrape's connection may still be closing on the server side)
            assert sum(per_worker.values()) >= CALLS and all(per_worker.values()), per_worker
            for _ in range(4):  # whichever worker answers the scrape, it counts both workers' calls
                assert await metric_sum(http, ops + "metrics", "voicepod_gateway_calls_active") == CALLS
            # One worker dies: its calls end, the other's go on, and a new worker takes its place.
            victim, survivor = sorted(pids, key=lambda p: per_worker[p])
            os.kill(victim, signal.SIGKILL)

            async def replaced() -> bool:
                now = worker_pids(parent.pid)
                return len(now - {victim}) == 2

            await until(replaced, 60, "the killed worker was not restarted")
            assert established_on(port, survivor) >= per_worker[survivor] - 1  # its calls are still up
        await until(lambda: _zero(http, ops), 30, "calls_active did not return to 0 after hang-up")
        kids = descendants(parent.pid)
        parent.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(parent.wait(), 60) == 0
        assert alive(kids) == set() or await wait_until_gone(kids, 10) == set()


async def _zero(http: aiohttp.ClientSession, ops: str) -> bool:
    try:
        return await metric_sum(http, ops + "metrics", "voicepod_gateway_calls_active") == 0
    except aiohttp.ClientError:
        return False
