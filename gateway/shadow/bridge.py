"""One shadow call: a waiting caller and the person who took them, bridged; the agent listening.

The caller's turns go to the advisor, whose recommendation goes to the desk (the person's leg's
events: `shadow.recommendation`); the person's turns are recorded beside the latest one. The desk's
buttons (`act`) run the agent's real tools, as the person decides: their writes are the call's
human outcome. The records go in the caller's call's transcript (`CallRecorder`, JetStream).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import structlog

from bus.contracts import events_pb2
from gateway.agent.tool_policy import engine_args
from gateway.agent.tools import ToolBox
from gateway.call_event_types import DeskAction, DeskConnected, DeskHeard
from gateway.recorder import CallRecorder
from gateway.shadow import records
from gateway.shadow.advisor import Advisor, Recommendation
from gateway.shadow.leg import ShadowLeg
from gateway.shadow.tools import Intent

log = structlog.get_logger("gateway.shadow")


class Bridge:
    def __init__(self, caller: ShadowLeg, human: ShadowLeg, advisor: Advisor, desk_tools: ToolBox,
                 recorder: CallRecorder, agent_name: str) -> None:  # fmt: skip
        self.caller, self.human = caller, human
        self.call_id = caller.call_id  # the call's records are the caller's
        self.advisor = advisor
        self.desk_tools = desk_tools  # the real ones: the person decides
        self.recorder = recorder
        self.agent_name = agent_name
        self.human_turns = 0
        self.human_actions: list[Intent] = []
        self.started_at = time.time()
        self.ended: str | None = None
        self._lock = asyncio.Lock()  # one turn at a time through the advisor and the records
        self._greeting: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.caller.peer, self.human.peer = self.human, self.caller
        self.caller.desk_call_id = self.human.desk_call_id = self.call_id
        self.caller.on_turn = self.human.on_turn = self._heard
        origin = self.caller.origin  # the records say what carried the caller; nothing else here needs to
        self.recorder.call_started(self.agent_name, origin.channel, origin.direction)
        self.caller.events.send(DeskConnected(call_id=self.call_id))
        self.human.events.send(DeskConnected(call_id=self.call_id, agent=self.agent_name))
        # The greeting's recommendation first: the caller's turns wait for it on the lock.
        self._greeting = asyncio.get_running_loop().create_task(self._greet())
        log.info("shadow_call_bridged", call_id=self.call_id, desk_leg=self.human.call_id)

    async def _greet(self) -> None:
        async with self._lock:
            if self.ended is None:
                self._recommend(await self.advisor.greeting())

    async def _heard(self, leg: ShadowLeg, text: str) -> None:
        async with self._lock:
            if self.ended is not None:
                return
            speaker = events_pb2.SPEAKER_CALLER if leg is self.caller else events_pb2.SPEAKER_HUMAN
            self.recorder.turn(speaker, text)
            self.human.events.send(DeskHeard(speaker=leg.role, text=text))
            if leg is self.caller:
                self._recommend(await self.advisor.hear(text))
                return
            self.human_turns += 1
            self.recorder.shadow_turn(records.desk_turn(self.agent_name, self.human_turns, text, self.advisor.latest))

    def _recommend(self, rec: Recommendation) -> None:
        self.human.events.send(rec.as_event())

    async def act(self, tool: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """A desk button: the agent's real tool, run for the person (ToolError if it fails)."""
        known = self.desk_tools.tools.get(tool)
        sent = engine_args(known, args, self.call_id) if known is not None else dict(args)
        result = await self.desk_tools.call(tool, sent, call_id=self.call_id)
        writes = known is not None and not known.read_only
        async with self._lock:
            self.human_actions.append(Intent(tool, dict(args), writes=writes, result=result.data))
        self.recorder.audit(f"tool.{tool}", "ok", {"seconds": f"{result.seconds:.3f}"}, actor="operator")
        self.human.events.send(DeskAction(tool=tool, writes=writes, result=result.data))
        return result.data

    async def end(self, reason: str, by: ShadowLeg | None = None) -> None:
        """Either side (`by`) hung up, or the gateway ends the call: the outcomes are recorded and the
        other side is hung up too, told who left ("caller_left", "human_left")."""
        if self.ended is not None:
            return
        self.ended = reason
        if self._greeting is not None:
            self._greeting.cancel()  # an LLM still thinking about the greeting: nobody is left to advise
        async with self._lock:
            self.recorder.shadow_outcome(records.outcome(self.agent_name, self.human_actions, self.advisor.outcome,
                                                         self.advisor.latest))  # fmt: skip
            # The advisor's usage (an LLM's tokens) is the shadow call's cost.
            self.recorder.call_ended(reason, time.time() - self.started_at, self.advisor.usage.ended())
        await self.advisor.close()
        for leg in (self.caller, self.human):
            await leg.hang_up(reason if by is None else f"{by.role}_left" if leg is not by else reason)
        await self.recorder.flush()
        log.info("shadow_call_ended", call_id=self.call_id, reason=reason, human_turns=self.human_turns)
