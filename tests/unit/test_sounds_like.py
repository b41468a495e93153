"""A heard phrase close to a known one, written or sounded: the dialog then asks "Did you say ...?"."""

from __future__ import annotations

import pytest

from gateway.agent.sounds_like import closest

CITIES = ("Austin", "Dallas", "Houston", "San Antonio", "Denver", "Phoenix", "Tucson", "Seattle", "San Diego",
          "Sacramento", "Orlando", "Boston", "Charlotte", "Minneapolis", "Salt Lake City")  # fmt: skip


@pytest.mark.parametrize(
    ("heard", "city"),
    [
        ("In touch on.", "Tucson"),  # espeak-ng en-us+klatt saying "in Tucson", heard by whisper tiny.en
        ("Hi, a Congo, some women touch on at least three men rooms", "Tucson"),
        ("I'm looking in sandy ego", "San Diego"),
        ("somewhere in Austen", "Austin"),
        ("in Huston please", "Houston"),
        ("Sack ramento", "Sacramento"),
        ("or land o", "Orlando"),
        ("salt lake sitty", "Salt Lake City"),
    ],
)
def test_a_misheard_city_is_found(heard: str, city: str) -> None:
    assert closest(heard, CITIES) == city


@pytest.mark.parametrize(
    "heard",
    ["under 500 dollars", "a condo please", "a house", "three bedrooms", "my name is Gwen Adler", "yes",
     "no thanks", "Sunday morning around ten", "the first one", "around six hundred thousand", ""],
)  # fmt: skip
def test_everyday_words_are_no_city(heard: str) -> None:
    assert closest(heard, CITIES) is None
