"""Who ends the caller's turns: the two turn sources of the turn loop, chosen once per call.

- `LocalTurns`: our Silero VAD and turn detector (gateway/turns.py, with the end-of-turn model
  when VOICEPOD_END_OF_TURN=model, or the STT session's text so far when =text) hear decoded
  16 kHz frames; the STT session is fed alongside (the caller's Opus packets as they came, when
  it takes them and the link has them).
- `ProviderTurns` (VOICEPOD_TURNS=provider): the STT session hears everything and reports onsets
  and ended turns with their text; nothing else runs (on the lean link nothing is decoded).

Both tell the loop the same two things, `Onset` and `Ended`; they differ only in what they take
from the link and what they feed a line that has gone quiet mid-turn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol, cast

import numpy as np

from gateway.link.base import PacketTap
from gateway.media.opus_out import silence_packet
from gateway.media.pcm import FRAME_SECONDS, IN_FRAME, Pcm
from gateway.media.vad import VadStream
from gateway.providers.stt import SttSession, Transcript, TurnDetectingSession
from gateway.providers.stt.context import SpeechContext
from gateway.turns import SpeechStarted, TurnDetector, TurnEnded, TurnSettings, detector_for

SILENT_FRAME = np.zeros(IN_FRAME, dtype=np.int16)
NO_AUDIO = np.zeros(0, dtype=np.int16)  # a turn the provider ended: its audio stayed with the provider
Heard = Pcm | bytes | None  # a 16 kHz frame, or one of the caller's Opus packets (None: lost)


class CallerMedia(Protocol):
    """What the turn loop takes from a call's media link (gateway/link/base.py MediaLink)."""

    def caller_audio(self, packets: PacketTap | None = None) -> AsyncIterator[Pcm]: ...

    def caller_packets(self) -> AsyncIterator[bytes | None]: ...


@dataclass(frozen=True)
class Onset:
    """The caller started speaking."""


@dataclass(frozen=True)
class MaybeSpeech:
    """While the agent talks: a sound that may become an onset (hush the agent now)."""


@dataclass(frozen=True)
class NotSpeech:
    """The sound after a MaybeSpeech stopped short of an onset."""


@dataclass(frozen=True)
class Ended:
    """The caller's turn ended: its audio (ours), or its text (the provider's)."""

    audio: Pcm
    speech_seconds: float
    waited: float  # the silence waited before ending it (the latency's vad_wait stage)
    heard: Transcript | None = None  # the provider's final text
    voiced_seconds: float | None = None  # the speech alone, when the source can tell (else speech_seconds)

    @property
    def voiced(self) -> float:
        return self.speech_seconds if self.voiced_seconds is None else self.voiced_seconds


TurnSignal = Onset | MaybeSpeech | NotSpeech | Ended
Emit = Callable[[TurnSignal], None]


class TurnSource(Protocol):
    quiet_gap: float  # seconds without audio mid-turn after which `line_went_quiet` is called

    @property
    def in_turn(self) -> bool: ...

    @property
    def speaking(self) -> bool:
        """The caller is speaking now, as far as this source can tell."""
        ...

    def start(self, emit: Emit, agent_speaking: Callable[[], bool]) -> None:
        """From now on, onsets and ended turns go to `emit` (from `hear`, or the provider's task);
        `agent_speaking`: the agent's speech is queued to play, so the caller's line may carry its
        echo. While the agent only thinks (a tool call, the next sentence's synthesis), nothing of it
        can be heard: an onset then needs no more than an ordinary one."""

    def expect(self, context: SpeechContext) -> None:
        """What the agent just asked (told at each onset): a source that ends turns by silence
        waits longer in an answer said in groups of digits."""

    def hearing(self, link: CallerMedia) -> AsyncIterator[Heard]:
        """What this source takes from the link, until the media ends."""

    def hear(self, heard: Heard) -> None: ...

    def line_went_quiet(self) -> None:
        """No audio for `quiet_gap` mid-turn: hear that much silence."""

    def release(self) -> None:
        """The call is over: drop `emit` (it refers back to the call)."""


class SpeechProbability(Protocol):
    def push(self, pcm: Pcm) -> float: ...


