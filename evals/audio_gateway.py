"""The gateway as `voicepod gateway` runs it offline (Silero VAD, whisper tiny.en, Piper, the agent),
in this process on a free port, started once per audio run: loading the models costs more than
a scenario. Each scenario plugs in its own agent (its world's bus, its clock) before it dials.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from aiohttp import web
from nats.aio.client import Client as NATS

from bus import events
from bus.client import BusClient
from bus.connection import connect
from bus.settings import BusSettings
from gateway import auth
from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import DialogEngine
from gateway.agent.responder import AgentResponder
from gateway.agent.tools import ToolObserver
from gateway.app import GatewayState, build_app
from gateway.call import Call
from gateway.calls import CallRegistry
from gateway.providers.stt.whisper_by_slot import WhisperBySlot
from gateway.providers.tts.piper_local import PiperLocal
from gateway.responder import Responder
from gateway.rtc.ice_options import LOOPBACK
from gateway.settings import GatewaySettings
from pod.ports import free_port


def agent_responder(new_dialog: Callable[[ToolObserver], FrameDialog], tts: PiperLocal) -> Callable[[Call], Responder]:
    """A responder factory as gateway.agent.factory builds it (tool activity on the call's events),
    around the dialog `new_dialog` makes."""

    def make(call: Call) -> Responder:
        def observe(tool: str, phase: str, details: Mapping[str, Any]) -> None:
            if phase == "started":
                call.events.send("tool.started", tool=tool)
                return
            call.usage.tool_call(tool, details["outcome"])
            call.events.send("tool.finished", tool=tool, outcome=details["outcome"],
                             seconds=round(details["seconds"], 3))  # fmt: skip

        dialog = new_dialog(observe)
        return AgentResponder(DialogEngine(dialog), tts, call.usage, emit=call.events.send,
                              cities=tuple(dialog.config.cities))  # fmt: skip

    return make


class AudioGateway:
    def __init__(self, nats_url: str, agent_name: str) -> None:
        self.nats_url = nats_url
        self.agent_name = agent_name
        self.secret = os.urandom(32)
        self.stt = WhisperBySlot()  # the offline default: base on phone-number turns, tiny.en for the rest
        self.tts = PiperLocal()
        self.ws_url = ""
        self._nc: NATS | None = None
        self._runner: web.AppRunner | None = None
        self.state: GatewayState | None = None

    def token(self) -> str:
        return auth.mint(self.secret, ttl_seconds=3600)

    def answer_with(self, factory: Callable[[Call], Responder]) -> None:
        """The next call is answered by `factory`'s responder."""
        assert self.state is not None
        self.state.responder_factory = factory

    async def __aenter__(self) -> AudioGateway:
        for warm_up in (self.stt.warm_up, self.tts.warm_up):
            await asyncio.to_thread(warm_up)  # load and hash-check the models before the first call
        self._nc = await connect(BusSettings(nats_url=self.nats_url, connect_timeout=10), name="voicepod-eval-gateway",
                                 inbox="gateway")  # fmt: skip
        # Media on 127.0.0.1 only (the eval's caller gathers there too: evals/audio_caller.py).
        settings = GatewaySettings(auth_secret=self.secret, stats_interval=1.0, agent=self.agent_name, ice=LOOPBACK)
        registry = CallRegistry(settings.max_calls)
        self.state = GatewayState(settings=settings, nc=self._nc, bus=BusClient(self._nc), calls=registry,
                                  stt=self.stt, agent_name=self.agent_name)  # fmt: skip
        for stream in (events.AUDIT, events.TRANSCRIPT):
            await events.ensure_stream(self._nc.jetstream(), stream)
        self._runner = web.AppRunner(build_app(self.state), access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.state is not None:
            await self.state.calls.end_all("shutdown")
        if self._runner is not None:
            await self._runner.cleanup()
        if self._nc is not None:
            await self._nc.close()
