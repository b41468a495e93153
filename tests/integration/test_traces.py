"""Traces across the bus: a tool call from a call's turn, over a real nats-server, to the real
mls_lookup service and its SQLite store, is one trace (call → turn → engine → tool → the
service's handler → its SQL); off, nothing is traced and no traceparent goes on the wire; on with
an OTLP endpoint, spans reach it over HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from aiohttp import web
from nats.aio.client import Client as NATS
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from bus import subjects, tracing
from bus.client import BusClient
from bus.settings import BusSettings
from gateway.agent.tools import ToolBox, ToolError
from gateway.call_trace import NO_TRACE, open_call_trace
from gateway.turn_clock import TurnClock
from services.mls_lookup.service import DEFINITION as MLS
from tests.eventually import eventually
from tests.integration.services_helpers import running
from tests.local_http import serve_app
from tests.spans import is_child, named, spans
from verticals.real_estate import tools as real_estate_tools

__all__ = ["spans"]  # the fixture
SEARCH = {"city": "Austin", "min_bedrooms": 3, "max_price_usd": 700_000, "limit": 3}
HANDLER = f"process {subjects.SEARCH_LISTINGS.subject}"


async def finished_with(exporter: InMemorySpanExporter, name: str) -> None:
    """The service's span ends just after its reply is out: the client can be there first."""

    async def names() -> list[str]:
        return [s.name for s in exporter.get_finished_spans()]

    await eventually(names, lambda got: name in got, timeout=5)


async def test_a_tool_call_is_one_trace_from_the_turn_through_the_service_and_its_store(
    nc: NATS, spans: InMemorySpanExporter
) -> None:
    async with running(MLS, nc):
        tools = ToolBox(real_estate_tools.ALL, BusClient(nc))
        call = open_call_trace("call-traced", "real_estate", "webrtc")
        turn = call.turn(1, TurnClock(ended=time.monotonic(), vad_wait=0.3))
        with turn.engine():
            result = await tools.call("search_listings", SEARCH, call_id="call-traced")
        turn.end("done")
        call.end("hangup")
        await finished_with(spans, HANDLER)
    assert result.data["listings"]
    finished = spans.get_finished_spans()
    call_span, turn_span, engine = named(finished, "call"), named(finished, "turn"), named(finished, "engine")
    tool, handler = named(finished, "execute_tool search_listings"), named(finished, HANDLER)
    assert call_span.parent is None
    assert is_child(turn_span, call_span) and is_child(engine, turn_span) and is_child(tool, engine)
    # The service's span continues the gateway's trace: its parent is the tool call's span.
    assert is_child(handler, tool) and handler.kind is SpanKind.SERVER
    assert handler.attributes is not None and handler.attributes["voicepod.call_id"] == "call-traced"
    assert handler.attributes["messaging.system"] == "nats"
    # The store's statements are the handler's children, their SQL without the caller's values.
    store = [s for s in finished if s.attributes and s.attributes.get("db.system.name") == "sqlite"]
    assert store and all(is_child(s, handler) for s in store)
    assert any(s.attributes and s.attributes["db.operation.name"] == "SELECT" for s in store)
    assert not any("Austin" in str(s.attributes) for s in store)
    assert tool.attributes == {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search_listings", "gen_ai.tool.type": "function",
    }  # fmt: skip
    assert call_span.context is not None
    assert {s.context.trace_id for s in finished if s.context} == {call_span.context.trace_id}


async def test_a_service_error_marks_the_tool_call_failed_and_the_handler_with_its_code(
    nc: NATS, spans: InMemorySpanExporter
) -> None:
    async with running(MLS, nc):
        tools = ToolBox(real_estate_tools.ALL, BusClient(nc))
        with tracing.span("engine"):
            try:
                await tools.call("get_listing", {"mls_id": "NO-SUCH-LISTING"})
            except ToolError as exc:
                assert exc.kind == "not_found"
            else:
                raise AssertionError("an unknown listing was found")
        await finished_with(spans, f"process {subjects.GET_LISTING.subject}")
    finished = spans.get_finished_spans()
    tool = named(finished, "execute_tool get_listing")
    handler = named(finished, f"process {subjects.GET_LISTING.subject}")
    assert is_child(handler, tool) and tool.status.status_code is StatusCode.ERROR
    assert tool.attributes and tool.attributes["error.type"] == "not_found"
    # The caller's mistake, not the service's: the code is on its span, which is not marked failed.
    assert handler.attributes and handler.attributes["voicepod.error_code"] == 404
    assert handler.status.status_code is not StatusCode.ERROR


async def test_off_nothing_is_traced_and_no_traceparent_goes_on_the_wire(nc: NATS) -> None:
    assert not tracing.enabled()
    seen: list[dict[str, str]] = []

    async def spy(msg: object) -> None:
        seen.append(dict(getattr(msg, "headers", None) or {}))

    # A plain subscription gets a copy of every request, beside the service's queue group.
    sub = await nc.subscribe(subjects.SEARCH_LISTINGS.subject, cb=spy)
    async with running(MLS, nc):
        tools = ToolBox(real_estate_tools.ALL, BusClient(nc))
        call = open_call_trace("call-untraced", "real_estate", "webrtc")
        with call.turn(1, TurnClock(ended=time.monotonic(), vad_wait=0.3)).engine():
            assert (await tools.call("search_listings", SEARCH)).data["listings"]
    await sub.unsubscribe()
    assert call is NO_TRACE
    assert len(seen) == 1 and "Pod-Deadline" in seen[0] and tracing.TRACEPARENT not in seen[0]


def test_off_a_process_never_loads_the_sdk_or_an_exporter() -> None:
    """What traces (the bus, the stores, a call, the agent) imported, and the settings read, with no OTEL_* set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    probe = (
        "import sys\n"
        "import bus.runner, bus.client, services.storage, gateway.call_trace, gateway.agent.chat_engine\n"
        "from bus import tracing\n"
        "from bus.settings import BusSettings\n"
        "assert not tracing.start(BusSettings.from_env(), 'probe') and not tracing.enabled()\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('opentelemetry.sdk', 'opentelemetry.exporter')))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def test_on_with_an_endpoint_spans_are_exported_with_otlp_over_http() -> None:
    bodies: list[bytes] = []

    async def collect(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        return web.Response(body=b"", content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", collect)
    async with serve_app(app) as url:
        settings = BusSettings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": url})
        assert tracing.start(settings, "voicepod-test")
        try:
            with tracing.span("engine"):
                pass
        finally:
            await asyncio.to_thread(tracing.stop)  # flushes the batch to the endpoint
    assert not tracing.enabled()
    assert len(bodies) == 1
    sent = ExportTraceServiceRequest.FromString(bodies[0])
    (resource,) = sent.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
    assert service == "voicepod-test"
    assert [s.name for scope in resource.scope_spans for s in scope.spans] == ["engine"]
