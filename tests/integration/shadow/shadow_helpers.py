"""A gateway in shadow mode on the test nats-server, and a way to follow a leg's events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from nats.aio.client import Client as NATS

from gateway.agent.config import AgentConfig
from gateway.media.pcm import Pcm
from gateway.providers.stt import Interim, PerTurnSession, SttSession, Transcript
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.shadow.desk import Desk
from tests.integration.gateway_helpers import RunningGateway, gateway


@contextlib.asynccontextmanager
async def shadow_gateway(nc: NATS, **overrides: Any) -> AsyncIterator[RunningGateway]:
    """The gateway as `VOICEPOD_SHADOW=on voicepod gateway` runs it: callers queue for the desk, the
    real-estate agent recommends."""
    async with gateway(nc, shadow=True, **overrides) as gw:
        s = gw.state
        if s.stt is not None and hasattr(s.stt, "warm_up"):
            await asyncio.to_thread(s.stt.warm_up)  # the model loaded before the first caller, as the server does
        s.desk = Desk(AgentConfig.load("real_estate"), s.bus, s.settings, s.turn_settings, s.stt, nc.jetstream())
        s.agent_name = "real_estate"
        try:
            yield gw
        finally:
            await s.desk.end_all("shutdown")


class Watch:
    """A leg's events as they arrive, and a wait for a condition on them (no sleeps: each event wakes it)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: str, **fields: Any) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind and all(e.get(k) == v for k, v in fields.items())]

    def more_than(self, count: int, kind: str, **fields: Any) -> bool:
        return len(self.of(kind, **fields)) > count

    async def until(self, ready: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not ready():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            kinds = [e["type"] for e in self.events]
            raise AssertionError(f"timed out waiting for {what}; events: {kinds}") from None


class ScriptedHearing:
    """An STT that hears what each leg is scripted to say: the n-th session opened hears, turn by turn,
    the lines of `scripts[n]` (the desk's leg opens first when the person is at the desk before the
    caller rings); a session past them hears nothing. Our VAD still decides where the turns are, on
    the real audio each side sends."""

    name = "scripted"
    takes_opus = False
    detects_turns = False

    def __init__(self, *scripts: Sequence[str]) -> None:
        self._scripts = [list(script) for script in scripts]
        self.heard: list[list[str]] = [[] for _ in scripts]  # what each session heard, turn by turn
        self._opened = 0

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> SttSession:
        index, self._opened = self._opened, self._opened + 1
        if index >= len(self._scripts):  # a session nobody scripted: it hears nothing
            self._scripts.append([])
            self.heard.append([])
        return PerTurnSession(_Script(self._scripts[index], self.heard[index]))


class _Script:
    def __init__(self, lines: list[str], heard: list[str]) -> None:
        self._lines, self._heard = lines, heard

    async def transcribe(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript:
        text = self._lines.pop(0) if self._lines else ""  # past the script: heard as nothing
        self._heard.append(text)
        return Transcript(text, 1.0, 0.0, audio_seconds=len(audio) / 16_000)
