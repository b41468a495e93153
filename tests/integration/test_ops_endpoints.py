"""Health, readiness and Prometheus exposition (on the gateway's ops port, not its call port),
checked with promtool when it is installed."""

from __future__ import annotations

import subprocess

from aiohttp.test_utils import TestClient, TestServer
from nats.aio.client import Client as NATS

from bus import subjects
from bus.client import BusClient
from bus.contracts import crm_pb2
from bus.service import RequestContext, route
from gateway.app import build_app, build_ops_app
from gateway.calls import CallRegistry
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from tests.integration.bus_helpers import serving
from tests.system_tools import require_tool


async def test_gateway_readiness_follows_draining_and_nats(nc: NATS) -> None:
    state = GatewayState(settings=GatewaySettings(dev_mode=True), nc=nc, bus=BusClient(nc), calls=CallRegistry(5))
    # The call port (load balancers) and the ops port (the cluster) answer alike.
    async with TestClient(TestServer(build_app(state))) as public, TestClient(TestServer(build_ops_app(state))) as ops:
        for http in (public, ops):
            assert (await http.get("/healthz")).status == 200
            assert (await http.get("/readyz")).status == 200
        state.draining = True
        for http in (public, ops):
            resp = await http.get("/readyz")
            assert resp.status == 503 and (await resp.json())["checks"]["accepting_calls"] is False
        state.draining = False
        await nc.close()
        for http in (public, ops):
            resp = await http.get("/readyz")
            assert resp.status == 503 and (await resp.json())["checks"]["nats"] is False
            assert (await http.get("/healthz")).status == 200  # alive, just not ready


async def test_metrics_are_on_the_ops_port_only(nc: NATS) -> None:
    state = GatewayState(settings=GatewaySettings(dev_mode=True), nc=nc, bus=BusClient(nc), calls=CallRegistry(5))
    async with TestClient(TestServer(build_app(state))) as public, TestClient(TestServer(build_ops_app(state))) as ops:
        hidden = await public.get("/metrics")
        shown = await ops.get("/metrics")
        assert hidden.status == 404  # callers' port: nobody on the internet reads the pod's figures
        assert shown.status == 200 and "voicepod_gateway_calls_active" in await shown.text()
        for path in ("/ws", "/calls", "/"):  # and the ops port carries no calls
            assert (await ops.get(path)).status == 404, path


def promtool() -> str:
    return require_tool("promtool", "prometheus")


async def test_metrics_exposition_passes_promtool(nc: NATS) -> None:
    async def ok(req: crm_pb2.UpsertLeadRequest, _: RequestContext) -> crm_pb2.UpsertLeadResponse:
        return crm_pb2.UpsertLeadResponse()

    # Exercise the bus so every family has samples, then read the gateway's /metrics.
    async with serving(nc, "crm_writer", [route(subjects.UPSERT_LEAD, ok)]):
        await BusClient(nc).call(subjects.UPSERT_LEAD, crm_pb2.UpsertLeadRequest(), timeout=2)
        await nc.request(subjects.UPSERT_LEAD.subject, b"\xff", timeout=2)
    state = GatewayState(settings=GatewaySettings(dev_mode=True), nc=nc, bus=BusClient(nc), calls=CallRegistry(5))
    async with TestClient(TestServer(build_ops_app(state))) as http:
        resp = await http.get("/metrics")
        assert resp.status == 200
        text = await resp.text()
    assert "voicepod_service_requests_total" in text and "voicepod_bus_client_request_duration_seconds" in text
    result = subprocess.run([promtool(), "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
