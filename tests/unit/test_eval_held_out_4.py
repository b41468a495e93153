"""The fourth held-out persona set (evals/held_out_4/real_estate): it parses, it is disjoint from every
earlier set (the tuning personas, held_out and held_out_3: file names, callers' names, phone numbers,
voices, the homes wanted), and every goal can be met with the shipped MLS sample and the agent's
showing hours."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from evals.persona import Persona, Window, load_personas, persona_dir
from evals.times import WEEKDAYS
from tests.system_tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT_4 = ROOT / "evals" / "held_out_4" / "real_estate"
EARLIER_DIRS = (persona_dir("real_estate"), ROOT / "evals" / "held_out" / "real_estate",
                ROOT / "evals" / "held_out_3" / "real_estate")  # fmt: skip
SAMPLE = ROOT / "services" / "mls_lookup" / "data" / "sample_listings.jsonl.gz"
# Pairs used while tuning without being written in a persona file (evals/held_out/README.md).
TUNING_VOICES = {"en-us+m3", "en-gb-x-rp+f2", "en-029+m1", "en-gb-scotland+f3", "en-us+klatt", "en-us+m1",
                 "en-gb+f2", "en-029+m3"}  # fmt: skip
# Any fixed instant will do: a persona's `now` is a weekday and a time, resolved after it.
BASE = date(2026, 12, 6)


@pytest.fixture(scope="module")
def new() -> list[Persona]:
    return load_personas(HELD_OUT_4)


@pytest.fixture(scope="module")
def earlier() -> list[Persona]:
    return [p for d in EARLIER_DIRS for p in load_personas(d)]


@pytest.fixture(scope="module")
def listings() -> list[dict[str, Any]]:
    with gzip.open(SAMPLE, "rt") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def hours() -> dict[str, Any]:
    hours: dict[str, Any] = yaml.safe_load((ROOT / "agents" / "real_estate.yaml").read_text())["hours"]
    return hours


def _earlier_voices(earlier: list[Persona]) -> set[str]:
    return {p.voice for p in earlier if p.voice} | TUNING_VOICES


def test_the_fourth_set_parses_ten_personas_each_with_its_own_voice(new: list[Persona]) -> None:
    assert len(new) == 10
    assert all(p.voice and p.now for p in new)
    for attr in ("voice", "seed", "name"):
        assert len({getattr(p, attr) for p in new}) == 10, attr
    assert len({p.goal.name for p in new}) == 10
    assert len({p.goal.phone for p in new}) == 10
    assert {p.name for p in new} == {path.stem for path in HELD_OUT_4.glob("*.yaml")}


def test_the_fourth_set_is_disjoint_from_every_earlier_set(new: list[Persona], earlier: list[Persona]) -> None:
    assert len(earlier) >= 39  # 19 tuning personas, 10 in held_out, 10 in held_out_3
    earlier_files = {path.stem for d in EARLIER_DIRS for path in d.glob("*.yaml")}
    assert not {path.stem for path in HELD_OUT_4.glob("*.yaml")} & earlier_files
    assert not {p.name for p in new} & {p.name for p in earlier}
    assert not {p.goal.name for p in new} & {p.goal.name for p in earlier}
    assert not {p.goal.name.split()[0] for p in new} & {p.goal.name.split()[0] for p in earlier}
    assert not {p.goal.name.split()[-1] for p in new} & {p.goal.name.split()[-1] for p in earlier}
    assert not {p.goal.phone for p in new} & {p.goal.phone for p in earlier}
    misspoken = {p.behaviour.misspeak_phone for p in new + earlier if p.behaviour.misspeak_phone}
    assert not misspoken & {p.goal.phone for p in new + earlier}
    assert not {p.seed for p in new} & {p.seed for p in earlier}
    assert not {p.voice for p in new} & _earlier_voices(earlier)
    # The same home is not wanted again (a street word in one city).
    wanted = {(p.goal.city, p.goal.listing.get("street")) for p in earlier if "street" in p.goal.listing}
    assert not {(p.goal.city, p.goal.listing.get("street")) for p in new} & wanted


def _espeak_variants() -> Path | None:
    for root in (Path("/usr/lib"), Path("/usr/share"), Path("/usr/local/share"), Path("/usr/local/lib")):
        for d in [root / "espeak-ng-data" / "voices" / "!v", *root.glob("*/espeak-ng-data/voices/!v")]:
            if d.is_dir():
                return d
    return None


def test_voices_are_real_espeak_variants_and_not_plain_en_gb(new: list[Persona]) -> None:
    # espeak-ng ignores a variant on plain en-gb (en-gb+m7 sounds like en-gb+f2): no such pairs here.
    assert not [p.voice for p in new if p.voice and p.voice.startswith("en-gb+")]
    require_tool("espeak-ng", "espeak-ng")  # a failure under CI, which installs it
    variants = _espeak_variants()
    assert variants is not None, "espeak-ng is installed but its voices/!v directory was not found"
    # An unknown variant also exits 0 in espeak-ng, so look for its file.
    missing = [p.voice for p in new if p.voice and not (variants / p.voice.split("+")[1]).is_file()]
    assert not missing


def test_every_voice_sounds_different_from_the_others_and_from_earlier_ones(
    new: list[Persona], earlier: list[Persona]
) -> None:
    require_tool("espeak-ng", "espeak-ng")
    sentence = (
        "Hi, a two bedroom condo in Minneapolis, please; my number is six one two, five five five, oh one double oh."
    )
    voices = sorted({p.voice for p in new if p.voice} | _earlier_voices(earlier))
    heard = {}
    for voice in voices:
        audio = subprocess.run(["espeak-ng", "-v", voice, "--stdout", sentence], capture_output=True, check=True)
        heard[voice] = hashlib.sha256(audio.stdout).hexdigest()
    for p in new:
        assert p.voice is not None
        same = [v for v, h in heard.items() if h == heard[p.voice] and v != p.voice]
        assert not same, (p.name, p.voice, same)


def _matches(persona: Persona, listings: list[dict[str, Any]], at_least: bool, strict: bool) -> list[dict[str, Any]]:
    """Active homes under the persona's criteria; bedrooms "exactly" or "at least", bounds inclusive or not."""
    g = persona.goal
    lo: float | None = g.budget.get("min")
    hi: float | None = g.budget.get("max")
    if "around" in g.budget:
        lo, hi = g.budget["around"] * 0.9, g.budget["around"] * 1.1

    def within(price: int) -> bool:
        if strict:
            return (lo is None or price > lo) and (hi is None or price < hi)
        return (lo is None or price >= lo) and (hi is None or price <= hi)

    return [
        x for x in listings
        if x["city"] == g.city and x["status"] == "active"
        and (g.property_type is None or x["property_type"] == g.property_type)
        and (g.bedrooms is None or (x["bedrooms"] >= g.bedrooms if at_least else x["bedrooms"] == g.bedrooms))
        and within(x["price_usd"])
    ]  # fmt: skip


