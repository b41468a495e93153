"""crm_writer through NATS, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from nats.aio.client import Client as NATS

from bus import errors, subjects
from bus.client import BusClient
from bus.contracts import crm_pb2
from services.crm_writer.service import DEFINITION
from tests.integration.services_helpers import running
from tests.postgres import ONE_STORE

pytestmark = pytest.mark.usefixtures("store_env")


def upsert(key: str, **fields: object) -> crm_pb2.UpsertLeadRequest:
    return crm_pb2.UpsertLeadRequest(idempotency_key=key, **fields)  # type: ignore[arg-type]


async def test_upsert_normalises_and_reads_back(nc: NATS) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        made = await bus.call(
            subjects.UPSERT_LEAD,
            upsert(
                "k1",
                name="Ada Lovelace",
                phone="(512) 555-0134",
                email="Ada@Example.COM",
                interest="3 bed in Austin",
                budget_usd=650_000,
                source_call_id="call-1",
            ),
            timeout=5,
        )
        by_phone = await bus.call(subjects.GET_LEAD, crm_pb2.GetLeadRequest(phone="+1 512-555-0134"), timeout=5)
        by_id = await bus.call(subjects.GET_LEAD, crm_pb2.GetLeadRequest(lead_id=made.lead.lead_id), timeout=5)
    assert made.created
    assert made.lead.phone_e164 == "+15125550134" and made.lead.email == "Ada@example.com"
    assert by_phone.lead == made.lead == by_id.lead
    assert made.lead.created_at.seconds > 0


async def test_same_key_twice_writes_once_and_returns_the_same_result(nc: NATS) -> None:
    bus = BusClient(nc)
    req = upsert("same", name="Bo", phone="5125550135")
    async with running(DEFINITION, nc):
        first = await bus.call(subjects.UPSERT_LEAD, req, timeout=5)
        replies = await asyncio.gather(*(bus.call(subjects.UPSERT_LEAD, req, timeout=10) for _ in range(10)))
        # The same phone under a new key updates that one lead rather than adding one.
        later = await bus.call(
            subjects.UPSERT_LEAD, upsert("other", phone="512 555 0135", notes="prefers mornings"), timeout=5
        )
    assert all(r == first for r in replies)
    assert later.created is False and later.lead.lead_id == first.lead.lead_id
    assert later.lead.name == "Bo" and later.lead.notes == "prefers mornings"


async def test_key_reused_for_a_different_request_is_409(nc: NATS) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        await bus.call(subjects.UPSERT_LEAD, upsert("k", phone="5125550136"), timeout=5)
        with pytest.raises(errors.Conflict) as caught:
            await bus.call(subjects.UPSERT_LEAD, upsert("k", phone="5125550137"), timeout=5)
    assert caught.value.reason == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"phone": "12"}, "phone", "invalid_phone"),
        ({"phone": "not a number"}, "phone", "invalid_phone"),
        ({"phone": "+1 555 0100"}, "phone", "invalid_phone"),
        ({"phone": ""}, "phone", "missing_field"),
        ({"phone": "5125550138", "email": "ada@"}, "email", "invalid_email"),
        ({"phone": "5125550138", "budget_usd": -1}, "budget_usd", "out_of_range"),
        ({"phone": "5125550138", "name": "x" * 201}, "name", "too_long"),
    ],
)
async def test_invalid_fields_are_400_naming_the_field_and_write_nothing(
    nc: NATS, fields: dict[str, object], field: str, reason: str
) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        with pytest.raises(errors.BadRequest) as caught:
            await bus.call(subjects.UPSERT_LEAD, upsert("bad", **fields), timeout=5)
        with pytest.raises(errors.NotFound):
            await bus.call(subjects.GET_LEAD, crm_pb2.GetLeadRequest(phone="5125550138"), timeout=5)
    assert (caught.value.field, caught.value.reason) == (field, reason)


@ONE_STORE  # refused before the store: one database is enough
async def test_missing_idempotency_key_is_400(nc: NATS) -> None:
    async with running(DEFINITION, nc):
        with pytest.raises(errors.BadRequest) as caught:
            await BusClient(nc).call(subjects.UPSERT_LEAD, upsert("", phone="5125550139"), timeout=5)
    assert caught.value.field == "idempotency_key"


async def test_unknown_lead_is_404(nc: NATS) -> None:
    async with running(DEFINITION, nc):
        with pytest.raises(errors.NotFound):
            await BusClient(nc).call(subjects.GET_LEAD, crm_pb2.GetLeadRequest(lead_id="nope"), timeout=5)
