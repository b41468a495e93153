"""An in-process gateway on a free port, on the test nats-server."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client as NATS

from bus import events
from bus.client import BusClient
from gateway.app import GatewayState, build_app
from gateway.calls import CallRegistry
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.settings import GatewaySettings
from tests.local_http import serve_app

SECRET = b"test-secret-0123456789"


@dataclass
class RunningGateway:
    state: GatewayState
    http_url: str

    @property
    def ws_url(self) -> str:
        return self.http_url.replace("http://", "ws://") + "/ws"


@asynccontextmanager
async def gateway(nc: NATS, **overrides: Any) -> AsyncIterator[RunningGateway]:
    stt = overrides.pop("stt", "none")
    settings = dataclasses.replace(GatewaySettings(auth_secret=SECRET, stats_interval=0.5), **overrides)
    state = GatewayState(settings=settings, nc=nc, bus=BusClient(nc), calls=CallRegistry(settings.max_calls),
                         stt=WhisperLocal() if stt == "whisper" else None)  # fmt: skip
    for stream in (events.AUDIT, events.TRANSCRIPT):
        await events.ensure_stream(nc.jetstream(), stream)
    async with serve_app(build_app(state)) as url:
        try:
            yield RunningGateway(state, url)
        finally:
            await state.calls.end_all("shutdown")
