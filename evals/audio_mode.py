"""Audio mode: each caller line is synthesised with the offline Piper voice and said over WebRTC
(or, `--channel phone`, as 8 kHz μ-law through the gateway's Twilio bridge) to the real gateway
(VAD, whisper, the agent, Piper), which reaches the scenario's services over the bus. The agent's
replies are transcribed back with whisper, and each turn's latency is measured where a caller
feels it: from the end of their line to the first sound of the reply.

Slow (real-time audio, two models on the CPU), so CI runs a small subset: the scenarios marked
`audio: true`. Everything a text-mode check reads is filled in, so the same expectations apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from caller.voice import to_16k
from evals.agent import new_dialog
from evals.audio_caller import RATE, AudioCall, place_call, voiced_stretches
from evals.audio_gateway import AudioGateway, agent_responder, caller_line
from evals.caller_line import Channel
from evals.record import CallRecord, TurnRecord
from evals.scenario import Scenario
from evals.world import World
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.tools import ToolObserver
from gateway.call_origin import Typing
from gateway.media.pcm import OUT_RATE

TURN_TIMEOUT = 90.0  # whisper + the agent + Piper on a busy 2-core machine, with room to spare
SCENARIO_SECONDS = 600.0


class AudioMode:
    name = "audio"
    scenario_seconds = SCENARIO_SECONDS

    def __init__(self, nats_url: str, config: AgentConfig, channel: Channel = "webrtc") -> None:
        self.gateway = AudioGateway(nats_url, config.name)
        self.channel = channel
        self._voices: dict[str, NDArray[np.int16]] = {}

    async def __aenter__(self) -> AudioMode:
        await self.gateway.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.gateway.__aexit__(kind, exc, tb)

    async def voice(self, text: str) -> NDArray[np.int16]:
        """The caller's line as 16 kHz speech (Piper), synthesised once per run."""
        if text not in self._voices:
            self._voices[text] = to_16k(await self.gateway.tts.synthesize(text), OUT_RATE)
        return self._voices[text]

    async def run(
        self, scenario: Scenario, world: World, config: AgentConfig, call_id: str, clock: Callable[[], datetime]
    ) -> CallRecord:
        lines = [(await self.voice(t.say), t.barge_in) for t in scenario.spoken]  # before dialing
        record = CallRecord(call_id=call_id, mode=self.name, clock=clock())
        dialogs: list[FrameDialog] = []

        def dialog(observer: ToolObserver, typing: Typing | None) -> FrameDialog:
            dialogs.append(new_dialog(config, world.bus, call_id, clock, observer, typing))
            return dialogs[-1]

        async def before_line(number: int) -> None:
            await world.tap.settle(number - 1)  # the agent has answered line number - 1
            for slot in scenario.faults.taken:
                if slot.before_turn == number:
                    await world.book_taken(slot, record.clock)

        async with caller_line(self.gateway, self.channel, agent_responder(dialog, self.gateway.tts),
                               TURN_TIMEOUT) as line:  # fmt: skip
            call = await place_call(line, lines, before_line=before_line, turn_timeout=TURN_TIMEOUT)
        await world.tap.settle(len(call.lines))
        record.problem = call.problem
        record.channel = self.gateway.channel
        record.greeting = list(call.events.said.get(0, []))
        record.turns = [await self._turn(scenario, call, i) for i in range(len(call.lines))]
        record.hung_up = scenario.hang_up_after is not None and not call.events.ended
        if dialogs:
            d = dialogs[-1]
            record.ended, record.stage, record.slots = d.ended, d.stage.value, d.slots
        return record

    async def _turn(self, scenario: Scenario, call: AudioCall, i: int) -> TurnRecord:
        line = call.lines[i]
        ev = call.events
        # The gateway's turns that belong to this line: VAD may split a line, so count by position.
        upto = call.lines[i + 1].since if i + 1 < len(call.lines) else ev.turn
        stop = None
        if i + 1 < len(call.lines):  # a barging-in caller talks over the reply: it runs on under the line
            stop = call.lines[i + 1].end if scenario.spoken[i + 1].barge_in else call.lines[i + 1].start
        turns = range(line.since + 1, upto + 1)
        voice_at = call.first_voice_after(line.end, stop)
        window = call.audio[line.end : stop]
        stretches = voiced_stretches(window)  # none: the reply never reached the caller ("" heard)
        heard = [(await self.gateway.stt.transcribe(to_16k(voiced, RATE))).text for voiced in stretches]
        return TurnRecord(
            index=i + 1,
            said=scenario.spoken[i].say,
            replies=[text for turn in sorted(ev.said) if line.since < turn <= upto for text in ev.said[turn]],
            latency_ms=None if voice_at is None else (voice_at - line.end) * 1000 / RATE,
            barge_in=scenario.spoken[i].barge_in,
            heard_as=" ".join(ev.heard[t] for t in turns if t in ev.heard).strip() or None,
            reply_heard_as=_squash(" ".join(heard)) if len(window) else None,
            repeated=line.repeated,
        )


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
