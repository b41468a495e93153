"""Silero VAD streaming, and the quiet gate that spares the model windows of near-silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from caller.wav import read_wav
from gateway.media.pcm import IN_FRAME, IN_RATE, resample
from gateway.media.vad import RESET_AFTER_QUIET, WINDOW, VadStream
from tests.speech import say


def _speech(tmp_path: Path) -> np.ndarray:
    wav = say("I am looking for a three bedroom house in Austin with a pool.", tmp_path / "s.wav")
    return resample(read_wav(wav), 48_000, IN_RATE)


def _noise(seconds: float, dbfs: float) -> np.ndarray:
    rms = 32768 * 10 ** (dbfs / 20)
    return np.random.default_rng(7).normal(0, rms, int(seconds * IN_RATE)).astype(np.int16)


def _run(vad: VadStream, pcm: np.ndarray) -> list[float]:
    return [vad.push(pcm[i : i + IN_FRAME]) for i in range(0, len(pcm) - IN_FRAME + 1, IN_FRAME)]


def test_speech_is_heard_and_silence_around_it_costs_no_inference(tmp_path: Path) -> None:
    speech = _speech(tmp_path)
    vad = VadStream()
    before = _run(vad, np.zeros(IN_RATE, dtype=np.int16))  # a listening caller: digital silence
    assert vad.inferences == 0 and max(before) == 0.0
    during = _run(vad, speech)
    assert max(during) > 0.9
    ran = vad.inferences
    after = _run(vad, _noise(2.0, -70))  # a muted line's hiss, well below speech
    assert vad.inferences == ran and after[-1] == 0.0


def test_speech_after_a_long_quiet_is_heard_from_a_fresh_start(tmp_path: Path) -> None:
    speech = _speech(tmp_path)
    vad = VadStream()
    _run(vad, speech)
    _run(vad, np.zeros(WINDOW * (RESET_AFTER_QUIET + 4), dtype=np.int16))
    again = _run(vad, speech)
    assert max(again) > 0.9


def test_a_noisy_line_above_the_gate_still_goes_through_the_model() -> None:
    vad = VadStream()
    probabilities = _run(vad, _noise(1.0, -45))  # a loud room: the model, not the gate, decides
    assert vad.inferences >= IN_RATE // WINDOW - 1
    assert max(probabilities) < 0.5  # white noise is not speech
