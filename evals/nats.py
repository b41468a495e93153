"""One nats-server for a whole eval run: JetStream on, a free port, data in the run's temp dir.

Started with the same argv and health probe as `voicepod up` (proc.nats_server, proc.child), so
evals exercise the bus as deployed. Scenarios get their isolation from fresh stores and their
own connection, not from a server each: starting one costs more than a scenario.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import aiohttp

from proc.child import Child, ChildSpec
from proc.nats_server import nats_server_argv
from proc.ports import free_port

STARTUP_SECONDS = 15.0


class NatsHost:
    def __init__(self, store_dir: Path) -> None:
        self.port, self.monitor_port = free_port(), free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self._store_dir = store_dir
        self._child: Child | None = None
        self._http: aiohttp.ClientSession | None = None

    async def _healthy(self) -> bool:
        assert self._http is not None
        try:
            url = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
            async with self._http.get(url) as resp:
                return resp.status == 200
        except (TimeoutError, aiohttp.ClientError):
            return False

    async def __aenter__(self) -> NatsHost:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2))
        argv = nats_server_argv(port=self.port, monitor_port=self.monitor_port, store_dir=self._store_dir)
        argv += ["--log", str(self._store_dir.parent / "nats-server.log")]  # not over the progress lines
        self._child = Child(ChildSpec("nats-server", argv, {}, self._healthy))
        try:
            await self._child.start()
            await self._child.wait_healthy(STARTUP_SECONDS)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._child is not None:
            await self._child.stop(timeout=5)
        if self._http is not None:
            await self._http.close()
