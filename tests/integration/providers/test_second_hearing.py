"""Whisper by slot hears a turn again, with the real models (from their PyPI packages) on real
synthetic speech (espeak-ng), only when the dialog's check says its first hearing does not answer."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gateway.media.pcm import IN_RATE
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.whisper_by_slot import WhisperBySlot
from tests.integration.providers.test_whisper_nbest import speech

WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)


def names_a_day(text: str) -> bool:
    return bool(WEEKDAY.search(text))


def test_a_turn_that_answers_is_heard_once_and_one_that_does_not_comes_back_with_other_hearings(
    tmp_path: Path,
) -> None:
    stt = WhisperBySlot()
    try:
        line = speech("How about Thursday at ten in the morning?", tmp_path)
        once = stt.transcribe_now(line, SpeechContext("time", answers=names_a_day))
        assert names_a_day(once.text) and once.alternatives == ()
        # A check no hearing passes: both models' beams come back, distinct and none the top hearing.
        again = stt.transcribe_now(line, SpeechContext("time", answers=lambda text: False))
        assert again.text and again.alternatives and again.text not in again.alternatives
        assert len(set(again.alternatives)) == len(again.alternatives)
        assert any(names_a_day(h) for h in again.alternatives)
    finally:
        stt.close()


def test_noise_is_not_heard_again_into_an_answer() -> None:
    stt = WhisperBySlot()
    try:
        for level in (40, 300):
            quiet = np.random.default_rng(level).normal(0, level, int(1.5 * IN_RATE)).astype(np.int16)
            heard = stt.transcribe_now(quiet, SpeechContext("time", answers=names_a_day))
            assert not any(names_a_day(h) for h in (heard.text, *heard.alternatives)), heard
    finally:
        stt.close()
