"""The image's size and a gateway container's cold start: `podman run` → /readyz answers 200.

Needs root, podman and runc, and the image `make image` builds (voicepod:local). NATS runs in a
container of the same image on a podman network of its own; each round starts a fresh gateway
container next to it (a new container: no warm page cache of its own layers aside, nothing kept),
asks /readyz on its podman address every 50 ms, and reads the CPU time the container used until
then from its cgroup. Wall time on a loaded 2-core machine is inflated; CPU seconds are not.
Nothing is published on the host; traffic goes to podman's network only.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.report import ROOT, replace_section, write_json
from tests.container.podman import IMAGE, Podman

ROUNDS = 5
NATS_USERS = ("GATEWAY", "CRM_WRITER", "CALENDAR", "MLS_LOOKUP", "SMS", "AUDIT", "TRANSCRIPT", "ADMIN")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def cpu_seconds(podman: Podman, name: str) -> float | None:
    """The container's CPU time so far, from its cgroup (v1 cpuacct or v2 cpu.stat)."""
    path = podman.inspect(name)["State"]["CgroupPath"].lstrip("/")
    for controller in ("cpuacct", "cpu,cpuacct"):  # v1: mounted apart or together
        v1 = Path("/sys/fs/cgroup") / controller / path / "cpuacct.usage"
        if v1.exists():
            return int(v1.read_text()) / 1e9
    v2 = Path("/sys/fs/cgroup") / path / "cpu.stat"
    if v2.exists():
        usage = dict(line.split() for line in v2.read_text().splitlines())
        return int(usage["usage_usec"]) / 1e6
    return None


def address(podman: Podman, name: str, network: str) -> str:
    return str(podman.inspect(name)["NetworkSettings"]["Networks"][network]["IPAddress"])


def wait_for(url: str, timeout: float) -> float:
    started = time.monotonic()
    while not answers(url):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.05)  # a container's readiness has no event to await from outside
    return time.monotonic()


def one_start(podman: Podman, network: str, env: list[str], n: int) -> dict[str, float | None]:
    name = f"vpbench-gateway-{os.getpid()}-{n}"
    t0 = time.monotonic()
    podman.run("run", "-d", "--name", name, "--network", network, *env, IMAGE, "gateway")
    t_started = time.monotonic()
    try:
        ready_at = wait_for(f"http://{address(podman, name, network)}:8080/readyz", 300)
        cpu = cpu_seconds(podman, name)
    finally:
        podman.run("rm", "-f", "-v", "-t", "0", name, check=False)
    return {"run_seconds": t_started - t0, "ready_seconds": ready_at - t0, "cpu_seconds": cpu}


def measure() -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="vpbench-"))
    podman = Podman(workdir)
    network, nats = f"vpbench{os.getpid()}", f"vpbench-nats-{os.getpid()}"
    passwords = {user: secrets.token_hex(16) for user in NATS_USERS}
    nats_env = [f"-e=VOICEPOD_NATS_{user}_PASSWORD={pw}" for user, pw in passwords.items()]
    nats_env += ["-e=VOICEPOD_NATS_SERVER_NAME=bench", "-e=VOICEPOD_NATS_STORE_DIR=/var/lib/voicepod/jetstream"]
    gateway_env = ["-e=NATS_URL=nats://nats:4222", "-e=NATS_USER=gateway", f"-e=NATS_PASSWORD={passwords['GATEWAY']}",
                   f"-e=VOICEPOD_AUTH_SECRET={secrets.token_hex(32)}"]  # fmt: skip
    podman.run("network", "create", network)
    try:
        conf = ROOT / "deploy/k8s/base/nats.conf"
        podman.run("run", "-d", "--name", nats, "--network", network, "--network-alias", "nats", *nats_env,
                   "-v", f"{conf}:/etc/nats/nats.conf:ro", "--entrypoint", "nats-server", IMAGE,
                   "-c", "/etc/nats/nats.conf")  # fmt: skip
        wait_for(f"http://{address(podman, nats, network)}:8222/healthz?js-enabled-only=true", 60)
        rounds = [one_start(podman, network, gateway_env, n) for n in range(ROUNDS)]
    finally:
        podman.run("rm", "-f", "-v", "-t", "0", nats, check=False)
        podman.run("network", "rm", "-f", network, check=False)
    image = json.loads(podman.run("image", "inspect", IMAGE))[0]
    return {"image": IMAGE, "image_bytes": image["Size"], "layers": len(image["RootFS"]["Layers"]), "rounds": rounds}


def markdown(result: dict[str, Any]) -> str:
    rounds = result["rounds"]

    def median(key: str) -> str:
        values = [r[key] for r in rounds if r[key] is not None]
        return f"{statistics.median(values):.1f}" if values else "n/a"

    def spread(key: str) -> str:
        values = [r[key] for r in rounds if r[key] is not None]
        return f"{min(values):.1f}–{max(values):.1f}" if values else "n/a"

    return "\n".join([
        f"Image `{result['image']}` (`make image`: Debian bookworm base + the project's venv): "
        f"**{result['image_bytes'] / 1e9:.2f} GB** uncompressed, {result['layers']} layers.",
        "",
        f"| gateway container, {len(rounds)} cold starts | median | range |",
        "|---|---|---|",
        f"| `podman run -d` returns (create + start) | {median('run_seconds')} s | {spread('run_seconds')} s |",
        f"| `podman run` → `/readyz` 200 (wall) | {median('ready_seconds')} s | {spread('ready_seconds')} s |",
        f"| CPU used by the container until ready | {median('cpu_seconds')} s | {spread('cpu_seconds')} s |",
    ])  # fmt: skip


def main() -> None:
    result = measure()
    write_json("container_start", result)
    replace_section("container_start", markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
