"""A tool box without a bus for dialog unit tests: canned listings, a showing calendar on the
real grid (9 to 6, every 30 minutes, Monday to Saturday) with some times taken, and a record of
every call, so a test can assert what was written, booked or texted, and when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gateway.agent.tools import ToolBox, ToolResult

LISTINGS = [
    {"mls_id": "SEA1", "address": {"street": "12 Maple St", "city": "Seattle"}, "price_usd": 720_000,
     "bedrooms": 2, "bathrooms": 2.0, "square_feet": 1100, "time_zone": "America/Los_Angeles",
     "agent": {"agent_id": "ag1", "name": "Bo"}},
    {"mls_id": "SEA2", "address": {"street": "48 Harbor View Rd", "city": "Seattle"}, "price_usd": 655_000,
     "bedrooms": 3, "bathrooms": 2.5, "square_feet": 1600, "time_zone": "America/Los_Angeles",
     "agent": {"agent_id": "ag2", "name": "Cy"}},
    {"mls_id": "SEA3", "address": {"street": "3 Pine Ct", "city": "Seattle"}, "price_usd": 790_000,
     "bedrooms": 2, "bathrooms": 1.0, "square_feet": 900, "time_zone": "America/Los_Angeles",
     "agent": {"agent_id": "ag3", "name": "Di"}},
]  # fmt: skip


class FakeTools(ToolBox):
    def __init__(self, now: datetime, listings: list[dict[str, Any]] | None = None, *, filtering: bool = False) -> None:
        """`filtering`: search as the MLS service does (the criteria applied, cheapest first); else
        every search finds the listings as given."""
        super().__init__([], bus=None)  # type: ignore[arg-type]
        self.now = now
        self.listings = LISTINGS if listings is None else listings
        self.filtering = filtering
        self.taken: set[datetime] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.ahead: list[str] = []  # the calls made for a reply prepared ahead (gateway/agent/rehearsal.py)

    def writes(self) -> list[str]:
        return [name for name, _ in self.calls if name in ("write_lead", "book_showing", "send_sms")]

    async def call(self, name: str, args: Mapping[str, Any], *, call_id: str = "", ahead: bool = False) -> ToolResult:
        self.calls.append((name, dict(args)))
        if ahead:
            self.ahead.append(name)
        data: dict[str, Any] = {}
        if name == "search_listings":
            found = self.listings
            if self.filtering:
                found = sorted((home for home in found if _fits(home, args)), key=_price)
            offset = args.get("offset", 0)
            data = {"listings": found[offset : offset + args.get("limit", 3)], "total_count": len(found)}
        elif name == "check_availability":
            data = {"slots": [{"start_time": t.isoformat()} for t in self._free(args)]}
        elif name == "write_lead":
            data = {"lead": {"lead_id": "lead-1"}}
        elif name == "book_showing":
            start = datetime.fromisoformat(args["start_time"])
            data = {"booking": {"booking_id": "b-1"}}
            self.taken.add(start)
        return ToolResult(name, data, 0.0)

    def _free(self, args: Mapping[str, Any]) -> list[datetime]:
        tz = ZoneInfo(args["time_zone"])
        start = datetime.fromisoformat(args["from_time"]).astimezone(tz)
        end = datetime.fromisoformat(args["to_time"]).astimezone(tz)
        t = start.replace(minute=0 if start.minute == 0 else 30 if start.minute <= 30 else 0, second=0, microsecond=0)
        if t < start:
            t += timedelta(minutes=30)
        out: list[datetime] = []
        while t < end and len(out) < args.get("max_slots", 3):
            if t.weekday() < 6 and 9 <= t.hour < 18 and t > self.now and t not in self.taken:
                out.append(t)
            t += timedelta(minutes=30)
        return out


def _price(home: dict[str, Any]) -> int:
    return int(home["price_usd"])


def _fits(home: dict[str, Any], args: Mapping[str, Any]) -> bool:
    """The service's filters (tests/integration cover the service itself)."""
    price = _price(home)
    return bool(
        home["address"]["city"] == args.get("city", home["address"]["city"])
        and price >= args.get("min_price_usd", 0)
        and price <= args.get("max_price_usd", price)
        and home["bedrooms"] >= args.get("min_bedrooms", 0)
        and home["bathrooms"] >= args.get("min_bathrooms", 0)
        and home.get("property_type") == args.get("property_type", home.get("property_type"))
        and home.get("property_type") in args.get("property_types", [home.get("property_type")])
        and all(word in _searchable(home) for word in str(args.get("text", "")).lower().split())
    )


def _searchable(home: dict[str, Any]) -> str:
    """What the service's text search looks in: the street, the city and the description."""
    address = home.get("address", {})
    return f"{address.get('street', '')} {address.get('city', '')} {home.get('description', '')}".lower()
