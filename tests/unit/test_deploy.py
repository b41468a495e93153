"""The deploy files describe the real processes: commands, settings, ports, install line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.settings import GatewaySettings
from gateway.voicemail.settings import AsyncSettings
from pod.cli import build_parser
from services.registry import DEFINITIONS
from tests.k8s_render import render

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
NOT_OURS = {"nats", "postgres"}


def k8s_documents() -> list[dict[str, Any]]:
    return list(render("example"))


K8S = k8s_documents()


def k8s_containers() -> list[dict[str, Any]]:
    return [c for d in K8S if d["kind"] in ("Deployment", "StatefulSet")
            for c in d["spec"]["template"]["spec"]["containers"] if "voicepod" in c["image"]]  # fmt: skip


def compose_services() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in COMPOSE["services"].items() if name not in NOT_OURS}


def source_text() -> str:
    files = [*ROOT.glob("bus/**/*.py"), *ROOT.glob("gateway/**/*.py"), *ROOT.glob("services/**/*.py"),
             *ROOT.glob("pod/**/*.py"), ROOT / "deploy/Dockerfile", ROOT / "deploy/k8s/base/nats.conf"]  # fmt: skip
    return "\n".join(p.read_text() for p in files)


def test_every_command_is_a_voicepod_command() -> None:
    commands = [svc["command"] for svc in compose_services().values()] + [c["args"] for c in k8s_containers()]
    assert len(commands) == 16  # gateway + six services + the async worker, in compose and in k8s
    for argv in commands:
        args = build_parser().parse_args(argv)
        assert callable(args.run), argv
    named = {argv[1] for argv in commands if argv[0] == "service"}
    assert named == set(DEFINITIONS)
    assert [argv for argv in commands if argv[0] == "worker"] == [["worker", "async"]] * 2


def test_every_environment_variable_they_set_is_read() -> None:
    code = source_text()
    names: set[str] = set()
    for svc in compose_services().values():
        names |= set(svc.get("environment", {}))
    for c in k8s_containers():
        names |= {e["name"] for e in c.get("env", [])}
    for d in K8S:
        if d["kind"] in ("ConfigMap", "Secret") and d["metadata"]["name"].startswith(
            ("voicepod-settings", "voicepod-")
        ):
            names |= set(d.get("data", {}))
    unread = sorted(n for n in names if f'"{n}"' not in code and f"${n}" not in code and f"'{n}'" not in code)
    assert unread == []


def test_ports_match_the_settings_defaults() -> None:
    gateway = COMPOSE["services"]["gateway"]
    assert f"{GatewaySettings.http_port}:{GatewaySettings.http_port}" in gateway["ports"]
    (gw_container,) = [c for c in k8s_containers() if c["args"] == ["gateway"]]
    assert gw_container["ports"][0]["containerPort"] == GatewaySettings.http_port
    for c in k8s_containers():
        if c["args"][0] == "service":
            port = DEFINITIONS[c["args"][1]].ops_port
            assert [p["containerPort"] for p in c["ports"]] == [port]
            assert c["readinessProbe"]["httpGet"]["port"] == port
    for name, svc in compose_services().items():
        if name not in ("gateway", "worker_async"):
            assert int(svc["environment"]["VOICEPOD_HEALTH_PORT"]) == DEFINITIONS[name].ops_port
    worker_port = AsyncSettings.ops_port
    assert int(COMPOSE["services"]["worker_async"]["environment"]["VOICEPOD_ASYNC_OPS_PORT"]) == worker_port
    (worker,) = [c for c in k8s_containers() if c["args"] == ["worker", "async"]]
    assert [p["containerPort"] for p in worker["ports"]] == [worker_port]


def test_the_image_installs_exactly_the_project() -> None:
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    installs = re.findall(r"pip install[^\n]*", dockerfile)
    assert installs == ["pip install /src \\"], installs  # the pinned dependencies come from pyproject
    packages = re.search(r"include = \[([^\]]*)\]", (ROOT / "pyproject.toml").read_text())
    assert packages is not None
    for package in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert f"COPY {package} ./{package}" in dockerfile, package


def test_env_example_covers_every_variable_compose_reads() -> None:
    wanted = set(re.findall(r"\$\{(\w+)", (ROOT / "compose.yaml").read_text())) - {"VOICEPOD_IMAGE"}
    documented = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
                  if line and not line.startswith("#")}  # fmt: skip
    assert wanted <= documented, sorted(wanted - documented)


@pytest.mark.parametrize(
    "user", ["gateway", "crm_writer", "calendar", "mls_lookup", "sms", "audit", "transcript", "worker_async"]
)
def test_compose_and_k8s_use_the_same_nats_users(user: str) -> None:
    conf = (ROOT / "deploy/k8s/base/nats.conf").read_text()
    assert f"user: {user}\n" in conf
    compose_users = {svc["environment"]["NATS_USER"] for svc in compose_services().values()}
    k8s_users = {e["value"] for c in k8s_containers() for e in c["env"] if e["name"] == "NATS_USER"}
    assert user in compose_users and user in k8s_users


def test_every_process_is_restarted_when_it_dies() -> None:
    """What `voicepod up`'s supervisor does locally, the deploy files ask of Compose and Kubernetes."""
    for name, service in COMPOSE["services"].items():
        assert service.get("restart") in ("unless-stopped", "always"), name
    workloads = [d for d in k8s_documents() if d["kind"] in ("Deployment", "StatefulSet", "Pod", "Job")]
    assert {d["kind"] for d in workloads} <= {"Deployment", "StatefulSet"}  # controllers replace dead pods
    for doc in workloads:
        spec = doc["spec"]["template"]["spec"]
        assert spec.get("restartPolicy", "Always") == "Always", doc["metadata"]["name"]
        for container in spec["containers"]:
            assert "livenessProbe" in container, (doc["metadata"]["name"], container["name"])


