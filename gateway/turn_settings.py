"""How the caller's turns are taken, read from the environment: endpointing (gateway/turns.py) and
what speech over the agent's reply does (gateway/interruptions.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bus.settings import env_float
from gateway.interruptions import PHRASES, WORDS, InterruptionSettings, normalise

END_OF_TURN_MODES = ("vad", "model", "text")


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    return default if not value else value in ("1", "true", "yes", "on")


def interruption_settings(env: Mapping[str, str] | None = None) -> InterruptionSettings:
    """VOICEPOD_RESUME_AFTER_BACKCHANNEL, VOICEPOD_BACKCHANNEL_* (MAX_MS, STOP_MS, WORDS: more, comma-separated),
    VOICEPOD_BARGE_IN_PAUSE_MS, VOICEPOD_FALSE_INTERRUPTION_WINDOW_MS."""
    env = os.environ if env is None else env
    default = InterruptionSettings()
    extra = tuple(w for w in (normalise(x) for x in env.get("VOICEPOD_BACKCHANNEL_WORDS", "").split(",")) if w)
    return InterruptionSettings(
        resume=_flag(env, "VOICEPOD_RESUME_AFTER_BACKCHANNEL", default.resume),
        backchannel_max_ms=env_float(env, "VOICEPOD_BACKCHANNEL_MAX_MS", default.backchannel_max_ms),
        pause_ms=env_float(env, "VOICEPOD_BARGE_IN_PAUSE_MS", default.pause_ms),
        stop_ms=env_float(env, "VOICEPOD_BACKCHANNEL_STOP_MS", default.stop_ms),
        window_ms=env_float(env, "VOICEPOD_FALSE_INTERRUPTION_WINDOW_MS", default.window_ms),
        words=WORDS + tuple(w for w in extra if " " not in w),
        phrases=PHRASES + tuple(w for w in extra if " " in w),
    )


@dataclass(frozen=True)
class TurnSettings:
    start_threshold: float = 0.5
    stop_threshold: float = 0.35
    start_ms: float = 100.0
    stop_ms: float = 600.0
    # After the agent asked for digits (a phone number): callers say them in groups and pause
    # between groups (300-900 ms measured in bench/end_of_turn.py); 600 ms would end the turn there.
    digits_stop_ms: float = 1000.0
    barge_in_threshold: float = 0.7
    barge_in_ms: float = 120.0
    # Audio kept from before the onset was confirmed, so the turn's first syllable is not lost.
    preroll_ms: float = 300.0
    # An onset that rose slowly (a barge-in's "the first one": its first words under the stronger
    # threshold) keeps the speech-like frames before it too, up to this much, plus the preroll.
    onset_reach_ms: float = 1000.0
    max_turn_ms: float = 30_000.0
    # The caller's silence after the agent's reply before it asks if they are still there
    # (gateway/no_answer.py); 0: never.
    no_answer_ms: float = 8000.0
    end_of_turn: str = "vad"  # or "model" or "text": see the module's docstring
    eot_silence_ms: float = 200.0  # silence before the model (or the words so far) is asked
    eot_threshold: float = 0.5  # the model's "complete" probability that ends the turn
    eot_max_silence_ms: float = 1500.0  # silence that ends the turn whatever it (or the words) says
    # What an onset during the agent's reply does: pause it, and resume after a backchannel.
    interruptions: InterruptionSettings = field(default_factory=InterruptionSettings)

    def __post_init__(self) -> None:
        if self.no_answer_ms < 0:
            raise ValueError(f"VOICEPOD_NO_ANSWER_MS must be 0 (never) or more, got {self.no_answer_ms}")
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
        return self.stop_ms if self.end_of_turn == "vad" else self.eot_silence_ms

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TurnSettings:
        env = os.environ if env is None else env
        f = env_float
        return cls(
            start_threshold=f(env, "VOICEPOD_VAD_START_THRESHOLD", cls.start_threshold),
            stop_threshold=f(env, "VOICEPOD_VAD_STOP_THRESHOLD", cls.stop_threshold),
            start_ms=f(env, "VOICEPOD_VAD_START_MS", cls.start_ms),
            stop_ms=f(env, "VOICEPOD_VAD_STOP_MS", cls.stop_ms),
            digits_stop_ms=f(env, "VOICEPOD_VAD_STOP_MS_DIGITS", cls.digits_stop_ms),
            barge_in_threshold=f(env, "VOICEPOD_BARGE_IN_THRESHOLD", cls.barge_in_threshold),
            barge_in_ms=f(env, "VOICEPOD_BARGE_IN_MS", cls.barge_in_ms),
            no_answer_ms=f(env, "VOICEPOD_NO_ANSWER_MS", cls.no_answer_ms),
            end_of_turn=(env.get("VOICEPOD_END_OF_TURN") or cls.end_of_turn).strip().lower(),
            eot_silence_ms=f(env, "VOICEPOD_EOT_SILENCE_MS", cls.eot_silence_ms),
            eot_threshold=f(env, "VOICEPOD_EOT_THRESHOLD", cls.eot_threshold),
            eot_max_silence_ms=f(env, "VOICEPOD_EOT_MAX_SILENCE_MS", cls.eot_max_silence_ms),
            interruptions=interruption_settings(env),
        )
