"""The gateway process's shared state (settings, NATS, the calls, the agent's factory, the STT, the
media port), as the routes find it on the app: its own module, so the routes' modules (signalling,
the phone links) and app.py import it without importing each other."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from nats.aio.client import Client as NATS

from bus.client import BusClient
from gateway.call import Call
from gateway.call_origin import WEBRTC, CallOrigin
from gateway.calls import CallRegistry
from gateway.link.base import LinkOpener
from gateway.link.phone.dials import Dials
from gateway.providers.stt import SpeechToText
from gateway.responder import EchoResponder, Responder
from gateway.rtc.udp_mux import UdpMux
from gateway.settings import GatewaySettings
from gateway.shadow.desk import Desk
from gateway.turns import TurnSettings
from gateway.voicemail.answering import Answering

DECIDE = "decide"  # new_call's `voicemail`: decided there, now


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
    # The outbound calls placed here (voicepod.phone.dial), until Twilio's last callback about them.
    dials: Dials = field(default_factory=Dials)
    # The shared media port (VOICEPOD_RTC_UDP_PORT) every call's media goes through, if set.
    udp_mux: UdpMux | None = None
    # Shadow mode (VOICEPOD_SHADOW=on): callers queue for the people at the desk, the agent recommends.
    desk: Desk | None = None
    # Async mode: who leaves a voicemail instead (after hours, over capacity); None: nobody does.
    answering: Answering | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def readiness(self) -> dict[str, bool]:
        return {"nats": self.nc.is_connected, "accepting_calls": not self.draining}

    def voicemail_reason(self, origin: CallOrigin) -> str | None:
        """Async mode: why this caller leaves a voicemail now (after hours, every line taken), or None."""
        return self.answering.reason(origin, self.calls.full()) if self.answering is not None else None

    def new_call(self, on_end: Callable[[Call, str], None], post: Callable[[dict[str, Any]], None] | None = None,
                 origin: CallOrigin = WEBRTC, open_media: LinkOpener | None = None,
                 responder_factory: Callable[[Call], Responder] | None = None,
                 voicemail: str | None = DECIDE) -> Call:  # fmt: skip
        """`responder_factory`: the agent as this call needs it (an outbound call's waits to be answered).
        A caller who leaves a voicemail gets no STT: the message is heard later, by the async worker.
        `voicemail`: why the caller leaves one, or None, when the route decided it (shadow mode: a caller
        not sent to the desk must not reach the live agent by a line coming free meanwhile)."""
        stt = self.stt
        if voicemail == DECIDE:
            voicemail = self.voicemail_reason(origin)
        if voicemail is not None and self.answering is not None:
            responder_factory, stt = self.answering.responder(voicemail), None
        return Call(self.settings, self.turn_settings, responder_factory or self.responder_factory, on_end,
                    stt=stt, js=self.nc.jetstream(), agent_name=self.agent_name, post=post, origin=origin,
                    open_media=open_media, udp_mux=self.udp_mux)  # fmt: skip

    def lines_busy(self) -> bool:
        """No line for a new caller: all taken, and (async mode) every overflow voicemail line too."""
        if self.answering is None:
            return self.calls.full()
        return self.answering.refuses(len(self.calls), self.calls.max_calls)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


STATE_KEY = web.AppKey("state", GatewayState)
