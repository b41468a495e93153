"""The store commands as a user runs them: `voicepod audit verify`, `voicepod sms outbox`."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import update

from bus.contracts import events_pb2
from services.audit.store import AuditStore, EntryRow
from services.sms.store import MessageRow, OutboxRow, SmsStore
from services.storage import StoreSettings, open_database
from services.timestamps import utc_now

pytestmark = pytest.mark.usefixtures("store_env")


async def voicepod(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=dict(os.environ),
    )  # fmt: skip
    out, _ = await proc.communicate()
    return await proc.wait(), out.decode()


async def test_audit_verify_reports_the_first_tampered_entry() -> None:
    engine = await open_database("audit", StoreSettings.from_env())
    store = AuditStore(engine)
    for n in range(4):
        await store.append(events_pb2.AuditEvent(event_id=uuid.uuid4().hex, call_id="c", action=f"a{n}"))
    code, out = await voicepod("audit", "verify")
    assert (code, out.strip()) == (0, "audit chain intact: 4 entries")
    async with store.sessions.begin() as session:
        await session.execute(update(EntryRow).where(EntryRow.sequence == 2).values(action="something else"))
    await engine.dispose()
    code, out = await voicepod("audit", "verify")
    assert code == 1 and "broken at entry 2: columns differ" in out


async def test_sms_outbox_lists_sent_messages(tmp_path: Path) -> None:
    engine = await open_database("sms", StoreSettings.from_env())
    store = SmsStore(engine)
    now = utc_now()
    async with store.sessions.begin() as session:
        session.add(MessageRow(message_id="m1", idempotency_key="k", request_sha256="x", to_phone_e164="+15125550160",
                               body="Your showing is confirmed", status="sent", provider="outbox",
                               source_call_id="", created_at=now, updated_at=now))  # fmt: skip
    async with store.sessions.begin() as session:
        session.add(OutboxRow(message_id="m1", to_phone_e164="+15125550160", body="Your showing is confirmed",
                              created_at=now))  # fmt: skip
    await engine.dispose()
    code, out = await voicepod("sms", "outbox")
    assert code == 0 and "+15125550160  Your showing is confirmed" in out
