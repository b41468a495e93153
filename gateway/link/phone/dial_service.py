"""The gateway's own NATS endpoint: voicepod.phone.dial (a nats.micro service named "gateway",
queue group "gateway": one replica takes each request). Served whether or not dialling out is set
up, so a request always gets a clear answer (503 not_configured) rather than no responders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bus import subjects
from bus.service import ServiceRuntime, route
from gateway.link.phone.dialer import Dialer

if TYPE_CHECKING:
    from gateway.state import GatewayState


@asynccontextmanager
async def dial_service(state: GatewayState) -> AsyncIterator[Dialer]:
    dialer = Dialer(state.settings.phone, state.settings.auth_secret, state.bus, state.dials)
    runtime = ServiceRuntime(state.nc, name="gateway", version="0.1.0", description="Places outbound phone calls.",
                             routes=[route(subjects.DIAL_CALL, dialer.dial)], max_in_flight=8)  # fmt: skip
    await runtime.start()
    try:
        yield dialer
    finally:
        await runtime.stop()
        await dialer.close()
