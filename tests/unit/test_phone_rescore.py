"""Ordering a phone turn's hearings by how well the numbers they hold fit the audio.

The scorer here is a stand-in that prefers one number's writings, so these tests check what
`best_first` does with scores (which hearing goes first, what is never written, when nothing is
spent); whether whisper's scores pick the right number is measured on real voices
(bench/phone_rescore.py) and checked on real audio in tests/integration/providers/."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gateway.agent.spoken_numbers import us_phone_digits
from gateway.media.pcm import Pcm
from gateway.providers.stt.phone_rescore import best_first, lead_of, spoken_forms

AUDIO = np.zeros(16000, dtype=np.int16)


class Prefers:
    """Scores a writing by whether it holds `number`; records what it was asked."""

    def __init__(self, number: str, weight: float = 10.0) -> None:
        self.number, self.weight = number, weight
        self.asked: list[str] = []

    def log_probs(self, audio: Pcm, texts: Sequence[str]) -> list[float]:
        self.asked.extend(texts)
        return [self.weight if us_phone_digits(t) == self.number else -self.weight for t in texts]


def test_the_hearing_holding_the_preferred_number_goes_first_and_the_rest_keep_their_order() -> None:
    hearings = ["Call me at 718-44-2090.", "Call me at 718-444-2090.", "Call me at 718-444-2099.", "Call me."]
    ordered = best_first(AUDIO, hearings, [Prefers("7184442099")])
    assert ordered == [hearings[2], hearings[0], hearings[1], hearings[3]]


def test_fewer_than_two_numbers_to_choose_from_costs_nothing_and_changes_nothing() -> None:
    scorer = Prefers("3365550102")
    for hearings in (["The line went quiet."], ["My number is 336 555 0102", "My number is 336-555-0102."], []):
        assert best_first(AUDIO, hearings, [scorer]) == hearings
    assert scorer.asked == []


def test_only_numbers_some_hearing_holds_are_scored_never_new_ones() -> None:
    scorer = Prefers("9999999999")  # a number nobody heard: it cannot win, it is never written
    hearings = ["it's four oh one, two two two, three three three three", "it's 401-222-3339"]
    ordered = best_first(AUDIO, hearings, [scorer])
    assert sorted(ordered) == sorted(hearings)
    assert {us_phone_digits(t) for t in scorer.asked} == {"4012223333", "4012223339"}


def test_models_scores_add_up() -> None:
    hearings = ["five oh five, one two three, four five six seven", "five oh five, one two three, four five six one"]
    weak, strong = Prefers("5051234567", 1.0), Prefers("5051234561", 5.0)
    assert best_first(AUDIO, hearings, [weak, strong])[0] == hearings[1]
    assert best_first(AUDIO, hearings, [weak])[0] == hearings[0]


def test_each_writing_of_a_number_reads_back_as_that_number() -> None:
    for number in ("2125550100", "9000000000", "8187771144", "3104440089"):
        forms = spoken_forms(number)
        assert len(set(forms)) >= 2
        assert all(us_phone_digits(f"my cell is {f}.") == number for f in forms), forms


def test_repeats_and_zeros_are_written_as_callers_say_them() -> None:
    assert "eight one eight, triple seven, double one double four" in spoken_forms("8187771144")
    assert "three one oh, triple four, double oh eight nine" in spoken_forms("3104440089")
    assert "two one two, five five five, oh one oh oh" not in spoken_forms("2125550100")  # repeats as said
    assert "818-777-1144" in spoken_forms("8187771144")


def test_the_lead_is_the_words_before_the_number() -> None:
    assert lead_of("Yeah, the office line is 415-555-0199.") == "Yeah, the office line is"
    assert lead_of("Reach me on two oh six, five five five") == "Reach me on"
    assert lead_of("Seventy two, ninety one") == ""
    assert lead_of("no digits at all") == "no digits at all"
