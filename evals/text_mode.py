"""Text mode: the caller's lines go straight into the agent engine, whose tools reach the real
services over the real bus. No audio, so a whole run takes seconds: for every commit.

It drives the agent through the same Engine interface the gateway's responder uses (greeting,
respond, heard on barge-in), so what passes here is what a call would get, minus speech.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import numpy as np

from evals.agent import new_dialog
from evals.record import CallRecord, TurnRecord
from evals.scenario import Scenario
from evals.world import World
from gateway.agent.config import AgentConfig
from gateway.agent.engine import DialogEngine
from gateway.responder import CallerTurn

NO_AUDIO = np.zeros(0, dtype=np.int16)


async def run_text(
    scenario: Scenario, world: World, config: AgentConfig, call_id: str, clock: Callable[[], datetime]
) -> CallRecord:
    dialog = new_dialog(config, world.bus, call_id, clock)
    engine = DialogEngine(dialog)
    record = CallRecord(call_id=call_id, mode="text", clock=clock())
    await _book_taken(scenario, world, record, before_turn=1)
    record.greeting = [line.text for line in await engine.greeting()]
    await world.tap.settle(0)
    last = record.greeting
    for index, turn in enumerate(scenario.spoken, 1):
        if index > 1:
            await _book_taken(scenario, world, record, before_turn=index)
        if turn.barge_in:
            engine.heard(last[0] if last else "")  # the caller cut in after the first sentence
        started = time.perf_counter()
        lines = [line.text async for line in engine.respond(CallerTurn(index=index, audio=NO_AUDIO, text=turn.say))]
        latency = (time.perf_counter() - started) * 1000
        await world.tap.settle(index)
        record.turns.append(TurnRecord(index, turn.say, lines, latency, barge_in=turn.barge_in))
        last = lines
        if engine.ended:
            break
    record.hung_up = scenario.hang_up_after is not None and not engine.ended
    record.ended, record.stage, record.slots = engine.ended, dialog.stage.value, dialog.slots
    return record


async def _book_taken(scenario: Scenario, world: World, record: CallRecord, *, before_turn: int) -> None:
    for slot in scenario.faults.taken:
        if slot.before_turn == before_turn:
            await world.book_taken(slot, record.clock)
