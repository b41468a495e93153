"""Slots pulled out of a caller's turn by rules: numbers, prices, bedrooms, times, names."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nats.aio.client import Client as NATS

from bus.client import BusClient
from gateway.agent import speech_text as say
from gateway.agent.config import AgentConfig
from gateway.agent.contact import name_in
from gateway.agent.dialog import FrameDialog
from gateway.agent.extract import Heard, hear, when_in
from gateway.agent.frame import Frame, Said
from gateway.agent.numbers import money, normalise, price_range
from gateway.agent.tools import ToolBox

TZ = ZoneInfo("America/Chicago")
MONDAY_8AM = datetime(2025, 3, 3, 8, 0, tzinfo=TZ)
MONDAY_4PM = datetime(2025, 3, 3, 16, 0, tzinfo=TZ)
CITIES = ["Houston", "Boston", "San Diego", "Atlanta"]


def heard(text: str, now: datetime = MONDAY_8AM) -> Heard:
    return hear(text, cities=CITIES, tz=TZ, now=now)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=TZ)


# --- numbers ------------------------------------------------------------------


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
    ],
)
def test_normalise_turns_spoken_numbers_into_digits(said: str, expected: str) -> None:
    assert normalise(said) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("under one point two million", [1_200_000]),
        ("make it one and a half million", [1_500_000]),
        ("up to seven fifty thousand", [750_000]),
        ("budget $650k", [650_000]),
        ("three bedrooms under six hundred thousand", [600_000]),
    ],
)
def test_money_reads_prices_said_in_words(said: str, expected: list[int]) -> None:
    assert money(normalise(said)) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("between four hundred and five hundred thousand", (400_000, 500_000)),
        ("between four hundred thousand and five hundred thousand", (400_000, 500_000)),
        ("between three and four hundred thousand", (300_000, 400_000)),
        ("from one point two to one point five million", (1_200_000, 1_500_000)),
        ("between 400 and 500 thousand", (400_000, 500_000)),
        ("between two and three bedrooms", None),
    ],
)
def test_price_range_fills_in_the_scale_left_unsaid(said: str, expected: tuple[int, int] | None) -> None:
    assert price_range(normalise(said)) == expected


# --- hear ---------------------------------------------------------------------


def test_bedrooms_said_as_beds() -> None:
    h = heard("Four beds in Houston under five hundred thousand")
    assert (h.bedrooms, h.city, h.max_price) == (4, "Houston", 500_000)


def test_a_price_range_in_words_is_a_minimum_and_a_maximum() -> None:
    h = heard("Three bedrooms in Houston, between four hundred and five hundred thousand")
    assert (h.min_price, h.max_price, h.bedrooms) == (400_000, 500_000, 3)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Three bedrooms in Boston, under one point two million", 1_200_000),
        ("ok, make it one and a half million", 1_500_000),
        ("something under seven fifty thousand", 750_000),
    ],
)
def test_a_budget_in_words_is_the_maximum(said: str, expected: int) -> None:
    h = heard(said)
    assert (h.max_price, h.min_price) == (expected, None)


def test_a_choice_of_listing_is_no_name() -> None:
    h = heard("it's the third one")
    assert (h.name, h.choice) == (None, 3)
    assert heard("it's Lena Fischer").name == "Lena Fischer"


# --- when_in ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "now", "expected"),
    [
        ("at half past two tomorrow", MONDAY_8AM, at(4, 14, 30)),
        ("quarter past ten tomorrow", MONDAY_8AM, at(4, 10, 15)),
        ("a quarter to three on friday", MONDAY_8AM, at(7, 14, 45)),
        ("quarter to one tomorrow", MONDAY_8AM, at(4, 12, 45)),
        ("at three thirty tomorrow", MONDAY_8AM, at(4, 15, 30)),
        ("tuesday at three thirty pm", MONDAY_8AM, at(4, 15, 30)),
        # An hour alone is the afternoon of today while it is still ahead, else of tomorrow.
        ("at two", MONDAY_8AM, at(3, 14)),
        ("at two", MONDAY_4PM, at(4, 14)),
        ("at seven", MONDAY_4PM, at(3, 19)),
        ("tomorrow morning", MONDAY_8AM, at(4, 10)),
    ],
)
def test_when_in_reads_times_as_people_say_them(said: str, now: datetime, expected: datetime) -> None:
    assert when_in(normalise(said), tz=TZ, now=now) == expected


# --- what the dialog does with it (no tool is reached in these turns) -----------


def offline_dialog() -> FrameDialog:
    # A toolbox without tools: a turn that needed one would fail, not reach a bus.
    return FrameDialog(AgentConfig.load("real_estate"), ToolBox([], BusClient(NATS())), "call-unit")


async def test_repeat_after_a_barge_in_says_the_whole_last_reply() -> None:
    dialog = offline_dialog()
    greeting = dialog.greeting()
    dialog.heard(greeting[0][:20])  # the caller cut in early
    assert await dialog.respond("wait, what did you say?") == greeting
    assert dialog.last_heard is None  # a new reply: nothing of it was cut short


def test_a_listing_choice_at_the_name_step_is_not_taken_as_a_name() -> None:
    def name(text: str) -> str | None:
        said = Said(raw=text, text=normalise(text), now=MONDAY_8AM, tz=TZ, frame=Frame(), expecting="name")
        return name_in(said)

    assert name("it's the third one") is None
    assert name("Lena Fischer") == "Lena Fischer"


def test_counts_are_said_in_the_singular_for_one() -> None:
    assert (say.count(1, "home"), say.count(3, "home"), say.count(0, "home")) == ("1 home", "3 homes", "0 homes")


@pytest.mark.parametrize(
    ("said", "prices"),
    [("under $700,000", [700_000]), ("a budget of $1,200,000", [1_200_000]), ("about 650,000 dollars", [650_000])],
)
def test_prices_written_with_thousands_separators(said: str, prices: list[int]) -> None:
    assert money(normalise(said)) == prices
