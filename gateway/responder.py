"""What answers a caller's turn. The agent (a later issue) implements this; until then,
and for load tests, the echo responder plays each turn back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from gateway.media.outbound import Voice
from gateway.media.pcm import IN_RATE, OUT_RATE, Pcm, resample
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext


@dataclass(frozen=True)
class CallerTurn:
    index: int
    audio: Pcm  # 16 kHz mono
    text: str = ""  # what STT heard, when an STT runs
    alternatives: tuple[str, ...] = ()  # the STT's runners-up for the same audio, most likely first


@dataclass(frozen=True)
class Speech:
    """One piece of agent speech: a sentence, or the first phrase of a reply (gateway/agent/phrases.py)."""

    text: str
    audio: Voice  # 48 kHz mono PCM, or Opus packets from the TTS
    tts_seconds: float = 0.0  # spent synthesising it (0: cached, or the engine brought its own audio)
    # The agent.text it starts: None, its own text; "" none (it continues a line already shown).
    line: str | None = None

    @property
    def shown(self) -> str:
        """Its agent.text: its own text, the whole line it starts, or "" (a line's later piece: none)."""
        return self.text if self.line is None else self.line


class Responder(Protocol):
    async def greeting(self) -> Speech | None: ...

    def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]: ...

    def heard(self, turn: int, text: str) -> None:
        """What of the agent's last reply the caller actually heard (cut short on barge-in)."""
        ...

    def listening_for(self) -> SpeechContext:
        """What the caller's next turn is likely to say (the STT biases its decoding with it)."""
        ...

    async def close(self) -> None:
        """The call ended: release what the responder holds (a provider connection)."""
        ...


@runtime_checkable
class Nudges(Protocol):
    def nudge(self, times: int) -> AsyncIterator[Speech]:
        """The caller said nothing after the agent's reply, for the `times`-th time in a row: ask if
        they are still there (and the question again), or, past gateway/no_answer.MAX_NUDGES, say
        goodbye (then `ended` is true and the call hangs up once it is heard)."""
        ...


@runtime_checkable
class LeavesVoicemail(Protocol):
    async def voicemail(self) -> Speech | None:
        """The message to leave on an answering machine (an outbound call): the agent's own voice;
        None: it has none (the call just ends)."""
        ...


class PreparedReply(Protocol):
    """A reply worked out before the caller's turn surely ended (gateway/agent/rehearsal.py)."""

    turn: CallerTurn  # the turn as it was when the reply was prepared (its text, its runners-up)

    def answers(self, turn: CallerTurn) -> bool:
        """The turn ended as it was prepared for: the same text and runners-up."""
        ...

    @property
    def first_ready_at(self) -> float:
        """When its first piece's audio was ready (monotonic seconds; 0: not yet)."""
        ...

    async def take(self) -> AsyncIterator[Speech] | None:
        """Once it is ready: the reply's pieces, the responder's state now as if it had answered the
        turn; None: it could not be prepared (it needed a tool that changes something), and nothing
        changed, so the turn is answered the ordinary way."""
        ...

    def cancel(self) -> None:
        """The caller went on speaking, or said something else: drop it (nothing was changed)."""
        ...


@runtime_checkable
class Rehearses(Protocol):
    def rehearse(self, turn: CallerTurn) -> PreparedReply | None:
        """Start preparing the reply to `turn` (its text as heard so far); None: it cannot be now."""
        ...


class EchoResponder:
    """Plays each caller turn back: a media-path check and the load-test responder."""

    async def greeting(self) -> Speech | None:
        return None

    async def reply(self, turn: CallerTurn) -> AsyncIterator[Speech]:
        yield Speech(text=turn.text, audio=resample(turn.audio, IN_RATE, OUT_RATE))

    def heard(self, turn: int, text: str) -> None:
        return None

    def listening_for(self) -> SpeechContext:
        return NO_CONTEXT

    async def close(self) -> None:
        return None
