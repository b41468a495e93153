"""Waiting for SIGTERM/SIGINT inside the event loop."""

from __future__ import annotations

import asyncio
import signal


async def wait_for_stop_signal() -> signal.Signals:
    """Return the first SIGTERM or SIGINT this process receives."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[signal.Signals] = loop.create_future()
    wanted = (signal.SIGTERM, signal.SIGINT)
    for sig in wanted:
        loop.add_signal_handler(sig, lambda s=sig: received.done() or received.set_result(s))
    try:
        return await received
    finally:
        for sig in wanted:
            loop.remove_signal_handler(sig)
