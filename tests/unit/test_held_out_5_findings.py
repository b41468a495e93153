"""What the fifth held-out set's first text run showed (evals/held_out_5, docs/evals.md run 13): a
caller's "two-flat" heard as a flat, "a condo or a townhouse, either" searched as townhouses only,
"I'm driving" taken as a name, and "hold on a second" to a read-back taken as the second time
offered. Each replays the line on the frame dialog and a fake MLS that filters like the service."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.agent.reask import MAX_SAME_QUESTION
from tests.unit.test_nearest_homes import dialog, said, searches
from tests.unit.test_turn_parser import turn


def home(mls_id: str, street: str, price: int, kind: str, bedrooms: int = 1) -> dict[str, Any]:
    return {"mls_id": mls_id, "address": {"street": street, "city": "Raleigh"}, "price_usd": price,
            "bedrooms": bedrooms, "bathrooms": 1.0, "square_feet": 700, "property_type": kind,
            "time_zone": "America/New_York", "agent": {"agent_id": "ag1", "name": "Bo"}}  # fmt: skip


HOMES = [
    home("R1", "2249 Mesa Ln", 219_000, "condo"),
    home("R2", "11 Pine Ct", 215_000, "townhouse"),
    home("R3", "5 Elm St", 205_000, "single_family"),
    home("R4", "8 Oak Way", 260_000, "condo"),
]


async def test_either_of_two_types_searches_both() -> None:
    d, tools = dialog(HOMES)
    reply = said(await d.respond("a condo or a townhouse, either, in Raleigh, a one bed, up to two twenty-five"))
    assert searches(tools)[-1]["property_types"] == ["condo", "townhouse"]
    assert "2249 Mesa Ln" in reply and "11 Pine Ct" in reply and "5 Elm St" not in reply


def test_types_said_as_a_change_of_mind_keep_the_last() -> None:
    assert turn("condo, townhouse, I'm easy, either one").values["property_type"] == ("condo", "townhouse")
    assert turn("a condo, well, a townhouse really").values["property_type"] == "townhouse"
    assert turn("a condo or rather a townhouse").values["property_type"] == "townhouse"


def test_a_two_flat_is_a_multi_family_home() -> None:
    said_ = "multi-family, a two-flat or a three-flat, four bedrooms"
    assert turn(said_).values["property_type"] == "multi_family"


async def test_the_same_empty_search_does_not_get_the_same_question_a_third_time() -> None:
    d, _ = dialog(HOMES)
    replies = [said(await d.respond("a four bedroom condo in Raleigh"))]
    replies += [said(await d.respond("up to a million")) for _ in range(3)]
    asked = [r for r in replies if "Would you like to change the budget, the bedrooms or the area?" in r]
    assert len(asked) == MAX_SAME_QUESTION and "call you back" in replies[-1]


def test_what_a_caller_is_doing_is_no_name() -> None:
    assert "name" not in turn("sorry, can you repeat that? I'm driving. Okay, Valley Way, that one").values
    assert turn("I'm Ling Chen").values["name"] == "Ling Chen"


async def test_hold_on_a_second_at_the_read_back_keeps_the_booking_and_waits() -> None:
    d, tools = dialog(HOMES)
    await d.respond("a one bedroom condo in Raleigh under 300k")
    await d.respond("the Mesa one")
    await d.respond("the first time")
    await d.respond("Otis Fairweather")
    read = said(await d.respond("919 555 0100"))
    when = d.timing.when
    assert "Shall I book it?" in read and when is not None
    assert await d.respond("hmm, hold on a second") == ["Sure, take your time."]
    assert d.timing.when == when and tools.writes() == []
    booked = said(await d.respond("yep, go for it"))
    assert "You're booked" in booked and dict(tools.calls)["book_showing"]["start_time"].startswith(
        when.isoformat()[:16]
    )


def test_an_hour_and_its_half_with_a_part_of_the_day_is_a_clock() -> None:
    asked = turn("tomorrow after lunch, one thirty, say", expecting="time").values["time"]
    assert asked.exact and (asked.start.hour, asked.start.minute) == (13, 30)


def test_a_name_explained_by_its_pieces_is_said_once() -> None:
    explained = "Otis Fairweather, fair like fair, weather like the weather"
    assert turn(explained, expecting="name").values["name"] == "Otis Fairweather"


ORLANDO_LIKE = [home("R5", "1570 Juniper Dr", 259_000, "townhouse"),
                home("R6", "9426 Highland Ln", 331_000, "townhouse"), HOMES[0]]  # fmt: skip


async def test_a_street_asked_for_that_the_search_did_not_find_is_looked_up_in_the_city() -> None:
    d, tools = dialog(ORLANDO_LIKE)
    first = said(await d.respond("a one bedroom townhouse in Raleigh, up to 400k"))
    assert "Mesa" not in first
    found = said(await d.respond("do you have the one on Mesa?"))
    assert found.startswith("I do have one on Mesa: 2249 Mesa Ln in Raleigh") and found.endswith("see it?")
    assert {"city": "Raleigh", "text": "mesa"}.items() <= searches(tools)[-1].items()
    assert said(await d.respond("yes")).startswith("Great, 2249 Mesa Ln.")


async def test_a_street_with_no_home_is_said_so_and_the_homes_read_out_stay() -> None:
    d, _ = dialog(ORLANDO_LIKE)
    await d.respond("a one bedroom townhouse in Raleigh, up to 400k")
    none = said(await d.respond("the one on Magnolia"))
    assert none.startswith("I don't have a home on Magnolia in Raleigh.")
    assert said(await d.respond("the Highland one")).startswith("Great, 9426 Highland Ln.")


SEATTLE_LIKE = [
    home("S1", "12 Maple St", 720_000, "condo", bedrooms=2),
    home("S2", "48 Harbor View Rd", 655_000, "condo", bedrooms=2),
    home("S3", "3 Pine Ct", 790_000, "condo", bedrooms=2),
    home("S4", "9 Birch Way", 610_000, "condo", bedrooms=2),
]


async def test_anything_cheaper_searches_under_the_cheapest_read_out() -> None:
    """ "Anything cheaper?" picked the cheapest home read out, and its times were offered."""
    d, tools = dialog(SEATTLE_LIKE)
    await d.respond("a two bedroom condo in Raleigh between 650 and 800 thousand")
    cheaper = said(await d.respond("anything cheaper?"))
    assert cheaper.startswith("Under 655 thousand dollars:") and "9 Birch Way" in cheaper
    assert d.frame.listing is None and searches(tools)[-1]["max_price_usd"] == 654_999
    none = said(await d.respond("anything cheaper?"))
    assert none.startswith("I don't have anything cheaper in Raleigh with what you asked for: the least expensive "
                           "is 9 Birch Way, for 610 thousand dollars.")  # fmt: skip
    assert said(await d.respond("the cheaper one")).startswith("Great, 9 Birch Way.")


async def test_a_question_about_a_home_is_answered_and_picks_nothing() -> None:
    """ "How many bathrooms does the first one have?" said while the time was asked chose the first time."""
    d, tools = dialog(SEATTLE_LIKE)
    await d.respond("a two bedroom condo in Raleigh under 700 thousand")
    asked = said(await d.respond("how many bathrooms does the first one have?"))
    assert asked == "9 Birch Way has 1 bath. Would you like to see 9 Birch Way?" and d.frame.listing is None
    garage = said(await d.respond("does it have a garage?"))
    assert garage.startswith("The listing for 9 Birch Way doesn't mention a garage.")
    assert said(await d.respond("yes")).startswith("Great, 9 Birch Way.")
    size = await d.respond("how big is it?")
    assert size[0] == "9 Birch Way is 700 square feet." and size[-1].endswith("Which works for you?")
    assert d.timing.when is None and tools.writes() == []


async def test_a_question_then_a_pick_in_one_turn_answers_and_picks() -> None:
    d, _ = dialog(SEATTLE_LIKE)
    await d.respond("a two bedroom condo in Raleigh under 700 thousand")
    both = said(await d.respond("how much is the Harbor View one? OK, that's fine, let's see Harbor View"))
    assert both.startswith("48 Harbor View Rd is 655 thousand dollars. Great, 48 Harbor View Rd.")


def test_budgets_said_in_short_with_the_limit_after() -> None:
    """ "three and a quarter" and "three hundred twenty-five, or less" were no budget: 21 homes up to $449k."""
    said_ = [("Denver, one bedroom, condo, three and a quarter, one o'clock on Thursday", 325_000),
             ("three and a half, tops", 350_000), ("three hundred twenty-five, or less", 325_000)]  # fmt: skip
    for text, high in said_:
        assert turn(text).values["price"].high == high, text
    assert "price" not in turn("two and a half baths").values


async def test_the_one_on_the_park_is_a_street() -> None:
    """Whisper wrote "do you have the one on Park?" as "Can you comment one on the park?"."""
    homes = [home("D1", "849 Forest Ct", 292_000, "condo"), home("D2", "4082 Park Trl", 312_000, "condo"),
             home("D3", "77 Elm St", 300_000, "condo"), home("D4", "5 Oak Way", 305_000, "condo")]  # fmt: skip
    d, _ = dialog(homes)
    await d.respond("a one bedroom condo in Raleigh up to 310k")
    found = said(await d.respond("Can you comment one on the park?"))
    assert found.startswith("I do have one on Park: 4082 Park Trl in Raleigh")


def test_a_digit_of_a_number_in_pieces_is_no_bedroom_count() -> None:
    heard = "High, free, well, 5, 5, 5, 0, 1, 0, 9, and I'm here in Chicago, a two-flat, four-free flat"
    assert "bedrooms" not in turn(heard).values  # five bedrooms were searched
    assert turn("Phoenix, Arizona, four, a house with a pool if there is one").values["bedrooms"] == 4


async def test_a_bare_amount_near_a_homes_price_is_a_budget_not_a_pick() -> None:
    """ "actually, a million two fifty, not a dime more" picked the $1.25M home read out (set 5 fergus)."""
    d, tools = dialog(SEATTLE_LIKE)
    await d.respond("a two bedroom condo in Raleigh")
    reply = said(await d.respond("actually, 720 thousand, not a dime more"))
    assert d.frame.listing is None and searches(tools)[-1]["max_price_usd"] == 720_000 and "Great" not in reply
    assert said(await d.respond("the one for 655 thousand")).startswith("Great, 48 Harbor View Rd.")


async def booked_up_to_the_read_back() -> tuple[Any, Any]:
    d, tools = dialog(SEATTLE_LIKE)
    await d.respond("a two bedroom condo in Raleigh under 700 thousand")
    await d.respond("the first one")
    await d.respond("the first time")
    await d.respond("Fergus Odowd")
    assert "Shall I book it?" in said(await d.respond("919 555 0133"))
    return d, tools


async def test_another_home_wanted_at_the_read_back_with_its_street_not_heard() -> None:
    """ "No, I wanted the home on Briar", heard "on dryer", got "what should I change: the time, the name
    or the phone number?" and then a person (held-out set 5 fergus)."""
    d, tools = await booked_up_to_the_read_back()
    again = said(await d.respond("no, I wanted the home on dryer"))
    assert (
        again == "Sorry about that. Which home would you like: the first, 9 Birch Way or the second, 48 Harbor View Rd?"
    )
    read = said(await d.respond("the second one"))
    assert "a showing of 48 Harbor View Rd" in read and read.endswith("Shall I book it now?")
    assert tools.writes() == []


