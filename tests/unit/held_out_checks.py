"""Checks the held-out persona sets share (tests/unit/test_eval_held_out_*.py): a set parses, it is
disjoint from the sets before it, its voices are real and distinct espeak-ng voices, and every goal can
be met with the shipped MLS sample and the agent's showing hours.

Plain functions that assert, each given what it checks: the test modules hold the fixtures and say
which set is checked against which."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from evals.persona import Persona, Window, persona_dir
from evals.times import WEEKDAYS
from tests.system_tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
TUNING_DIR = persona_dir("real_estate")
HELD_OUT_1 = ROOT / "evals" / "held_out" / "real_estate"
HELD_OUT_3 = ROOT / "evals" / "held_out_3" / "real_estate"
HELD_OUT_4 = ROOT / "evals" / "held_out_4" / "real_estate"
HELD_OUT_5 = ROOT / "evals" / "held_out_5" / "real_estate"
SAMPLE = ROOT / "services" / "mls_lookup" / "data" / "sample_listings.jsonl.gz"
AGENT = ROOT / "agents" / "real_estate.yaml"
# Pairs used while tuning without being written in a persona file (evals/held_out/README.md).
TUNING_VOICES = {"en-us+m3", "en-gb-x-rp+f2", "en-029+m1", "en-gb-scotland+f3", "en-us+klatt", "en-us+m1",
                 "en-gb+f2", "en-029+m3"}  # fmt: skip
# Any fixed instant will do: a persona's `now` is a weekday and a time, resolved after it.
BASE = date(2026, 12, 6)
SENTENCE = "Hi, a two bedroom condo in Minneapolis, please; my number is six one two, five five five, oh one double oh."

Listing = dict[str, Any]


def load_listings() -> list[Listing]:
    with gzip.open(SAMPLE, "rt") as f:
        return [json.loads(line) for line in f]


def agent_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(AGENT.read_text())
    return config


def earlier_voices(earlier: Iterable[Persona]) -> set[str]:
    return {p.voice for p in earlier if p.voice} | TUNING_VOICES


# --- the set itself ---------------------------------------------------------------------------------


def check_parses(new: Sequence[Persona], directory: Path) -> None:
    """Ten personas, each with its own voice, `now`, seed, file, caller and number."""
    assert len(new) == 10, len(new)
    assert all(p.voice and p.now for p in new), [p.name for p in new if not (p.voice and p.now)]
    for attr in ("voice", "seed", "name"):
        assert len({getattr(p, attr) for p in new}) == 10, attr
    assert len({p.goal.name for p in new}) == 10
    assert len({p.goal.phone for p in new}) == 10
    assert {p.name for p in new} == {path.stem for path in directory.glob("*.yaml")}


def check_disjoint(
    new: Sequence[Persona], directory: Path, earlier: Sequence[Persona], earlier_dirs: Sequence[Path], at_least: int
) -> None:
    """Nothing of the new set was used before: files, callers, numbers, seeds, voices, homes wanted."""
    assert len(earlier) >= at_least, len(earlier)
    earlier_files = {path.stem for d in earlier_dirs for path in d.glob("*.yaml")}
    assert not {path.stem for path in directory.glob("*.yaml")} & earlier_files
    assert not {p.name for p in new} & {p.name for p in earlier}
    assert not {p.goal.name for p in new} & {p.goal.name for p in earlier}
    assert not {p.goal.name.split()[0] for p in new} & {p.goal.name.split()[0] for p in earlier}
    assert not {p.goal.name.split()[-1] for p in new} & {p.goal.name.split()[-1] for p in earlier}
    assert not {p.goal.phone for p in new} & {p.goal.phone for p in earlier}
    everyone = [*new, *earlier]
    misspoken = {p.behaviour.misspeak_phone for p in everyone if p.behaviour.misspeak_phone}
    assert not misspoken & {p.goal.phone for p in everyone}
    assert not {p.seed for p in new} & {p.seed for p in earlier}
    assert not {p.voice for p in new} & earlier_voices(earlier)
    # The same home is not wanted again (a street word in one city).
    wanted = {(p.goal.city, p.goal.listing.get("street")) for p in earlier if "street" in p.goal.listing}
    assert not {(p.goal.city, p.goal.listing.get("street")) for p in new if "street" in p.goal.listing} & wanted


def check_readme_lists(new: Sequence[Persona], readme: Path) -> None:
    text = readme.read_text()
    for p in new:
        assert f"| {p.name} |" in text, p.name
        assert f"| {p.voice} |" in text, p.name


# --- voices -----------------------------------------------------------------------------------------


def espeak_variants() -> Path | None:
    for root in (Path("/usr/lib"), Path("/usr/share"), Path("/usr/local/share"), Path("/usr/local/lib")):
        for d in [root / "espeak-ng-data" / "voices" / "!v", *root.glob("*/espeak-ng-data/voices/!v")]:
            if d.is_dir():
                return d
    return None


def check_voices_are_real_variants(new: Sequence[Persona]) -> None:
    # espeak-ng ignores a variant on plain en-gb (en-gb+m7 sounds like en-gb+f2): no such pairs here.
    assert not [p.voice for p in new if p.voice and p.voice.startswith("en-gb+")]
    require_tool("espeak-ng", "espeak-ng")  # a failure under CI, which installs it
    variants = espeak_variants()
    assert variants is not None, "espeak-ng is installed but its voices/!v directory was not found"
    # An unknown variant also exits 0 in espeak-ng, so look for its file.
    missing = [p.voice for p in new if p.voice and not (variants / p.voice.split("+")[1]).is_file()]
    assert not missing, missing


def check_voices_sound_different(new: Sequence[Persona], earlier: Sequence[Persona]) -> None:
    """The same sentence gives different audio in each new voice and in none of the earlier ones."""
    require_tool("espeak-ng", "espeak-ng")
    voices = sorted({p.voice for p in new if p.voice} | earlier_voices(earlier))
    heard = {}
    for voice in voices:
        audio = subprocess.run(["espeak-ng", "-v", voice, "--stdout", SENTENCE], capture_output=True, check=True)
        heard[voice] = hashlib.sha256(audio.stdout).hexdigest()
    for p in new:
        assert p.voice is not None
        same = [v for v, h in heard.items() if h == heard[p.voice] and v != p.voice]
        assert not same, (p.name, p.voice, same)


# --- the homes --------------------------------------------------------------------------------------


def matches(persona: Persona, listings: Sequence[Listing], at_least: bool, strict: bool) -> list[Listing]:
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


def check_listing_goals(
    new: Sequence[Persona], listings: Sequence[Listing], strictness: Sequence[bool] = (False, True),
    cities: Iterable[str] | None = None,
) -> None:  # fmt: skip
    """2-3 homes under each reading of the criteria; the street word names one of them, or the pick exists."""
    known = set(cities) if cities is not None else None
    for p in new:
        assert known is None or p.goal.city in known, p.name
        for at_least in (False, True):  # bedrooms as "exactly" or "at least": 2-3 homes either way
            for strict in strictness:  # "up to 600" and "under 600" find the same homes
                found = matches(p, listings, at_least, strict)
                assert 2 <= len(found) <= 3, (p.name, at_least, strict, [x["street"] for x in found])
                if "street" in p.goal.listing:
                    word = p.goal.listing["street"].lower()
                    assert sum(word in x["street"].lower().split() for x in found) == 1, (p.name, word)
                else:
                    pick = p.goal.listing["pick"]
                    assert pick in ("cheapest", "dearest") or pick <= len(found), (p.name, pick)


def wanted(p: Persona, listings: Sequence[Listing]) -> Listing:
    """The home the persona wants: by its street word, or the cheapest or dearest of its matches."""
    found = matches(p, listings, at_least=False, strict=False)
    if "street" in p.goal.listing:
        word = p.goal.listing["street"].lower()
        return next(x for x in found if word in x["street"].lower().split())
    pick = p.goal.listing["pick"]
    if pick in ("cheapest", "dearest"):
        return (min if pick == "cheapest" else max)(found, key=lambda x: int(x["price_usd"]))
    return found[0]  # which is read first is the agent's business; every home in a city has its zone


# --- the times --------------------------------------------------------------------------------------


def persona_now(p: Persona, tz: ZoneInfo) -> datetime:
    assert p.now is not None and p.now.day in WEEKDAYS, p.name
    return p.now.resolve(datetime.combine(BASE, time(0), tzinfo=tz), tz)


def last_start(hours: dict[str, Any]) -> time:
    minutes = hours["close_hour"] * 60 - hours["slot_minutes"]
    return time(minutes // 60, minutes % 60)


def showing_starts(w: Window, now: datetime, tz: ZoneInfo, hours: dict[str, Any]) -> list[datetime]:
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


def check_taken_slots(new: Sequence[Persona], listings: Sequence[Listing]) -> None:
    """A taken slot is the time the persona asks for, on the home it wants (named by its street)."""
    assert any(p.taken for p in new)
    for p in new:
        for t in p.taken:
            assert "street" in p.goal.listing, p.name
            home = next(x for x in listings if x["mls_id"] == t.listing)
            assert home == wanted(p, listings), p.name
            assert t.at.text in {w.start.text for w in p.goal.when}, p.name


def check_free_starts(new: Sequence[Persona], listings: Sequence[Listing], hours: dict[str, Any]) -> None:
    """Each persona's wanted or accepted windows hold a free showing start in the week after its `now`."""
    for p in new:
        tz = ZoneInfo(wanted(p, listings)["time_zone"])
        now = persona_now(p, tz)
        taken = {t.at.resolve(now, tz) for t in p.taken}
        for w in p.goal.when + p.goal.accept:
            assert w.start.day in WEEKDAYS and w.start.day == w.end.day, (p.name, w)  # one named day each
        free = [s for w in p.goal.when + p.goal.accept for s in showing_starts(w, now, tz, hours) if s not in taken]
        assert free, p.name


def hard_time_kinds(new: Sequence[Persona], listings: Sequence[Listing], hours: dict[str, Any]) -> set[str]:
    """What makes the times asked for hard: a closed day, before opening, after the last start, off the
    half-hour grid, taken by someone else."""
    kinds = set()
    for p in new:
        tz = ZoneInfo(wanted(p, listings)["time_zone"])
        now = persona_now(p, tz)
        for w in p.goal.when:
            start = w.start.resolve(now, tz)
            if start.weekday() not in hours["weekdays"]:
                kinds.add("closed day")
            elif start.time() < time(hours["open_hour"]):
                kinds.add("before opening")
            elif start.time() > last_start(hours):
                kinds.add("after closing")
            elif start == w.end.resolve(now, tz) and start.minute % hours["slot_minutes"]:
                kinds.add("off the grid")
        if p.taken:
            kinds.add("taken")
    return kinds
