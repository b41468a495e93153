"""The gateway's aiohttp application: routes and their shared state."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from nats.aio.client import Client as NATS

from bus.client import BusClient
from bus.ops_http import healthz_handler, metrics_handler, readyz_handler

STATIC_DIR = Path(__file__).parent / "static"


@dataclass
class GatewayState:
    nc: NATS
    bus: BusClient
    draining: bool = False
    calls: dict[str, object] = field(default_factory=dict)

    def readiness(self) -> dict[str, bool]:
        return {"nats": self.nc.is_connected, "accepting_calls": not self.draining}


STATE_KEY = web.AppKey("state", GatewayState)


async def index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


def build_app(state: GatewayState) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[STATE_KEY] = state
    app.router.add_get("/", index)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/healthz", healthz_handler)
    app.router.add_get("/readyz", readyz_handler(state.readiness))
    return app
