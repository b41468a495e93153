"""The caller's side of an audio eval: on a line to the gateway (WebRTC or the phone bridge:
evals/caller_line.py), say each line (Piper audio, paced in real time), and keep what is needed
afterwards: where in the received audio each line ended, and the events of the call.

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

from caller.script import Conversation, Stop
from evals.caller_line import CallerLine

RATE = 48_000  # what the caller's recorder keeps
FRAME = 960  # 20 ms
VOICED = 500  # a frame louder than this carries the agent's voice (the recorder's own threshold)
PAUSE_SECONDS = 0.3  # the agent's silence after its reply before the caller speaks
UNHEARD_SECONDS = 4.0  # silence after a line the gateway showed no sign of hearing: the caller says it again


@dataclass(frozen=True)
class SpokenLine:
    since: int  # caller turns the gateway had ended before this line was said
    start: int  # received-audio sample index when the caller started speaking it
    end: int  # and when its last sample had gone out
    repeated: bool = False  # not heard at all the first time: said again (`end` is the repeat's)


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


def voiced_stretches(
    audio: NDArray[np.int16], gap_seconds: float = 0.3, longest_seconds: float = 5.0
) -> list[NDArray[np.int16]]:
    """`audio` cut at every quiet longer than `gap_seconds`, the quiet dropped: a reply whose pieces
    came with long gaps (a slow synthesis on a loaded machine) is heard back stretch by stretch, as
    whisper on the whole of it can stop at the first long silence. A stretch longer than
    `longest_seconds` is cut again at its longest inner pause (a comma's): on a 10 s read-back
    tiny.en sometimes wrote its first sentence and stopped, on 5 s phrases it did not."""
    frames = audio[: len(audio) // FRAME * FRAME].reshape(-1, FRAME)
    loud = np.abs(frames).max(axis=1, initial=0) > VOICED if len(frames) else np.zeros(0, dtype=bool)
    gap = round(gap_seconds * RATE / FRAME)
    spans: list[tuple[int, int]] = []  # [first, end) voiced frames
    start = quiet = None
    for i, voiced in enumerate(loud):
        if voiced:
            start = i if start is None else start
            quiet = None
        elif start is not None:
            quiet = i if quiet is None else quiet
            if i - quiet + 1 >= gap:
                spans.append((start, quiet))
                start = quiet = None
    if start is not None:
        spans.append((start, quiet if quiet is not None else len(loud)))
    longest = round(longest_seconds * RATE / FRAME)
    return [audio[a * FRAME : b * FRAME] for span in spans for a, b in _phrases(loud, span, longest)]


def _phrases(loud: NDArray[np.bool_], span: tuple[int, int], longest: int) -> list[tuple[int, int]]:
    """`span` cut at its longest inner quiet (the one nearest its middle of those) until no piece is
    longer than `longest` frames or a piece has no quiet left inside."""
    first, end = span
    if end - first <= longest:
        return [span]
    runs: list[tuple[int, int]] = []  # inner quiet runs, [start, end)
    i = first
    while i < end:
        if loud[i]:
            i += 1
            continue
        j = i
        while j < end and not loud[j]:
            j += 1
        runs.append((i, j))
        i = j
    if not runs:
        return [span]
    middle = (first + end) / 2
    a, b = max(runs, key=lambda r: (r[1] - r[0], -abs((r[0] + r[1]) / 2 - middle)))
    return _phrases(loud, (first, a), longest) + _phrases(loud, (b, end), longest)


async def _said_again_if_unheard(line: CallerLine, pcm: NDArray[np.int16], since: int, onsets: int,
                                  turn_timeout: float) -> bool:  # fmt: skip
    """A person met by silence says it again: when the gateway heard not even the start of the
    line (no onset since `onsets`, counted before the line was said, and no turn) within
    UNHEARD_SECONDS, the line is said once more."""
    ev = line.events
    try:
        await ev.until(lambda: ev.onsets > onsets or ev.turn > since, "any sign the line was heard", UNHEARD_SECONDS)
        return False
    except Stop as exc:
        if ev.ended:
            raise exc
    await asyncio.wait_for(line.say(pcm), turn_timeout + len(pcm) / 16_000)
    return True


async def place_call(
    line: CallerLine,
    lines: Sequence[tuple[NDArray[np.int16], bool]],
    *,
    before_line: Callable[[int], Awaitable[None]],
    turn_timeout: float,
) -> AudioCall:
    """Say `lines` ((16 kHz pcm, barge_in) each) one turn at a time on `line` (WebRTC or a phone
    line: evals/caller_line.py); `before_line(n)` runs before line n (1-based)."""
    result = AudioCall(line.events)
    ev = result.events
    since = -1  # -1: the greeting (turn 0) comes first
    try:
        for number, (pcm, barge_in) in enumerate(lines, 1):
            # Turn-taking: after the whole reply; a barging-in caller as soon as the reply starts.
            ready = functools.partial(ev.replying if barge_in else ev.listening, since)
            await ev.until(ready, f"the agent's reply before line {number}", turn_timeout)
            if not barge_in:
                await asyncio.wait_for(line.quiet_for(PAUSE_SECONDS), turn_timeout)
            await before_line(number)
            since, start, onsets = ev.turn, line.received(), ev.onsets
            await asyncio.wait_for(line.say(pcm), turn_timeout + len(pcm) / 16_000)
            end = line.received()  # the line's end, not when the gateway showed it heard it
            repeated = await _said_again_if_unheard(line, pcm, since, onsets, turn_timeout)
            end = line.received() if repeated else end
            result.lines.append(SpokenLine(since=since, start=start, end=end, repeated=repeated))
        await ev.until(lambda: ev.listening(since), "the agent's reply to the last line", turn_timeout)
        await asyncio.wait_for(line.quiet_for(PAUSE_SECONDS), turn_timeout)
    except Stop as exc:
        if "agent_hangup" not in (ev.ended or ""):  # the agent saying goodbye is an outcome, not a problem
            result.problem = str(exc)
    except TimeoutError:
        result.problem = "the agent's audio never went quiet"
    result.audio = line.audio()
    return result
