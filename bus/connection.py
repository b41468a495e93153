"""Connecting to NATS: named connection, retry until it comes up, reconnect forever."""

from __future__ import annotations

import asyncio

import structlog
from nats.aio.client import Client as NATS

from bus import metrics
from bus.settings import BusSettings
from bus.tls import client_tls_context

log = structlog.get_logger("bus.connection")


async def connect(settings: BusSettings, *, name: str, inbox: str = "") -> NATS:
    """Connect, retrying for up to settings.connect_timeout seconds.

    After the first connection nats-py reconnects by itself; we only count and log.
    `inbox` names this process's reply subjects (`_INBOX.<inbox>.…`), so NATS permissions
    can let each process read only its own replies.
    """

    async def disconnected() -> None:
        metrics.NATS_CONNECTED.set(0)
        if nc.is_closed or nc.is_draining:
            log.info("nats_closed")  # our own drain at shutdown, not a fault
            return
        metrics.NATS_DISCONNECTS.inc()
        log.warning("nats_disconnected")

    async def reconnected() -> None:
        metrics.NATS_CONNECTED.set(1)
        metrics.NATS_RECONNECTS.inc()
        log.info("nats_reconnected", url=nc.connected_url.geturl() if nc.connected_url else None)

    async def error(exc: Exception) -> None:
        log.warning("nats_error", error=str(exc) or type(exc).__name__)

    tls = client_tls_context(settings)  # bad TLS settings fail here, before any retrying
    nc = NATS()
    try:
        # With max_reconnect_attempts=-1 nats-py also retries the first connection
        # (every reconnect_time_wait), so we only bound the total wait.
        await asyncio.wait_for(
            nc.connect(
                settings.nats_url,
                name=name,
                connect_timeout=2,
                # nats-py annotates this int, but sleeps for it as seconds: a float is fine.
                reconnect_time_wait=0.5,  # type: ignore[arg-type]
                max_reconnect_attempts=-1,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                error_cb=error,
                drain_timeout=int(max(1, settings.drain_timeout)),
                inbox_prefix=f"_INBOX.{inbox}" if inbox else "_INBOX",
                user=settings.nats_user or None,
                password=settings.nats_password or None,
                # With TLS on, the handshake comes before any byte of the NATS protocol (bus/tls.py).
                tls=tls,
                tls_handshake_first=tls is not None,
            ),
            timeout=settings.connect_timeout,
        )
    except TimeoutError:
        await nc.close()
        raise ConnectionError(f"cannot reach NATS at {settings.nats_url} within {settings.connect_timeout}s") from None
    metrics.NATS_CONNECTED.set(1)
    log.info("nats_connected", url=settings.nats_url, name=name, tls=tls is not None)
    return nc
