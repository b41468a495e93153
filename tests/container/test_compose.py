"""compose.yaml under podman: NATS, the six services and the gateway come up healthy, a caller on
this host books a showing over podman's network, a killed service comes back by its restart
policy, and stopping the stack drains every process. The tests run in file order on one stack."""

from __future__ import annotations

import os
import signal
import urllib.request
from collections.abc import Iterator

import pytest

from bus import subjects
from caller.booking import NAME, PHONE_E164
from tests.container.booking_call import book_a_showing, stores
from tests.container.compose_stack import ComposeStack
from tests.container.podman import HealthTicker, Podman, missing, wait_until

pytestmark = [
    pytest.mark.long,
    pytest.mark.container,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

SERVICES = tuple(subjects.SERVICE_NAMES)
VOICEPOD = ("gateway", *SERVICES)


@pytest.fixture(scope="module")
def stack(podman: Podman, image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    workdir = tmp_path_factory.mktemp("compose")
    with podman.api_socket(workdir) as docker_host:
        stack = ComposeStack(workdir, docker_host, image)
        with HealthTicker(podman, f"label=com.docker.compose.project={stack.project}"):
            try:
                # Not `up --wait`: it gives up at the first "unhealthy", which on a loaded machine a
                # slow start can be for a while (Docker keeps checking, and so do we).
                stack("up", "--detach", "--no-build", timeout=500)
                wait_until(lambda: all_healthy(podman, stack), "all healthy", 420, why=lambda: unhealthy(podman, stack))
                yield stack
            finally:
                stack("down", "--volumes", "--timeout", "60", timeout=300)


def all_healthy(podman: Podman, stack: ComposeStack) -> bool:
    return all(podman.health(stack.container(s)) == "healthy" for s in ("nats", *VOICEPOD))


def unhealthy(podman: Podman, stack: ComposeStack) -> str:
    """The containers not yet healthy, their last checks and their last log lines."""
    report = []
    for service in ("nats", *VOICEPOD):
        name = stack.container(service)
        state = podman.inspect(name)["State"]
        health = state.get("Health") or state.get("Healthcheck") or {}
        if health.get("Status") != "healthy":
            checks = [(c.get("ExitCode"), c.get("Output", "")[-200:]) for c in (health.get("Log") or [])[-3:]]
            status = f"{service}: {state.get('Status')}, {health.get('Status')}, last checks {checks}"
            report.append(f"{status}\n{podman.logs(name)[-1500:]}")
    return "\n".join(report)


def addresses(podman: Podman, stack: ComposeStack) -> tuple[str, str]:
    """The gateway's address in the stack's podman network, and this host's address on that network."""
    (network,) = podman.inspect(stack.container("gateway"))["NetworkSettings"]["Networks"].values()
    return network["IPAddress"], network["Gateway"]


@pytest.mark.timeout(600)
def test_nats_the_six_services_and_the_gateway_come_up_healthy(podman: Podman, stack: ComposeStack) -> None:
    for service in ("nats", *VOICEPOD):
        assert podman.health(stack.container(service)) == "healthy", service
    gateway, _ = addresses(podman, stack)
    with urllib.request.urlopen(f"http://{gateway}:8080/readyz", timeout=5) as ready:
        assert ready.status == 200


@pytest.mark.timeout(900)
async def test_a_caller_books_a_showing_through_the_stack(podman: Podman, stack: ComposeStack) -> None:
    gateway, host = addresses(podman, stack)
    result = await book_a_showing(gateway, host, stack.env["VOICEPOD_AUTH_SECRET"])
    assert any("you're booked" in e["text"].lower() for e in result.of_type("agent.text")), result.events[-5:]
    # Media stayed on podman's network: the gateway offered its container address and nothing else.
    offered = {line.split()[4] for line in result.answer.splitlines() if line.startswith("a=candidate")}
    assert offered == {gateway}
    stored = stores(podman, stack.container("calendar"))
    ((name, phone, listing),) = stored["bookings"]
    assert (name, phone) == (NAME, PHONE_E164) and listing
    ((to, body),) = stored["texts"]
    assert to == PHONE_E164 and NAME.split()[0] in body


@pytest.mark.timeout(300)
def test_a_killed_service_is_brought_back_by_its_restart_policy(podman: Podman, stack: ComposeStack) -> None:
    calendar = stack.container("calendar")
    before = podman.inspect(calendar)
    os.kill(before["State"]["Pid"], signal.SIGKILL)  # tini, the container's init: the container dies
    wait_until(lambda: podman.inspect(calendar)["RestartCount"] > before["RestartCount"], "restarted", 120)
    wait_until(lambda: podman.health(calendar) == "healthy", "healthy again", 180)
    assert podman.inspect(calendar)["State"]["Pid"] != before["State"]["Pid"]


@pytest.mark.timeout(300)
def test_stopping_the_stack_drains_every_process(podman: Podman, stack: ComposeStack) -> None:
    stack("stop", timeout=240)
    for service in VOICEPOD:
        state = podman.inspect(stack.container(service))["State"]
        logs = podman.logs(stack.container(service))
        assert state["ExitCode"] == 0, (service, logs[-2000:])
        # The gateway drains its calls; a service stops taking requests, finishes those in flight
        # ("service_draining" when there are any) and says it stopped, all on SIGTERM.
        drained = ['"draining"'] if service == "gateway" else ['"SIGTERM"', '"service_stopped"']
        assert all(mark in logs for mark in drained), (service, logs[-2000:])
