"""The mls_lookup service definition.

At start, an empty store is filled from VOICEPOD_MLS_FEED (a feed file of the
user's) or else from the shipped sample data; `voicepod mls load FILE` loads more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog

from bus import subjects
from bus.runner import ServiceDefinition, ServiceEnv
from bus.service import Route, route
from services.mls_lookup.feed import read_feed
from services.mls_lookup.handlers import MlsHandlers
from services.mls_lookup.settings import mls_feed
from services.mls_lookup.store import ListingStore
from services.storage import StoreSettings, open_database

log = structlog.get_logger("services.mls_lookup")


async def seed_if_empty(store: ListingStore) -> None:
    if await store.count():
        return
    feed = mls_feed()
    loaded = await store.load(read_feed(feed))
    log.info("mls_seeded", listings=loaded, feed=str(feed))


@asynccontextmanager
async def lifespan(_: ServiceEnv) -> AsyncIterator[Sequence[Route[Any, Any]]]:
    engine = await open_database("mls_lookup", StoreSettings.from_env())
    try:
        store = ListingStore(engine)
        await seed_if_empty(store)
        h = MlsHandlers(store)
        yield [route(subjects.SEARCH_LISTINGS, h.search_listings), route(subjects.GET_LISTING, h.get_listing)]
    finally:
        await engine.dispose()


DEFINITION = ServiceDefinition(
    name="mls_lookup",
    version="0.2.0",
    description="Searches property listings.",
    lifespan=lifespan,
    ops_port=9103,
)
