"""An outbound-calling gateway for tests: the Twilio REST stand-in, the gateway (settings pointed at
it, voicepod.phone.dial served), the sms service (its opt-out list is the do-not-call list), and a
scripted agent whose greeting and voicemail are tones of known lengths."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from nats.aio.client import Client as NATS

from bus import events, subjects
from bus.client import BusClient
from bus.contracts import events_pb2, phone_pb2
from gateway.call import Call
from gateway.link.phone.dial_service import dial_service
from gateway.link.phone.dialer import Dialer
from gateway.media.pcm import OUT_RATE
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.responder import CallerTurn, Speech
from services.sms.service import DEFINITION as SMS
from tests.fakes.twilio_standin import TwilioCallsApi, TwilioStandIn
from tests.integration.gateway_helpers import RunningGateway
from tests.integration.phone.phone_helpers import TWILIO_AUTH_TOKEN, phone_gateway
from tests.integration.services_helpers import running
from tests.local_http import serve_app

ACCOUNT_SID = "AC" + "1" * 32
OUR_NUMBER = "+15005550006"
CALLEE = "+15125550147"
GREETING = "Hi, this is Ava from Voicepod Realty, calling you back."
VOICEMAIL = "Hi, it's Ava from Voicepod Realty. Please call us back. Goodbye!"


def tone(seconds: float) -> np.ndarray[Any, np.dtype[np.int16]]:
    return (np.sin(np.arange(int(OUT_RATE * seconds)) * 2 * np.pi * 440 / OUT_RATE) * 8000).astype(np.int16)


class ScriptedAgent:
    """Greets with half a second of tone, leaves a one-second voicemail, answers turns with nothing."""

    def __init__(self) -> None:
        self.turns: list[str] = []
        self.answered = asyncio.Event()  # a turn reached the agent

    async def greeting(self) -> Speech | None:
        return Speech(text=GREETING, audio=tone(0.5))

    async def voicemail(self) -> Speech | None:
        return Speech(text=VOICEMAIL, audio=tone(1.0))

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        self.turns.append(turn.text)
        self.answered.set()
        return
        yield

    def heard(self, turn: int, text: str) -> None:
        pass

    def listening_for(self) -> SpeechContext:
        return NO_CONTEXT

    async def close(self) -> None:
        pass


@dataclass
class Outbound:
    gw: RunningGateway
    api: TwilioCallsApi
    dialer: Dialer
    agent: ScriptedAgent
    started: asyncio.Queue[Call]  # each call as the gateway builds its agent

    async def next_call(self, timeout: float = 10.0) -> Call:
        return await asyncio.wait_for(self.started.get(), timeout)


@asynccontextmanager
async def outbound_gateway(nc: NATS, **phone: Any) -> AsyncIterator[Outbound]:
    api = TwilioCallsApi(ACCOUNT_SID, TWILIO_AUTH_TOKEN)
    agent = ScriptedAgent()
    async with serve_app(api.app()) as api_url, phone_gateway(nc) as gw, running(SMS, nc):
        settings = gw.state.settings
        dialling = {"public_url": gw.http_url, "twilio_account_sid": ACCOUNT_SID, "from_number": OUR_NUMBER,
                    "twilio_api_base": api_url, **phone}  # fmt: skip
        gw.state.settings = dataclasses.replace(settings, phone=dataclasses.replace(settings.phone, **dialling))
        started: asyncio.Queue[Call] = asyncio.Queue()

        def responder(call: Call) -> ScriptedAgent:
            started.put_nowait(call)
            return agent

        gw.state.responder_factory = responder
        async with dial_service(gw.state) as dialer:
            yield Outbound(gw, api, dialer, agent, started)


async def audit_of(nc: NATS, call_id: str, action: str, *, timeout: float = 10.0) -> events_pb2.AuditEvent:
    """The first audit event with this action in the call's trail (JetStream)."""
    sub = await nc.jetstream().subscribe(events.AUDIT.subject_for(call_id), ordered_consumer=True)
    try:
        async with asyncio.timeout(timeout):
            while True:
                event = events_pb2.AuditEvent()
                event.ParseFromString((await sub.next_msg(timeout=timeout)).data)
                if event.action == action:
                    return event
    finally:
        await sub.unsubscribe()


async def dial(nc: NATS, to: str = CALLEE) -> phone_pb2.DialCallResponse:
    return await BusClient(nc).call(subjects.DIAL_CALL, phone_pb2.DialCallRequest(to_phone=to, purpose="callback"))


async def answered(o: Outbound, reply: phone_pb2.DialCallResponse) -> TwilioStandIn:
    """Twilio rings the callee, who picks up: the stream the call's TwiML names starts."""
    callee = TwilioStandIn(o.gw.http_url, TWILIO_AUTH_TOKEN, caller=OUR_NUMBER, called=CALLEE)
    callee.account_sid, callee.call_sid = ACCOUNT_SID, reply.call_sid
    callee.answer(o.api.created[-1]["Twiml"][0])
    await callee.connect()
    return callee
