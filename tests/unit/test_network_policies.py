"""The NetworkPolicies on the rendered manifests (kubectl kustomize), evaluated like a CNI does
(tests/k8s_policy.py): each selects a real pod; the gateway and all six services reach NATS on the
port NATS_URL names; nobody else does; Prometheus reaches every metrics port; callers reach the
gateway's call port and not its ops port."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.registry import DEFINITIONS
from tests.k8s_policy import NODE_CIDR, POD_CIDR, Cluster, Endpoint, outsider, pod, workloads
from tests.k8s_render import render

OVERLAYS = ["example", "example-tls"]
NAMESPACE = "voicepod"
PROMETHEUS = pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, "10.244.200.2")
STRANGERS = [
    pod("debug-pod-same-namespace", NAMESPACE, {"run": "debug"}, "10.244.200.3"),
    pod("web-other-namespace", "default", {"app": "web"}, "10.244.200.4"),
    # Wears the clients' label, but in another namespace: a podSelector alone means "in the policy's namespace".
    pod("impostor-other-namespace", "default", {"voicepod.io/nats-client": "true"}, "10.244.200.5"),
    outsider("internet", "203.0.113.50"),
]


def cluster(overlay: str, **kwargs: Any) -> Cluster:
    return Cluster(render(overlay), {"monitoring": {"name": "monitoring"}}, **kwargs)


def by_name(overlay: str) -> dict[str, Endpoint]:
    return {w.name: w for w in workloads(render(overlay))}


def nats_clients(overlay: str) -> list[tuple[dict[str, Any], Endpoint, str]]:
    """(container, its pod, its NATS_URL) for every container that talks to NATS."""
    found = []
    for w in workloads(render(overlay)):
        for c in w.containers:
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            if "NATS_URL" in env:
                found.append((dict(c), w, env["NATS_URL"]))
    return found


def service_port(overlay: str, url: str) -> tuple[Endpoint, int]:
    """Where a NATS_URL lands: its host is a Service, its port maps to the target pod's port."""
    parts = urlsplit(url)
    (svc,) = [d for d in render(overlay) if d["kind"] == "Service" and d["metadata"]["name"] == parts.hostname]
    (target,) = [w for w in workloads(render(overlay)) if all(w.labels.get(k) == v
                                                              for k, v in svc["spec"]["selector"].items())]  # fmt: skip
    (port,) = [p for p in svc["spec"]["ports"] if p["port"] == parts.port]
    target_port = port.get("targetPort", port["port"])
    return target, target_port if isinstance(target_port, int) else target.named_ports[target_port]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_policy_selects_a_rendered_workload(overlay: str) -> None:
    c, pods = cluster(overlay), workloads(render(overlay))
    assert c.policies
    for policy in c.policies:
        assert any(c.selects(policy, p) for p in pods), policy["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_and_every_service_reach_nats(overlay: str) -> None:
    clients = nats_clients(overlay)
    assert {container["args"][-1] for container, _, _ in clients} == {"gateway", *DEFINITIONS, "async"}
    c = cluster(overlay)
    unreachable = []
    for container, source, url in clients:
        nats, port = service_port(overlay, url)
        assert nats.name == "nats" and port == 4222
        if not c.allowed(source, nats, port):
            unreachable.append(container["name"])
    assert unreachable == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nats_is_closed_to_everyone_else(overlay: str) -> None:
    c, nats = cluster(overlay), by_name(overlay)["nats"]
    for stranger in [*STRANGERS, PROMETHEUS]:
        assert not c.allowed(stranger, nats, 4222), stranger.name
    # Nor does any other pod, or a node's host network.
    for ip in (POD_CIDR[5], POD_CIDR[-2], NODE_CIDR[7]):
        assert not c.allowed(pod("any-pod", "default", {}, str(ip)), nats, 4222)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_reaches_every_metrics_port_and_strangers_none(overlay: str) -> None:
    c = cluster(overlay)
    scraped = [w for w in workloads(render(overlay)) if w.annotations.get("prometheus.io/scrape") == "true"]
    assert {w.name for w in scraped} == {"voicepod-gateway", "voicepod-services", "voicepod-worker-async"}
    targets = [(by_name(overlay)["nats"], by_name(overlay)["nats"].named_ports["monitor"])]
    for w in scraped:
        ops = [port for name, port in w.named_ports.items() if name.startswith("ops")]
        assert ops, w.name
        if "prometheus.io/port" in w.annotations:
            assert [int(w.annotations["prometheus.io/port"])] == ops, w.name
        targets += [(w, port) for port in ops]
    assert len(targets) == 1 + 1 + 6 + 1  # NATS's monitor, the gateway's, six services' and the async worker's
    for target, port in targets:
        assert c.allowed(PROMETHEUS, target, port), (target.name, port)
        for stranger in STRANGERS:
            assert not c.allowed(stranger, target, port), (stranger.name, target.name, port)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_callers_reach_the_call_and_media_ports_and_not_the_ops_port(overlay: str) -> None:
    c, gateway = cluster(overlay), by_name(overlay)["voicepod-gateway"]
    assert not gateway.host_network  # on the pod network: the policies guard it
    caller = outsider("caller", "198.51.100.7")
    assert c.allowed(caller, gateway, gateway.named_ports["http"])
    assert c.allowed(caller, gateway, gateway.named_ports["media"], "UDP")
    assert not c.allowed(caller, gateway, gateway.named_ports["media"])  # TCP: nothing listens there
    assert not c.allowed(caller, gateway, gateway.named_ports["ops"])
    assert gateway.named_ports == {"http": 8080, "ops": 9090, "media": 50000}


# --- the evaluator itself, on policies written for it ---------------------------------------------


def test_the_evaluator_applies_egress_named_ports_expressions_and_excepts() -> None:
    ns = {"kind": "Namespace", "metadata": {"name": "a", "labels": {"team": "x"}}}
    policies = [
        {"kind": "NetworkPolicy", "metadata": {"name": "web-in", "namespace": "a"}, "spec": {
            "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]},
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.9.0.0/16", "except": ["10.9.9.0/24"]}}],
                         "ports": [{"port": "api"}]}]}},
        {"kind": "NetworkPolicy", "metadata": {"name": "client-out", "namespace": "a"}, "spec": {
            "podSelector": {"matchLabels": {"role": "client"}}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}]}]}},
        {"kind": "NetworkPolicy", "metadata": {"name": "web-from-clients", "namespace": "a"}, "spec": {
            "podSelector": {"matchLabels": {"tier": "web"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}}}], "ports": [{"port": 7100}]}]}},
    ]  # fmt: skip
    target = Endpoint("web", ipaddress.ip_address("10.244.0.9"), "a", {"tier": "web"}, {"api": 7000})
    c = Cluster([ns, *policies])
    assert c.allowed(outsider("in-block", "10.9.1.1"), target, 7000)
    assert not c.allowed(outsider("in-block", "10.9.1.1"), target, 7001)
    assert not c.allowed(outsider("excepted", "10.9.9.9"), target, 7000)
    assert not c.allowed(outsider("elsewhere", "10.8.1.1"), target, 7000)
    # Egress: a client in namespace a may only reach pods in team-x namespaces; its ingress is open.
    client = pod("client", "a", {"role": "client"}, "10.9.1.2")
    assert c.allowed(client, target, 7000)
    assert not c.allowed(client, pod("db", "b", {}, "10.244.3.3"), 5432)
    assert c.allowed(pod("other", "b", {}, "10.244.3.4"), client, 1234)
    # A host-network source is matched by its node's address only, never by its pod's labels.
    assert c.allowed(client, target, 7100)
    host_client = Endpoint("h", NODE_CIDR[7], "a", {"role": "client"}, host_network=True)
    assert not c.allowed(host_client, target, 7100)
