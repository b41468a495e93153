"""How an audio eval hears a reply back: the caller's received audio cut at long quiets, so a
reply whose pieces arrived with gaps (a slow synthesis) is transcribed stretch by stretch."""

from __future__ import annotations

import numpy as np

from evals.audio_caller import RATE, voiced_stretches
from evals.checks import heard_fraction


def _at(audio: np.ndarray, start: float, stop: float) -> None:
    audio[int(start * RATE) : int(stop * RATE)] = 3000


def test_long_quiets_cut_the_reply_and_short_ones_do_not() -> None:
    audio = np.zeros(3 * RATE, dtype=np.int16)
    _at(audio, 0.1, 1.0)  # a first piece
    _at(audio, 1.5, 2.1)  # 0.5 s later: the next piece...
    _at(audio, 2.2, 2.4)  # ...and a comma's pause inside it
    stretches = voiced_stretches(audio)
    assert [round(len(s) / RATE, 2) for s in stretches] == [0.9, 0.9]
    assert all(np.abs(s).max() == 3000 for s in stretches)


def test_silence_and_nothing_have_no_stretches() -> None:
    assert voiced_stretches(np.zeros(RATE, dtype=np.int16)) == []
    assert voiced_stretches(np.zeros(0, dtype=np.int16)) == []


def test_a_long_stretch_is_cut_at_its_longest_inner_pause() -> None:
    audio = np.zeros(12 * RATE, dtype=np.int16)
    _at(audio, 0.0, 3.0)
    _at(audio, 3.1, 6.0)  # a 0.1 s pause...
    _at(audio, 6.2, 9.0)  # ...a 0.2 s one: the longest, so the first cut
    _at(audio, 9.06, 11.0)
    stretches = voiced_stretches(audio, longest_seconds=5.0)
    assert [round(len(s) / RATE, 2) for s in stretches] == [3.0, 2.9, 4.8]  # the last 4.8 s keep their short pause
    # without a pause inside, a long stretch stays whole rather than cut through a word
    solid = np.zeros(7 * RATE, dtype=np.int16)
    _at(solid, 0.0, 7.0)
    assert [round(len(s) / RATE, 2) for s in voiced_stretches(solid)] == [7.0]


def test_numbers_count_as_their_digits_however_whisper_groups_them() -> None:
    said = "a showing of 3416 River Pl, and the text goes to 3 0 5, 2 4 7."
    assert heard_fraction(said, "a showing of 3,416 river PL and the text goes to 305 247") == 1.0
    assert heard_fraction(said, "a showing of river PL") < 0.5
    assert heard_fraction("", "anything") == 1.0
