"""deploy/k8s/base/nats.conf on a real nats-server: each process may use only its own subjects,
and the pod still works end to end under those users."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NATS

from bus import events, subjects
from bus.client import BusClient
from bus.connection import connect
from bus.contracts import audit_pb2, crm_pb2, events_pb2
from bus.settings import BusSettings
from proc.nats_server import nats_server_binary
from proc.ports import free_port
from services.registry import DEFINITIONS
from tests.eventually import eventually
from tests.integration.services_helpers import running
from tests.nats_fixture import wait_healthy

CONF = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base" / "nats.conf"
USERS = ("gateway", "crm_writer", "calendar", "mls_lookup", "sms", "audit", "transcript", "worker_async", "admin")


def password(user: str) -> str:
    return f"pw-{user}"


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[str]:
    port, monitor = free_port(), free_port()
    env = {**os.environ, "VOICEPOD_NATS_STORE_DIR": str(tmp_path / "js"), "VOICEPOD_NATS_SERVER_NAME": "test",
           **{f"VOICEPOD_NATS_{u.upper()}_PASSWORD": password(u) for u in USERS}}  # fmt: skip
    proc = subprocess.Popen(
        [str(nats_server_binary()), "-c", str(CONF), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # Ready before the first client: one that finds no server yet waits out the client's 2 s reconnect.
        wait_healthy(monitor, proc)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def as_user(url: str, user: str) -> BusSettings:
    return BusSettings(nats_url=url, connect_timeout=10, nats_user=user, nats_password=password(user))


@pytest.fixture
async def bus_as(secured_nats: str) -> AsyncIterator[dict[str, NATS]]:
    conns = {u: await connect(as_user(secured_nats, u), name=u, inbox=u) for u in ("gateway", "crm_writer", "audit")}
    yield conns
    for c in conns.values():
        await c.close()


async def denied(url: str, user: str, action: str, subject: str) -> bool:
    """True when the server refuses `user` to subscribe/publish on `subject`."""
    refused = asyncio.Event()

    async def on_error(exc: Exception) -> None:
        if "permissions violation" in str(exc).lower():
            refused.set()

    nc = await nats.connect(url, user=user, password=password(user), error_cb=on_error)
    try:
        if action == "subscribe":
            await nc.subscribe(subject)
        else:
            await nc.publish(subject, b"x")
        await nc.flush()
        try:
            await asyncio.wait_for(refused.wait(), 2)
        except TimeoutError:
            return False
        return True
    finally:
        await nc.close()


@pytest.mark.parametrize(
    ("user", "action", "subject"),
    [("crm_writer", "subscribe", "voicepod.sms.send"), ("crm_writer", "subscribe", "voicepod.>"),
     ("crm_writer", "publish", "voicepod.sms.send"), ("sms", "subscribe", "voicepod.crm.upsert_lead"),
     ("gateway", "subscribe", "voicepod.crm.upsert_lead"), ("gateway", "subscribe", "_INBOX.crm_writer.x"),
     ("audit", "subscribe", "voicepod.transcript.get"), ("audit", "publish", "voicepod.events.audit.c1"),
     ("sms", "subscribe", "voicepod.phone.dial"), ("crm_writer", "publish", "voicepod.phone.dial")],
)  # fmt: skip
async def test_a_process_cannot_use_another_ones_subjects(
    secured_nats: str, user: str, action: str, subject: str
) -> None:
    assert await denied(secured_nats, user, action, subject)


async def test_own_subjects_are_allowed(secured_nats: str) -> None:
    assert not await denied(secured_nats, "crm_writer", "subscribe", "voicepod.crm.upsert_lead")
    assert not await denied(secured_nats, "gateway", "publish", "voicepod.crm.upsert_lead")
    assert not await denied(secured_nats, "gateway", "subscribe", "voicepod.phone.dial")  # outbound calls
    # The console: the services' $SRV figures, and the live calls of the gateway's other processes.
    assert not await denied(secured_nats, "gateway", "publish", "$SRV.STATS")
    assert not await denied(secured_nats, "gateway", "publish", "voicepod.gateway.console_live")
    assert not await denied(secured_nats, "gateway", "subscribe", "voicepod.gateway.console_live")


@pytest.mark.usefixtures("store_env")
async def test_the_pod_works_under_its_users(bus_as: dict[str, NATS]) -> None:
    gateway = bus_as["gateway"]
    async with running(DEFINITIONS["crm_writer"], bus_as["crm_writer"]), running(DEFINITIONS["audit"], bus_as["audit"]):
        bus = BusClient(gateway)
        lead = await bus.call(subjects.UPSERT_LEAD, crm_pb2.UpsertLeadRequest(idempotency_key="k", phone="5125550180"),
                              timeout=10)  # fmt: skip
        js = gateway.jetstream()
        await events.ensure_stream(js, events.AUDIT)
        event = events_pb2.AuditEvent(event_id=uuid.uuid4().hex, call_id="c1", action="tool.upsert_lead")
        await events.publish(js, events.AUDIT, event)
        trail = await eventually(
            lambda: bus.call(subjects.GET_AUDIT_TRAIL, audit_pb2.GetAuditTrailRequest(call_id="c1"), timeout=5),
            lambda t: len(t.entries) == 1,
        )
    assert lead.created and trail.entries[0].event == event
