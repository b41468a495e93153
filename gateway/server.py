"""Running the gateway process: connect to NATS, serve HTTP, drain on SIGTERM."""

from __future__ import annotations

import contextlib

import structlog
from aiohttp import web

from bus.client import BusClient
from bus.connection import connect
from bus.settings import BusSettings
from bus.signals import wait_for_stop_signal
from gateway.app import GatewayState, build_app
from gateway.settings import GatewaySettings

log = structlog.get_logger("gateway.server")


async def run_gateway(settings: GatewaySettings, bus_settings: BusSettings) -> None:
    nc = await connect(bus_settings, name="voicepod-gateway")
    state = GatewayState(nc=nc, bus=BusClient(nc))
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.http_port).start()
        log.info("gateway_listening", host=settings.host, port=settings.http_port)
        sig = await wait_for_stop_signal()
        # Readiness turns false first so load balancers stop sending new callers.
        state.draining = True
        log.info("stop_signal", signal=sig.name, live_calls=len(state.calls))
    finally:
        await runner.cleanup()
        with contextlib.suppress(Exception):
            await nc.drain()
