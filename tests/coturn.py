"""A real TURN server for tests: Debian's coturn as a child process on 127.0.0.1, on a free port,
with the TURN REST API shared secret (`use-auth-secret`), its database and log in a temp dir.

`coturn(tmp_path)` yields a `Coturn` once the server answers a STUN binding request on its port.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aioice import stun

from tests.system_tools import require_tool

SECRET = b"voicepod-test-turn-secret"
RELAY_PORTS = 200  # the relay port range coturn allocates from (random start: helpers share the machine)


@dataclass(frozen=True)
class Coturn:
    port: int
    secret: bytes
    log: Path

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers_stun(port: int) -> bool:
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.1)
        s.sendto(bytes(request), ("127.0.0.1", port))
        try:
            data = s.recv(1500)
        except OSError:  # timeout, or ICMP port unreachable while coturn starts
            return False
    return stun.parse_message(data).transaction_id == request.transaction_id


@contextmanager
def coturn(directory: Path, secret: bytes = SECRET) -> Iterator[Coturn]:
    binary = require_tool("turnserver", "coturn")
    port = _free_udp_port()
    low = random.randrange(50_000, 60_000 - RELAY_PORTS)
    log = directory / "turn.log"
    args = [
        binary, "-n", "--no-cli", "--no-tls", "--no-dtls", "--simple-log", "--no-stdout-log",
        "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--listening-port", str(port),
        "--min-port", str(low), "--max-port", str(low + RELAY_PORTS - 1),
        "--use-auth-secret", "--static-auth-secret", secret.decode(), "--realm", "voicepod.test",
        "--allow-loopback-peers",  # caller and gateway are both on loopback here
        "--userdb", str(directory / "turndb"), "--log-file", str(log), "--pidfile", str(directory / "turn.pid"),
    ]  # fmt: skip
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "HOME": str(directory)})  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not _answers_stun(port):  # each try waits up to 0.1 s for the answer
            if process.poll() is not None:
                raise RuntimeError(f"turnserver exited ({process.returncode}): {process.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                raise RuntimeError(f"turnserver did not answer on 127.0.0.1:{port} within 10 s")
        yield Coturn(port, secret, log)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
