"""Endpointing: speech probabilities per 20 ms frame -> caller turns, and barge-in onsets.

A turn starts when speech has been likely (>= start_threshold) for start_ms. While the
agent is speaking, an onset must be stronger (barge_in_threshold) and last barge_in_ms
before it counts: the caller's browser cancels most of our echo, and this guards against
the rest.

How a turn ends (VOICEPOD_END_OF_TURN):
- `vad` (the default): after stop_ms below stop_threshold.
- `model`: after eot_silence_ms below stop_threshold the turn's audio goes to an end-of-turn
  judge (gateway/media/end_of_turn.py) once; a "complete" at or above eot_threshold ends the
  turn as soon as it arrives, anything else waits for more speech, or for eot_max_silence_ms.
  Speech before the answer cancels that pause's question; the next pause asks again.

A turn the caller starts over the agent (a barge-in) whose speech is still short
(gateway/interruptions.py: at most backchannel_max_ms) ends after the interruption settings'
shorter stop_ms: a paused reply need not wait the full silence to learn it was only an "uh-huh".
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import structlog

from bus.settings import env_float
from gateway.interruptions import InterruptionSettings
from gateway.media.end_of_turn import EndOfTurnJudge
from gateway.media.pcm import FRAME_SECONDS, Pcm

log = structlog.get_logger()
END_OF_TURN_MODES = ("vad", "model")


@dataclass(frozen=True)
class TurnSettings:
    start_threshold: float = 0.5
    stop_threshold: float = 0.35
    start_ms: float = 100.0
    stop_ms: float = 600.0
    barge_in_threshold: float = 0.7
    barge_in_ms: float = 120.0
    # Audio kept from before the onset was confirmed, so the turn's first syllable is not lost.
    preroll_ms: float = 300.0
    max_turn_ms: float = 30_000.0
    end_of_turn: str = "vad"  # or "model": see the module's docstring
    eot_silence_ms: float = 200.0  # silence before the model is asked
    eot_threshold: float = 0.5  # its "complete" probability that ends the turn
    eot_max_silence_ms: float = 1500.0  # silence that ends the turn whatever it says
    # What an onset during the agent's reply does: pause it, and resume after a backchannel.
    interruptions: InterruptionSettings = field(default_factory=InterruptionSettings)

    def __post_init__(self) -> None:
        if self.end_of_turn not in END_OF_TURN_MODES:
            raise ValueError(
                f"VOICEPOD_END_OF_TURN must be one of {', '.join(END_OF_TURN_MODES)}, got {self.end_of_turn!r}"
            )
        if not 0.0 <= self.eot_threshold <= 1.0:
            raise ValueError(f"VOICEPOD_EOT_THRESHOLD must be between 0 and 1, got {self.eot_threshold}")
        if not 0.0 < self.eot_silence_ms <= self.eot_max_silence_ms:
            raise ValueError(
                f"VOICEPOD_EOT_SILENCE_MS ({self.eot_silence_ms}) must be above 0 and at most "
                f"VOICEPOD_EOT_MAX_SILENCE_MS ({self.eot_max_silence_ms})"
            )

    @property
    def first_pause_ms(self) -> float:
        """The silence after which a turn may first end (so a quiet line is fed this much at a time)."""
        return self.eot_silence_ms if self.end_of_turn == "model" else self.stop_ms

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TurnSettings:
        env = os.environ if env is None else env
        f = env_float
        return cls(
            start_threshold=f(env, "VOICEPOD_VAD_START_THRESHOLD", cls.start_threshold),
            stop_threshold=f(env, "VOICEPOD_VAD_STOP_THRESHOLD", cls.stop_threshold),
            start_ms=f(env, "VOICEPOD_VAD_START_MS", cls.start_ms),
            stop_ms=f(env, "VOICEPOD_VAD_STOP_MS", cls.stop_ms),
            barge_in_threshold=f(env, "VOICEPOD_BARGE_IN_THRESHOLD", cls.barge_in_threshold),
            barge_in_ms=f(env, "VOICEPOD_BARGE_IN_MS", cls.barge_in_ms),
            end_of_turn=(env.get("VOICEPOD_END_OF_TURN") or cls.end_of_turn).strip().lower(),
            eot_silence_ms=f(env, "VOICEPOD_EOT_SILENCE_MS", cls.eot_silence_ms),
            eot_threshold=f(env, "VOICEPOD_EOT_THRESHOLD", cls.eot_threshold),
            eot_max_silence_ms=f(env, "VOICEPOD_EOT_MAX_SILENCE_MS", cls.eot_max_silence_ms),
            interruptions=InterruptionSettings.from_env(env),
        )


@dataclass(frozen=True)
class SpeechStarted:
    barge_in: bool  # the agent was speaking when it started


@dataclass(frozen=True)
class TurnEnded:
    audio: Pcm  # 16 kHz, preroll included
    speech_seconds: float
    silence_seconds: float = 0.0  # waited after the caller's speech before ending (the latency's VAD stage)
    # From the first likely frame of the onset to the trailing silence (speech_seconds counts the preroll)
    voiced_seconds: float = 0.0


TurnEvent = SpeechStarted | TurnEnded


class TurnDetector:
    """One call's endpointing. `judge` (an end-of-turn model) is used only with end_of_turn=model."""

    def __init__(self, settings: TurnSettings, judge: EndOfTurnJudge | None = None) -> None:
        if settings.end_of_turn == "model" and judge is None:
            raise ValueError("end_of_turn=model needs an end-of-turn judge (see detector_for)")
        self.s = settings
        self._judge = judge if settings.end_of_turn == "model" else None
        frame_ms = FRAME_SECONDS * 1000
        self._preroll: deque[Pcm] = deque(maxlen=max(1, int(settings.preroll_ms / frame_ms)))
        self._frame_ms = frame_ms
        self._in_turn = False
        self._likely_ms = 0.0
        self._unlikely_ms = 0.0
        self._turn: list[Pcm] = []
        self._verdict: Future[float] | None = None  # this pause's question to the judge
        self._asked = False  # already asked in this pause (one inference per pause)
        self._barge_in = False  # this turn started while the agent was speaking
        self._lead_ms = 0.0  # of the turn's audio before its onset's first likely frame
        self.judged = 0  # questions asked (for tests and benchmarks)

    @property
    def in_turn(self) -> bool:
        return self._in_turn

    @property
    def turn_frames(self) -> int:
        """Frames of the open turn so far, its preroll included (0: no turn open)."""
        return len(self._turn) if self._in_turn else 0

    def feed(self, frame: Pcm, probability: float, *, agent_speaking: bool) -> TurnEvent | None:
        if not self._in_turn:
            self._preroll.append(frame)
            threshold, needed = (
                (self.s.barge_in_threshold, self.s.barge_in_ms) if agent_speaking
                else (self.s.start_threshold, self.s.start_ms)
            )  # fmt: skip
            self._likely_ms = self._likely_ms + self._frame_ms if probability >= threshold else 0.0
            if self._likely_ms >= needed:
                self._in_turn, self._unlikely_ms = True, 0.0
                self._turn = list(self._preroll)
                self._barge_in, self._lead_ms = agent_speaking, len(self._turn) * self._frame_ms - self._likely_ms
                self._preroll.clear()
                return SpeechStarted(barge_in=agent_speaking)
            return None
        self._turn.append(frame)
        if probability < self.s.stop_threshold:
            self._unlikely_ms += self._frame_ms
        else:
            self._unlikely_ms, self._verdict, self._asked = 0.0, None, False  # still talking
        too_long = len(self._turn) * self._frame_ms >= self.s.max_turn_ms
        if too_long or self._pause_ends_turn():
            return self._end()
        return None

    def _voiced_ms(self) -> float:
        return len(self._turn) * self._frame_ms - self._lead_ms - self._unlikely_ms

    def _pause_ends_turn(self) -> bool:
        short = self.s.interruptions
        if (self._barge_in and short.resume and self._unlikely_ms >= short.stop_ms
                and self._voiced_ms() <= short.backchannel_max_ms):  # fmt: skip
            return True
        if self._judge is None:
            return self._unlikely_ms >= self.s.stop_ms
        if self._unlikely_ms >= self.s.eot_max_silence_ms:
            return True
        if not self._asked and self._unlikely_ms >= self.s.eot_silence_ms:
            self._asked, self.judged = True, self.judged + 1
            self._verdict = self._judge.judge(np.concatenate(self._turn))
        if self._verdict is None or not self._verdict.done():
            return False
        verdict, self._verdict = self._verdict, None
        try:
            return verdict.result() >= self.s.eot_threshold
        except Exception:  # a failed inference is not a verdict: the pause runs to its maximum
            log.exception("end_of_turn_model_failed")
            return False

    def _end(self) -> TurnEnded:
        audio = np.concatenate(self._turn)
        silence = self._unlikely_ms / 1000
        speech = len(self._turn) * self._frame_ms / 1000 - silence
        voiced = self._voiced_ms() / 1000
        self._in_turn, self._likely_ms, self._turn = False, 0.0, []
        self._verdict, self._asked = None, False
        return TurnEnded(audio=audio, speech_seconds=max(0.0, speech), silence_seconds=silence,
                         voiced_seconds=max(0.0, voiced))  # fmt: skip


def detector_for(settings: TurnSettings) -> TurnDetector:
    """A call's detector as the settings say: with the process's end-of-turn model when asked for."""
    if settings.end_of_turn == "model":
        from gateway.media.end_of_turn import shared_judge

        return TurnDetector(settings, shared_judge())
    return TurnDetector(settings)
