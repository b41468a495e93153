"""The gateway's aiohttp applications: the public one callers reach (the page, /ws, /calls, health)
and the ops one for the cluster (/metrics, health) on a port of its own; the state they share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from nats.aio.client import Client as NATS

from bus.client import BusClient
from bus.ops_http import healthz_handler, metrics_handler, readyz_handler
from gateway import auth
from gateway.call import Call
from gateway.calls import CallRegistry
from gateway.providers.stt import SpeechToText
from gateway.responder import EchoResponder, Responder
from gateway.settings import GatewaySettings
from gateway.signaling import request_token, websocket
from gateway.turns import TurnSettings

STATIC_DIR = Path(__file__).parent / "static"
OPS_AUDIENCE = "voicepod-ops"


@dataclass
class GatewayState:
    settings: GatewaySettings
    nc: NATS
    bus: BusClient
    calls: CallRegistry
    turn_settings: TurnSettings = field(default_factory=TurnSettings)
    # Builds each call's responder (the agent); it gets the call for its id, events and recorder.
    responder_factory: Callable[[Call], Responder] = lambda _call: EchoResponder()
    agent_name: str = "echo"
    # One STT per process, shared by its calls (None: turns go to the responder as audio only).
    stt: SpeechToText | None = None
    draining: bool = False
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def readiness(self) -> dict[str, bool]:
        return {"nats": self.nc.is_connected, "accepting_calls": not self.draining}

    def new_call(self, on_end: Callable[[Call, str], None], post: Callable[[dict[str, Any]], None]) -> Call:
        return Call(self.settings, self.turn_settings, self.responder_factory, on_end, stt=self.stt,
                    js=self.nc.jetstream(), agent_name=self.agent_name, post=post)  # fmt: skip

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


STATE_KEY = web.AppKey("state", GatewayState)


async def index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def list_calls(request: web.Request) -> web.Response:
    """Live calls with their media figures. Needs a token minted for the ops audience."""
    state = request.app[STATE_KEY]
    if not state.settings.dev_mode:
        token = request_token(request)
        try:
            auth.verify(state.settings.auth_secret, token or "", audience=OPS_AUDIENCE,
                        max_lifetime=state.settings.max_token_seconds)  # fmt: skip
        except auth.TokenError as exc:
            return web.json_response({"error": "unauthorized", "reason": exc.reason, "message": str(exc)}, status=401)
    return web.json_response({"calls": [c.summary() for c in state.calls.all()], "max_calls": state.calls.max_calls})


def build_app(state: GatewayState) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[STATE_KEY] = state
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/calls", list_calls)
    # Load balancers probe the call port; /metrics is on the ops port only (build_ops_app).
    app.router.add_get("/healthz", healthz_handler)
    app.router.add_get("/readyz", readyz_handler(state.readiness))
    return app


def build_ops_app(state: GatewayState) -> web.Application:
    """VOICEPOD_OPS_HOST:VOICEPOD_OPS_PORT, for Prometheus and the cluster's probes, not for callers."""
    app = web.Application(client_max_size=1024)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/healthz", healthz_handler)
    app.router.add_get("/readyz", readyz_handler(state.readiness))
    return app
