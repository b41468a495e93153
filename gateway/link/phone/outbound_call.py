"""An answered outbound call, until Twilio says who answered (async AMD).

The stream starts the moment the callee picks up, but the agent must not greet an answering
machine's message, nor answer it: until the verdict the agent holds its tongue (AwaitingAnswer
says nothing to any turn; the transcript still has what was heard). Then `answer()`:
  - a human (or "unknown": Twilio could not tell) -> the agent's greeting (its outbound one), and
    the ordinary conversation;
  - a machine, once its greeting has ended (DetectMessageEnd: the beep) -> the agent's voicemail
    line in its own voice, then the call ends once Twilio has played it;
  - a fax -> hang up.
The outcome goes to the call's audit trail (`phone.outbound_call`), like its tools' records.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import structlog

from gateway.link.phone import outbound_metrics as om
from gateway.link.phone.dials import HUMAN, VOICEMAIL, Dial, outcome_of
from gateway.providers.stt.context import SpeechContext
from gateway.responder import CallerTurn, LeavesVoicemail, Nudges, Responder, Speech

if TYPE_CHECKING:
    from gateway.call import Call

log = structlog.get_logger("gateway.link.phone")
AUDIT_ACTION = "phone.outbound_call"


class AwaitingAnswer:
    """The agent of an outbound call, silent until `talking` (a human is on the line)."""

    def __init__(self, agent: Responder) -> None:
        self.agent = agent
        self.talking = False

    @property
    def ended(self) -> bool:
        return bool(getattr(self.agent, "ended", False))

    async def greeting(self) -> Speech | None:
        return None  # answer() greets once the verdict is in

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        if not self.talking:
            return  # a machine's message, or "hello?" before the verdict: nothing said over it
        async for speech in self.agent.reply(turn):
            yield speech

    async def nudge(self, times: int) -> AsyncIterator[Speech]:
        if self.talking and isinstance(self.agent, Nudges):  # a machine is never asked if it is there
            async for speech in self.agent.nudge(times):
                yield speech

    def heard(self, turn: int, text: str) -> None:
        self.agent.heard(turn, text)

    def listening_for(self) -> SpeechContext:
        return self.agent.listening_for()

    async def close(self) -> None:
        await self.agent.close()


async def answer(call: Call, awaiting: AwaitingAnswer, dial: Dial | None, wait: float) -> None:
    """Wait for the verdict (at most `wait` s), then greet, leave the voicemail, or hang up."""
    answered_by = "unknown"
    if dial is None:
        log.warning("outbound_stream_without_dial", call_id=call.call_id, hint="dialled by another gateway replica?")
    else:
        dial.call_id = call.call_id
        with contextlib.suppress(TimeoutError):
            answered_by = await asyncio.wait_for(asyncio.shield(dial.answered_by), wait)
    outcome = outcome_of(answered_by)
    _record(call, dial, outcome, answered_by)
    if outcome == HUMAN:
        awaiting.talking = True
        call.turn_loop.greet(await awaiting.agent.greeting())
    elif outcome == VOICEMAIL:
        agent = awaiting.agent
        message = await agent.voicemail() if isinstance(agent, LeavesVoicemail) else None
        call.turn_loop.greet(message, then_hang_up=True)  # the call ends once the message is heard
    else:
        await call.hang_up("agent_hangup")


def _record(call: Call, dial: Dial | None, outcome: str, answered_by: str) -> None:
    attributes = dial.attributes() if dial is not None else {"channel": "phone", "direction": "outbound"}
    call.recorder.audit(AUDIT_ACTION, outcome, {**attributes, "call_id": call.call_id, "answered_by": answered_by})
    om.OUTCOMES.labels(outcome).inc()
    if dial is not None:
        dial.outcome = outcome
    log.info("outbound_call_answered", call_id=call.call_id, outcome=outcome, answered_by=answered_by)
