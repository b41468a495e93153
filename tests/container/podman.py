"""Podman for the container tests: the engine with this machine's limits, the image, health checks.

Podman runs a container's HEALTHCHECK from a systemd timer; CI machines and containers have no
systemd, so `HealthTicker` runs `podman healthcheck run` itself, the way those timers would. Each
container gets modest ulimits (raising them is not permitted in unprivileged CI) and runc (crun
refuses some kernels' hybrid cgroups), through a containers.conf every podman here is given.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "voicepod:local"  # what `make image` builds
CONTAINERS_CONF = """[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
"""


def missing() -> str | None:
    """Why the container tests cannot run here, or None."""
    for tool in ("podman", "runc", "debootstrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install podman runc debootstrap)"
    if os.geteuid() != 0:
        return "podman's bridge networks and debootstrap need root"
    return None


class Podman:
    """The podman CLI with this machine's containers.conf."""

    def __init__(self, workdir: Path) -> None:
        self.conf = workdir / "containers.conf"
        self.conf.write_text(CONTAINERS_CONF)
        self.env = {**os.environ, "CONTAINERS_CONF": str(self.conf)}

    def run(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        done = subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)}: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def inspect(self, name: str) -> dict[str, Any]:
        (found,) = json.loads(self.run("container", "inspect", name))
        return dict(found)

    def names(self, *filters: str) -> list[str]:
        argv = ["ps", "-a", "--format", "{{.Names}}"] + [f"--filter={f}" for f in filters]
        return self.run(*argv).split()

    def logs(self, name: str) -> str:
        """What the container wrote to stdout and stderr (podman logs replays each on its own)."""
        done = subprocess.run(
            ["podman", "logs", name], env=self.env, capture_output=True, text=True, timeout=60, check=True
        )
        return done.stdout + done.stderr

    def health(self, name: str) -> str:
        state = self.inspect(name)["State"]
        return str((state.get("Health") or state.get("Healthcheck") or {}).get("Status", ""))

    @contextmanager
    def api_socket(self, workdir: Path) -> Iterator[str]:
        """Podman's Docker-compatible API on a socket of our own, for the Compose v2 binary."""
        sock = workdir / "podman.sock"
        service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{sock}"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=(workdir / "podman-service.log").open("w"),
        )  # fmt: skip
        try:
            give_up_at = time.monotonic() + 30
            while not sock.exists():
                assert service.poll() is None, "podman system service exited"
                assert time.monotonic() < give_up_at, "podman's API socket did not appear"
                time.sleep(0.1)  # the service creates the socket file once it listens
            yield f"unix://{sock}"
        finally:
            service.terminate()
            service.wait(timeout=30)


class HealthTicker:
    """Runs the HEALTHCHECK of every running container matching `filters` as Docker would: every
    `interval`, and every `every` s during the start period (Docker's start_interval), so that a
    healthy container is seen as such early but a slow start is judged with Docker's patience."""

    def __init__(self, podman: Podman, *filters: str, every: float = 2.0) -> None:
        self.podman, self.filters, self.every = podman, filters, every
        self._last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self) -> HealthTicker:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _due(self, container: dict[str, Any], now: float) -> bool:
        check = container["Config"].get("Healthcheck") or {}
        if not check.get("Test"):
            return False
        started = datetime.fromisoformat(container["State"]["StartedAt"][:26].rstrip("Z")).replace(tzinfo=UTC)
        starting = (datetime.now(UTC) - started).total_seconds() < check.get("StartPeriod", 0) / 1e9
        interval = self.every if starting else max(self.every, check.get("Interval", 30e9) / 1e9)
        last = self._last.get(container["Id"], 0.0)
        return now - last >= interval

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            try:
                names = self.podman.names("status=running", *self.filters)
                containers = json.loads(self.podman.run("container", "inspect", *names)) if names else []
                for container in containers:
                    now = time.monotonic()
                    if self._due(container, now):
                        self._last[container["Id"]] = now
                        # Exit 1 is "unhealthy", recorded in the container's state; nothing to raise here.
                        self.podman.run("healthcheck", "run", container["Id"], timeout=30, check=False)
            except (RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError):
                continue  # a container went away between the listing and the check


def build_image() -> str:
    """`make image`: the base from Debian's packages (cached as an image), then the image itself."""
    subprocess.run(
        [str(ROOT / "scripts/build_image.sh")], cwd=ROOT, env={**os.environ, "VOICEPOD_IMAGE": IMAGE},
        check=True, timeout=1500,
    )  # fmt: skip
    return IMAGE


def wait_until(check: Any, what: str, timeout: float, why: Any = lambda: "") -> None:
    """Re-run `check()` (bounded in time) until it is true: container state has no event to await.
    `why()` says what was still wrong when time ran out."""
    give_up_at = time.monotonic() + timeout
    while not check():
        if time.monotonic() > give_up_at:
            raise AssertionError(f"{what}: not within {timeout:.0f} s\n{why()}")
        time.sleep(1)
