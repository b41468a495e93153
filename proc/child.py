"""One supervised child process: start, health, stop (TERM then KILL), and restarting
children that exit (`keep_restarting`, used by `voicepod up` and by the gateway's workers)."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger("proc.child")

HealthCheck = Callable[[], Awaitable[bool]]

STABLE_SECONDS = 60.0  # a child that ran this long gets its restart back-off reset
MAX_BACKOFF = 10.0

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: get SIGTERM if the supervisor dies, even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True, slots=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    health: HealthCheck


class Child:
    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self.started_at = 0.0  # loop time of the last start

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.spec.argv,
            env={**os.environ, **self.spec.env},
            stdin=asyncio.subprocess.DEVNULL,
            # Own session: a Ctrl-C in the terminal reaches only the supervisor,
            # which then stops the children in order.
            start_new_session=True,
            preexec_fn=_die_with_parent if os.uname().sysname == "Linux" else None,
        )
        self.started_at = asyncio.get_running_loop().time()
        log.info("child_started", child=self.spec.name, pid=self.process.pid)

    async def wait_healthy(self, timeout: float) -> None:
        """Poll the health check until it passes; fail fast if the process exits."""
        assert self.process is not None
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + timeout
        interval = 0.05
        while not await self.spec.health():
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.spec.name} exited with code {self.process.returncode} while starting")
            if loop.time() > give_up_at:
                raise TimeoutError(f"{self.spec.name} not healthy after {timeout:.0f}s")
            # Polling a health probe, as an orchestrator does; the child has no other way to say "ready".
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, 0.5)

    async def stop(self, timeout: float) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds. Returns the exit code."""
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            log.warning("child_kill", child=self.spec.name, pid=self.process.pid, after_seconds=timeout)
            self.process.kill()
            return await self.process.wait()


async def keep_restarting(
    children: Sequence[Child], stop: asyncio.Event, on_exit: Callable[[Child], None] | None = None
) -> None:
    """Until `stop` is set: restart any child that exits, with back-off (0.5 s doubling to
    MAX_BACKOFF, reset after STABLE_SECONDS of running). `on_exit` sees each exit first."""
    stopping = asyncio.create_task(stop.wait())
    # Any: `done` mixes these with `stopping` (a Task[Literal[True]]), and Task is invariant.
    exits: dict[asyncio.Task[Any], Child] = {asyncio.create_task(_exited(c)): c for c in children}
    try:
        while True:
            done, _ = await asyncio.wait({stopping, *exits}, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                return
            for task in done:
                child = exits.pop(task)
                if on_exit is not None:
                    on_exit(child)
                exits[asyncio.create_task(_restart(child))] = child
    finally:
        for task in (stopping, *exits):
            task.cancel()


async def _exited(child: Child) -> None:
    assert child.process is not None
    await child.process.wait()


async def _restart(child: Child) -> None:
    code = child.process.returncode if child.process else None
    if asyncio.get_running_loop().time() - child.started_at > STABLE_SECONDS:
        child.restarts = 0  # a crash after a long healthy run is not a crash loop: restart at once
    delay = min(0.5 * 2**child.restarts, MAX_BACKOFF)
    child.restarts += 1
    log.warning("child_exited", child=child.spec.name, code=code, restart_in_seconds=delay)
    await asyncio.sleep(delay)  # back-off before restarting, so a crash loop does not spin
    await child.start()
    await _exited(child)
