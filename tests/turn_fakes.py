"""Stand-ins for what surrounds a call's turn loop: a link that plays a script of caller frames,
an events sink that can be waited on, an STT session with set answers (or the provider's own
turns, reported when the test says), a loudness VAD and a responder that says set lines.
Shared by the turn loop's unit tests and bench/false_interruptions.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import numpy as np

from gateway.call_event_types import CallEvent
from gateway.link.base import PacketTap
from gateway.media.pcm import IN_FRAME, OUT_RATE, Pcm
from gateway.providers.stt import Settled, SpeechHeard, Transcript, TurnHeard, Unsettled
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext
from gateway.responder import CallerTurn, Speech

Step = Pcm | Callable[[], Awaitable[Any]]  # a caller frame, or something to wait for before the next one


def frames(count: int, level: int = 3000) -> list[Pcm]:
    """`count` 20 ms caller frames: level 0 is silence, anything else "speech" to LoudnessVad."""
    return [np.full(IN_FRAME, level, dtype=np.int16) for _ in range(count)]


FAINT = 1000  # a level LoudnessVad calls likely speech, but under the barge-in threshold


class LoudnessVad:
    """A VAD that calls any frame above a level speech (unit tests need no model): loud frames
    clearly (0.9), faint ones (FAINT: a caller over a phone line) only just (0.6)."""

    def push(self, pcm: Pcm) -> float:
        level = float(np.abs(pcm.astype(np.float32)).mean())
        return 0.9 if level > 2000 else 0.6 if level > 500 else 0.0


class ScriptedLink:
    """Hands over the script's frames, waiting where it says; then stays open, silent, until closed.
    `pace`: seconds per frame (real time for benchmarks), 0: as fast as the loop takes them."""

    def __init__(self, script: Sequence[Step], pace: float = 0.0) -> None:
        self.script = list(script)
        self.pace = pace
        self.closed = asyncio.Event()
        self.finished = asyncio.Event()  # every frame of the script has been handed over
        self._waiting: dict[int, asyncio.Event] = {}  # id of a script step -> set when the link waits there
        self.frame_times: list[float] = []  # monotonic time each frame was handed over

    async def caller_audio(self, packets: PacketTap | None = None) -> AsyncIterator[Pcm]:
        loop = asyncio.get_running_loop()
        due = loop.time()
        for step in self.script:
            if not isinstance(step, np.ndarray):
                self._reached(step).set()
                await step()
                due = loop.time()
                continue
            if self.pace:
                due += self.pace
                if due > loop.time():
                    await asyncio.sleep(due - loop.time())  # real-time pacing, like a caller's microphone
            if packets is not None:
                packets(b"\xf8\xff\xfe")
            self.frame_times.append(loop.time())
            yield step
        self.finished.set()
        await self.closed.wait()

    def _reached(self, step: object) -> asyncio.Event:
        owner = getattr(step, "__self__", step)  # a step `gate.wait` is known by its gate
        return self._waiting.setdefault(id(owner), asyncio.Event())

    async def waiting_at(self, gate: asyncio.Event) -> None:
        """Until the link waits on `gate` (a step `gate.wait`): the frames before it were all heard."""
        async with asyncio.timeout(5):
            await self._reached(gate).wait()

    async def caller_packets(self) -> AsyncIterator[bytes | None]:
        async for _frame in self.caller_audio():
            yield b"\xf8\xff\xfe"


class RecordedEvents:
    """An EventSink that keeps what was sent and lets a test wait for a kind."""

    def __init__(self) -> None:
        self.sent = 0
        self.log: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Event()

    def send(self, event: CallEvent) -> None:
        self.log.append((event.kind, event.fields()))
        self.sent += 1
        self._changed.set()

    def close(self) -> None:
        return None

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.log]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [fields for k, fields in self.log if k == kind]

    async def wait(self, kind: str, count: int = 1, timeout: float = 5.0) -> dict[str, Any]:
        """The `count`th event of `kind`, once sent."""
        await self.until(lambda: len(self.of(kind)) >= count, timeout)
        return self.of(kind)[count - 1]

    async def until(self, done: Callable[[], bool], timeout: float = 5.0) -> None:
        """Re-checked at each event sent."""
        async with asyncio.timeout(timeout):
            while not done():
                self._changed.clear()
                await self._changed.wait()

    def waiting(self, kind: str, count: int = 1) -> Callable[[], Awaitable[Any]]:
        """A script step: wait for that event."""
        return lambda: self.wait(kind, count)


class SetAnswersSession:
    """An STT session whose turns come back with set texts, in order (then empty); as a provider
    that ends turns, it reports onsets and turns when the test calls `speech()` and `turn()`."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.heard: list[Pcm] = []
        self.fed = 0
        self.expected: list[SpeechContext] = []
        self._on_speech: SpeechHeard | None = None
        self._on_turn: TurnHeard | None = None
        self._settled: Settled | None = None
        self._unsettled: Unsettled | None = None

    def feed(self, frame: Pcm) -> None:
        self.fed += 1

    def feed_opus(self, packet: bytes | None) -> None:
        self.fed += 1

    def expect(self, context: SpeechContext) -> None:
        self.expected.append(context)

    def feed_vad(self, speech: float, turn_frames: int) -> None:
        return None

    async def turn_ended(self, audio: Pcm) -> Transcript:
        self.heard.append(audio)
        text = self.answers.pop(0) if self.answers else ""
        return Transcript(text=text, confidence=0.9, seconds=0.01, audio_seconds=len(audio) / 16_000)

    async def close(self) -> None:
        return None

    def watch_pauses(self, settled: Settled, unsettled: Unsettled) -> None:
        self._settled, self._unsettled = settled, unsettled

    def pause(self, text: str) -> None:
        """The caller paused and `text` is what the turn says so far (as an incremental session tells)."""
        assert self._settled is not None
        self._settled(Transcript(text=text, confidence=0.9, seconds=0.0))

    def speaks_again(self) -> None:
        assert self._unsettled is not None
        self._unsettled()

    def detect_turns(self, on_speech: SpeechHeard, on_turn: TurnHeard) -> None:
        self._on_speech, self._on_turn = on_speech, on_turn

    def speech(self) -> None:
        assert self._on_speech is not None
        self._on_speech()

    def turn(self, text: str, seconds: float) -> None:
        assert self._on_turn is not None
        self._on_turn(Transcript(text=text, confidence=0.9, seconds=0.0, audio_seconds=seconds, waited=0.3))


