"""The STT benchmark's corpus and scoring (bench/stt/): what the voices say matches what is scored."""

from __future__ import annotations

from bench.stt.corpus import HELD_OUT, TUNING, utterances
from bench.stt.scoring import canonical, edit_distance, phone_digits
from gateway.agent.spoken_numbers import digit_string


def test_every_generated_phone_number_reads_back_as_its_digits() -> None:
    # A perfect transcript of what the voice says gives exactly the number scored against.
    said = [u for v in (*TUNING, *HELD_OUT) for u in utterances(v, phones=30, others=0, seed=5)]
    assert len(said) == 300
    wrong = [(u.said, u.digits) for u in said if digit_string(u.said) != u.digits]
    assert wrong == []
    assert {len(u.digits) for u in said} == {10}


def test_held_out_voices_are_not_tuning_voices() -> None:
    assert not {v.name for v in TUNING} & {v.name for v in HELD_OUT}
    assert not {v.voice for v in TUNING} & {v.voice for v in HELD_OUT}
    assert all(v.engine == "espeak" for v in HELD_OUT)  # the agent's own Piper voice is never held out


def test_corpus_is_the_same_every_run() -> None:
    assert utterances(HELD_OUT[0], phones=3, others=7, seed=17) == utterances(HELD_OUT[0], phones=3, others=7, seed=17)


def test_canonical_words_make_written_and_spoken_numbers_agree() -> None:
    assert canonical("Around $600,000.") == canonical("around six hundred thousand")
    assert canonical("512-555-0134") == canonical("five one two, double five five, oh one three four")
    assert edit_distance(canonical("a condo in Austin"), canonical("a con dune Austin")) == 2
    assert phone_digits("1-800-555-1212") == "8005551212"
