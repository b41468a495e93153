"""What decides the agent's words: one small interface, three engines.

- `DialogEngine`: the deterministic frame dialog with the agent's vertical (offline default).
- `ChatEngine`: an OpenAI-compatible chat model with tool calls; falls back to the dialog.
- `RealtimeEngine`: OpenAI Realtime over WebSocket (text or audio in, text or audio out).

An engine yields `Line`s as soon as it has them (a streamed LLM reply sentence by
sentence); the responder speaks each one with TTS unless the engine brought its own audio.

An engine that can answer a turn ahead on a copy of itself, with nothing changed until the turn
really ends the same way (gateway/agent/rehearsal.py), is a `RehearsingEngine`: so far the dialog.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from gateway.agent import rehearsal
from gateway.agent.dialog import FrameDialog
from gateway.media.pcm import Pcm
from gateway.responder import CallerTurn


@dataclass(frozen=True)
class Line:
    text: str
    pcm: Pcm | None = None  # 48 kHz mono, when the engine speaks for itself (speech-to-speech)


class Engine(Protocol):
    name: str

    @property
    def ended(self) -> bool:
        """The agent said goodbye: the call hangs up once the caller has heard it."""
        ...

    @property
    def wants_text(self) -> bool:
        """True if a turn without transcribed text cannot be answered (the caller is asked again)."""
        ...

    async def greeting(self) -> list[Line]: ...

    def respond(self, turn: CallerTurn) -> AsyncIterator[Line]: ...

    @property
    def expecting(self) -> str | None:
        """The slot the agent just asked for (gateway/providers/stt/context.py SLOTS), or None: what
        the speech recogniser may bias its decoding towards."""
        ...

    def heard(self, text: str) -> None:
        """Barge-in: the caller heard only `text` of the last reply."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class ChecksAnswers(Protocol):
    """An engine that can tell whether a hearing answers the question it just asked (the STT then
    hears a turn again when its first hearing does not: gateway/providers/stt/second_hearing.py)."""

    def answer_check(self) -> Callable[[str], bool] | None: ...

    def answer_words(self) -> str | None:
        """Words the answer is likely to hold, a hint for hearing the turn again; None: none."""
        ...


@runtime_checkable
class RehearsingEngine(Engine, Protocol):
    def rehearsal(self) -> Engine | None:
        """A copy to answer one turn ahead with, whose tools change nothing; None: not now."""
        ...

    def adopt(self, rehearsed: Engine) -> bool:
        """The turn ended as rehearsed: take over the copy's state (False: it could not be)."""
        ...


@runtime_checkable
class AsksAgain(Protocol):
    def question_again(self) -> list[str]:
        """The question the caller has not answered, to say again after their silence ([]: none)."""
        ...


class DialogEngine:
    name = "dialog"
    wants_text = True

    def __init__(self, dialog: FrameDialog) -> None:
        self.dialog = dialog

    @property
    def ended(self) -> bool:
        return self.dialog.ended

    @property
    def expecting(self) -> str | None:
        """The slot the dialog asks for next ("phone", "name", "time", "city", "listing", "yes_no"):
        e.g. to bias the speech recogniser towards digits, names or the cities it knows."""
        return self.dialog.expecting

    def answer_check(self) -> Callable[[str], bool] | None:
        return self.dialog.answer_check()

    def answer_words(self) -> str | None:
        return self.dialog.answer_words()

    async def greeting(self) -> list[Line]:
        return [Line(" ".join(self.dialog.greeting()))]

    async def respond(self, turn: CallerTurn) -> AsyncIterator[Line]:
        for text in await self.dialog.respond(turn.text, turn.alternatives):
            yield Line(text)

    def heard(self, text: str) -> None:
        self.dialog.heard(text)

    def question_again(self) -> list[str]:
        """The last line that asks something, whole: its choices ("I can do 9 or 10 AM. Which
        works for you?") go with the question."""
        asking = [line for line in self.dialog.last_said if "?" in line]
        return asking[-1:]

    async def close(self) -> None:
        return None

    def rehearsal(self) -> DialogEngine | None:
        copied = rehearsal.fork(self.dialog)
        return DialogEngine(copied) if copied is not None else None

    def adopt(self, rehearsed: Engine) -> bool:
        assert isinstance(rehearsed, DialogEngine)
        return rehearsal.adopt(self.dialog, rehearsed.dialog)
