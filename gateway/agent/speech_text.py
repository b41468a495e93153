"""How the agent reads things aloud: prices, times, phone numbers, addresses."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def price(usd: int) -> str:
    if usd >= 1_000_000:
        return f"{usd / 1_000_000:.2f}".rstrip("0").rstrip(".") + " million dollars"
    return f"{round(usd / 1000)} thousand dollars"


def when(moment: datetime) -> str:
    hour = moment.strftime("%I").lstrip("0")
    minutes = "" if moment.minute == 0 else f":{moment.minute:02d}"
    return f"{moment.strftime('%A, %B')} {moment.day} at {hour}{minutes} {moment.strftime('%p')}"


def phone(e164: str) -> str:
    digits = e164.removeprefix("+1")
    return ", ".join((" ".join(digits[:3]), " ".join(digits[3:6]), " ".join(digits[6:])))


def listing(item: dict[str, Any]) -> str:
    address = item.get("address", {})
    beds = item.get("bedrooms", 0)
    baths = item.get("bathrooms", 0)
    baths_said = f"{baths:g}".replace(".5", " and a half")
    return (f"{address.get('street', '')} in {address.get('city', '')}, {beds} bedrooms, {baths_said} baths, "
            f"for {price(int(item.get('price_usd', 0)))}")  # fmt: skip
