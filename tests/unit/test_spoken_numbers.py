"""Digit strings, spellings and amounts as callers say them and as an STT writes them down.

The phrasings are the ways people give a number on the phone and the ways whisper transcribes
them (digits with dashes, words, a mix), not the shapes the parser was written around."""

from __future__ import annotations

import pytest

from gateway.agent.numbers import normalise
from gateway.agent.spoken_numbers import digit_runs, digit_string, spelled, us_phone_digits


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("one point two million", "1.2 million"),
        ("two point five oh million", "2.50 million"),
        ("one and a half million", "1.5 million"),
        ("a million and a half", "1.5 million"),
        ("two million and a half", "2.5 million"),
        ("half a million", "0.5 million"),
        ("seven fifty thousand", "750000"),
        ("six twenty five k", "625 k"),
        ("four hundred and five hundred thousand", "400 and 500000"),
        ("four hundred thousand and five hundred thousand", "400000 and 500000"),
        ("one hundred and twenty thousand", "120000"),  # an "and" inside one number stays joined
        ("four hundred and five", "405"),
        ("two and a half baths", "2 and a half baths"),  # a fraction without a scale is no price
        ("three thirty", "3 30"),  # a time, not 330
        ("five one two five five five", "5 1 2 5 5 5"),  # digits one by one
        ("under $700,000", "under $700000"),  # thousands separators, not pauses
    ],
)
def test_normalise_writes_numbers_said_in_words_as_digits(said: str, expected: str) -> None:
    assert normalise(said) == expected


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        # As STT writes digits.
        ("It's 555-867-5309.", "5558675309"),
        ("(214) 550-0100", "2145500100"),
        ("+1 512 555 0134", "15125550134"),
        ("1-800-555-1212", "18005551212"),
        ("5 1 2. 5 5 5. 0 1 3 4.", "5125550134"),
        ("5 1 2 5 5 5 O 1 3 4", "5125550134"),
        # Said one by one, with pauses written as commas or full stops.
        ("five five five, eight six seven, five three oh nine", "5558675309"),
        ("Five, one, two. Five, five, five. Zero, one, three, four.", "5125550134"),
        ("nine one nine five five oh oh one oh oh", "9195500100"),
        # Repeats.
        ("two one four, triple five, oh one double nine", "2145550199"),
        ("triple 5", "555"),
        ("double-oh seven", "007"),
        ("six one two, double two one, double five double oh", "6122215500"),
        ("treble seven", "777"),
        # Groups said as numbers.
        ("five twelve, five five five, oh one thirty four", "5125550134"),
        ("five five five eight six seven fifty-three oh nine", "5558675309"),
        ("five one two, five hundred fifty five, oh one three four", "5125550134"),
        ("nine seven two, eight one nine, twenty twenty", "9728192020"),
        ("one eight hundred, five five five, twelve twelve", "18005551212"),
        ("eight hundred five five five one two one two", "8005551212"),
        ("seven oh two, five five five, two thousand", "7025552000"),
        ("five one two five five five twenty one hundred", "5125552100"),
        ("nine, nineteen two, twenty one two thousand", "9192212000"),
        # A part of a number, asked for alone.
        ("two oh oh", "200"),
        ("oh five", "05"),
        ("Three, oh, one.", "301"),
        # Fillers inside the number.
        ("area code five one two, then five five five, and then oh one three four", "5125550134"),
        ("uh five one two um five five five dash oh one three four", "5125550134"),
        # Homophones, but only among digits.
        ("five one two five five five oh one three for", "5125550134"),
        ("nine won too, five five five, ate ate ate ate", "9125558888"),
        ("Sure, it's 404 free double oh 1013.", "4043001013"),
        ("feel free to call", ""),
        ("six one to, five five five, one two three four", "6125551234"),
    ],
)
def test_digit_string(said: str, digits: str) -> None:
    assert digit_string(said) == digits


@pytest.mark.parametrize(
    ("said", "runs"),
    [
        ("I'm looking for two bedrooms", ["2"]),
        ("from 2 to 4", ["2", "4"]),
        ("a house for my family, too", []),
        ("I ate already, thanks", []),
        ("Oh, it's five one two, five five five, oh one three four", ["5125550134"]),
        ("Oh, okay, three bedrooms", ["3"]),
        ("oh oh, I forgot", []),
        ("I have 4 kids and my number is 512 555 0134", ["4", "5125550134"]),
        ("call me at 512 555 0134 after 3", ["5125550134", "3"]),
        ("no numbers in here at all", []),
        ("twenty-one", ["21"]),
    ],
)
def test_digit_runs_keep_words_that_only_sound_like_digits(said: str, runs: list[str]) -> None:
    assert digit_runs(said) == runs


def test_digit_string_is_the_longest_run() -> None:
    assert digit_string("3 bedrooms, and you can text me at 206 555 7788 after 5") == "2065557788"
    assert digit_string("nothing said") == ""


@pytest.mark.parametrize(
    ("said", "letters"),
    [
        ("S M I T H", "smith"),
        ("S-M-I-T-H.", "smith"),
        ("S. M. I. T. H.", "smith"),
        ("Lopez, L-O-P-E-Z", "lopez"),
        ("It's Nguyen. N-G-U-Y-E-N.", "nguyen"),
        ("it's b as in boy, r, o, w, n", "brown"),
        ("P as in Peter, A, T, E, L", "patel"),
        ("K for kilo, I, M", "kim"),
        ("Double-u R I G H T", "wright"),
        ("b a double t y", "batty"),
        ("O K A F O R", "okafor"),
        ("see oh aitch ee en", "cohen"),
        ("my name is Jane, J-A-N-E", "jane"),
    ],
)
def test_spelled_letters(said: str, letters: str) -> None:
    assert spelled(said) == letters


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("john dot smith at gmail dot com", "john.smith@gmail.com"),
        ("The email is tom underscore kim at icloud dot com", "tom_kim@icloud.com"),
        ("priya.patel@outlook.com.", "priya.patel@outlook.com"),
        ("my email is M-A-R-I-A dot L-O-P-E-Z at outlook dot com", "maria.lopez@outlook.com"),
        ("tom two three at yahoo dot com", "tom23@yahoo.com"),
        ("j o h n 2 3 at hotmail dot com", "john23@hotmail.com"),
        ("grace hyphen wright at gmail dot com", "grace-wright@gmail.com"),
    ],
)
def test_spelled_email(said: str, address: str) -> None:
    assert spelled(said) == address


@pytest.mark.parametrize(
    ("said", "number"),
    [
        ("my number is five one two, double five five, oh one three four", "5125550134"),
        ("1-800-555-1212", "8005551212"),
        ("it's 512 555 0134, no sorry, 512 555 0143", "5125550143"),
        # Eleven digits heard (one said twice or misheard): never ten of them picked.
        ("five one two five five five five oh one three four", None),
        ("call 512 555 0134 after 3 pm", "5125550134"),  # a time after it is another run
        ("five one two, five five five", None),
        ("I'd like four bedrooms", None),
    ],
)
def test_us_phone_digits(said: str, number: str | None) -> None:
    assert us_phone_digits(said) == number
