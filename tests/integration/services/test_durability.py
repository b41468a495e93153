"""Durable events survive a service killed with SIGKILL mid-stream: every event stored once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from google.protobuf.message import Message
from nats.aio.client import Client as NATS
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bus import events
from bus.contracts import events_pb2
from proc.ports import free_port
from services.audit.store import AuditStore, EntryRow
from services.storage import StoreSettings, open_database
from services.transcript.store import EventRow
from tests.eventually import eventually
from tests.nats_fixture import NatsServer

pytestmark = [pytest.mark.usefixtures("store_env"), pytest.mark.slow]
TOTAL = 400


def audit_event(n: int) -> events_pb2.AuditEvent:
    return events_pb2.AuditEvent(event_id=uuid.uuid4().hex, call_id=f"call-{n % 7}", action=f"step.{n}")


def transcript_event(n: int) -> events_pb2.TranscriptEvent:
    turn = events_pb2.TranscriptTurn(turn_index=n, speaker=events_pb2.SPEAKER_CALLER, text=f"turn {n}", is_final=True)
    return events_pb2.TranscriptEvent(event_id=uuid.uuid4().hex, call_id=f"call-{n % 7}", turn=turn)


Row = type[EntryRow] | type[EventRow]
CASES: dict[str, tuple[events.EventStream[Any], Callable[[int], Message], Row]] = {
    "audit": (events.AUDIT, audit_event, EntryRow),
    "transcript": (events.TRANSCRIPT, transcript_event, EventRow),
}


async def start_service(name: str, nats_url: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "NATS_URL": nats_url, "VOICEPOD_LOG_FORMAT": "json"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", "service", name, "--ops-port", str(free_port()),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def stored_ids(engine: AsyncEngine, model: Row) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(model.event_id))).scalars())


@pytest.mark.parametrize("service", sorted(CASES))
async def test_sigkill_mid_stream_then_restart_stores_every_event_exactly_once(
    nc: NATS, nats_server: NatsServer, service: str
) -> None:
    stream, make, model = CASES[service]
    js = nc.jetstream()
    await events.ensure_stream(js, stream)
    sent = [make(n) for n in range(TOTAL)]
    engine = await open_database(service, StoreSettings.from_env())
    proc = await start_service(service, nats_server.url)
    try:
        first_stored: Callable[[], Awaitable[list[str]]] = lambda: stored_ids(engine, model)  # noqa: E731
        for n, event in enumerate(sent):
            await events.publish(js, stream, event)
            if n == TOTAL // 4:
                # Make sure the service is mid-work (it has stored some), then kill it hard.
                await eventually(first_stored, lambda ids: len(ids) > 0)
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
            if n == TOTAL // 2:
                proc = await start_service(service, nats_server.url)
            if n % 50 == 0:
                await events.publish(js, stream, event)  # a retried publish: de-duplicated by Nats-Msg-Id
        ids = await eventually(first_stored, lambda ids: len(ids) >= TOTAL, timeout=60)
    finally:
        await engine.dispose()
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
    assert len(ids) == TOTAL and set(ids) == {getattr(e, "event_id") for e in sent}  # noqa: B009
    if service == "audit":
        engine = await open_database("audit", StoreSettings.from_env())
        verdict = await AuditStore(engine).verify()
        await engine.dispose()
        assert verdict.ok and verdict.checked == TOTAL
