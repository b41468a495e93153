"""mls_lookup endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TypeVar

from bus import errors
from bus.contracts import common_pb2, mls_pb2
from bus.service import RequestContext
from services import validation
from services.mls_lookup.listing import ListingRecord
from services.mls_lookup.store import ListingStore, Query
from services.timestamps import to_proto

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
TYPE_NAMES = {
    mls_pb2.PROPERTY_TYPE_SINGLE_FAMILY: "single_family", mls_pb2.PROPERTY_TYPE_CONDO: "condo",
    mls_pb2.PROPERTY_TYPE_TOWNHOUSE: "townhouse", mls_pb2.PROPERTY_TYPE_MULTI_FAMILY: "multi_family",
    mls_pb2.PROPERTY_TYPE_LAND: "land",
}  # fmt: skip
STATUS_NAMES = {
    mls_pb2.LISTING_STATUS_ACTIVE: "active", mls_pb2.LISTING_STATUS_PENDING: "pending",
    mls_pb2.LISTING_STATUS_SOLD: "sold",
}  # fmt: skip
TYPE_VALUES = {v: k for k, v in TYPE_NAMES.items()}
STATUS_VALUES = {v: k for k, v in STATUS_NAMES.items()}


def listing_proto(r: ListingRecord) -> mls_pb2.Listing:
    return mls_pb2.Listing(
        mls_id=r.mls_id,
        address=common_pb2.PostalAddress(street=r.street, unit=r.unit, city=r.city, state=r.state,
                                         postal_code=r.postal_code),
        price_usd=r.price_usd, bedrooms=r.bedrooms, bathrooms=r.bathrooms, square_feet=r.square_feet,
        property_type=TYPE_VALUES[r.property_type], status=STATUS_VALUES[r.status], description=r.description,
        features=r.features, photo_urls=r.photo_urls,
        agent=mls_pb2.ListingAgent(agent_id=r.agent_id, name=r.agent_name, phone_e164=r.agent_phone,
                                   email=r.agent_email),
        year_built=r.year_built,
        listed_at=to_proto(datetime.combine(r.listed_at, time(), tzinfo=UTC)) if r.listed_at else None,
        time_zone=r.time_zone,
    )  # fmt: skip


EnumT = TypeVar("EnumT", bound=int)  # a Protobuf enum (its values are ints)


def enum_names(values: list[EnumT], names: dict[EnumT, str], field: str) -> tuple[str, ...]:
    unknown = [v for v in values if v not in names]
    if unknown:
        raise errors.BadRequest(f"unknown {field} value(s) {unknown}", reason="out_of_range", field=field)
    return tuple(names[v] for v in values)


class MlsHandlers:
    def __init__(self, store: ListingStore) -> None:
        self.store = store

    async def search_listings(
        self, req: mls_pb2.SearchListingsRequest, _: RequestContext
    ) -> mls_pb2.SearchListingsResponse:
        for name in ("min_price_usd", "max_price_usd", "min_bedrooms", "offset"):
            validation.non_negative(getattr(req, name), name)
        if req.min_bathrooms < 0:
            raise errors.BadRequest("min_bathrooms must not be negative", reason="out_of_range", field="min_bathrooms")
        if req.max_price_usd and req.min_price_usd > req.max_price_usd:
            raise errors.BadRequest(
                "min_price_usd is above max_price_usd", reason="out_of_range", field="min_price_usd"
            )
        if not 0 <= req.limit <= MAX_LIMIT:
            raise errors.BadRequest(f"limit must be 0..{MAX_LIMIT}", reason="out_of_range", field="limit")
        query = Query(
            city=validation.bounded(req.city, "city", 100), state=validation.bounded(req.state, "state", 2),
            min_price_usd=req.min_price_usd, max_price_usd=req.max_price_usd, min_bedrooms=req.min_bedrooms,
            min_bathrooms=req.min_bathrooms,
            property_types=enum_names(list(req.property_types), TYPE_NAMES, "property_types"),
            statuses=enum_names(list(req.statuses), STATUS_NAMES, "statuses") or ("active",),
            text=validation.bounded(req.text, "text", 200), limit=req.limit or DEFAULT_LIMIT, offset=req.offset,
        )  # fmt: skip
        found, total = await self.store.search(query)
        return mls_pb2.SearchListingsResponse(listings=[listing_proto(r) for r in found], total_count=total)

    async def get_listing(self, req: mls_pb2.GetListingRequest, _: RequestContext) -> mls_pb2.GetListingResponse:
        which = req.WhichOneof("key")
        if which == "mls_id":
            record = await self.store.get(validation.bounded(validation.required(req.mls_id, "mls_id"), "mls_id", 40))
        elif which == "address":
            record = await self.store.find_by_address(
                validation.bounded(validation.required(req.address, "address"), "address", 300)
            )
        else:
            raise errors.BadRequest("give mls_id or address", reason="missing_field", field="key")
        if record is None:
            raise errors.NotFound("no such listing", reason="listing_not_found")
        return mls_pb2.GetListingResponse(listing=listing_proto(record))
