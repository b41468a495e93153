"""mls_lookup through NATS on the shipped sample data, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from nats.aio.client import Client as NATS

from bus import errors, subjects
from bus.client import BusClient
from bus.contracts import mls_pb2
from services.mls_lookup.service import DEFINITION
from tests.integration.services_helpers import running
from tests.postgres import ONE_STORE

pytestmark = pytest.mark.usefixtures("store_env")


async def search(bus: BusClient, **fields: object) -> mls_pb2.SearchListingsResponse:
    return await bus.call(subjects.SEARCH_LISTINGS, mls_pb2.SearchListingsRequest(**fields), timeout=10)  # type: ignore[arg-type]


async def test_search_filters_combine(nc: NATS) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        austin = await search(bus, city="austin", limit=50)
        narrow = await search(
            bus,
            city="Austin",
            state="TX",
            min_price_usd=300_000,
            max_price_usd=700_000,
            min_bedrooms=3,
            min_bathrooms=2,
            property_types=[mls_pb2.PROPERTY_TYPE_SINGLE_FAMILY],
        )
        page2 = await search(bus, city="Austin", min_bedrooms=3, limit=5, offset=5)
        page1 = await search(bus, city="Austin", min_bedrooms=3, limit=10)
    assert 80 < austin.total_count <= 120 and len(austin.listings) == 50
    assert all(lst.address.city == "Austin" and lst.status == mls_pb2.LISTING_STATUS_ACTIVE for lst in austin.listings)
    assert [lst.price_usd for lst in austin.listings] == sorted(lst.price_usd for lst in austin.listings)
    assert 0 < narrow.total_count < austin.total_count
    for lst in narrow.listings:
        assert 300_000 <= lst.price_usd <= 700_000 and lst.bedrooms >= 3 and lst.bathrooms >= 2
        assert lst.property_type == mls_pb2.PROPERTY_TYPE_SINGLE_FAMILY
        assert lst.agent.name and lst.agent.phone_e164.startswith("+1512") and lst.photo_urls
        assert lst.time_zone == "America/Chicago"
    assert [lst.mls_id for lst in page2.listings] == [lst.mls_id for lst in page1.listings[5:10]]


async def test_free_text_matches_features_and_streets(nc: NATS) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        pools = await search(bus, city="Phoenix", text="swimming pool", limit=50)
        none = await search(bus, text="castle moat drawbridge")
    assert pools.total_count > 0
    assert all("swimming pool" in lst.features for lst in pools.listings)
    assert none.total_count == 0 and not none.listings


async def test_statuses_default_to_active(nc: NATS) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        active = await search(bus, city="Denver")
        sold = await search(bus, city="Denver", statuses=[mls_pb2.LISTING_STATUS_SOLD])
        both = await search(bus, city="Denver", statuses=[mls_pb2.LISTING_STATUS_SOLD, mls_pb2.LISTING_STATUS_ACTIVE])
    assert sold.total_count > 0 and all(lst.status == mls_pb2.LISTING_STATUS_SOLD for lst in sold.listings)
    assert both.total_count == active.total_count + sold.total_count


async def test_get_by_id_and_by_spoken_address(nc: NATS) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        one = (await search(bus, city="Seattle", limit=1)).listings[0]
        by_id = await bus.call(subjects.GET_LISTING, mls_pb2.GetListingRequest(mls_id=one.mls_id.lower()), timeout=5)
        spoken = one.address.street.replace(" St", " Street").replace(" Ave", " Avenue").replace(" Dr", " Drive")
        by_address = await bus.call(
            subjects.GET_LISTING, mls_pb2.GetListingRequest(address=f"{spoken}, Seattle, Washington"), timeout=5
        )
        with pytest.raises(errors.NotFound):
            await bus.call(subjects.GET_LISTING, mls_pb2.GetListingRequest(mls_id="NOPE00000"), timeout=5)
        with pytest.raises(errors.NotFound):
            await bus.call(subjects.GET_LISTING, mls_pb2.GetListingRequest(address="1 Nowhere Lane"), timeout=5)
    assert by_id.listing == one
    assert by_address.listing.mls_id == one.mls_id


@ONE_STORE  # refused before the store: one database is enough
@pytest.mark.parametrize(
    ("fields", "field"),
    [({"limit": 51}, "limit"), ({"min_price_usd": -1}, "min_price_usd"),
     ({"min_price_usd": 10, "max_price_usd": 5}, "min_price_usd"), ({"property_types": [99]}, "property_types"),
     ({"offset": -3}, "offset")],
)  # fmt: skip
async def test_bad_search_is_400_naming_the_field(nc: NATS, fields: dict[str, object], field: str) -> None:
    async with running(DEFINITION, nc):
        with pytest.raises(errors.BadRequest) as caught:
            await search(BusClient(nc), **fields)
    assert caught.value.field == field