class WordsSoFarSession(SetAnswersSession):
    """A session that decodes while the caller speaks (VOICEPOD_END_OF_TURN=text reads it): its text
    so far is what the test last set with `decoded` (a script step), until the caller speaks again."""

    def __init__(self, *answers: str) -> None:
        super().__init__(*answers)
        self.so_far: str | None = None

    def decoded(self, text: str) -> Callable[[], Awaitable[None]]:
        async def step() -> None:
            self.so_far = text

        return step

    def feed_vad(self, speech: float, turn_frames: int) -> None:
        if speech >= 0.35:
            self.so_far = None  # new speech: no decode has heard it yet

    def said_so_far(self) -> tuple[Transcript, SpeechContext] | None:
        if self.so_far is None:
            return None
        return Transcript(text=self.so_far, confidence=0.9, seconds=0.0), self.expected[-1]


class LinesResponder:
    """Answers every turn with `lines`, each `seconds` of tone; remembers what it was told."""

    def __init__(
        self,
        *lines: str,
        seconds: float = 1.0,
        between: Callable[[], Awaitable[object]] | None = None,
        asking: SpeechContext = NO_CONTEXT,
    ) -> None:
        """`between`: awaited before each line after the first (the agent thinking: a tool call, a
        slow synthesis), with nothing of the reply left to play."""
        self.lines = lines or ("An answer.",)
        self.seconds = seconds
        self.between = between
        self.asking = asking  # what its lines ask the caller for (listening_for)
        self.turns: list[CallerTurn] = []
        self.heard_back: list[tuple[int, str]] = []

    async def greeting(self) -> Speech | None:
        return None

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        self.turns.append(turn)
        t = np.arange(int(OUT_RATE * self.seconds)) / OUT_RATE
        for i, line in enumerate(self.lines):
            if i and self.between is not None:
                await self.between()
            yield Speech(text=line, audio=(np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16))

    def heard(self, turn: int, text: str) -> None:
        self.heard_back.append((turn, text))

    def listening_for(self) -> SpeechContext:
        return self.asking

    async def close(self) -> None:
        return None


class ToneVoice:
    """A TTS that answers every text with a short tone, and keeps what it was asked to say."""

    name = "tone"

    def __init__(self) -> None:
        self.said: list[str] = []

    async def synthesize(self, text: str) -> Pcm:
        self.said.append(text)
        tone: Pcm = (np.sin(np.arange(OUT_RATE // 5) * 0.05) * 8000).astype(np.int16)  # 200 ms
        return tone
