"""NATS killed and restarted (same port, same JetStream store) while a call is recording:
the gateway's recorder retries what it could not publish, the transcript service reconnects
and stores every event exactly once; at exit, events still retrying get a bounded time to publish
(woken from their back-off), and those NATS never takes are counted lost. The live-call version (a WebRTC call through
`voicepod up` while its nats-server is killed) is in test_faults_during_a_call.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from bus import events
from bus.connection import connect
from bus.contracts import events_pb2
from bus.settings import BusSettings
from gateway import recorder
from gateway.recorder import CallRecorder
from proc.ports import free_port
from services.registry import DEFINITIONS
from services.transcript.store import EventRow
from tests.eventually import eventually
from tests.integration.agent.test_dialog import rows
from tests.integration.services_helpers import running
from tests.nats_fixture import NatsServer

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def own_server(tmp_path: Path) -> AsyncIterator[NatsServer]:
    """A server of this test's own (never $NATS_URL): the test kills it."""
    port, monitor = free_port(), free_port()
    server = NatsServer(f"nats://127.0.0.1:{port}", tmp_path / "js", port, monitor)
    server.start()
    try:
        yield server
    finally:
        server.stop()


RETRIES, LOST = "voicepod_gateway_event_publish_retries_total", "voicepod_gateway_events_lost_total"


def counted(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"stream": events.TRANSCRIPT.name}) or 0.0


async def stream_count(nc: NATS) -> int:
    return int((await nc.jetstream().stream_info(events.TRANSCRIPT.name)).state.messages)


async def stored_until(count: int, timeout: float) -> list[EventRow]:
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + timeout
    while len(found := await rows("transcript", EventRow)) < count and loop.time() < give_up_at:
        await asyncio.sleep(0.2)  # the service stores asynchronously; poll its database
    return found


@pytest.mark.timeout(120)
async def test_events_recorded_while_nats_is_down_are_delivered_once_after_it_restarts(tmp_path: Path) -> None:
    async with own_server(tmp_path) as server:
        settings = BusSettings(nats_url=server.url, connect_timeout=5.0, drain_timeout=2.0)
        gateway_nc = await connect(settings, name="gateway")
        service_nc = await connect(settings, name="transcript")
        try:
            async with running(DEFINITIONS["transcript"], service_nc, settings):
                recorder = CallRecorder(gateway_nc.jetstream(), "call-nats-restart")
                lost_before = counted("voicepod_gateway_events_lost_total")
                recorder.call_started("real_estate")
                for n in range(3):
                    recorder.turn(events_pb2.SPEAKER_CALLER, f"before the restart {n}")
                await recorder.flush()
                assert await stream_count(gateway_nc) == 4

                assert server.process is not None
                server.process.kill()  # SIGKILL: no goodbye to the clients
                server.process.wait()
                retried_before = counted("voicepod_gateway_event_publish_retries_total")
                down_at = time.monotonic()
                for n in range(5):
                    recorder.turn(events_pb2.SPEAKER_AGENT, f"while NATS is down {n}")
                recorder.call_ended("caller", 12.5)
                # Each publish fails at least once before the server is back.
                while counted("voicepod_gateway_event_publish_retries_total") - retried_before < 6:
                    await asyncio.sleep(0.05)  # waiting on a counter the recorder's tasks move
                server.start()  # same port, same store directory
                await recorder.flush(timeout=60)
                outage = time.monotonic() - down_at

                assert await stream_count(gateway_nc) == 10  # 4 + 5 turns + call_ended, none twice
                stored = await stored_until(10, timeout=30)
        finally:
            await service_nc.close()
            await gateway_nc.close()
    assert counted("voicepod_gateway_events_lost_total") == lost_before
    assert len(stored) == 10
    turns = sorted(r.turn_index for r in stored if r.kind == "turn")
    assert turns == list(range(1, 9))
    assert {r.kind for r in stored} == {"call_started", "turn", "call_ended"}
    print(f"\nNATS down {outage:.1f} s: 6 events retried and delivered, 10/10 stored once, 0 lost")


@pytest.mark.timeout(60)
async def test_at_exit_events_still_retrying_publish_once_nats_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A back-off far longer than the exit may wait (and within the 300 s the recorder retries for):
    # only being woken at the exit gets the events out in time.
    monkeypatch.setattr(recorder, "FIRST_BACKOFF", 120.0)
    async with own_server(tmp_path) as server:
        settings = BusSettings(nats_url=server.url, connect_timeout=5.0, drain_timeout=2.0)
        nc = await connect(settings, name="gateway")
        try:
            await events.ensure_stream(nc.jetstream(), events.TRANSCRIPT)
            retried_before, lost_before = counted(RETRIES), counted(LOST)
            assert server.process is not None
            server.process.kill()
            server.process.wait()
            record = CallRecorder(nc.jetstream(), "call-exit-retrying")
            for n in range(3):
                record.turn(events_pb2.SPEAKER_CALLER, f"said while NATS is down {n}")
            await eventually(lambda: asyncio.sleep(0, counted(RETRIES)), lambda n: n >= retried_before + 3)
            server.start()  # same port, same store
            await eventually(lambda: asyncio.sleep(0, nc.is_connected), bool)
            async with asyncio.timeout(20):  # far under the 120 s back-off the events were sleeping
                lost = await recorder.IN_FLIGHT.settle(timeout=15)
            stored = await stream_count(nc)
        finally:
            await nc.close()
    assert lost == 0 and stored == 3 and counted(LOST) == lost_before


@pytest.mark.timeout(60)
async def test_at_exit_events_nats_never_takes_are_counted_lost_after_a_bounded_wait(tmp_path: Path) -> None:
    async with own_server(tmp_path) as server:
        settings = BusSettings(nats_url=server.url, connect_timeout=5.0, drain_timeout=2.0)
        nc = await connect(settings, name="gateway")
        try:
            await events.ensure_stream(nc.jetstream(), events.TRANSCRIPT)
            lost_before = counted(LOST)
            assert server.process is not None
            server.process.kill()
            server.process.wait()
            record = CallRecorder(nc.jetstream(), "call-exit-lost")
            record.call_started("real_estate")
            record.call_ended("shutdown", 3.0)
            async with asyncio.timeout(10):  # bounded: 1 s of waiting, then each is cancelled
                lost = await recorder.IN_FLIGHT.settle(timeout=1.0)
            left = [t for t in recorder.IN_FLIGHT.tasks if t.get_loop() is asyncio.get_running_loop()]
        finally:
            await nc.close()
    assert lost == 2 and counted(LOST) == lost_before + 2 and left == []
