"""An in-process gateway on a free port, on the test nats-server."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from nats.aio.client import Client as NATS

from bus import events
from bus.client import BusClient
from gateway.app import build_app
from gateway.calls import CallRegistry
from gateway.providers.settings import ProviderSettings
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.rtc.ice_options import LOOPBACK
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from gateway.turns import TurnSettings
from tests.local_http import serve_app

SECRET = b"test-secret-0123456789-0123456789-0123456789"  # >= 32 bytes, as the gateway requires
# Test calls stay on 127.0.0.1: the gateway gathers there and takes loopback candidates
# (VOICEPOD_ICE_ADDRESSES, VOICEPOD_ICE_ALLOW_LOOPBACK); callers pass this (`--ice-address`).
CALLER_ICE = ("127.0.0.1",)


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
    turn_settings = overrides.pop("turn_settings", TurnSettings())
    udp_mux = overrides.pop("udp_mux", None)  # the shared media port, opened by the test
    settings = dataclasses.replace(GatewaySettings(auth_secret=SECRET, stats_interval=0.5, ice=LOOPBACK), **overrides)
    state = GatewayState(settings=settings, nc=nc, bus=BusClient(nc), calls=CallRegistry(settings.max_calls),
                         stt=WhisperLocal(incremental=ProviderSettings.stt_incremental) if stt == "whisper"
                         else None if stt == "none" else stt,
                         turn_settings=turn_settings, udp_mux=udp_mux)  # fmt: skip
    for stream in (events.AUDIT, events.TRANSCRIPT):
        await events.ensure_stream(nc.jetstream(), stream)
    async with serve_app(build_app(state)) as url:
        try:
            yield RunningGateway(state, url)
        finally:
            await state.calls.end_all("shutdown")


def event_is(kind: str, turn: int) -> Callable[[dict[str, Any]], bool]:
    """A call event to hang up on (`place_call(hang_up_on=...)`): the call has shown what the test
    needs, so the caller does not sit out a fixed tail."""
    return lambda event: event.get("type") == kind and event.get("turn") == turn


async def next_signal(ws: Any, timeout: float = 10) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The next signalling message on a /ws client socket, and the call events that came before it
    (the lean media stack sends them on the socket)."""
    events: list[dict[str, Any]] = []
    while True:
        msg = await ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        message = json.loads(msg.data)
        if message.get("type") != "event":
            return events, message
        events.append(message["event"])
