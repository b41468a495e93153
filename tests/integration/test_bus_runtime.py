"""The bus layer against a real nats-server: client, service runtime, errors, deadlines."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from bus import errors, headers, subjects
from bus.client import BusClient
from bus.contracts import common_pb2, crm_pb2
from bus.deadline import Deadline
from bus.service import RequestContext, route
from bus.settings import BusSettings
from tests.integration.bus_helpers import serving

UPSERT = subjects.UPSERT_LEAD


class Recorder:
    """An upsert_lead handler that records what it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[crm_pb2.UpsertLeadRequest, RequestContext]] = []

    async def __call__(self, req: crm_pb2.UpsertLeadRequest, ctx: RequestContext) -> crm_pb2.UpsertLeadResponse:
        self.calls.append((req, ctx))
        return crm_pb2.UpsertLeadResponse(lead=crm_pb2.Lead(lead_id="L1", name=req.name.upper()), created=True)


async def test_round_trip_returns_typed_reply(nc: NATS) -> None:
    handler = Recorder()
    async with serving(nc, "crm_writer", [route(UPSERT, handler)]):
        reply = await BusClient(nc).call(UPSERT, crm_pb2.UpsertLeadRequest(name="ada"), timeout=2, call_id="call-7")
    assert isinstance(reply, crm_pb2.UpsertLeadResponse)
    assert reply.lead.name == "ADA" and reply.created
    ((req, ctx),) = handler.calls
    assert req.name == "ada"
    assert ctx.call_id == "call-7" and len(ctx.request_id) >= 13
    assert ctx.deadline is not None and 0 < ctx.deadline.remaining() <= 2


async def test_expired_deadline_is_504_and_handler_never_runs(nc: NATS) -> None:
    handler = Recorder()
    async with serving(nc, "crm_writer", [route(UPSERT, handler)]):
        past = str(int(time.time() * 1000) - 1)
        msg = await nc.request(
            UPSERT.subject,
            crm_pb2.UpsertLeadRequest(name="x").SerializeToString(),
            timeout=2,
            headers={headers.DEADLINE: past},
        )
        with pytest.raises(errors.DeadlineExceeded):
            # The client itself refuses to send what is already late.
            await BusClient(nc).call(UPSERT, crm_pb2.UpsertLeadRequest(), deadline=Deadline(1))
    assert msg.headers is not None
    assert msg.headers[headers.SERVICE_ERROR_CODE] == "504"
    body = common_pb2.Error.FromString(msg.data)
    assert body.code == 504 and body.reason == "deadline_exceeded"
    assert handler.calls == []


