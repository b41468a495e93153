"""The dialog takes a phone number however a caller says it (the digits come from
gateway/agent/spoken_numbers.py), and never makes one up from a run of the wrong length."""

from __future__ import annotations

import pytest

from gateway.agent.contact import phone_from


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("you can text me on two oh six, triple five, eight one double two", "+12065558122"),
        ("it's nine one seven, five five five, oh one four two", "+19175550142"),
        ("(303) 555-0176 is my cell", "+13035550176"),
        ("one eight one three five five five zero one nine nine", "+18135550199"),
        # A correction in the same breath: the last number said is the one meant.
        ("four one five five five five zero one two three, sorry, zero one three two at the end, "
         "so four one five five five five zero one three two", "+14155550132"),
    ],
)  # fmt: skip
def test_a_number_said_any_way_is_heard_whole(said: str, number: str) -> None:
    assert phone_from(said) == number


@pytest.mark.parametrize(
    "said",
    [
        "five one two five five five five zero one three four",  # eleven digits: one heard twice
        "five one two, five five, zero one three four",  # nine: one missed
        "three bedrooms under seven hundred thousand",
    ],
)
def test_a_run_of_the_wrong_length_is_no_number(said: str) -> None:
    assert phone_from(said) is None


@pytest.mark.parametrize(
    "said",
    [
        "zero one two, five five five, zero one three four",  # no area code starts with 0
        "(911) 555-0134",
        "one two three four five six seven eight nine zero",
    ],
)
def test_ten_digits_that_no_us_number_has_are_no_number(said: str) -> None:
    assert phone_from(said) is None
