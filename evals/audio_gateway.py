"""The gateway as `voicepod gateway` runs it offline (Silero VAD, whisper tiny.en, Piper, the agent),
in this process on a free port, started once per audio run: loading the models costs more than
a scenario. Each scenario plugs in its own agent (its world's bus, its clock) before it dials.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

from aiohttp import web
from nats.aio.client import Client as NATS

from bus import events
from bus.client import BusClient
from bus.connection import connect
from bus.settings import BusSettings
from caller.script import Conversation
from evals.caller_line import CallerLine, Channel, phone_line, webrtc_line
from gateway import auth
from gateway.agent.dialog import FrameDialog
from gateway.agent.engine import DialogEngine
from gateway.agent.responder import AgentResponder
from gateway.agent.tool_activity import show_tool_call
from gateway.agent.tools import ToolObserver
from gateway.app import build_app
from gateway.call import Call
from gateway.call_event_types import CallEvent, as_message
from gateway.call_history import ObservedEvents
from gateway.call_origin import Typing
from gateway.calls import CallRegistry
from gateway.phone_settings import PhoneSettings
from gateway.providers.settings import ProviderSettings
from gateway.providers.stt.whisper_by_slot import WhisperBySlot
from gateway.providers.tts.piper_local import PiperLocal
from gateway.responder import Responder
from gateway.rtc.ice_options import LOOPBACK
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from proc.ports import free_port


def agent_responder(
    new_dialog: Callable[[ToolObserver, Typing | None], FrameDialog], tts: PiperLocal
) -> Callable[[Call], Responder]:
    """A responder factory as gateway.agent.factory builds it (tool activity on the call's events),
    around the dialog `new_dialog` makes."""

    def make(call: Call) -> Responder:
        def observe(tool: str, phase: str, details: Mapping[str, Any]) -> None:
            show_tool_call(call, tool, phase, details)

        dialog = new_dialog(observe, call.origin.typing)
        return AgentResponder(DialogEngine(dialog), tts, call.usage, emit=call.events.send,
                              cities=tuple(dialog.config.cities))  # fmt: skip

    return make


class HandedEvents:
    """A call's events handed straight to an eval caller's Conversation (the in-process gateway's
    stand-in for the events channel a phone line does not have)."""

    def __init__(self, ears: Conversation) -> None:
        self._ears: Conversation | None = ears
        self.sent = 0

    def send(self, event: CallEvent) -> None:
        if self._ears is not None:
            self._ears.on_event(as_message(event))
            self.sent += 1

    def close(self) -> None:
        self._ears = None


class AudioGateway:
    def __init__(self, nats_url: str, agent_name: str) -> None:
        self.nats_url = nats_url
        self.agent_name = agent_name
        self.secret = os.urandom(32)
        self.twilio_auth_token = os.urandom(16).hex()  # the phone channel's webhooks are signed with it
        # The offline default: base on phone-number turns, tiny.en for the rest; decoding while the caller
        # speaks as VOICEPOD_STT_INCREMENTAL says (its default when unset), as `voicepod gateway` would.
        self.stt = WhisperBySlot(incremental=ProviderSettings.from_env().stt_incremental)
        self.tts = PiperLocal()
        self.ws_url = ""
        self.http_url = ""
        self.channel = ""  # the channel of the latest call, as the gateway has it
        self._nc: NATS | None = None
        self._runner: web.AppRunner | None = None
        self.state: GatewayState | None = None

    def token(self) -> str:
        return auth.mint(self.secret, ttl_seconds=3600)

    def answer_with(self, factory: Callable[[Call], Responder], ears: Conversation | None = None) -> None:
        """The next call is answered by `factory`'s responder. With `ears` (a phone caller's: a phone
        line carries no events), the call's events go to them, in this process."""
        assert self.state is not None

        def make(call: Call) -> Responder:
            self.channel = call.origin.channel  # what the call's records say it came on
            if ears is not None:
                # The responder is made before the call's turn loop takes its events: both get these.
                call.events = ObservedEvents(HandedEvents(ears), call.history.observe)
            return factory(call)

        self.state.responder_factory = make

    async def __aenter__(self) -> AudioGateway:
        for warm_up in (self.stt.warm_up, self.tts.warm_up):
            await asyncio.to_thread(warm_up)  # load and hash-check the models before the first call
        self._nc = await connect(BusSettings(nats_url=self.nats_url, connect_timeout=10), name="voicepod-eval-gateway",
                                 inbox="gateway")  # fmt: skip
        # Media on 127.0.0.1 only (the eval's caller gathers there too: evals/audio_caller.py).
        settings = GatewaySettings(auth_secret=self.secret, stats_interval=1.0, agent=self.agent_name, ice=LOOPBACK,
                                   phone=PhoneSettings(twilio_auth_token=self.twilio_auth_token))  # fmt: skip
        registry = CallRegistry(settings.max_calls)
        self.state = GatewayState(settings=settings, nc=self._nc, bus=BusClient(self._nc), calls=registry,
                                  stt=self.stt, agent_name=self.agent_name)  # fmt: skip
        for stream in (events.AUDIT, events.TRANSCRIPT):
            await events.ensure_stream(self._nc.jetstream(), stream)
        self._runner = web.AppRunner(build_app(self.state), access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.http_url = f"http://127.0.0.1:{port}"
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


def caller_line(
    gateway: AudioGateway, channel: Channel, factory: Callable[[Call], Responder], timeout: float, typing: bool = False
) -> AbstractAsyncContextManager[CallerLine]:
    """A call to `gateway` on `channel`, answered by `factory`'s responder; `typing`: a WebRTC caller
    has the page's text box (a phone never has)."""
    if channel == "phone":
        ears = Conversation()
        gateway.answer_with(factory, ears)
        return phone_line(gateway.http_url, gateway.twilio_auth_token, ears)
    gateway.answer_with(factory)
    return webrtc_line(gateway.ws_url, gateway.token(), timeout, typing=typing)
