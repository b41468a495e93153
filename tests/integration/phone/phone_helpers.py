"""A gateway that takes Twilio calls, and reading a call's transcript events back from JetStream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from bus import events
from bus.contracts import events_pb2
from gateway.phone_settings import PhoneSettings
from tests.integration.gateway_helpers import RunningGateway, gateway

TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"  # the shape of a Twilio auth token


@asynccontextmanager
async def phone_gateway(nc: NATS, **overrides: Any) -> AsyncIterator[RunningGateway]:
    async with gateway(nc, phone=PhoneSettings(twilio_auth_token=TWILIO_AUTH_TOKEN), **overrides) as gw:
        yield gw


async def transcript_of(nc: NATS, call_id: str, *, timeout: float = 10.0) -> list[events_pb2.TranscriptEvent]:
    """The call's transcript events as stored in JetStream, up to and including its CallEnded."""
    sub = await nc.jetstream().subscribe(events.TRANSCRIPT.subject_for(call_id), ordered_consumer=True)
    found: list[events_pb2.TranscriptEvent] = []
    try:
        while not found or not found[-1].HasField("call_ended"):
            msg = await sub.next_msg(timeout=timeout)
            event = events_pb2.TranscriptEvent()
            event.ParseFromString(msg.data)
            found.append(event)
    finally:
        await sub.unsubscribe()
    return found


async def turn_said(nc: NATS, call_id: str, text: str, *, timeout: float = 10.0) -> None:
    """Wait until the call's transcript has a turn with this text."""
    sub = await nc.jetstream().subscribe(events.TRANSCRIPT.subject_for(call_id), ordered_consumer=True)
    try:
        async with asyncio.timeout(timeout):
            while True:
                event = events_pb2.TranscriptEvent()
                event.ParseFromString((await sub.next_msg(timeout=timeout)).data)
                if event.HasField("turn") and event.turn.text == text:
                    return
    finally:
        await sub.unsubscribe()


class AgentLines:
    """The agent's lines as the call's transcript publishes them (played, as far as heard)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._taken = 0

    def take(self) -> list[str]:
        """The lines since the last take."""
        new, self._taken = self.lines[self._taken :], len(self.lines)
        return new


@asynccontextmanager
async def agent_lines(nc: NATS) -> AsyncIterator[AgentLines]:
    heard = AgentLines()

    async def on_event(msg: Msg) -> None:
        event = events_pb2.TranscriptEvent()
        event.ParseFromString(msg.data)
        if event.HasField("turn") and event.turn.speaker == events_pb2.SPEAKER_AGENT:
            heard.lines.append(event.turn.text)

    sub = await nc.subscribe(f"{events.TRANSCRIPT.subject_prefix}.>", cb=on_event)
    try:
        yield heard
    finally:
        await sub.unsubscribe()
