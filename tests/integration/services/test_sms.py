"""sms through NATS: outbox and Twilio (local fake) providers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import func, select

from bus import errors, subjects
from bus.client import BusClient
from bus.contracts import sms_pb2
from services.sms.service import DEFINITION
from services.sms.store import MessageRow, OutboxRow, SmsStore
from services.storage import StoreSettings, open_database
from tests.integration.services.fake_twilio import SID, TOKEN, fake_twilio
from tests.integration.services_helpers import running
from tests.postgres import ONE_STORE

pytestmark = pytest.mark.usefixtures("store_env")
CONFIRM = {"name": "Ada", "address": "1884 Canyon Ct, Austin", "when": "Tue Mar 2 at 10:00 AM CST",
           "agent_name": "James Johnson"}  # fmt: skip


def send(key: str, to: str = "512-555-0150", **fields: object) -> sms_pb2.SendSmsRequest:
    fields.setdefault("template_id", "showing_confirmation")
    fields.setdefault("variables", CONFIRM)
    return sms_pb2.SendSmsRequest(idempotency_key=key, to_phone=to, **fields)  # type: ignore[arg-type]


@pytest.fixture
async def store() -> AsyncIterator[SmsStore]:
    engine = await open_database("sms", StoreSettings.from_env())
    yield SmsStore(engine)
    await engine.dispose()


async def count(store: SmsStore, model: type) -> int:
    async with store.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_template_goes_to_the_outbox(nc: NATS, store: SmsStore) -> None:
    async with running(DEFINITION, nc):
        reply = await BusClient(nc).call(subjects.SEND_SMS, send("s1", source_call_id="call-9"), timeout=5)
    msg = reply.message
    assert msg.status == sms_pb2.SMS_STATUS_SENT and msg.provider == "outbox" and msg.to_phone_e164 == "+15125550150"
    assert msg.body.startswith("Hi Ada, your showing of 1884 Canyon Ct, Austin is confirmed for Tue Mar 2")
    (row,) = await store.outbox()
    assert (row.message_id, row.body) == (msg.message_id, msg.body)


async def test_same_key_ten_times_concurrently_sends_once(nc: NATS, store: SmsStore) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        replies = await asyncio.gather(*(bus.call(subjects.SEND_SMS, send("once"), timeout=10) for _ in range(10)))
    assert len({r.message.message_id for r in replies}) == 1
    assert await count(store, OutboxRow) == 1 and await count(store, MessageRow) == 1


async def test_invalid_number_is_400_and_nothing_is_stored(nc: NATS, store: SmsStore) -> None:
    async with running(DEFINITION, nc):
        with pytest.raises(errors.BadRequest) as caught:
            await BusClient(nc).call(subjects.SEND_SMS, send("bad", to="555-01"), timeout=5)
    assert (caught.value.field, caught.value.reason) == ("to_phone", "invalid_phone")
    assert await count(store, MessageRow) == 0 and await count(store, OutboxRow) == 0


@ONE_STORE  # refused before the store: one database is enough
@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [({"template_id": "nope"}, "template_id", "unknown_template"),
     ({"variables": {"name": "Ada"}}, "variables", "missing_variables"),
     ({"template_id": "", "body": ""}, "body", "missing_field"),
     ({"template_id": "", "body": "x" * 1601}, "body", "too_long")],
)  # fmt: skip
async def test_bad_messages_are_400(nc: NATS, fields: dict[str, Any], field: str, reason: str) -> None:
    async with running(DEFINITION, nc):
        with pytest.raises(errors.BadRequest) as caught:
            await BusClient(nc).call(subjects.SEND_SMS, send("k", **fields), timeout=5)
    assert (caught.value.field, caught.value.reason) == (field, reason)


async def test_opt_out_is_respected_until_opt_in(nc: NATS, store: SmsStore) -> None:
    bus = BusClient(nc)
    async with running(DEFINITION, nc):
        stop = sms_pb2.SetSmsOptOutRequest(phone="(512) 555-0150", opted_out=True)
        out = await bus.call(subjects.SET_SMS_OPT_OUT, stop, timeout=5)
        with pytest.raises(errors.Conflict) as caught:
            await bus.call(subjects.SEND_SMS, send("after-stop"), timeout=5)
        start = sms_pb2.SetSmsOptOutRequest(phone="5125550150", opted_out=False)
        await bus.call(subjects.SET_SMS_OPT_OUT, start, timeout=5)
        again = await bus.call(subjects.SEND_SMS, send("after-start"), timeout=5)
    assert out.phone_e164 == "+15125550150" and caught.value.reason == "recipient_opted_out"
    assert again.message.status == sms_pb2.SMS_STATUS_SENT and await count(store, OutboxRow) == 1


async def test_twilio_retries_5xx_then_sends_once_and_reports_delivery(
    nc: NATS, store: SmsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fake_twilio() as twilio:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
        monkeypatch.setenv("TWILIO_FROM_NUMBER", "+15125550199")
        monkeypatch.setenv("TWILIO_API_BASE", twilio.url)
        twilio.script = [(503, None), (500, None)]
        bus = BusClient(nc)
        async with running(DEFINITION, nc):
            sent = (await bus.call(subjects.SEND_SMS, send("tw"), timeout=15)).message
            retried = (await bus.call(subjects.SEND_SMS, send("tw"), timeout=15)).message
            ask = sms_pb2.GetSmsStatusRequest(message_id=sent.message_id)
            status = (await bus.call(subjects.GET_SMS_STATUS, ask, timeout=5)).message
            twilio.script = [(400, 21610)]
            refused = (await bus.call(subjects.SEND_SMS, send("tw2", to="512-555-0151"), timeout=15)).message
            with pytest.raises(errors.Conflict):
                await bus.call(subjects.SEND_SMS, send("tw3", to="512-555-0151"), timeout=15)
    assert len(twilio.posts) == 4 and len(twilio.accepted) == 1  # 503, 500, 201 — then one 400
    assert twilio.posts[0] == {"To": "+15125550150", "From": "+15125550199", "Body": sent.body}
    assert sent.provider == "twilio" and sent.provider_message_id in twilio.accepted
    assert sent.status == sms_pb2.SMS_STATUS_QUEUED and retried.message_id == sent.message_id
    assert status.status == sms_pb2.SMS_STATUS_DELIVERED
    assert refused.status == sms_pb2.SMS_STATUS_FAILED and "21610" in refused.error_message
    assert await store.opted_out("+15125550151")
    assert await count(store, OutboxRow) == 0
