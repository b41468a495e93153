"""All six services together on one nats-server: malformed payloads, expired deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import func, select

from bus import headers, subjects
from bus.client import BusClient
from bus.contracts import calendar_pb2, common_pb2, crm_pb2, mls_pb2, sms_pb2
from bus.endpoint import Endpoint
from services.calendar.store import BookingRow
from services.crm_writer.store import LeadRow
from services.registry import DEFINITIONS
from services.sms.store import MessageRow, OutboxRow
from services.storage import StoreSettings, open_database
from tests.integration.services.malformed import malformed_payloads
from tests.integration.services_helpers import running

pytestmark = [pytest.mark.usefixtures("store_env"), pytest.mark.slow]
# Decoding happens before any handler or store, so the full count runs once (SQLite); PostgreSQL gets a sample.
PER_ENDPOINT = {"sqlite": 10_000, "postgresql": 1_000}

VALID = {
    subjects.UPSERT_LEAD.subject: crm_pb2.UpsertLeadRequest(idempotency_key="k", name="Ada", phone="5125550170"),
    subjects.BOOK_SHOWING.subject: calendar_pb2.BookShowingRequest(
        idempotency_key="k", listing_id="L1", time_zone="America/Chicago"
    ),
    subjects.SEND_SMS.subject: sms_pb2.SendSmsRequest(idempotency_key="k", to_phone="5125550170", body="hello"),
    subjects.SEARCH_LISTINGS.subject: mls_pb2.SearchListingsRequest(city="Austin", text="pool", limit=3),
}


@pytest.fixture
async def all_services(nc: NATS, store_env: str) -> AsyncIterator[None]:
    # Depends on store_env so the stores open in the test's database, not the default one.
    async with contextlib.AsyncExitStack() as stack:
        for definition in DEFINITIONS.values():
            await stack.enter_async_context(running(definition, nc))
        yield


async def rows(service: str, *models: type) -> list[int]:
    engine = await open_database(service, StoreSettings.from_env())
    try:
        async with engine.connect() as conn:
            return [int((await conn.execute(select(func.count()).select_from(m))).scalar_one()) for m in models]
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("all_services")
async def test_10000_bad_payloads_per_endpoint_each_get_400_and_services_stay_up(nc: NATS, store_env: str) -> None:
    semaphore = asyncio.Semaphore(64)

    async def send(endpoint: Endpoint[Any, Any], payload: bytes) -> tuple[str, str]:
        async with semaphore:
            msg = await nc.request(endpoint.subject, payload, timeout=10)
        body = common_pb2.Error.FromString(msg.data) if msg.headers else common_pb2.Error()
        return (msg.headers or {}).get(headers.SERVICE_ERROR_CODE, "200"), body.reason

    for endpoint in subjects.ALL_ENDPOINTS:
        valid = VALID.get(endpoint.subject, endpoint.request())
        payloads = malformed_payloads(endpoint.request, valid, PER_ENDPOINT[store_env])
        answers = await asyncio.gather(*(send(endpoint, p) for p in payloads))
        assert set(answers) == {("400", "undecodable")}, endpoint.subject
    # Still serving, and nothing was written by any of it.
    bus = BusClient(nc)
    # VALID holds several request types, so each is named again here.
    search = cast(mls_pb2.SearchListingsRequest, VALID[subjects.SEARCH_LISTINGS.subject])
    found = await bus.call(subjects.SEARCH_LISTINGS, search, timeout=10)
    lead = await bus.call(
        subjects.UPSERT_LEAD, cast(crm_pb2.UpsertLeadRequest, VALID[subjects.UPSERT_LEAD.subject]), timeout=10
    )
    assert found.total_count > 0 and lead.created
    assert await rows("crm_writer", LeadRow) == [1]
    assert await rows("sms", MessageRow, OutboxRow) == [0, 0]


@pytest.mark.usefixtures("all_services")
async def test_expired_deadline_is_504_with_no_side_effect(nc: NATS) -> None:
    past = {headers.DEADLINE: str(int(time.time() * 1000) - 5)}
    for subject, request in VALID.items():
        msg = await nc.request(subject, request.SerializeToString(), timeout=5, headers=past)
        assert msg.headers and msg.headers[headers.SERVICE_ERROR_CODE] == "504", subject
    assert await rows("crm_writer", LeadRow) == [0]
    assert await rows("calendar", BookingRow) == [0]
    assert await rows("sms", MessageRow, OutboxRow) == [0, 0]
