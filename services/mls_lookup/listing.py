"""A listing as the feed, the store and the sample data know it (one flat record)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

PROPERTY_TYPES = ("single_family", "condo", "townhouse", "multi_family", "land")
STATUSES = ("active", "pending", "sold")


class FeedError(ValueError):
    """A feed record that cannot be loaded; the message names the record and the field."""


@dataclass(frozen=True)
class ListingRecord:
    mls_id: str
    street: str
    city: str
    state: str
    postal_code: str
    price_usd: int
    bedrooms: int
    bathrooms: float
    square_feet: int
    property_type: str
    time_zone: str
    unit: str = ""
    status: str = "active"
    description: str = ""
    features: tuple[str, ...] = ()
    photo_urls: tuple[str, ...] = ()
    agent_id: str = ""
    agent_name: str = ""
    agent_phone: str = ""
    agent_email: str = ""
    year_built: int = 0
    listed_at: date | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("extra")
        out["features"], out["photo_urls"] = list(self.features), list(self.photo_urls)
        out["listed_at"] = self.listed_at.isoformat() if self.listed_at else ""
        return out


REQUIRED = (
    "mls_id",
    "street",
    "city",
    "state",
    "postal_code",
    "price_usd",
    "bedrooms",
    "bathrooms",
    "square_feet",
    "property_type",
    "time_zone",
)
FIELD_NAMES = tuple(f.name for f in fields(ListingRecord) if f.name != "extra")


def from_mapping(raw: dict[str, Any], where: str) -> ListingRecord:
    """Build and check a record from a JSON object or CSV row; lists may be ';'-separated strings."""

    def text(name: str) -> str:
        value = raw.get(name, "")
        return "" if value is None else str(value).strip()

    def number(name: str, kind: type[int] | type[float]) -> Any:
        value = text(name)
        if not value:
            return kind(0)
        try:
            return int(float(value)) if kind is int else float(value)
        except ValueError:
            raise FeedError(f"{where}: {name} must be a number, got {value!r}") from None

    def items(name: str) -> tuple[str, ...]:
        value = raw.get(name) or ()
        if isinstance(value, str):
            value = value.split(";")
        return tuple(str(v).strip() for v in value if str(v).strip())

    missing = [n for n in REQUIRED if not text(n)]
    if missing:
        raise FeedError(f"{where}: missing {', '.join(missing)}")
    property_type, status = text("property_type").lower(), (text("status") or "active").lower()
    if property_type not in PROPERTY_TYPES:
        raise FeedError(f"{where}: property_type must be one of {', '.join(PROPERTY_TYPES)}")
    if status not in STATUSES:
        raise FeedError(f"{where}: status must be one of {', '.join(STATUSES)}")
    listed = text("listed_at")
    try:
        listed_at = date.fromisoformat(listed[:10]) if listed else None
    except ValueError:
        raise FeedError(f"{where}: listed_at must be an ISO date, got {listed!r}") from None
    record = ListingRecord(
        mls_id=text("mls_id"),
        street=text("street"),
        unit=text("unit"),
        city=text("city"),
        state=text("state").upper(),
        postal_code=text("postal_code"),
        price_usd=number("price_usd", int),
        bedrooms=number("bedrooms", int),
        bathrooms=number("bathrooms", float),
        square_feet=number("square_feet", int),
        property_type=property_type,
        status=status,
        time_zone=text("time_zone"),
        description=text("description"),
        features=items("features"),
        photo_urls=items("photo_urls"),
        agent_id=text("agent_id"),
        agent_name=text("agent_name"),
        agent_phone=text("agent_phone"),
        agent_email=text("agent_email"),
        year_built=number("year_built", int),
        listed_at=listed_at,
    )
    if record.price_usd < 0 or record.bedrooms < 0 or record.bathrooms < 0 or record.square_feet < 0:
        raise FeedError(f"{where}: price, bedrooms, bathrooms and square_feet must not be negative")
    return record