async def test_the_home_named_as_what_to_change() -> None:
    d, _ = await booked_up_to_the_read_back()
    assert "What should I change: the home, the time" in said(await d.respond("no"))
    assert said(await d.respond("the home, the one on dryer")).startswith("Sorry about that. Which home")


def test_words_of_a_misheard_sentence_are_no_name() -> None:
    """ "Nadia Petrossian, P E T R O S S I A N" heard "Now you're controlling PDP on the SSN.": "Thanks, Now."."""
    assert "name" not in turn("Now you're controlling PDP on the SSN.", expecting="name").values
    assert turn("Nadia Petrossian", expecting="name").values["name"] == "Nadia Petrossian"


def test_digit_words_of_a_number_are_no_bedroom_count_and_a_city_twice_is_no_name() -> None:
    heard = "I'm looking for a condo, pre-made rooms, in Seattle, and my numbers to one-door, five, five, five, all one"
    assert "bedrooms" not in turn(heard).values  # held-out set 5 yolanda, audio: five bedrooms searched
    assert "name" not in turn("Hi, I'm Seattle, Seattle, New York, just a one-bed").values  # tamsin: "for Orlando"


@pytest.mark.parametrize(
    ("said_", "high"),
    [("Actually, a million 250, not a nine more.", 1_250_000), ("a million two fifty", 1_250_000),
     ("a million two", 1_200_000), ("a million fifty", 1_050_000), ("two million 750", 2_750_000)],
)  # fmt: skip
def test_a_million_and_more_as_callers_say_it(said_: str, high: int) -> None:
    """ "a million two fifty" searched up to $1,000,000 (whisper's "a million 250") and lost fergus's home."""
    assert turn(said_).values["price"].high == high


@pytest.mark.parametrize(
    ("said_", "hour", "minute"),
    [("and those game works like 2.0-ish.", 14, 0), ("Thursday works, like two thirty-ish", 14, 30)],
)
def test_ish_after_a_clock(said_: str, hour: int, minute: int) -> None:
    """ "2.0-ish" was "2.around 0": midnight, "that time has already passed" (set 5 yolanda, audio)."""
    asked = turn(said_, expecting="time").values["time"]
    assert (asked.start.hour, asked.start.minute) == (hour, minute)
