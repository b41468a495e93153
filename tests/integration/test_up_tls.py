"""`voicepod up` and NATS_TLS_*: every child (six services, each gateway worker) takes the TLS
settings to a server named by --nats-url; with its own loopback nats-server they are not used."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.subjects import SERVICE_NAMES
from tests.eventually import eventually
from tests.integration.pod_helpers import running_pod
from tests.integration.tls_nats import OPEN_CONF, tls_nats_server

# Two `voicepod up` start-ups (~30 s): run by `make test-long` (make test keeps its 15-minute budget).
pytestmark = pytest.mark.long


async def test_every_child_reaches_a_tls_nats_named_by_nats_url(tmp_path: Path) -> None:
    conf = tmp_path / "open-tls.conf"
    conf.write_text(OPEN_CONF)
    with tls_nats_server(tmp_path, conf) as server:
        env = {"NATS_TLS_CA": str(server.ca.ca_file), "VOICEPOD_WORKERS": "2"}
        url = f"tls://127.0.0.1:{server.port}"
        async with running_pod(tmp_path / "state", env, "--nats-url", url) as pod:
            assert pod.nats_url == url

            async def names() -> list[tuple[str, str]]:
                return [(str(c.get("name")), str(c.get("tls_version"))) for c in server.connections()]

            conns = await eventually(names, lambda got: len(got) >= 9, timeout=10)
    # Ready means connected: six services, two gateway workers and the async worker, each over TLS 1.3.
    expected = [*(f"voicepod-{s}" for s in SERVICE_NAMES), *["voicepod-gateway"] * 2, "voicepod-worker-async"]
    assert sorted(n for n, _ in conns) == sorted(expected)
    assert {v for _, v in conns} == {"1.3"}


async def test_its_own_nats_server_is_used_without_tls_despite_the_settings(tmp_path: Path) -> None:
    # Settings meant for a remote server (here: a CA file that does not even exist) must not stop
    # the children from reaching the pod's own plain loopback nats-server.
    env = {"NATS_TLS_CA": str(tmp_path / "no-such-ca.crt")}
    async with running_pod(tmp_path / "state", env) as pod:
        assert pod.nats_url.startswith("nats://127.0.0.1:")
