"""A scripted caller that takes turns: it speaks its next line only once the gateway says the
agent has finished its reply (the `agent.done` event) and the agent's audio has arrived and
stopped, so it never talks over the agent however slowly whisper, Piper and aiortc run.

Silence heuristics on the caller's side ("the agent has been quiet for 1.8 s") cannot tell a
finished reply from a pause between two sentences on a busy machine; the events channel can.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
import yaml
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from numpy.typing import NDArray

from caller.client import CallResult, dial
from caller.impair import Impairment
from caller.voice import speak
from caller.wav import keep_time, mic_frame

RATE = 16_000
FRAME = 320  # 20 ms
SILENCE = np.zeros(FRAME, dtype=np.int16)


@dataclass(frozen=True, eq=False)  # eq=False: it holds an array
class ScriptLine:
    """One caller turn. `expect`: a regex the agent's reply before it must match (searched, case
    ignored). A line with nothing to say only waits for `expect` (e.g. "you're booked")."""

    say: str = ""
    expect: str | None = None
    pcm: NDArray[np.int16] | None = None  # 16 kHz mono; synthesised with Piper when None


class ScriptFailed(Exception):
    def __init__(self, message: str, result: CallResult) -> None:
        super().__init__(message)
        self.result = result


def load_script(path: Path) -> list[ScriptLine]:
    """YAML (a list of lines, each a string or {say, expect}) or text (one line per turn, # comments)."""
    text = path.read_text()
    if path.suffix not in (".yaml", ".yml"):
        return [ScriptLine(say=s.strip()) for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")]
    items = yaml.safe_load(text)
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list of lines")
    lines = []
    for item in items:
        if isinstance(item, str):
            item = {"say": item}
        if not isinstance(item, dict) or not set(item) <= {"say", "expect"} or not item:
            raise ValueError(f"{path}: each line is a string or a mapping with say and/or expect, not {item!r}")
        lines.append(ScriptLine(say=str(item.get("say", "")), expect=item.get("expect")))
    return lines


class ScriptedMicrophone(MediaStreamTrack):
    """Silence until told to say something, then that line (16 kHz, paced in real time), then
    silence again. Timestamps run on without a break, as a real microphone's do."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pts = 0
        self._start: float | None = None
        self._line: NDArray[np.int16] | None = None
        self._pos = 0
        self._spoken: asyncio.Future[None] | None = None

    async def say(self, pcm: NDArray[np.int16]) -> None:
        """Speak `pcm`; returns once its last frame has gone to the sender."""
        if self._line is not None:
            raise RuntimeError("already speaking")
        self._spoken = asyncio.get_running_loop().create_future()
        self._line, self._pos = pcm, 0
        await self._spoken

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        self._start = await keep_time(self._start, self._pts, RATE)
        chunk = SILENCE
        if self._line is not None:
            chunk = self._line[self._pos : self._pos + FRAME]
            self._pos += FRAME
            if self._pos >= len(self._line):
                self._line = None
                if self._spoken is not None and not self._spoken.done():
                    self._spoken.set_result(None)
        frame = mic_frame(chunk, self._pts, RATE)
        self._pts += FRAME
        return frame


class Conversation:
    """The call as the events channel tells it: whose turn it is and what the agent said."""

    def __init__(self) -> None:
        self.turn = 0  # the latest caller turn the gateway ended
        self.done = -1  # the latest turn whose reply the agent has played in full (0: the greeting)
        self.hearing = False  # the gateway hears the caller speak (speech.started, no turn.ended yet)
        self.onsets = 0  # speech.started events: the gateway heard the caller begin to speak
        self.said: defaultdict[int, list[str]] = defaultdict(list)
        self.playing: set[int] = set()  # turns whose reply has started to play (turn.latency)
        self.barge_ins = 0
        self.heard: dict[int, str] = {}  # the caller's turns as transcribed
        self.ended: str | None = None
        self._changed = asyncio.Event()

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "speech.started":
            self.hearing, self.onsets = True, self.onsets + 1
        elif kind == "turn.ended":
            self.hearing, self.turn = False, int(event["turn"])
        elif kind == "agent.resumed":  # what it heard was a backchannel, not a turn
            self.hearing = False
        elif kind == "transcript.final":
            self.heard[int(event["turn"])] = str(event.get("text", ""))
        elif kind == "agent.text":
            self.said[int(event.get("turn", 0))].append(str(event.get("text", "")))
        elif kind == "turn.latency":
            self.playing.add(int(event["turn"]))
        elif kind == "agent.done":
            self.done = int(event["turn"])
        elif kind == "barge_in":
            self.barge_ins += 1
        elif kind == "call.ended":
            self.ended = str(event.get("reason", "ended"))
        self._changed.set()

    def end(self, reason: str) -> None:
        self.ended = self.ended or reason
        self._changed.set()

    def listening(self, since: int) -> bool:
        """The agent has played its whole reply to a turn after `since`, and no new turn is under way."""
        return self.turn > since and self.done == self.turn and not self.hearing

    def replying(self, since: int) -> bool:
        """The agent's reply to a turn after `since` has started to play (for -1: its greeting has)."""
        return any(turn > since for turn in self.playing) or (since < 0 and bool(self.said))

    def said_since(self, since: int) -> str:
        """What the agent said in reply to the turns after `since` (0: its greeting)."""
        return " ".join(text for turn in sorted(self.said) if turn > since for text in self.said[turn])

    def said_like(self, since: int, pattern: str) -> bool:
        return re.search(pattern, self.said_since(since), re.IGNORECASE) is not None

    def said_like_or_listening(self, since: int, pattern: str) -> bool:
        return self.said_like(since, pattern) or self.listening(since)

    async def until(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not ready():
                    if self.ended:
                        raise Stop(f"the call ended ({self.ended}) before {what}")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise Stop(f"no {what} within {timeout:.0f} s") from None

    def transcript(self) -> str:
        rows = []
        for turn in sorted(set(self.said) | set(self.heard)):
            if turn in self.heard:
                rows.append(f"  caller[{turn}]: {self.heard[turn]}")
            rows.extend(f"  agent[{turn}]: {text}" for text in self.said.get(turn, []))
        return "\n".join(rows)


class Stop(Exception):
    """The script cannot go on: the call ended, or the agent did not answer in time."""


async def _within(step: Awaitable[None], timeout: float, what: str) -> None:
    try:
        await asyncio.wait_for(step, timeout)
    except TimeoutError:
        raise Stop(f"no {what} within {timeout:.0f} s") from None


async def scripted_call(
    url: str,
    lines: Sequence[ScriptLine],
    token: str | None = None,
    *,
    pause: float = 0.3,
    turn_timeout: float = 60.0,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    before_line: Callable[[int], Awaitable[None]] | None = None,
    impairment: Impairment | None = None,
    ice_addresses: Sequence[str] = (),
    relay_only: bool = False,
    last_reply: Literal["played", "started"] = "played",
) -> CallResult:
    """Call `url` and say `lines` one turn at a time, each once the agent's previous reply (or its
    greeting) has been played to the end and `pause` seconds of its silence have arrived, and
    what it said matched the line's `expect`. A line with nothing to say waits only until the
    agent says something matching its `expect` (the last line: then hang up without hearing the
    rest). After a last line that says something, waits until the reply to it has been played (with
    `last_reply="started"`, only until it has started to play: its first words and latency are in).
    `before_line(n)` runs just before line n is spoken (a test's fault injection, say); with an
    `impairment` the caller's media crosses a lossy, jittery relay (caller/impair.py); with
    `ice_addresses` it gathers on those local IPs only.
    Raises ScriptFailed (with the result so far) when an expectation fails or a turn times out."""
    lines = await voice_lines(lines)  # before dialing: synthesis is not part of the call
    mic = ScriptedMicrophone()
    convo = Conversation()

    def event(e: dict[str, Any]) -> None:
        convo.on_event(e)
        if on_event:
            on_event(e)

    async with dial(url, mic, token=token, timeout=turn_timeout, on_event=event, impairment=impairment,
                    ice_addresses=ice_addresses, relay_only=relay_only) as call:  # fmt: skip
        call.bye.add_done_callback(lambda _: convo.end(call.result.ended_by or "bye"))
        since, spoke = -1, False  # since: the caller turn before our latest line (-1: before the greeting)
        try:
            for number, line in enumerate(lines, 1):
                what = f"the agent's reply before line {number}"
                spoke = line.pcm is not None and len(line.pcm) > 0
                if not spoke:
                    pattern = line.expect or "."
                    await convo.until(functools.partial(convo.said_like_or_listening, since, pattern), what,
                                      turn_timeout)  # fmt: skip
                else:
                    await convo.until(functools.partial(convo.listening, since), what, turn_timeout)
                    await _within(call.result.recorder.quiet_for(pause), turn_timeout, "silence after the reply")
                if line.expect and not convo.said_like(since, line.expect):
                    said = convo.said_since(since)
                    raise Stop(f"line {number}: expected the agent to say /{line.expect}/, it said {said!r}")
                if spoke:
                    assert line.pcm is not None
                    if before_line is not None:
                        await before_line(number)
                    since = convo.turn
                    await _within(mic.say(line.pcm), turn_timeout + len(line.pcm) / RATE, f"line {number} spoken")
            if spoke:
                reply = convo.replying if last_reply == "started" else convo.listening
                await convo.until(functools.partial(reply, since), "the agent's reply to the last line", turn_timeout)
        except Stop as exc:
            raise ScriptFailed(f"{exc}\n{convo.transcript()}", call.result) from None
    return call.result


async def voice_lines(lines: Sequence[ScriptLine]) -> list[ScriptLine]:
    """`lines` with audio: those without any are synthesised (off the event loop)."""
    voiced = []
    for line in lines:
        if line.say and line.pcm is None:
            line = dataclasses.replace(line, pcm=await asyncio.to_thread(speak, line.say))
        voiced.append(line)
    return voiced
