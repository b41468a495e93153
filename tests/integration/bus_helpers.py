"""Helpers for bus tests: a runtime serving given routes on the test server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from nats.aio.client import Client as NATS

from bus.service import Route, ServiceRuntime


@asynccontextmanager
async def serving(
    nc: NATS, name: str, routes: Sequence[Route[Any, Any]], **kwargs: Any
) -> AsyncIterator[ServiceRuntime]:
    runtime = ServiceRuntime(nc, name=name, version="1.0.0", description=f"test {name}", routes=routes, **kwargs)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop(timeout=5)
