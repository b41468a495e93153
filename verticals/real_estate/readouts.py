"""Listings for the ear: at most three, one match spoken as one, a chosen listing not re-read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gateway.agent import readout, speech_text

ORDINALS = ("First", "Second", "Third")
KINDS = {
    "single_family": "a house",
    "condo": "a condo",
    "townhouse": "a townhouse",
    "multi_family": "a multi-family home",
}


def street(item: dict[str, Any]) -> str:
    return str(item.get("address", {}).get("street", "the home"))


def listing(item: dict[str, Any]) -> str:
    address = item.get("address", {})
    beds = int(item.get("bedrooms", 0))
    baths = float(item.get("bathrooms", 0))
    baths_said = f"{baths:g}".replace(".5", " and a half")
    beds_said = "a studio" if beds == 0 else f"{readout.number(beds)} bedroom{'s' if beds != 1 else ''}"
    return (f"{address.get('street', '')} in {address.get('city', '')}, {beds_said}, {baths_said} "
            f"bath{'s' if baths != 1 else ''}, for {speech_text.price(int(item.get('price_usd', 0)))}")  # fmt: skip


def _read(found: Sequence[dict[str, Any]], one: str, several: Callable[[int], str]) -> list[str]:
    """At most three homes: one as "<one>: <home>. Would you like to see it?", more numbered after
    `several(count)`, then which one."""
    shown = list(found[: readout.MAX_ITEMS])
    if len(shown) == 1:
        return [f"{one}: {listing(shown[0])}.", "Would you like to see it?"]
    lines = [several(len(shown)), *(f"{ORDINALS[i]}: {listing(item)}." for i, item in enumerate(shown))]
    return [*lines, "Which one would you like to see?"]


def matches(found: Sequence[dict[str, Any]], total: int) -> list[str]:
    def several(n: int) -> str:
        best = f"Here are the best {readout.number(n)}." if total > n else "Here they are."
        return f"I found {readout.count(total, 'home')}. {best}"

    return _read(found, "I found one home that fits", several)


def more(found: Sequence[dict[str, Any]]) -> list[str]:
    """The next homes found, after none of the first ones was picked."""
    return _read(found, "I have one more", lambda n: f"Here are {readout.number(n)} more.")


def on_street(found: Sequence[dict[str, Any]], word: str) -> list[str]:
    """Homes on a street the caller asked for by name, whatever its criteria were."""
    street = word.title()
    return _read(found, f"I do have one on {street}", lambda n: f"I have {readout.number(n)} on {street}.")


def nearest(found: Sequence[dict[str, Any]], city: str, low: int | None, high: int | None) -> list[str]:
    """Homes outside the budget, offered because none are within it: why first (the budget heard,
    which the caller can correct), then read out like matches, nearest in price first."""
    shown = list(found[: readout.MAX_ITEMS])
    why = f"Nothing in {city} {budget(low, high)}."
    if len(shown) == 1:
        return [why, f"The closest in price is {listing(shown[0])}.", "Would you like to see it?"]
    lines = [why, f"Here are the {readout.number(len(shown))} closest in price."]
    lines += [f"{ORDINALS[i]}: {listing(item)}." for i, item in enumerate(shown)]
    lines.append("Which one would you like to see?")
    return lines


def budget(low: int | None, high: int | None) -> str:
    """ "under 600 thousand dollars", "between ... and ...", "over ..."; empty without a budget."""
    if low and high:
        return f"between {speech_text.price(low)} and {speech_text.price(high)}"
    if high:
        return f"under {speech_text.price(high)}"
    if low:
        return f"over {speech_text.price(low)}"
    return ""


def criteria(bedrooms: int | None, kind: str | tuple[str, ...] | None, low: int | None, high: int | None) -> str:
    """A search as the caller would say it: "three bedrooms, a condo, under 600 thousand dollars"."""
    said = []
    if bedrooms:
        said.append(f"{readout.number(bedrooms)} bedroom{'s' if bedrooms != 1 else ''}")
    kinds = [KINDS[k] for k in (kind if isinstance(kind, tuple) else (kind,)) if k in KINDS]
    if kinds:
        said.append(" or ".join(kinds))
    if price := budget(low, high):
        said.append(price)
    return ", ".join(said)