@pytest.mark.parametrize("payload", [b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x08"])
async def test_undecodable_payload_is_400(nc: NATS, payload: bytes) -> None:
    handler = Recorder()
    async with serving(nc, "crm_writer", [route(UPSERT, handler)]):
        msg = await nc.request(UPSERT.subject, payload, timeout=2)
    assert msg.headers is not None
    assert msg.headers[headers.SERVICE_ERROR_CODE] == "400"
    assert "voicepod.v1.UpsertLeadRequest" in msg.headers[headers.SERVICE_ERROR]
    assert common_pb2.Error.FromString(msg.data).reason == "undecodable"
    assert handler.calls == []


async def test_malformed_deadline_header_is_400(nc: NATS) -> None:
    handler = Recorder()
    async with serving(nc, "crm_writer", [route(UPSERT, handler)]):
        msg = await nc.request(UPSERT.subject, b"", timeout=2, headers={headers.DEADLINE: "tomorrow"})
    assert msg.headers is not None
    assert msg.headers[headers.SERVICE_ERROR_CODE] == "400"
    assert common_pb2.Error.FromString(msg.data).reason == "invalid_deadline"
    assert handler.calls == []


async def test_handler_exception_is_500_without_internals_and_service_keeps_serving(nc: NATS) -> None:
    calls = 0

    async def flaky(req: crm_pb2.UpsertLeadRequest, _: RequestContext) -> crm_pb2.UpsertLeadResponse:
        nonlocal calls
        calls += 1
        if req.name == "boom":
            raise RuntimeError("password=hunter2 at /srv/db.py:42")
        return crm_pb2.UpsertLeadResponse(created=True)

    client = BusClient(nc)
    async with serving(nc, "crm_writer", [route(UPSERT, flaky)]):
        with pytest.raises(errors.InternalError) as caught:
            await client.call(UPSERT, crm_pb2.UpsertLeadRequest(name="boom"), timeout=2)
        after = await client.call(UPSERT, crm_pb2.UpsertLeadRequest(name="fine"), timeout=2)
    assert caught.value.code == 500
    assert "hunter2" not in str(caught.value) and "db.py" not in str(caught.value)
    assert after.created and calls == 2


async def test_service_error_from_handler_reaches_client_typed(nc: NATS) -> None:
    async def strict(req: crm_pb2.UpsertLeadRequest, _: RequestContext) -> crm_pb2.UpsertLeadResponse:
        raise errors.BadRequest("phone number is not valid", reason="invalid_phone", field="phone")

    async with serving(nc, "crm_writer", [route(UPSERT, strict)]):
        with pytest.raises(errors.BadRequest) as caught:
            await BusClient(nc).call(UPSERT, crm_pb2.UpsertLeadRequest(phone="12"), timeout=2)
    assert (caught.value.code, caught.value.reason, caught.value.field) == (400, "invalid_phone", "phone")
    assert caught.value.message == "phone number is not valid"


async def test_no_responders_is_typed_and_does_not_wait_for_the_deadline(nc: NATS) -> None:
    started = time.monotonic()
    with pytest.raises(errors.NoResponders) as caught:
        await BusClient(nc).call(UPSERT, crm_pb2.UpsertLeadRequest(), timeout=30)
    assert caught.value.subject == UPSERT.subject
    # NATS answers "no responders" at once; a 30 s wait would mean we waited for the timeout.
    assert time.monotonic() - started < 5


async def test_handler_past_its_deadline_is_cut_off_with_504(nc: NATS) -> None:
    release = asyncio.Event()

    async def slow(req: crm_pb2.UpsertLeadRequest, _: RequestContext) -> crm_pb2.UpsertLeadResponse:
        await release.wait()
        return crm_pb2.UpsertLeadResponse()

    async with serving(nc, "crm_writer", [route(UPSERT, slow)]):
        deadline = Deadline.after(0.3)
        msg = await nc.request(UPSERT.subject, b"", timeout=5, headers={headers.DEADLINE: deadline.header_value()})
        assert msg.headers is not None
        assert msg.headers[headers.SERVICE_ERROR_CODE] == "504"
        with pytest.raises(errors.DeadlineExceeded):
            await BusClient(nc).call(UPSERT, crm_pb2.UpsertLeadRequest(), timeout=0.3)


async def test_requests_are_handled_concurrently(nc: NATS) -> None:
    # The first request can only finish once the second has started: a runtime
    # that handled requests one at a time would deadlock here.
    second_started = asyncio.Event()

    async def handler(req: crm_pb2.UpsertLeadRequest, _: RequestContext) -> crm_pb2.UpsertLeadResponse:
        if req.name == "first":
            await second_started.wait()
        else:
            second_started.set()
        return crm_pb2.UpsertLeadResponse(lead=crm_pb2.Lead(name=req.name))

    client = BusClient(nc)
    async with serving(nc, "crm_writer", [route(UPSERT, handler)]):
        first = asyncio.create_task(client.call(UPSERT, crm_pb2.UpsertLeadRequest(name="first"), timeout=3))
        await asyncio.sleep(0)  # let the first request go out first
        second = await client.call(UPSERT, crm_pb2.UpsertLeadRequest(name="second"), timeout=3)
        assert (await first).lead.name == "first" and second.lead.name == "second"


async def test_replicas_share_requests_through_the_queue_group(nc: NATS, bus_settings: BusSettings) -> None:
    from bus.connection import connect

    other = await connect(bus_settings, name="replica-2")
    a, b = Recorder(), Recorder()
    sent = 0
    try:
        async with serving(nc, "crm_writer", [route(UPSERT, a)]), serving(other, "crm_writer", [route(UPSERT, b)]):
            # Both replicas answer discovery before any request goes out: the server knows both.
            assert len(await _discovered(nc, "crm_writer", expected=2)) == 2
            client = BusClient(nc)
            # The server picks a member at random per message; rounds until both have served
            # (one round of 20 nearly always suffices; 10 rounds all to one replica is ~2^-199).
            while sent < 200 and not (a.calls and b.calls):
                await asyncio.gather(*(client.call(UPSERT, crm_pb2.UpsertLeadRequest(), timeout=3) for _ in range(20)))
                sent += 20
    finally:
        await other.close()
    # Each request went to exactly one replica, and both replicas served.
    assert len(a.calls) + len(b.calls) == sent
    assert a.calls and b.calls, f"all {sent} requests went to one replica"


async def _discovered(nc: NATS, service: str, expected: int, timeout: float = 5.0) -> set[str]:
    """Instance ids answering $SRV.PING for `service`, waiting until `expected` of them answer."""
    ids: set[str] = set()
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    try:
        give_up_at = time.monotonic() + timeout
        while len(ids) < expected and time.monotonic() < give_up_at:
            await nc.publish(f"$SRV.PING.{service}", b"", reply=inbox)
            try:
                while len(ids) < expected:
                    ids.add(json.loads((await sub.next_msg(timeout=0.5)).data)["id"])
            except TimeoutError:
                continue  # ask again: a replica may not have subscribed yet
    finally:
        await sub.unsubscribe()
    return ids


async def test_stop_drains_in_flight_requests_then_refuses_new_ones(nc: NATS) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(req: crm_pb2.UpsertLeadRequest, _: RequestContext) -> crm_pb2.UpsertLeadResponse:
        entered.set()
        await release.wait()
        return crm_pb2.UpsertLeadResponse(created=True)

    client = BusClient(nc)
    async with serving(nc, "crm_writer", [route(UPSERT, slow)]) as runtime:
        in_flight = asyncio.create_task(client.call(UPSERT, crm_pb2.UpsertLeadRequest(), timeout=5))
        await entered.wait()
        stopping = asyncio.create_task(runtime.stop(timeout=5))
        await asyncio.sleep(0)  # stop() has unsubscribed before it waits on the in-flight request
        release.set()
        await stopping
        assert (await in_flight).created
        with pytest.raises(errors.NoResponders):
            await client.call(UPSERT, crm_pb2.UpsertLeadRequest(), timeout=2)


async def test_discovery_lists_every_endpoint_with_its_types(nc: NATS) -> None:
    routes = [route(e, Recorder()) for e in subjects.endpoints_of("crm_writer")]
    async with serving(nc, "crm_writer", routes):
        ping = json.loads((await nc.request("$SRV.PING.crm_writer", b"", timeout=2)).data)
        info = json.loads((await nc.request("$SRV.INFO.crm_writer", b"", timeout=2)).data)
        await nc.request(UPSERT.subject, b"\xff", timeout=2)
        stats = json.loads((await nc.request("$SRV.STATS.crm_writer", b"", timeout=2)).data)
    assert ping["name"] == "crm_writer" and ping["version"] == "1.0.0"
    listed = {e["subject"]: e for e in info["endpoints"]}
    assert set(listed) == {"voicepod.crm.upsert_lead", "voicepod.crm.get_lead"}
    assert listed["voicepod.crm.upsert_lead"]["queue_group"] == "crm_writer"
    assert listed["voicepod.crm.upsert_lead"]["metadata"]["request"] == "voicepod.v1.UpsertLeadRequest"
    upsert_stats = next(e for e in stats["endpoints"] if e["name"] == "upsert_lead")
    assert upsert_stats["num_requests"] == 1
    assert upsert_stats["data"]["errors_by_code"] == {"400": 1}


async def test_metrics_count_requests_errors_and_latency(nc: NATS) -> None:
    labels = {"service": "crm_writer", "endpoint": UPSERT.subject}

    def sample(name: str, **extra: str) -> float:
        return REGISTRY.get_sample_value(name, {**labels, **extra}) or 0.0

    before = (
        sample("voicepod_service_requests_total"),
        sample("voicepod_service_errors_total", code="400"),
        sample("voicepod_service_handler_duration_seconds_count"),
    )
    async with serving(nc, "crm_writer", [route(UPSERT, Recorder())]):
        client = BusClient(nc)
        for _ in range(3):
            await client.call(UPSERT, crm_pb2.UpsertLeadRequest(), timeout=2)
        await nc.request(UPSERT.subject, b"\xff", timeout=2)
    after = (
        sample("voicepod_service_requests_total"),
        sample("voicepod_service_errors_total", code="400"),
        sample("voicepod_service_handler_duration_seconds_count"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [4, 1, 4]


async def test_runtime_refuses_routes_of_another_service(nc: NATS) -> None:
    from bus.service import ServiceRuntime

    with pytest.raises(ValueError, match="belongs to sms"):
        ServiceRuntime(
            nc,
            name="crm_writer",
            version="1.0.0",
            description="",
            routes=[route(subjects.SEND_SMS, Recorder())],
        )


async def test_handler_logs_carry_service_endpoint_call_and_request_ids(nc: NATS) -> None:
    import structlog
    from structlog.testing import LogCapture

    capture = LogCapture()
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])
    try:

        async def chatty(req: crm_pb2.UpsertLeadRequest, ctx: RequestContext) -> crm_pb2.UpsertLeadResponse:
            structlog.get_logger().info("writing_lead")
            return crm_pb2.UpsertLeadResponse()

        async with serving(nc, "crm_writer", [route(UPSERT, chatty)]):
            await BusClient(nc).call(UPSERT, crm_pb2.UpsertLeadRequest(), timeout=2, call_id="call-42")
    finally:
        structlog.reset_defaults()
    line = next(e for e in capture.entries if e["event"] == "writing_lead")
    assert line["service"] == "crm_writer" and line["endpoint"] == "upsert_lead"
    assert line["call_id"] == "call-42" and len(line["request_id"]) >= 13
