"""audit: JetStream in, hash chain out, through a real nats-server, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import uuid

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from nats.aio.client import Client as NATS
from sqlalchemy import update

from bus import events, subjects
from bus.client import BusClient
from bus.contracts import audit_pb2, events_pb2
from services.audit.service import DEFINITION
from services.audit.store import AuditStore, EntryRow
from services.storage import StoreSettings, open_database
from tests.eventually import eventually
from tests.integration.services_helpers import running

pytestmark = pytest.mark.usefixtures("store_env")


def audit_event(call_id: str, n: int, event_id: str | None = None) -> events_pb2.AuditEvent:
    at = Timestamp()
    at.GetCurrentTime()
    return events_pb2.AuditEvent(
        event_id=event_id or uuid.uuid4().hex, call_id=call_id, occurred_at=at, actor="agent",
        action=f"tool.step_{n}", outcome="ok", attributes={"n": str(n)},
    )  # fmt: skip


async def trail(bus: BusClient, call_id: str) -> audit_pb2.GetAuditTrailResponse:
    return await bus.call(subjects.GET_AUDIT_TRAIL, audit_pb2.GetAuditTrailRequest(call_id=call_id), timeout=5)


async def test_events_are_chained_once_each_even_when_published_twice(nc: NATS) -> None:
    js, bus = nc.jetstream(), BusClient(nc)
    await events.ensure_stream(js, events.AUDIT)
    sent = {call: [audit_event(call, n) for n in range(20)] for call in ("call-a", "call.b*", "call-c")}
    async with running(DEFINITION, nc):
        for evs in sent.values():
            for e in evs:
                await events.publish(js, events.AUDIT, e)
        for e in sent["call-a"][:10]:  # retried publishes: Nats-Msg-Id makes them no-ops
            await events.publish(js, events.AUDIT, e)
        got = {c: await eventually(functools.partial(trail, bus, c), lambda t: len(t.entries) >= 20) for c in sent}
        verdict = await bus.call(subjects.VERIFY_AUDIT_CHAIN, audit_pb2.VerifyAuditChainRequest(), timeout=10)
    for call, evs in sent.items():
        assert [x.event.event_id for x in got[call].entries] == [e.event_id for e in evs]
        assert got[call].entries[0].event == evs[0]
    sequences = sorted(x.sequence for t in got.values() for x in t.entries)
    assert sequences == list(range(1, 61))
    assert verdict.ok and verdict.entries_checked == 60


async def test_a_redelivered_event_is_stored_once(nc: NATS) -> None:
    # Past the stream's duplicate window the same event can arrive twice; the store holds it once.
    engine = await open_database("audit", StoreSettings.from_env())
    store = AuditStore(engine)
    try:
        e = audit_event("call-r", 1)
        assert await store.append(e) is True
        assert await store.append(e) is False
        assert len(await store.trail("call-r")) == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("tamper", "detail"),
    [({"actor": "operator"}, "columns differ"), ({"event_bytes": b"\x0a\x02xx"}, "hash does not match"),
     ({"hash": "0" * 64}, "hash does not match")],
)  # fmt: skip
async def test_tampering_is_found_at_the_entry(nc: NATS, tamper: dict[str, object], detail: str) -> None:
    engine = await open_database("audit", StoreSettings.from_env())
    store = AuditStore(engine)
    try:
        for n in range(5):
            await store.append(audit_event("call-t", n))
        assert (await store.verify()).ok
        async with store.sessions.begin() as session:
            await session.execute(update(EntryRow).where(EntryRow.sequence == 3).values(**tamper))
        verdict = await store.verify()
    finally:
        await engine.dispose()
    assert not verdict.ok and verdict.first_broken == 3 and detail in verdict.detail and verdict.checked == 2


async def test_an_undecodable_event_is_dropped_and_the_rest_still_flow(nc: NATS) -> None:
    js, bus = nc.jetstream(), BusClient(nc)
    await events.ensure_stream(js, events.AUDIT)
    async with running(DEFINITION, nc):
        await js.publish(events.AUDIT.subject_for("call-x"), b"\xff\xff not protobuf", headers={"Nats-Msg-Id": "junk"})
        good = audit_event("call-x", 1)
        await events.publish(js, events.AUDIT, good)
        got = await eventually(lambda: trail(bus, "call-x"), lambda t: len(t.entries) >= 1)
    assert [x.event.event_id for x in got.entries] == [good.event_id]