def test_every_listing_goal_is_in_the_mls_sample(new: list[Persona], listings: list[dict[str, Any]]) -> None:
    for p in new:
        assert p.goal.city in yaml.safe_load((ROOT / "agents" / "real_estate.yaml").read_text())["cities"]
        for at_least in (False, True):  # bedrooms as "exactly" or "at least": 2-3 homes either way
            for strict in (False, True):  # "up to 600" and "under 600" find the same homes
                found = _matches(p, listings, at_least, strict)
                assert 2 <= len(found) <= 3, (p.name, at_least, strict, [x["street"] for x in found])
                if "street" in p.goal.listing:
                    word = p.goal.listing["street"].lower()
                    assert sum(word in x["street"].lower().split() for x in found) == 1, (p.name, word)
                else:
                    pick = p.goal.listing["pick"]
                    assert pick in ("cheapest", "dearest") or pick <= len(found), (p.name, pick)


def _wanted(p: Persona, listings: list[dict[str, Any]]) -> dict[str, Any]:
    found = _matches(p, listings, at_least=False, strict=False)
    word = p.goal.listing["street"].lower()
    return next(x for x in found if word in x["street"].lower().split())


def _now(p: Persona, tz: ZoneInfo) -> datetime:
    assert p.now is not None and p.now.day in WEEKDAYS, p.name
    return p.now.resolve(datetime.combine(BASE, time(0), tzinfo=tz), tz)


def _starts(w: Window, now: datetime, tz: ZoneInfo, hours: dict[str, Any]) -> list[datetime]:
    """Showing starts (the agent's weekdays, on its slot grid, open to the last slot) inside the window."""
    start, end = w.start.resolve(now, tz), w.end.resolve(now, tz)
    assert start.date() == end.date() and start <= end, (w, start, end)
    assert now < start < now + timedelta(days=7), (w, now, start)
    if start.weekday() not in hours["weekdays"]:
        return []
    step = hours["slot_minutes"]
    grid = [
        datetime.combine(start.date(), time(m // 60, m % 60), tzinfo=tz)
        for m in range(hours["open_hour"] * 60, hours["close_hour"] * 60 - step + 1, step)
    ]  # fmt: skip
    return [s for s in grid if start <= s <= end]


def test_taken_slots_are_the_time_asked_for_on_the_home_wanted(
    new: list[Persona], listings: list[dict[str, Any]]
) -> None:
    assert any(p.taken for p in new)
    for p in new:
        for t in p.taken:
            home = next(x for x in listings if x["mls_id"] == t.listing)
            assert home == _wanted(p, listings), p.name
            assert t.at.text in {w.start.text for w in p.goal.when}, p.name


def test_every_goal_has_a_free_showing_start_inside_showing_hours(
    new: list[Persona], listings: list[dict[str, Any]], hours: dict[str, Any]
) -> None:
    for p in new:
        tz = ZoneInfo(_wanted(p, listings)["time_zone"])
        now = _now(p, tz)
        taken = {t.at.resolve(now, tz) for t in p.taken}
        for w in p.goal.when + p.goal.accept:
            assert w.start.day in WEEKDAYS and w.start.day == w.end.day, (p.name, w)  # one named day each
        free = [s for w in p.goal.when + p.goal.accept for s in _starts(w, now, tz, hours) if s not in taken]
        assert free, p.name


def test_the_hard_times_are_hard(new: list[Persona], listings: list[dict[str, Any]], hours: dict[str, Any]) -> None:
    """What the README says of the times: one asks for a Sunday, one before opening, one off the grid, one taken."""
    kinds = set()
    for p in new:
        tz = ZoneInfo(_wanted(p, listings)["time_zone"])
        now = _now(p, tz)
        for w in p.goal.when:
            start = w.start.resolve(now, tz)
            if start.weekday() not in hours["weekdays"]:
                kinds.add("closed day")
            elif start.time() < time(hours["open_hour"]):
                kinds.add("before opening")
            elif start == w.end.resolve(now, tz) and start.minute % hours["slot_minutes"]:
                kinds.add("off the grid")
        if p.taken:
            kinds.add("taken")
    assert kinds == {"closed day", "before opening", "off the grid", "taken"}


def test_the_readme_lists_every_persona(new: list[Persona]) -> None:
    readme = (HELD_OUT_4.parent / "README.md").read_text()
    for p in new:
        assert f"| {p.name} |" in readme, p.name
        assert f"| {p.voice} |" in readme, p.name
