"""The fourth held-out persona set (evals/held_out_4/real_estate): it parses, it is disjoint from every
earlier set (the tuning personas, held_out and held_out_3: file names, callers' names, phone numbers,
voices, the homes wanted), and every goal can be met with the shipped MLS sample and the agent's
showing hours. The checks are shared with the later sets: tests/unit/held_out_checks.py."""

from __future__ import annotations

from typing import Any

import pytest

from evals.persona import Persona, load_personas
from tests.unit import held_out_checks as checks

NEW = checks.HELD_OUT_4
EARLIER_DIRS = (checks.TUNING_DIR, checks.HELD_OUT_1, checks.HELD_OUT_3)


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


def test_the_fourth_set_parses_ten_personas_each_with_its_own_voice(new: list[Persona]) -> None:
    checks.check_parses(new, NEW)


def test_the_fourth_set_is_disjoint_from_every_earlier_set(new: list[Persona], earlier: list[Persona]) -> None:
    # 19 tuning personas, 10 in held_out, 10 in held_out_3
    checks.check_disjoint(new, NEW, earlier, EARLIER_DIRS, at_least=39)


def test_voices_are_real_espeak_variants_and_not_plain_en_gb(new: list[Persona]) -> None:
    checks.check_voices_are_real_variants(new)


def test_every_voice_sounds_different_from_the_others_and_from_earlier_ones(
    new: list[Persona], earlier: list[Persona]
) -> None:
    checks.check_voices_sound_different(new, earlier)


def test_every_listing_goal_is_in_the_mls_sample(new: list[Persona], listings: list[dict[str, Any]]) -> None:
    checks.check_listing_goals(new, listings, cities=checks.agent_config()["cities"])


def test_taken_slots_are_the_time_asked_for_on_the_home_wanted(
    new: list[Persona], listings: list[dict[str, Any]]
) -> None:
    checks.check_taken_slots(new, listings)


def test_every_goal_has_a_free_showing_start_inside_showing_hours(
    new: list[Persona], listings: list[dict[str, Any]], hours: dict[str, Any]
) -> None:
    checks.check_free_starts(new, listings, hours)


def test_the_hard_times_are_hard(new: list[Persona], listings: list[dict[str, Any]], hours: dict[str, Any]) -> None:
    """What the README says of the times: one asks for a Sunday, one before opening, one off the grid, one taken."""
    assert checks.hard_time_kinds(new, listings, hours) == {"closed day", "before opening", "off the grid", "taken"}


def test_the_readme_lists_every_persona(new: list[Persona]) -> None:
    checks.check_readme_lists(new, NEW.parent / "README.md")
