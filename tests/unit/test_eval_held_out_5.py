"""The fifth held-out persona set (evals/held_out_5/real_estate): it parses, it is disjoint from every
earlier set (the tuning personas, held_out, held_out_3 and held_out_4: file names, callers' names, phone
numbers, seeds, voices, the homes wanted), and every goal can be met with the shipped MLS sample and the
agent's showing hours, however its loose wording is read. Shared checks: tests/unit/held_out_checks.py."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from evals.persona import Persona, load_personas
from tests.unit import held_out_checks as checks

NEW = checks.HELD_OUT_5
EARLIER_DIRS = (checks.TUNING_DIR, checks.HELD_OUT_1, checks.HELD_OUT_3, checks.HELD_OUT_4)


@pytest.fixture(scope="module")
def new() -> list[Persona]:
    return load_personas(NEW)


@pytest.fixture(scope="module")
def earlier() -> list[Persona]:
    return [p for d in EARLIER_DIRS for p in load_personas(d)]


@pytest.fixture(scope="module")
def listings() -> list[dict[str, Any]]:
    return checks.load_listings()


@pytest.fixture(scope="module")
def hours() -> dict[str, Any]:
    hours: dict[str, Any] = checks.agent_config()["hours"]
    return hours


def test_the_fifth_set_parses_ten_personas_each_with_its_own_voice(new: list[Persona]) -> None:
    checks.check_parses(new, NEW)


def test_the_fifth_set_is_disjoint_from_every_earlier_set(new: list[Persona], earlier: list[Persona]) -> None:
    # 19 tuning personas, 10 each in held_out, held_out_3 and held_out_4
    checks.check_disjoint(new, NEW, earlier, EARLIER_DIRS, at_least=49)


def test_its_cities_are_the_ones_the_earlier_sets_used_least(new: list[Persona], earlier: list[Persona]) -> None:
    before = Counter(p.goal.city for p in earlier)
    cities = [p.goal.city for p in new]
    assert len(set(cities)) == 10
    least = min(before[c] for c in checks.agent_config()["cities"])
    assert {c for c, n in before.items() if n == least} <= set(cities)
    assert max(before[c] for c in cities) <= least + 1, {c: before[c] for c in cities}


def test_voices_are_real_espeak_variants_and_not_plain_en_gb(new: list[Persona]) -> None:
    checks.check_voices_are_real_variants(new)


def test_every_voice_sounds_different_from_the_others_and_from_earlier_ones(
    new: list[Persona], earlier: list[Persona]
) -> None:
    checks.check_voices_sound_different(new, earlier)


def test_every_listing_goal_is_in_the_mls_sample(new: list[Persona], listings: list[dict[str, Any]]) -> None:
    checks.check_listing_goals(new, listings, cities=checks.agent_config()["cities"])


def test_a_pick_by_price_names_the_same_home_however_the_criteria_are_read(
    new: list[Persona], listings: list[dict[str, Any]]
) -> None:
    picks = [p for p in new if "pick" in p.goal.listing]
    assert picks
    for p in picks:
        assert p.goal.listing["pick"] in ("cheapest", "dearest"), p.name  # the reading order is the agent's
        home = checks.wanted(p, listings)
        for at_least in (False, True):
            for strict in (False, True):
                found = checks.matches(p, listings, at_least, strict)
                prices = sorted(x["price_usd"] for x in found)
                assert home in found and len(set(prices)) == len(prices), p.name  # no tie for cheapest
                assert home["price_usd"] == (prices[0] if p.goal.listing["pick"] == "cheapest" else prices[-1])


def test_the_loose_wording_finds_the_same_homes(new: list[Persona], listings: list[dict[str, Any]]) -> None:
    """Saying "a condo or a townhouse, either" finds no townhouse; "the high four hundreds" finds nothing
    below them; "two or three bedrooms, whatever" (2, or at least 2) is the check every goal passes."""
    either = [
        p for p in new if p.goal.property_type == "condo" and any("townhouse" in s for s in p.say.get("type", ()))
    ]
    assert either
    for p in either:
        townhouses = replace(p, goal=replace(p.goal, property_type="townhouse"))
        for at_least in (False, True):
            assert not checks.matches(townhouses, listings, at_least, strict=False), p.name
    ranges = [p for p in new if "min" in p.goal.budget and "max" in p.goal.budget]
    assert ranges
    for p in ranges:
        no_floor = replace(p, goal=replace(p.goal, budget={"max": p.goal.budget["max"]}))
        for at_least in (False, True):
            for strict in (False, True):
                assert checks.matches(no_floor, listings, at_least, strict) == checks.matches(
                    p, listings, at_least, strict
                ), p.name


def test_one_caller_opens_with_its_number_and_one_with_everything(new: list[Persona]) -> None:
    assert any(p.behaviour.opener[:1] == ("phone",) for p in new)
    assert any({"city", "type", "bedrooms", "budget", "when", "name", "phone"} <= set(p.behaviour.opener) for p in new)


def test_taken_slots_are_the_time_asked_for_on_the_home_wanted(
    new: list[Persona], listings: list[dict[str, Any]]
) -> None:
    checks.check_taken_slots(new, listings)


def test_every_goal_has_a_free_showing_start_inside_showing_hours(
    new: list[Persona], listings: list[dict[str, Any]], hours: dict[str, Any]
) -> None:
    checks.check_free_starts(new, listings, hours)


def test_the_hard_times_are_hard(new: list[Persona], listings: list[dict[str, Any]], hours: dict[str, Any]) -> None:
    """What the README says of the times: one asks for a time after the last start, one for a taken one."""
    assert checks.hard_time_kinds(new, listings, hours) == {"after closing", "taken"}


def test_the_readme_lists_every_persona(new: list[Persona]) -> None:
    checks.check_readme_lists(new, NEW.parent / "README.md")
