"""A first phrase's audio loses the long quiet a synthesiser ends every text with, down to a comma's
pause, and nothing of the speech itself."""

from __future__ import annotations

import numpy as np

from gateway.media.pcm import trim_trailing_quiet


def test_quiet_after_the_speech_is_cut_to_what_is_kept() -> None:
    speech = np.full(1000, 8000, dtype=np.int16)
    speech[-1] = -9000  # the last loud sample may be negative
    tail = np.full(500, 100, dtype=np.int16)  # noise floor, ~-50 dBFS
    out = trim_trailing_quiet(np.concatenate([speech, tail]), keep=120)
    assert len(out) == 1120 and out[999] == -9000


def test_less_quiet_than_kept_is_left_alone_and_so_is_audio_with_nothing_loud() -> None:
    speech = np.concatenate([np.full(100, 5000, dtype=np.int16), np.zeros(50, dtype=np.int16)])
    assert len(trim_trailing_quiet(speech, keep=120)) == 150
    assert len(trim_trailing_quiet(np.full(300, 200, dtype=np.int16), keep=120)) == 300
