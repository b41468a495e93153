"""A real nats-server with TLS (handshake first) and a test CA, for the TLS tests."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from proc.nats_server import nats_server_binary
from proc.ports import free_port
from tests.tls_ca import TestCA

# deploy/k8s/base/nats-tls.conf: the one users get (it includes nats.conf's users and permissions).
SHIPPED_CONF = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base" / "nats-tls.conf"
USERS = ("gateway", "crm_writer", "calendar", "mls_lookup", "sms", "audit", "transcript", "worker_async", "admin")

# Without users, for `voicepod up --nats-url` (whose children share one environment).
OPEN_CONF = """
jetstream { store_dir: $VOICEPOD_NATS_STORE_DIR }
tls { cert_file: $VOICEPOD_NATS_TLS_CERT, key_file: $VOICEPOD_NATS_TLS_KEY, handshake_first: true }
"""


def password(user: str) -> str:
    return f"pw-{user}"


@dataclass(frozen=True)
class TlsNats:
    port: int
    monitor_port: int
    ca: TestCA

    def env(self, user: str, **extra: str) -> dict[str, str]:
        """A process's environment, as compose.tls.yaml / the k8s nats-tls component give it."""
        return {"NATS_URL": f"nats://127.0.0.1:{self.port}", "NATS_USER": user, "NATS_PASSWORD": password(user),
                "NATS_TLS_CA": str(self.ca.ca_file), "VOICEPOD_NATS_CONNECT_TIMEOUT": "10", **extra}  # fmt: skip

    def connections(self) -> list[dict[str, object]]:
        """The server's own list of its client connections (/connz)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/connz", timeout=2) as resp:
            conns: list[dict[str, object]] = json.load(resp)["connections"] or []
            return conns


@contextlib.contextmanager
def tls_nats_server(tmp: Path, conf: Path = SHIPPED_CONF) -> Iterator[TlsNats]:
    ca = TestCA(tmp / "pki")
    # The name clients dial: 127.0.0.1 here, `nats` in compose and k8s.
    server_cert = ca.issue("nats", dns=("nats", "localhost"), ips=("127.0.0.1",))
    port, monitor = free_port(), free_port()
    env = {**os.environ, "VOICEPOD_NATS_STORE_DIR": str(tmp / "js"), "VOICEPOD_NATS_SERVER_NAME": "test",
           "VOICEPOD_NATS_TLS_CERT": str(server_cert.cert), "VOICEPOD_NATS_TLS_KEY": str(server_cert.key),
           "VOICEPOD_NATS_TLS_CA": str(ca.ca_file),
           **{f"VOICEPOD_NATS_{u.upper()}_PASSWORD": password(u) for u in USERS}}  # fmt: skip
    argv = [str(nats_server_binary()), "-c", str(conf), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_healthy(proc, monitor)
        yield TlsNats(port, monitor, ca)
    finally:
        proc.terminate()
        proc.wait(10)


def _wait_healthy(proc: subprocess.Popen[bytes], monitor_port: int, timeout: float = 10.0) -> None:
    give_up_at = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        assert proc.poll() is None, "nats-server exited: is its configuration valid?"
        assert time.monotonic() < give_up_at, "nats-server did not become healthy"
        time.sleep(0.02)  # polling the health probe; the server has no other ready signal


# Client certificates required (the mutual-TLS variant deploy/README.md describes), without users.
MUTUAL_CONF = """
jetstream { store_dir: $VOICEPOD_NATS_STORE_DIR }
tls {
  cert_file: $VOICEPOD_NATS_TLS_CERT, key_file: $VOICEPOD_NATS_TLS_KEY, ca_file: $VOICEPOD_NATS_TLS_CA
  verify: true, handshake_first: true
}
"""
