"""Whisper's runners-up on a phone-number turn, with the real base model (from its PyPI packages)
on real synthetic speech (espeak-ng)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from gateway.agent.contact import phone_from
from gateway.media.pcm import IN_RATE, Pcm, resample
from gateway.providers.stt.context import SpeechContext
from gateway.providers.stt.whisper_local import WhisperLocal
from gateway.providers.stt.whisper_models import BASE
from tests.speech import say

PHONE = SpeechContext(slot="phone")


def speech(text: str, tmp_path: Path) -> Pcm:
    with wave.open(str(say(text, tmp_path / "line.wav"))) as w:
        rate, pcm = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return resample(pcm, rate, IN_RATE)


def test_a_phone_turn_comes_back_with_distinct_runners_up(tmp_path: Path) -> None:
    stt = WhisperLocal(BASE)
    line = speech("my number is four one five, five five five, zero one nine nine.", tmp_path)
    heard = stt.transcribe_now(line, PHONE)
    assert heard.alternatives, "the other beams are returned"
    assert heard.text not in heard.alternatives and len(set(heard.alternatives)) == len(heard.alternatives)
    hearings = (heard.text, *heard.alternatives)
    assert any(phone_from(h) == "+14155550199" for h in hearings), hearings
    stt.close()


def test_a_phone_turn_with_nobody_speaking_hears_no_digits() -> None:
    stt = WhisperLocal(BASE)
    quiet = np.random.default_rng(3).normal(0, 200, int(1.5 * IN_RATE)).astype(np.int16)
    heard = stt.transcribe_now(quiet, PHONE)
    assert not any(c.isdigit() for h in (heard.text, *heard.alternatives) for c in h), heard
    stt.close()


def test_other_turns_have_no_runners_up(tmp_path: Path) -> None:
    stt = WhisperLocal(BASE)
    heard = stt.transcribe_now(speech("a condo in Austin, please.", tmp_path), SpeechContext(slot="city"))
    assert heard.text and heard.alternatives == ()
    stt.close()


def test_by_slot_adds_the_small_models_hearings_to_a_phone_turn_but_not_to_silence(tmp_path: Path) -> None:
    from gateway.providers.stt.whisper_by_slot import WhisperBySlot

    stt = WhisperBySlot()
    line = speech("call me on two one five, three double oh, six one three four.", tmp_path)
    both = stt.transcribe_now(line, PHONE)
    alone = stt.precise.transcribe_now(line, PHONE)
    small = stt.small.transcribe_now(line, PHONE)
    assert both.text and small.text in (both.text, *both.alternatives)
    assert len(both.alternatives) >= len(alone.alternatives)
    quiet = np.random.default_rng(5).normal(0, 300, int(1.5 * IN_RATE)).astype(np.int16)
    assert stt.transcribe_now(quiet, PHONE).alternatives == ()
    stt.close()
