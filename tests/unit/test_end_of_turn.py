"""The end-of-turn model on real speech, its hash check, and the window it hears."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from caller.wav import read_wav
from gateway.media import log_mel
from gateway.media.end_of_turn import SmartTurn, ThreadedJudge, model_path, model_window
from gateway.media.pcm import IN_RATE, Pcm, resample
from tests.speech import say

TRAILING_QUIET = np.zeros(IN_RATE // 5, dtype=np.int16)  # the 200 ms of quiet after which it is asked


def _spoken(text: str, tmp_path: Path) -> Pcm:
    pcm = resample(read_wav(say(text, tmp_path / "s.wav")), 48_000, IN_RATE)
    return np.concatenate([pcm, TRAILING_QUIET])


def test_a_finished_sentence_is_complete_and_a_number_broken_off_is_not(tmp_path: Path) -> None:
    model = SmartTurn()
    finished = model.probability(_spoken("Yes, Thursday at three works for me.", tmp_path))
    broken_off = model.probability(_spoken("My number is five one two", tmp_path))
    assert finished > 0.5 > broken_off


def test_the_threaded_judge_answers_what_the_model_says(tmp_path: Path) -> None:
    audio = _spoken("Thank you, that is all.", tmp_path)
    with ThreadPoolExecutor(1) as pool:
        answer = ThreadedJudge(SmartTurn(), pool).judge(audio).result(timeout=30)
    assert answer == pytest.approx(SmartTurn().probability(audio))


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "smart-turn.onnx"
    shutil.copy(model_path(), copy)
    with copy.open("r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(RuntimeError, match="refusing an unknown end-of-turn model"):
        SmartTurn(copy)


def test_the_window_is_the_last_eight_seconds_with_silence_in_front() -> None:
    short = np.full(IN_RATE, 16384, dtype=np.int16)
    window = model_window(short)
    assert window.shape == (log_mel.SAMPLES,)
    assert not window[:-IN_RATE].any() and np.all(window[-IN_RATE:] == 0.5)
    long = np.arange(10 * IN_RATE, dtype=np.int64).astype(np.int16)
    assert np.array_equal(model_window(long), long[-log_mel.SAMPLES :].astype(np.float32) / 32768.0)


def test_features_have_the_models_shape_and_refuse_another_length() -> None:
    features = log_mel.log_mel(np.zeros(log_mel.SAMPLES, dtype=np.float32))
    assert features.shape == (log_mel.N_MELS, log_mel.FRAMES) and features.dtype == np.float32
    with pytest.raises(ValueError, match="128000 samples"):
        log_mel.log_mel(np.zeros(1000, dtype=np.float32))
