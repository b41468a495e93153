"""NATS over TLS with the shipped deploy/k8s/base/nats-tls.conf on a real nats-server and a test CA:
the bus client and a service runtime talk over it; clients without the CA, or without TLS, are refused."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from bus import subjects
from bus.client import BusClient
from bus.connection import connect
from bus.contracts import crm_pb2
from bus.service import RequestContext, route
from bus.settings import BusSettings
from tests.integration.bus_helpers import serving
from tests.integration.tls_nats import MUTUAL_CONF, TlsNats, tls_nats_server
from tests.tls_ca import TestCA


@pytest.fixture
def tls_nats(tmp_path: Path) -> Iterator[TlsNats]:
    with tls_nats_server(tmp_path) as server:
        yield server


async def upsert(req: crm_pb2.UpsertLeadRequest, ctx: RequestContext) -> crm_pb2.UpsertLeadResponse:
    return crm_pb2.UpsertLeadResponse(lead=crm_pb2.Lead(lead_id="L1", name=req.name.upper()), created=True)


async def test_the_bus_and_a_service_talk_over_tls(tls_nats: TlsNats) -> None:
    gateway = await connect(BusSettings.from_env(tls_nats.env("gateway")), name="voicepod-gateway", inbox="gateway")
    service = await connect(BusSettings.from_env(tls_nats.env("crm_writer")), name="voicepod-crm_writer",
                            inbox="crm_writer")  # fmt: skip
    try:
        async with serving(service, "crm_writer", [route(subjects.UPSERT_LEAD, upsert)]):
            reply = await BusClient(gateway).call(subjects.UPSERT_LEAD, crm_pb2.UpsertLeadRequest(name="ada"),
                                                  timeout=5)  # fmt: skip
        assert reply.created and reply.lead.name == "ADA"
        # The server's own view: both connections are TLS 1.3.
        conns = {c["name"]: c for c in tls_nats.connections()}
        for name in ("voicepod-gateway", "voicepod-crm_writer"):
            assert conns[name]["tls_version"] == "1.3", conns[name]
    finally:
        await gateway.close()
        await service.close()


async def test_a_tls_url_alone_turns_tls_on(tls_nats: TlsNats) -> None:
    # tls:// with the CA: the same server, the same handshake-first TLS.
    env = {**tls_nats.env("gateway"), "NATS_URL": f"tls://127.0.0.1:{tls_nats.port}"}
    nc = await connect(BusSettings.from_env(env), name="voicepod-gateway", inbox="gateway")
    try:
        assert nc.is_connected
    finally:
        await nc.close()


async def test_a_client_without_the_ca_is_refused(tls_nats: TlsNats) -> None:
    # A tls:// URL and no NATS_TLS_CA: the system's trust store, which does not know the test CA.
    env = {**tls_nats.env("gateway", VOICEPOD_NATS_CONNECT_TIMEOUT="1.5"), "NATS_TLS_CA": "",
           "NATS_URL": f"tls://127.0.0.1:{tls_nats.port}"}  # fmt: skip
    with pytest.raises(ConnectionError):
        await connect(BusSettings.from_env(env), name="voicepod-gateway", inbox="gateway")
    # Why: the server's certificate does not verify.
    with pytest.raises(ssl.SSLCertVerificationError):
        await nats.connect(f"tls://127.0.0.1:{tls_nats.port}", tls=ssl.create_default_context(),
                           tls_handshake_first=True, allow_reconnect=False, connect_timeout=2,
                           user="gateway", password="pw-gateway")  # fmt: skip


async def test_a_client_trusting_another_ca_is_refused(tls_nats: TlsNats, tmp_path: Path) -> None:
    other = TestCA(tmp_path / "other", name="someone else's CA")
    env = tls_nats.env("gateway", VOICEPOD_NATS_CONNECT_TIMEOUT="1.5", NATS_TLS_CA=str(other.ca_file))
    with pytest.raises(ConnectionError):
        await connect(BusSettings.from_env(env), name="voicepod-gateway", inbox="gateway")


async def test_a_plain_tcp_client_is_refused(tls_nats: TlsNats) -> None:
    env = tls_nats.env("gateway", VOICEPOD_NATS_CONNECT_TIMEOUT="1.5", NATS_TLS_CA="")
    settings = BusSettings.from_env(env)
    assert not settings.nats_tls
    with pytest.raises(ConnectionError):
        await connect(settings, name="voicepod-gateway", inbox="gateway")
    assert [c for c in tls_nats.connections() if c.get("name") == "voicepod-gateway"] == []


async def test_a_client_certificate_is_presented_when_the_server_asks(tmp_path: Path) -> None:
    conf = tmp_path / "mutual.conf"
    conf.write_text(MUTUAL_CONF)
    with tls_nats_server(tmp_path, conf) as server:
        me = server.ca.issue("voicepod-gateway", client=True)
        env = {**server.env("gateway"), "NATS_USER": "", "NATS_PASSWORD": "",
               "NATS_TLS_CERT": str(me.cert), "NATS_TLS_KEY": str(me.key)}  # fmt: skip
        nc = await connect(BusSettings.from_env(env), name="voicepod-gateway", inbox="gateway")
        try:
            await nc.publish("voicepod.events.x", b"x")
            await nc.flush()
        finally:
            await nc.close()
        # The same process without its certificate is refused.
        anonymous = {**env, "NATS_TLS_CERT": "", "NATS_TLS_KEY": "", "VOICEPOD_NATS_CONNECT_TIMEOUT": "1.5"}
        with pytest.raises(ConnectionError):
            await connect(BusSettings.from_env(anonymous), name="voicepod-gateway", inbox="gateway")
