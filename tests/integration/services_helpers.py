"""Running a service in-process the way `voicepod service NAME` does: its lifespan opens
its store, the bus runtime serves its routes on the test nats-server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from nats.aio.client import Client as NATS

from bus.runner import ServiceDefinition, ServiceEnv
from bus.service import ServiceRuntime
from bus.settings import BusSettings


@asynccontextmanager
async def running(
    definition: ServiceDefinition, nc: NATS, settings: BusSettings | None = None
) -> AsyncIterator[ServiceRuntime]:
    async with definition.lifespan(ServiceEnv(nc, settings or BusSettings())) as routes:
        runtime = ServiceRuntime(
            nc, name=definition.name, version=definition.version, description=definition.description, routes=routes
        )
        await runtime.start()
        try:
            yield runtime
        finally:
            await runtime.stop(timeout=5)
