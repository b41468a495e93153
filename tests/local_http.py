"""An aiohttp app served on 127.0.0.1 at a free port for the length of a test (fakes, test pages)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from proc.ports import free_port


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Yield the app's base URL (http://127.0.0.1:PORT); cleaned up afterwards."""
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
