"""Running one service process: connect, serve the routes, drain on SIGTERM.

A service supplies a ServiceDefinition; everything else (NATS, metrics, health,
shutdown) is the same for all six, and lives here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import structlog
from nats.aio.client import Client as NATS

from bus import tracing
from bus.connection import connect
from bus.ops_http import OpsServer
from bus.service import Route, ServiceRuntime
from bus.settings import BusSettings
from bus.signals import wait_for_stop_signal

log = structlog.get_logger("bus.runner")


@dataclass(frozen=True, slots=True)
class ServiceEnv:
    """What a service's lifespan gets to open its stores and consumers."""

    nc: NATS
    settings: BusSettings


Lifespan = Callable[[ServiceEnv], AbstractAsyncContextManager[Sequence[Route[Any, Any]]]]


@dataclass(frozen=True, slots=True)
class ServiceDefinition:
    name: str
    version: str
    description: str
    # Opens what the handlers need (stores, consumers), yields the routes, closes them after drain.
    lifespan: Lifespan
    # Default port of the process's /metrics, /healthz and /readyz.
    ops_port: int


async def run_service(
    definition: ServiceDefinition,
    settings: BusSettings,
    *,
    ops_host: str = "127.0.0.1",
    ops_port: int | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT, then stop taking requests, drain, and exit."""
    tracing.start(settings, f"voicepod-{definition.name}")  # before the lifespan: its store is traced too
    nc = await connect(settings, name=f"voicepod-{definition.name}", inbox=definition.name)
    runtime: ServiceRuntime | None = None

    def readiness() -> dict[str, bool]:
        return {"nats": nc.is_connected, "service": runtime is not None and runtime.running}

    ops = OpsServer(ops_host, definition.ops_port if ops_port is None else ops_port, readiness)
    await ops.start()
    try:
        async with definition.lifespan(ServiceEnv(nc, settings)) as routes:
            runtime = ServiceRuntime(
                nc,
                name=definition.name,
                version=definition.version,
                description=definition.description,
                routes=routes,
                max_in_flight=settings.max_in_flight,
            )
            await runtime.start()
            sig = await wait_for_stop_signal()
            log.info("stop_signal", signal=sig.name)
            await runtime.stop(timeout=settings.drain_timeout)
    finally:
        with contextlib.suppress(Exception):
            await nc.drain()
        await ops.stop()
        await asyncio.to_thread(tracing.stop)  # the last batch of spans, sent off the loop


@contextlib.asynccontextmanager
async def serving_in_process(
    definition: ServiceDefinition, nc: NATS, settings: BusSettings | None = None
) -> AsyncIterator[ServiceRuntime]:
    """A service on `nc` in this process until the block ends (the evals' world and the tests run
    the services this way: no process, no ops port, no signals)."""
    async with definition.lifespan(ServiceEnv(nc, settings or BusSettings())) as routes:
        runtime = ServiceRuntime(
            nc, name=definition.name, version=definition.version, description=definition.description, routes=routes
        )
        await runtime.start()
        try:
            yield runtime
        finally:
            await runtime.stop(timeout=5)
