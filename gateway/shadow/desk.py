"""The desk: callers wait in a queue until a person at the desk is free; each pair is a `Bridge`.

Callers reach it through the ordinary `/ws` when the gateway runs in shadow mode
(VOICEPOD_SHADOW=on), or through a phone bridge (`open_line`: the link the bridge opened, from
gateway/link/phone/); people through `/desk/ws` with an operator's token. A leg joins the queue
once its media is connected; whoever waited longest is paired first, whatever carries them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from nats.js import JetStreamContext

from bus.client import BusClient
from gateway.agent.config import AgentConfig
from gateway.agent.tools import ToolBox
from gateway.agent.vertical import load_vertical
from gateway.call_event_types import DeskWaiting
from gateway.call_origin import WEBRTC, CallOrigin
from gateway.link.base import LinkOpener
from gateway.providers.choose import choose_chat
from gateway.providers.stt import SpeechToText
from gateway.recorder import CallRecorder
from gateway.rtc.udp_mux import UdpMux
from gateway.settings import GatewaySettings
from gateway.shadow.advisor import Advisor
from gateway.shadow.bridge import Bridge
from gateway.shadow.leg import LegEvent, ShadowLeg
from gateway.turns import TurnSettings

Post = Callable[[dict[str, Any]], None]


class Desk:
    def __init__(self, config: AgentConfig, bus: BusClient, settings: GatewaySettings, turn_settings: TurnSettings,
                 stt: SpeechToText | None, js: JetStreamContext | None,
                 udp_mux: UdpMux | None = None) -> None:  # fmt: skip
        self.config = config
        self.vertical = load_vertical(config.vertical)
        self.tools = [t for t in self.vertical.tools if t.name in config.tools]
        self.model = choose_chat(settings.providers)  # the LLM engine recommends when the agent has one
        self.bus = bus
        self.settings, self.turn_settings, self.stt, self.js, self.udp_mux = settings, turn_settings, stt, js, udp_mux
        self.waiting: deque[ShadowLeg] = deque()  # callers connected, no one has taken them yet
        self.free: deque[ShadowLeg] = deque()  # people connected at the desk, not on a call
        self.bridges: dict[str, Bridge] = {}  # by the caller's call id
        self._by_leg: dict[str, Bridge] = {}  # by either leg's call id
        self._tasks: set[asyncio.Task[None]] = set()

    def open_caller(self, post: Post, on_end: LegEvent) -> ShadowLeg:
        return self._leg("caller", post, on_end, self.waiting)

    def open_line(self, origin: CallOrigin, open_media: LinkOpener, on_end: LegEvent) -> ShadowLeg:
        """A caller on a link its bridge opened (a phone line): started by `leg.start()`."""
        return self._leg("caller", _no_signalling, on_end, self.waiting, origin, open_media)

    def open_human(self, post: Post, on_end: LegEvent) -> ShadowLeg:
        return self._leg("human", post, on_end, self.free)

    def bridge(self, call_id: str) -> Bridge | None:
        return self.bridges.get(call_id)

    def summary(self) -> dict[str, Any]:
        calls = [{"call_id": b.call_id, "human_turns": b.human_turns} for b in self.bridges.values()]
        return {"agent": self.config.name, "waiting": [leg.summary() for leg in self.waiting],
                "free_desks": len(self.free), "calls": calls}  # fmt: skip

    async def end_waiting(self, reason: str) -> None:
        """Hang up whoever is not on a call: callers waiting, people free at the desk (on drain: no one new
        will reach this desk to take them, or to be taken)."""
        for leg in [*self.waiting, *self.free]:
            await leg.hang_up(reason)

    async def end_all(self, reason: str) -> None:
        for bridge in list(self.bridges.values()):
            await bridge.end(reason)
        await self.end_waiting(reason)
        await asyncio.gather(*self._tasks, return_exceptions=True)  # calls still ending: their records out

    def _leg(self, role: str, post: Post, on_end: LegEvent, queue: deque[ShadowLeg], origin: CallOrigin = WEBRTC,
             open_media: LinkOpener | None = None) -> ShadowLeg:  # fmt: skip
        def connected(leg: ShadowLeg, _state: str) -> None:
            queue.append(leg)
            leg.events.send(DeskWaiting(queued=len(queue)))
            self._pair()

        return ShadowLeg(role, self.settings, self.turn_settings, self.stt, post, on_connected=connected,
                         on_end=[self._ended, on_end], udp_mux=self.udp_mux, origin=origin,
                         open_media=open_media)  # fmt: skip

    def _pair(self) -> None:
        while self.waiting and self.free:
            caller, human = self.waiting.popleft(), self.free.popleft()
            toolbox = ToolBox(self.tools, self.bus)
            advisor = Advisor(self.config, toolbox, caller.call_id, self.vertical, origin=caller.origin,
                              model=self.model)  # fmt: skip
            bridge = Bridge(caller, human, advisor, toolbox, CallRecorder(self.js, caller.call_id), self.config.name)
            self.bridges[caller.call_id] = self._by_leg[caller.call_id] = self._by_leg[human.call_id] = bridge
            bridge.start()

    def _ended(self, leg: ShadowLeg, reason: str) -> None:
        for queue in (self.waiting, self.free):
            if leg in queue:
                queue.remove(leg)
        bridge = self._by_leg.pop(leg.call_id, None)
        if bridge is not None:
            self.bridges.pop(bridge.call_id, None)
            other = bridge.human if leg is bridge.caller else bridge.caller
            self._by_leg.pop(other.call_id, None)
            # The call's end as the caller's side saw it; the desk's side is named: "desk:caller_hangup".
            self._spawn(bridge.end(reason if leg is bridge.caller else f"desk:{reason}", by=leg))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _no_signalling(_message: dict[str, Any]) -> None:
    pass  # a line's leg has no signalling socket: its link says all there is to say