class LocalTurns:
    def __init__(self, detector: TurnDetector, session: SttSession | None, *, opus: bool, quiet_gap: float,
                 vad: SpeechProbability | None = None) -> None:  # fmt: skip
        """`opus`: the session is fed the caller's packets as they came; `vad`: Silero unless given."""
        self._detector = detector
        s = detector.s
        self._hush_at = s.interruptions.pause_ms if s.interruptions.pause_ms < s.barge_in_ms else None
        self._hush_threshold = s.start_threshold  # an ordinary onset's: a needless hush costs a few frames
        self._likely_ms = 0.0  # while the agent talks and no turn is open: the run of likely frames
        self._hushed = False
        self._session = session
        self._opus = opus
        self._vad = vad or VadStream()
        self._agent_speaking: Callable[[], bool] | None = None  # a barge-in onset must pass a stronger threshold
        self._emit: Emit | None = None
        self.quiet_gap = quiet_gap

    @property
    def in_turn(self) -> bool:
        return self._detector.in_turn

    @property
    def speaking(self) -> bool:
        return self._detector.in_turn

    def start(self, emit: Emit, agent_speaking: Callable[[], bool]) -> None:
        self._emit, self._agent_speaking = emit, agent_speaking

    def expect(self, context: SpeechContext) -> None:
        self._detector.expect(context.slot)

    def hearing(self, link: CallerMedia) -> AsyncIterator[Heard]:
        tap = self._session.feed_opus if self._opus and self._session is not None else None
        return link.caller_audio(tap)

    def hear(self, heard: Heard) -> None:
        assert isinstance(heard, np.ndarray)
        self._frame(heard, self._vad.push(heard))

    def line_went_quiet(self) -> None:
        for _ in range(round(self.quiet_gap / FRAME_SECONDS)):
            self._frame(SILENT_FRAME, 0.0)  # not through the VAD: it would hear digital silence anyway

    def _frame(self, frame: Pcm, probability: float) -> None:
        if self._session is not None:
            self._session.feed(frame)  # a session fed Opus ignores frames
        busy = self._agent_speaking is not None and self._agent_speaking()
        was_in_turn = self._detector.in_turn
        event = self._detector.feed(frame, probability, agent_speaking=busy)
        if self._emit is not None:
            if self._hush_at is not None and (busy or self._hushed) and not was_in_turn:
                self._hush(probability, event)
            if isinstance(event, SpeechStarted):
                self._emit(Onset())  # the loop tells the session what to expect before it decodes
            elif isinstance(event, TurnEnded):
                self._emit(Ended(audio=event.audio, speech_seconds=event.speech_seconds, waited=event.silence_seconds,
                                 voiced_seconds=event.voiced_seconds))  # fmt: skip
        if self._session is not None:  # an incremental session decodes at the caller's pauses
            self._session.feed_vad(probability, self._detector.turn_frames)

    def _hush(self, probability: float, event: object) -> None:
        """Pausing is undone for free, so the agent hushes at the first likely frames, ahead of the onset."""
        assert self._emit is not None and self._hush_at is not None
        self._likely_ms = self._likely_ms + FRAME_SECONDS * 1000 if probability >= self._hush_threshold else 0.0
        if isinstance(event, SpeechStarted):
            self._hushed, self._likely_ms = False, 0.0  # the onset takes over
        elif not self._hushed and self._likely_ms >= self._hush_at:
            self._hushed = True
            self._emit(MaybeSpeech())
        elif self._hushed and self._likely_ms == 0.0:
            self._hushed = False
            self._emit(NotSpeech())

    def release(self) -> None:
        self._emit = self._agent_speaking = None


class ProviderTurns:
    def __init__(self, session: TurnDetectingSession, *, opus: bool, quiet_gap: float) -> None:
        self._session = session
        self._opus = opus
        self._emit: Emit | None = None
        self._in_turn = False  # speech heard and its turn not yet ended
        self.quiet_gap = quiet_gap
        self._feed: Callable[[Heard], None] = session.feed_opus if opus else session.feed  # type: ignore[assignment]
        # No packets mid-turn (a muted track, DTX, a lost link): the provider hears nothing and cannot
        # end the turn, so it is fed silence (encoded digital silence: a lost-packet stand-in would be
        # concealed as a fading continuation of the last sound, which endpointing may not call quiet).
        self._quiet: Heard = silence_packet() if opus else SILENT_FRAME

    @property
    def in_turn(self) -> bool:
        return self._in_turn

    @property
    def speaking(self) -> bool:
        """Unknown: the provider reports onsets, not offsets. It ends any turn with words in it after
        its endpointing's short silence, so an onset that no turn follows for long heard no words."""
        return False

    def start(self, emit: Emit, agent_speaking: Callable[[], bool]) -> None:
        self._emit = emit
        self._session.detect_turns(self._speech, self._turn)

    def expect(self, context: SpeechContext) -> None:
        pass  # the provider's endpointing decides (its session is told the context by the loop)

    def hearing(self, link: CallerMedia) -> AsyncIterator[Heard]:
        return link.caller_packets() if self._opus else link.caller_audio()

    def hear(self, heard: Heard) -> None:
        self._feed(heard)

    def line_went_quiet(self) -> None:
        for _ in range(round(self.quiet_gap / FRAME_SECONDS)):
            self._feed(self._quiet)

    def _speech(self) -> None:
        self._in_turn = True
        if self._emit is not None:
            self._emit(Onset())

    def _turn(self, transcript: Transcript) -> None:
        self._in_turn = False
        if self._emit is not None:
            self._emit(Ended(audio=NO_AUDIO, speech_seconds=transcript.audio_seconds, waited=transcript.waited,
                             heard=transcript))  # fmt: skip

    def release(self) -> None:
        self._emit = None


def turn_source(settings: TurnSettings, session: SttSession | None, *, opus: bool, provider: bool) -> TurnSource:
    """`provider`: the session's provider ends the turns (it must be a TurnDetectingSession)."""
    if provider:
        assert session is not None
        return ProviderTurns(cast(TurnDetectingSession, session), opus=opus, quiet_gap=settings.stop_ms / 1000)
    detector = detector_for(settings, session)  # VOICEPOD_END_OF_TURN=text reads the session's text so far
    return LocalTurns(detector, session, opus=opus, quiet_gap=settings.first_pause_ms / 1000)
