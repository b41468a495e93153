"""The third held-out persona set (evals/held_out_3/real_estate): it parses, it is disjoint from the
tuning set and from the first held-out set (file names, callers' names, voices), and every goal can be
met with the shipped MLS sample and the agent's showing hours. Its home search is the one the later
sets use (tests/unit/held_out_checks.py), with price limits read as inclusive only."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from evals.persona import Persona, load_personas
from evals.times import WEEKDAYS
from tests.unit import held_out_checks as checks


@pytest.fixture(scope="module")
def new() -> list[Persona]:
    return load_personas(checks.HELD_OUT_3)


@pytest.fixture(scope="module")
def earlier() -> list[Persona]:
    return load_personas(checks.TUNING_DIR) + load_personas(checks.HELD_OUT_1)


@pytest.fixture(scope="module")
def listings() -> list[dict[str, Any]]:
    return checks.load_listings()


def test_the_third_set_parses_ten_personas_each_with_its_own_voice(new: list[Persona]) -> None:
    assert len(new) == 10
    assert all(p.voice for p in new)
    assert len({p.voice for p in new}) == 10
    assert len({p.goal.name for p in new}) == 10
    assert len({p.seed for p in new}) == 10


def test_the_third_set_is_disjoint_from_the_tuning_and_first_held_out_sets(
    new: list[Persona], earlier: list[Persona]
) -> None:
    assert not {p.name for p in new} & {p.name for p in earlier}
    assert not {p.goal.name for p in new} & {p.goal.name for p in earlier}
    assert not {p.goal.name.split()[0] for p in new} & {p.goal.name.split()[0] for p in earlier}
    assert not {p.goal.phone for p in new} & {p.goal.phone for p in earlier}
    assert not {p.voice for p in new} & checks.earlier_voices(earlier)
    # espeak-ng ignores a variant on plain en-gb (en-gb+m7 sounds like en-gb+f2): no such pairs here.
    assert not [p.voice for p in new if p.voice and p.voice.startswith("en-gb+")]


def test_every_listing_goal_is_in_the_mls_sample(new: list[Persona], listings: list[dict[str, Any]]) -> None:
    checks.check_listing_goals(new, listings, strictness=(False,))


def test_taken_slots_name_a_listing_the_persona_wants(new: list[Persona], listings: list[dict[str, Any]]) -> None:
    for p in new:
        for t in p.taken:
            home = next(x for x in listings if x["mls_id"] == t.listing)
            assert home in checks.matches(p, listings, at_least=False, strict=False)
            assert p.goal.listing.get("street", "").lower() in home["street"].lower().split()


def _in_hours(day: str, start: time, end: time, hours: dict[str, Any]) -> bool:
    """Some showing start in [start, end] on `day`: the agent's weekdays, open_hour to the last slot."""
    if WEEKDAYS.index(day) not in hours["weekdays"]:
        return False
    return start <= checks.last_start(hours) and end >= time(hours["open_hour"])


def test_every_goal_has_a_time_inside_showing_hours(new: list[Persona]) -> None:
    hours = checks.agent_config()["hours"]
    for p in new:
        usable = []
        for w in p.goal.when + p.goal.accept:
            assert w.start.day in WEEKDAYS and w.start.day == w.end.day, (p.name, w)  # one named day each
            assert w.start.at <= w.end.at, (p.name, w)
            usable.append(_in_hours(w.start.day, w.start.at, w.end.at, hours))
        assert any(usable), p.name
