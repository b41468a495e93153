"""The rendered Kubernetes overlay under `podman kube play`: NATS, the services pod and the gateway
pod come up, and a caller books a showing through them (tests/container/kube_manifests.py says
what is played as rendered and what kube play cannot show)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from caller.booking import NAME, PHONE_E164
from tests.container.booking_call import book_a_showing, stores
from tests.container.kube_manifests import playable, secret_json, to_yaml
from tests.container.podman import Podman, missing, wait_until

pytestmark = [
    pytest.mark.long,
    pytest.mark.container,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]


@dataclass
class PlayedPods:
    network: str
    auth_secret: str


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def pod_address(podman: Podman, pod: str, network: str) -> tuple[str, str]:
    """A pod's address on the test network (its infra container holds the network), and this
    host's address on that network."""
    infra = json.loads(podman.run("pod", "inspect", pod))["InfraContainerID"]
    found = podman.inspect(infra)["NetworkSettings"]["Networks"][network]
    return found["IPAddress"], found["Gateway"]


@pytest.fixture(scope="module")
def pods(podman: Podman, image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlayedPods]:
    workdir: Path = tmp_path_factory.mktemp("kube")
    network = f"vpkube{os.getpid()}"
    manifests = playable(image)
    played: list[Path] = []

    def play(name: str, docs: list[dict[str, Any]]) -> None:
        path = workdir / f"{name}.yaml"
        path.write_text(to_yaml(docs))
        played.append(path)
        podman.run("kube", "play", "--network", network, str(path), timeout=300)

    podman.run("network", "create", network)
    try:
        for name, data in manifests.secrets.items():
            (workdir / f"{name}.json").write_text(secret_json(data))
            podman.run("secret", "create", name, str(workdir / f"{name}.json"))
        play("nats", manifests.nats)
        nats, _ = pod_address(podman, "nats-pod-0", network)
        play("app", manifests.with_nats_at(nats))
        (keys,) = [data for name, data in manifests.secrets.items() if name.startswith("voicepod-keys")]
        yield PlayedPods(network, keys["VOICEPOD_AUTH_SECRET"])
    finally:
        for path in reversed(played):
            podman.run("kube", "down", str(path), timeout=300, check=False)
        for name in manifests.secrets:
            podman.run("secret", "rm", name, check=False)
        # kube down 4.3 leaves the volumes it made: the PVC's and those holding ConfigMaps.
        made = {d["metadata"]["name"] for d in manifests.app if d["kind"] in ("ConfigMap", "PersistentVolumeClaim")}
        for volume in sorted(made):
            podman.run("volume", "rm", "-f", volume, check=False)
        podman.run("network", "rm", "-f", network, check=False)


@pytest.mark.timeout(1200)
async def test_the_played_pods_answer_a_booking_call(podman: Podman, pods: PlayedPods) -> None:
    gateway, host = pod_address(podman, "voicepod-gateway-pod-0", pods.network)
    wait_until(lambda: ready(f"http://{gateway}:8080/readyz"), "the gateway ready", 300)
    services, _ = pod_address(podman, "voicepod-services-pod-0", pods.network)
    for port in range(9101, 9107):
        wait_until(lambda port=port: ready(f"http://{services}:{port}/readyz"), f"service on {port} ready", 120)
    result = await book_a_showing(gateway, host, pods.auth_secret)
    assert any("you're booked" in e["text"].lower() for e in result.of_type("agent.text")), result.events[-5:]
    stored = stores(podman, "voicepod-services-pod-0-calendar")
    ((name, phone, listing),) = stored["bookings"]
    assert (name, phone) == (NAME, PHONE_E164) and listing