def test_the_namespace_admits_every_pod_it_runs() -> None:
    """Pod Security admission: host network or host ports are refused by the baseline and restricted
    levels, so a namespace holding such a pod (the gateway) must enforce `privileged`."""
    (namespace,) = [d for d in K8S if d["kind"] == "Namespace"]
    level = namespace["metadata"]["labels"].get("pod-security.kubernetes.io/enforce", "privileged")
    for doc in K8S:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            spec = doc["spec"]["template"]["spec"]
            host_ports = [p for c in spec["containers"] for p in c.get("ports", []) if p.get("hostPort")]
            if spec.get("hostNetwork") or host_ports:
                assert level == "privileged", (doc["metadata"]["name"], level)


def test_the_media_is_one_udp_port_in_compose_and_k8s() -> None:
    """compose.yaml publishes the one port the gateway binds (no range, no sysctl); the k8s gateway
    is on the pod network with that port as its node's host port, and its settings hold together."""
    gateway = COMPOSE["services"]["gateway"]
    env = gateway["environment"]
    port = int(env["VOICEPOD_RTC_UDP_PORT"].removeprefix("${VOICEPOD_RTC_UDP_PORT-").removesuffix("}"))
    assert [p for p in gateway["ports"] if p.endswith("/udp")] == [f"{port}:{port}/udp"]
    assert "sysctls" not in gateway and env["VOICEPOD_WORKERS"] == "${VOICEPOD_WORKERS:-1}"
    for overlay in ("example", "example-tls"):
        docs = list(render(overlay))
        (deployment,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "voicepod-gateway"]
        spec = deployment["spec"]["template"]["spec"]
        assert "hostNetwork" not in spec
        (container,) = spec["containers"]
        (media,) = [p for p in container["ports"] if p.get("protocol") == "UDP"]
        (settings,) = [
            d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("voicepod-settings")
        ]
        plain = {e["name"]: e["value"] for e in container["env"] if "value" in e}
        resolved = {
            **settings["data"],
            **plain,
            "VOICEPOD_ICE_ADDRESSES": "10.244.0.5",
            "VOICEPOD_ICE_ADVERTISE": "10.0.0.5",
        }
        gw = GatewaySettings.from_env(resolved)  # what the pod's environment makes of it (fieldRefs filled in)
        assert media["containerPort"] == media["hostPort"] == gw.rtc_udp_port == 50000
        assert gw.media_stack == "lean" and plain["VOICEPOD_WORKERS"] == "1"
        refs = {
            e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"]
            for e in container["env"]
            if "fieldRef" in e.get("valueFrom", {})
        }
        assert refs["VOICEPOD_ICE_ADDRESSES"] == "status.podIP" and refs["VOICEPOD_ICE_ADVERTISE"] == "status.hostIP"
