"""A real nats-server for tests: free port, JetStream in a temp dir, or $NATS_URL."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from proc.nats_server import nats_server_argv
from proc.ports import free_port


@dataclass
class NatsServer:
    url: str
    store_dir: Path | None = None
    port: int = 0
    monitor_port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def owned(self) -> bool:
        """False when the tests use an existing server named by NATS_URL."""
        return self.store_dir is not None

    def start(self) -> None:
        assert self.store_dir is not None
        argv = nats_server_argv(port=self.port, monitor_port=self.monitor_port, store_dir=self.store_dir)
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_healthy()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _wait_healthy(self) -> None:
        assert self.process is not None
        wait_healthy(self.monitor_port, self.process)


def wait_healthy(monitor_port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Until the nats-server on `monitor_port` says it is healthy, with JetStream enabled."""
    url = f"http://127.0.0.1:{monitor_port}/healthz?js-enabled-only=true"
    give_up_at = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        assert process.poll() is None, "nats-server exited"
        if time.monotonic() > give_up_at:
            raise TimeoutError("nats-server did not become healthy")
        time.sleep(0.02)  # polling the health probe; the server has no other ready signal


def start_nats_server(tmp: Path) -> NatsServer:
    external = os.environ.get("NATS_URL")
    if external:
        return NatsServer(url=external)
    port, monitor = free_port(), free_port()
    server = NatsServer(url=f"nats://127.0.0.1:{port}", store_dir=tmp / "jetstream", port=port, monitor_port=monitor)
    server.start()
    return server
