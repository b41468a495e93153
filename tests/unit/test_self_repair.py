"""A correction inside one breath (gateway/agent/self_repair.py): the number said after "no, sorry",
"actually", "I mean" takes the place of the one before it; anything else is left as said."""

from __future__ import annotations

import pytest

from gateway.agent.numbers import normalise
from gateway.agent.self_repair import self_repaired


@pytest.mark.parametrize(
    ("said", "meant"),
    [("a townhouse, two bedrooms, no, sorry, three, it needs to be three", "a townhouse 3 bedrooms it needs to be 3"),
     ("Wednesday at two, oh, actually no, make it three, I've got a dentist thing",
      "wednesday at 3 i've got a dentist thing"),
     ("two bedrooms, I mean three", "3 bedrooms"),
     ("Tuesday at ten, sorry, eleven AM", "tuesday at 11 am"),
     ("at two, no, three pm", "at 3 pm")],
)  # fmt: skip
def test_the_number_said_after_the_repair_is_the_one_meant(said: str, meant: str) -> None:
    assert " ".join(self_repaired(normalise(said)).split()) == meant


@pytest.mark.parametrize(
    "said",
    ["five one two, no, five one three",  # a phone number corrected in parts: the number's business
     "two baths, no, three bedrooms",  # two values, each its own
     "Friday at ten, no problem with that",  # "no" that corrects nothing
     "I need three bedrooms, no pool",
     "yes, no, 3 pm works"],
)  # fmt: skip
def test_what_is_no_repair_is_left_as_said(said: str) -> None:
    assert self_repaired(normalise(said)) == normalise(said)
