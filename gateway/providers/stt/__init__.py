"""Speech to text: one interface, chosen by configuration (VOICEPOD_STT).

A provider opens one session per call. The call feeds the session every 16 kHz frame
it hears and asks for the transcript when our VAD ends a turn. Per-turn sessions (whisper with
VOICEPOD_STT_INCREMENTAL=off) ignore the frames and transcribe the turn's audio; streaming ones
(Deepgram live) send the frames as they come, report interim text, and finalize at
the turn's end, so the final text is ready almost as soon as the caller stops.

A provider that `detects_turns` can also end the caller's turns itself (its endpointing, its
speech-start events): `session.detect_turns(on_speech, on_turn)`; the call then runs no VAD
of its own (VOICEPOD_TURNS=provider).

A provider that `takes_opus` can be opened with `opus=True` when the call's media link has
the caller's Opus packets (our own endpoint): the session is then fed those packets
(`feed_opus`) instead of frames, so nothing is decoded or resampled for it.

The call also tells the session what our VAD made of each frame (`feed_vad`: its speech
probability, and how many of the frames fed so far make the caller's open turn). Whisper's
incremental session (gateway/providers/stt/incremental.py, VOICEPOD_STT_INCREMENTAL) times its
decodes by it and sends interim text while the caller speaks; the others ignore it.

An incremental session can also say when the text so far is already the turn's final text if the
caller says no more (`SettlingSession.watch_pauses`): the turn loop may then prepare the reply.

Before each caller turn the call may tell the session what the dialog expects to hear
(`session.expect(SpeechContext(slot="phone"))`); whisper biases its decoding with it,
a provider that cannot use it ignores it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from gateway.media.pcm import Pcm
from gateway.providers.stt.context import NO_CONTEXT, SpeechContext


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float  # 0..1, the provider's own estimate
    seconds: float  # from the turn's end (or the request) to the final text
    audio_seconds: float = 0.0  # caller audio the provider processed (and bills) for this turn
    # False: the provider could not finish this turn (refused, connection lost, no answer in time);
    # the text is what it had, and a fallback may transcribe the turn's audio instead.
    complete: bool = True
    # Provider turns: the silence the provider waited for before it ended the turn (its endpointing).
    waited: float = 0.0
    # Runners-up of the same audio, most likely first (whisper's other beams on a phone-number turn):
    # the dialog may take one when the top hearing is no usable answer (nine digits for a number).
    alternatives: tuple[str, ...] = ()


Interim = Callable[[str], None]  # partial text of the turn in progress
SpeechHeard = Callable[[], None]  # the provider heard speech start
TurnHeard = Callable[[Transcript], None]  # the provider ended a turn: its final text


class SttSession(Protocol):
    def feed(self, frame: Pcm) -> None:
        """One 20 ms frame of the caller's audio (16 kHz mono int16); must not block."""
        ...

    def feed_opus(self, packet: bytes | None) -> None:
        """One of the caller's Opus packets, as received (None: lost), for a session opened with opus=True."""
        ...

    def feed_vad(self, speech: float, turn_frames: int) -> None:
        """Our VAD on the frame just fed: its speech probability, and how many of the frames fed so far
        (this one included, preroll too) make the caller's open turn; 0: none is open (the frame that
        ends a turn is its last). Must not block."""
        ...

    def expect(self, context: SpeechContext) -> None:
        """What the next caller turns are likely to say (the slot asked for, likely phrases)."""
        ...

    async def turn_ended(self, audio: Pcm) -> Transcript:
        """Our VAD ended a turn (`audio` is that turn, preroll included): its final text."""
        ...

    async def close(self) -> None: ...


class TurnDetectingSession(SttSession, Protocol):
    def detect_turns(self, on_speech: SpeechHeard, on_turn: TurnHeard) -> None:
        """From now on the provider ends turns (turn_ended is not called) and reports speech onsets."""
        ...


Settled = Callable[[Transcript], None]  # the caller paused, and this is the turn's text if they say no more
Unsettled = Callable[[], None]  # the caller spoke again after a Settled


@runtime_checkable
class SettlingSession(SttSession, Protocol):
    def watch_pauses(self, settled: Settled, unsettled: Unsettled) -> None:
        """From now on: at a pause whose text is already what the turn's final text would be, call
        `settled` with it; when the caller speaks again in the same turn, `unsettled`. (A reply may
        be prepared in between: gateway/agent/rehearsal.py.)"""
        ...


class SpeechToText(Protocol):
    name: str
    takes_opus: bool
    detects_turns: bool  # its sessions are TurnDetectingSession

    def open(self, on_interim: Interim | None = None, *, opus: bool = False) -> SttSession: ...


class PerTurnTranscriber(Protocol):
    async def transcribe(self, audio: Pcm, context: SpeechContext = NO_CONTEXT) -> Transcript: ...


class PerTurnSession:
    """The session of a provider that transcribes whole turns."""

    def __init__(self, provider: PerTurnTranscriber) -> None:
        self._provider = provider
        self._context = NO_CONTEXT

    def feed(self, frame: Pcm) -> None:
        return None

    def feed_opus(self, packet: bytes | None) -> None:
        return None

    def feed_vad(self, speech: float, turn_frames: int) -> None:
        return None

    def expect(self, context: SpeechContext) -> None:
        self._context = context

    async def turn_ended(self, audio: Pcm) -> Transcript:
        return await self._provider.transcribe(audio, self._context)

    async def close(self) -> None:
        return None
