"""The caller's side of an audio eval: dial the gateway over WebRTC (caller.client), say each line
(Piper audio, paced like a microphone by caller.script's ScriptedMicrophone), and keep what is
needed afterwards: where in the received audio each line ended, and the events of the call.

Turn-taking follows the gateway's events (agent.done), never a guessed silence, so it holds on
a slow machine; a line marked barge_in is said as soon as the agent has started its reply,
which is what an impatient caller does. A reply that never comes stops the call and is reported
as the call's problem (the checks then name what is missing), rather than raising.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from caller.client import dial
from caller.script import Conversation, ScriptedMicrophone, Stop
from caller.wav import Recorder

RATE = 48_000  # what the caller's recorder keeps
FRAME = 960  # 20 ms
VOICED = 500  # a frame louder than this carries the agent's voice (the recorder's own threshold)
PAUSE_SECONDS = 0.3  # the agent's silence after its reply before the caller speaks


@dataclass(frozen=True)
class SpokenLine:
    since: int  # caller turns the gateway had ended before this line was said
    start: int  # received-audio sample index when the caller started speaking it
    end: int  # and when its last sample had gone out


@dataclass
class AudioCall:
    events: Conversation
    lines: list[SpokenLine] = field(default_factory=list)
    audio: NDArray[np.int16] = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    problem: str | None = None  # why the caller stopped early, if it did

    def first_voice_after(self, start: int, stop: int | None = None) -> int | None:
        """Index of the first voiced 20 ms frame in audio[start:stop], or None."""
        segment = self.audio[start:stop]
        frames = segment[: len(segment) // FRAME * FRAME].reshape(-1, FRAME)
        loud = np.flatnonzero(np.abs(frames).max(axis=1, initial=0) > VOICED)
        return start + int(loud[0]) * FRAME if len(loud) else None


def _received(recorder: Recorder) -> int:
    return len(recorder.audio)


async def place_call(
    url: str,
    token: str,
    lines: Sequence[tuple[NDArray[np.int16], bool]],
    *,
    before_line: Callable[[int], Awaitable[None]],
    turn_timeout: float,
) -> AudioCall:
    """Say `lines` ((16 kHz pcm, barge_in) each) one turn at a time; `before_line(n)` runs before line n (1-based)."""
    mic = ScriptedMicrophone()
    result = AudioCall(Conversation())
    ev = result.events
    async with dial(url, mic, token=token, timeout=turn_timeout, on_event=ev.on_event,
                    ice_addresses=("127.0.0.1",)) as call:  # fmt: skip
        call.bye.add_done_callback(lambda _: ev.end(call.result.ended_by or "bye"))
        recorder = call.result.recorder
        since = -1  # -1: the greeting (turn 0) comes first
        try:
            for number, (pcm, barge_in) in enumerate(lines, 1):
                # Turn-taking: after the whole reply; a barging-in caller as soon as the reply starts.
                ready = functools.partial(ev.replying if barge_in else ev.listening, since)
                await ev.until(ready, f"the agent's reply before line {number}", turn_timeout)
                if not barge_in:
                    await asyncio.wait_for(recorder.quiet_for(PAUSE_SECONDS), turn_timeout)
                await before_line(number)
                since, start = ev.turn, _received(recorder)
                await asyncio.wait_for(mic.say(pcm), turn_timeout + len(pcm) / 16_000)
                result.lines.append(SpokenLine(since=since, start=start, end=_received(recorder)))
            await ev.until(lambda: ev.listening(since), "the agent's reply to the last line", turn_timeout)
            await asyncio.wait_for(recorder.quiet_for(PAUSE_SECONDS), turn_timeout)
        except Stop as exc:
            if "agent_hangup" not in (ev.ended or ""):  # the agent saying goodbye is an outcome, not a problem
                result.problem = str(exc)
        except TimeoutError:
            result.problem = "the agent's audio never went quiet"
        result.audio = recorder.audio
    return result
