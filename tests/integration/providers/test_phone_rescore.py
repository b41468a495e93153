"""Rescoring a phone turn's hearings with the real whisper models (from their PyPI packages) on real
synthetic speech (espeak-ng's default voice, which is in neither of bench/stt's voice sets).

Whether the rescored order is right more often than the decoders' is measured on many voices by
bench/phone_rescore.py, not asserted here: on this voice, "nine one four, double five oh, two two six
seven" against a hearing that lost the repeat (914-500-2267), the two numbers' best writings scored
within 0.2 of each other and the wrong one won (docs/performance.md, "Rescoring phone numbers")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gateway.agent.spoken_numbers import us_phone_digits
from gateway.media.pcm import IN_RATE
from gateway.providers.stt.forced_score import ForcedScorer
from gateway.providers.stt.whisper_by_slot import PHONE, WhisperBySlot
from gateway.providers.stt.whisper_models import BASE, TINY_EN
from gateway.providers.stt.whisper_prompt import prompt
from tests.integration.providers.test_whisper_nbest import speech

# Rescoring is off by default (docs/performance.md): its real-model tests run with the long suite.
pytestmark = pytest.mark.long

SCORERS = [ForcedScorer(BASE, prompt(PHONE)), ForcedScorer(TINY_EN, prompt(PHONE))]


def test_the_number_that_was_said_scores_above_a_one_digit_slip(tmp_path: Path) -> None:
    audio = speech("you can reach me at three three six, four seven two, eight eight one nine.", tmp_path)
    said, slip = "You can reach me at 336-472-8819.", "You can reach me at 336-472-8810."
    for scorer in SCORERS:
        right, wrong = scorer.log_probs(audio, [said, slip])
        assert right > wrong, (scorer.files.name, right, wrong)


def test_a_phone_turn_through_by_slot_still_reads_the_number_and_silence_gains_no_digits(tmp_path: Path) -> None:
    stt = WhisperBySlot(phone_scorers=SCORERS)
    heard = stt.transcribe_now(speech("my cell is two oh six, seven one three, four four two one.", tmp_path), PHONE)
    assert any(us_phone_digits(h) == "2067134421" for h in (heard.text, *heard.alternatives)), heard
    quiet = np.random.default_rng(11).normal(0, 250, int(1.5 * IN_RATE)).astype(np.int16)
    silence = stt.transcribe_now(quiet, PHONE)
    assert not any(c.isdigit() for h in (silence.text, *silence.alternatives) for c in h), silence
    stt.close()
