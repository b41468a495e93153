"""Waiting for SIGTERM/SIGINT inside the event loop."""

from __future__ import annotations

import asyncio
import signal


async def wait_for_stop_signal() -> signal.Signals:
    """Return the first SIGTERM or SIGINT this process receives."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[signal.Signals] = loop.create_future()
    wanted = (signal.SIGTERM, signal.SIGINT)

    def first(sig: signal.Signals) -> None:
        if not received.done():
            received.set_result(sig)

    for sig in wanted:
        loop.add_signal_handler(sig, first, sig)
    try:
        return await received
    finally:
        for sig in wanted:
            loop.remove_signal_handler(sig)
