"""Endpointing: speech probabilities per 20 ms frame -> caller turns, and barge-in onsets.

A turn starts when speech has been likely (>= start_threshold) for start_ms, and
ends after stop_ms below stop_threshold. While the agent is speaking, an onset
must be stronger (barge_in_threshold) and last barge_in_ms before it counts: the
caller's browser cancels most of our echo, and this guards against the rest.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from bus.settings import env_float
from gateway.media.pcm import FRAME_SECONDS, Pcm


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
        )


@dataclass(frozen=True)
class SpeechStarted:
    barge_in: bool  # the agent was speaking when it started


@dataclass(frozen=True)
class TurnEnded:
    audio: Pcm  # 16 kHz, preroll included
    speech_seconds: float


TurnEvent = SpeechStarted | TurnEnded


class TurnDetector:
    def __init__(self, settings: TurnSettings) -> None:
        self.s = settings
        frame_ms = FRAME_SECONDS * 1000
        self._preroll: deque[Pcm] = deque(maxlen=max(1, int(settings.preroll_ms / frame_ms)))
        self._frame_ms = frame_ms
        self._in_turn = False
        self._likely_ms = 0.0
        self._unlikely_ms = 0.0
        self._turn: list[Pcm] = []

    @property
    def in_turn(self) -> bool:
        return self._in_turn

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
                self._preroll.clear()
                return SpeechStarted(barge_in=agent_speaking)
            return None
        self._turn.append(frame)
        self._unlikely_ms = self._unlikely_ms + self._frame_ms if probability < self.s.stop_threshold else 0.0
        too_long = len(self._turn) * self._frame_ms >= self.s.max_turn_ms
        if self._unlikely_ms >= self.s.stop_ms or too_long:
            audio = np.concatenate(self._turn)
            speech = len(self._turn) * self._frame_ms / 1000 - self._unlikely_ms / 1000
            self._in_turn, self._likely_ms, self._turn = False, 0.0, []
            return TurnEnded(audio=audio, speech_seconds=max(0.0, speech))
        return None
