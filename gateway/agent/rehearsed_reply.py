"""A reply prepared while the caller may still be speaking: the engine answers on a copy of itself
(gateway/agent/rehearsal.py) and the first piece is synthesised, so when the turn ends with the
text it was prepared for, its first audio can go out at once.

Only the first piece is synthesised ahead: the rest is synthesised while it plays, as in any
reply (gateway/agent/phrases.py), and a dropped rehearsal has cost one short phrase of TTS.
Nothing of the call changes until `take`: the engine's copy is taken over then, or thrown away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from gateway.agent.engine import Engine, RehearsingEngine
from gateway.agent.phrases import ReplyCutter
from gateway.agent.rehearsal import WouldAct
from gateway.responder import CallerTurn, Speech

if TYPE_CHECKING:
    from gateway.agent.responder import AgentResponder, SpokenPiece

log = structlog.get_logger("gateway.agent")


class RehearsedReply:
    def __init__(self, responder: AgentResponder, engine: RehearsingEngine, copied: Engine, turn: CallerTurn) -> None:
        self.turn = turn
        self._engine = engine
        self._copy = copied
        # Prepared by a plain function, not a method: a cancelled task's traceback holds its frames,
        # and a frame holding `self` (which holds the task) would be a cycle keeping the call alive
        # until a full GC pass.
        self._ready: asyncio.Task[_Prepared | None] = asyncio.create_task(_prepare(responder, copied, turn))

    @property
    def first_ready_at(self) -> float:
        done = self._ready.done() and not self._ready.cancelled() and self._ready.result()
        return done.ready_at if done else 0.0

    def answers(self, turn: CallerTurn) -> bool:
        return turn.text == self.turn.text and turn.alternatives == self.turn.alternatives

    async def take(self) -> AsyncIterator[Speech] | None:
        prepared = await self._ready
        if prepared is None or not self._engine.adopt(self._copy):
            return None
        return _speak(prepared)

    def cancel(self) -> None:
        self._ready.cancel()

    async def ready(self) -> bool:
        """Once the preparation is over: True, its first piece is ready; False, it could not be."""
        await asyncio.wait({self._ready})  # a waiter cancelled here leaves the preparation be
        return not self._ready.cancelled() and self._ready.result() is not None


@dataclass(frozen=True)
class _Prepared:
    responder: AgentResponder
    first: Speech
    rest: list[SpokenPiece]
    ready_at: float  # monotonic: the first piece's audio was ready


async def _prepare(responder: AgentResponder, copied: Engine, turn: CallerTurn) -> _Prepared | None:
    try:
        lines = [line async for line in copied.respond(turn) if line.text.strip() or line.pcm is not None]
    except WouldAct as exc:
        log.debug("reply_not_rehearsed", tool=exc.tool)
        return None
    except Exception:  # the ordinary path will meet it again, and apologise
        log.warning("rehearsal_failed", exc_info=True)
        return None
    cutter = ReplyCutter()
    pieces = [piece for line in lines for piece in responder.pieces(line, cutter)]
    if not pieces:
        return None
    first = await responder.spoken(pieces[0])
    return _Prepared(responder, first, pieces[1:], time.monotonic())


async def _speak(prepared: _Prepared) -> AsyncIterator[Speech]:
    yield prepared.first
    for piece in prepared.rest:  # each synthesised once the one before is handed over, as in any reply
        yield await prepared.responder.spoken(piece)
