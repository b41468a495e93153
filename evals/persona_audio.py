"""Persona calls in audio mode: the adaptive caller speaks with an espeak-ng voice unlike the
agent's Piper voice, over WebRTC (or a phone line: evals/caller_line.py), to the real in-process
gateway (VAD, whisper, the agent, Piper), and decides each line only after the agent's reply has
played (the gateway's events tell it what was said). Latency is measured at the caller: from the
last sample of its line to the first voiced frame of the reply.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from caller.script import Stop
from caller.voice import to_16k
from evals.agent import new_dialog
from evals.audio_caller import PAUSE_SECONDS, RATE, AudioCall, SpokenLine
from evals.audio_gateway import AudioGateway, agent_responder, caller_line
from evals.caller_line import Channel
from evals.persona import Persona
from evals.persona_caller import MAX_TURNS, PersonaCaller
from evals.record import CallRecord, TurnRecord
from evals.world import World
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.tools import ToolObserver
from gateway.call_origin import Typing
from gateway.media.pcm import OUT_RATE
from gateway.providers.tts.espeak import Espeak

# Caller voices that differ from the agent's (Piper "joe") and from each other: espeak-ng
# voices with variants (accent, sex, pitch); a persona names one, else they go round in turn.
VOICES = ("en-us+m3", "en-gb-x-rp+f2", "en-029+m1", "en-gb-scotland+f3", "en-us+klatt")
TURN_TIMEOUT = 90.0


async def speak(text: str, voice: str) -> NDArray[np.int16]:
    return to_16k(await Espeak(voice=voice, words_per_minute=160).synthesize(text), OUT_RATE)


async def _within(step: Awaitable[None], seconds: float, what: str) -> None:
    """`step`, or the call stops saying which wait ran out (a loaded machine's slow step, named)."""
    try:
        await asyncio.wait_for(step, seconds)
    except TimeoutError as exc:
        raise Stop(f"no {what} within {seconds:.0f} s ({type(exc).__module__}.{type(exc).__name__})") from None


async def call_as_audio(
    persona: Persona, voice: str, gateway: AudioGateway, world: World, config: AgentConfig, call_id: str,
    clock: Callable[[], datetime], channel: Channel = "webrtc",
) -> CallRecord:  # fmt: skip
    """One persona call spoken over WebRTC (or a phone line); the record has what was said, heard and written."""
    record = CallRecord(call_id=call_id, mode="audio", clock=clock())
    dialogs: list[FrameDialog] = []

    def dialog(observer: ToolObserver, typing: Typing | None) -> FrameDialog:
        dialogs.append(new_dialog(config, world.bus, call_id, clock, observer, typing))
        return dialogs[-1]

    said: list[str] = []
    async with caller_line(gateway, channel, agent_responder(dialog, gateway.tts), TURN_TIMEOUT, typing=True) as link:
        # A web caller offered the page's text box may type there; a phone caller cannot.
        caller = PersonaCaller(persona, record.clock, can_type=link.can_type)
        call = AudioCall(link.events)
        ev = call.events
        since = -1  # the greeting first
        line: str | None = caller.opening()
        try:
            while line is not None and len(said) < MAX_TURNS:
                await ev.until(functools.partial(ev.listening, since), "the agent's reply", TURN_TIMEOUT)
                if ev.ended:  # the agent said goodbye and hung up: no more audio will come
                    break
                await _within(link.quiet_for(PAUSE_SECONDS), TURN_TIMEOUT, "quiet after the agent's reply")
                if said:
                    line = caller.answer(ev.said_since(since))
                    if line is None:
                        break
                await _within(world.tap.settle(len(said)), TURN_TIMEOUT, "the tool tap's settling")
                since, start = ev.turn, link.received()
                if caller.state.typing:  # typed in the page's box when the agent offered it
                    await link.type_text(line)
                    line = f"(typed) {line}"
                else:
                    pcm = await speak(line, voice)
                    start = link.received()
                    await _within(link.say(pcm), TURN_TIMEOUT + len(pcm) / 16_000, "end of the caller's line")
                call.lines.append(SpokenLine(since=since, start=start, end=link.received()))
                said.append(line)
            if line is not None and said:
                await ev.until(functools.partial(ev.listening, since), "the agent's last reply", TURN_TIMEOUT)
        except Stop as exc:
            if "agent_hangup" not in (ev.ended or ""):
                call.problem = str(exc)
        call.audio = link.audio()
    await world.tap.settle(len(said))
    record.problem = call.problem
    record.channel = gateway.channel
    record.greeting = list(ev.said.get(0, []))
    for i, line_said in enumerate(said):
        spoken = call.lines[i]
        upto = call.lines[i + 1].since if i + 1 < len(call.lines) else ev.turn
        stop = call.lines[i + 1].start if i + 1 < len(call.lines) else None
        voice_at = call.first_voice_after(spoken.end, stop)
        record.turns.append(TurnRecord(
            index=i + 1, said=line_said,
            replies=[t for turn in sorted(ev.said) if spoken.since < turn <= upto for t in ev.said[turn]],
            latency_ms=None if voice_at is None else (voice_at - spoken.end) * 1000 / RATE,
            heard_as=" ".join(ev.heard[t] for t in range(spoken.since + 1, upto + 1) if t in ev.heard) or None,
        ))  # fmt: skip
    record.ended = bool(dialogs) and dialogs[-1].ended
    record.hung_up = not record.ended
    return record
