"""`voicepod up` for tests: a real supervisor with its real children, and the processes under it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gateway.settings import LOOPBACK_ENV


@dataclass
class Pod:
    process: asyncio.subprocess.Process
    gateway_url: str
    nats_url: str
    banner: list[str]
    open_url: str = ""
    metrics_url: str = ""  # the gateway's /metrics, on its ops port
    desk_url: str = ""  # shadow mode's desk page, with an operator's token
    console_url: str = ""  # the operators' console, with an ops token


def descendants(pid: int) -> set[int]:
    """All live processes below pid, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":  # zombies are already dead
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    live = set()
    for pid in pids:
        try:
            if (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z":
                live.add(pid)
        except OSError:
            pass
    return live


async def wait_until_gone(pids: set[int], timeout: float) -> set[int]:
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + timeout
    while alive(pids) and loop.time() < give_up_at:
        await asyncio.sleep(0.05)  # processes we did not spawn cannot be awaited; poll /proc
    return alive(pids)


async def kill_tree(process: asyncio.subprocess.Process) -> None:
    """A test's own process tree gone, whatever state it was left in: SIGKILL, then its children gone too."""
    if process.returncode is None:
        kids = descendants(process.pid)
        process.kill()
        await process.wait()
        await wait_until_gone(kids, 10)


@contextlib.asynccontextmanager
async def running_pod(state_dir: Path, env: Mapping[str, str] | None = None, *args: str) -> AsyncIterator[Pod]:
    """`voicepod up --http-port 0` until its banner is printed; killed (children too) on leaving."""
    env = {**os.environ, "VOICEPOD_LOG_FORMAT": "json", **LOOPBACK_ENV, **(env or {})}
    env.pop("NATS_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pod.cli",
        "up",
        "--http-port",
        "0",
        "--state-dir",
        str(state_dir),
        *args,  # more `voicepod up` options
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    assert process.stdout is not None
    banner: list[str] = []
    try:
        async with asyncio.timeout(90):
            while not banner or not banner[-1].startswith("Press Ctrl-C"):
                line = await process.stdout.readline()
                assert line, f"voicepod up exited early with {await process.wait()}"
                banner.append(line.decode().rstrip())
        urls = {k.strip(): v.strip() for k, v in (line.split(": ", 1) for line in banner if ": " in line)}
        yield Pod(
            process, urls["gateway"], urls["nats"], banner, urls["open"], urls["metrics"], urls["desk"], urls["console"]
        )
    finally:
        await kill_tree(process)


def child_pid(pod: Pod, name: str) -> int:
    """The pid of the pod's child `name`: a service's name, or "nats-server"."""
    for pid in descendants(pod.process.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if name == "nats-server" and argv[0].endswith(b"nats-server"):
            return pid
        if b"service" in argv and name.encode() in argv:
            return pid
    raise LookupError(f"no live {name} under the pod")
