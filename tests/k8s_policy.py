"""NetworkPolicy evaluated the way a CNI applies it, over rendered manifests.

A model cluster: every rendered workload is one pod, on the pod network (an address in POD_CIDR,
matchable by podSelector/namespaceSelector) or on the host network (its node's address in
NODE_CIDR, matchable only by an ipBlock). A connection is allowed when the source's egress and
the destination's ingress both allow it (networking.k8s.io/v1 semantics: a pod selected by no
policy of a direction is open in it; policies of a direction are a union of their rules).

Pessimistic where CNIs differ: an ipBlock also matches pod addresses (so an ipBlock that overlaps
the pod CIDR lets pods in). Host-network pods: whether their own ports are guarded by policies is
up to the CNI (most do not); `enforce_on_host_network` chooses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
# The example overlay's nodes (overlays/example/kustomization.yaml says 10.0.0.0/20).
NODE_CIDR = ipaddress.IPv4Network("10.0.0.0/20")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Endpoint:
    """One end of a connection: a pod (its namespace and labels), a host-network pod, or an address."""

    name: str
    ip: Address
    namespace: str | None = None  # None: not a pod on the pod network
    labels: Mapping[str, str] = field(default_factory=dict)
    named_ports: Mapping[str, int] = field(default_factory=dict)
    host_network: bool = False
    annotations: Mapping[str, str] = field(default_factory=dict)
    containers: Sequence[Mapping[str, Any]] = ()

    @property
    def on_pod_network(self) -> bool:
        return self.namespace is not None and not self.host_network


def outsider(name: str, ip: str) -> Endpoint:
    return Endpoint(name, ipaddress.ip_address(ip))


def pod(name: str, namespace: str, labels: Mapping[str, str], ip: str) -> Endpoint:
    return Endpoint(name, ipaddress.ip_address(ip), namespace, dict(labels))


def workloads(docs: Iterable[Mapping[str, Any]]) -> list[Endpoint]:
    """One pod per rendered workload, addressed as the scheduler and CNI would."""
    found: list[Endpoint] = []
    pod_ips = POD_CIDR.hosts()
    node_ips = NODE_CIDR.hosts()
    next(pod_ips), next(node_ips)  # skip the gateways' .1
    for doc in docs:
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        template = doc if doc["kind"] == "Pod" else doc["spec"]["template"]
        meta, spec = template.get("metadata", {}), template["spec"]
        host = bool(spec.get("hostNetwork"))
        containers = spec.get("containers", [])
        ports = {p["name"]: p["containerPort"] for c in containers for p in c.get("ports", []) if "name" in p}
        found.append(Endpoint(
            name=doc["metadata"]["name"], ip=next(node_ips if host else pod_ips),
            namespace=doc["metadata"].get("namespace", "default"), labels=meta.get("labels", {}),
            named_ports=ports, host_network=host, annotations=meta.get("annotations", {}), containers=containers,
        ))  # fmt: skip
    return found


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector: {} matches everything."""
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


class Cluster:
    def __init__(
        self,
        docs: Iterable[Mapping[str, Any]],
        namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
        *,
        enforce_on_host_network: bool = False,
    ) -> None:
        docs = list(docs)
        self.policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
        self.enforce_on_host_network = enforce_on_host_network
        self._ns_labels: dict[str, dict[str, str]] = {}
        for doc in docs:
            if doc["kind"] == "Namespace":
                self._ns_labels[doc["metadata"]["name"]] = dict(doc["metadata"].get("labels") or {})
        for name, labels in (namespace_labels or {}).items():
            self._ns_labels.setdefault(name, {}).update(labels)

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        # The API server adds this label to every namespace.
        return {**self._ns_labels.get(namespace, {}), "kubernetes.io/metadata.name": namespace}

    # --- which policies apply ------------------------------------------------------------------

    def selects(self, policy: Mapping[str, Any], target: Endpoint) -> bool:
        """The policy's podSelector picks this pod (by its labels, in the policy's namespace)."""
        ns = policy["metadata"].get("namespace", "default")
        return target.namespace == ns and selector_matches(policy["spec"].get("podSelector"), target.labels)

    @staticmethod
    def _types(policy: Mapping[str, Any]) -> list[str]:
        spec = policy["spec"]
        return spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])

    def _guarded(self, target: Endpoint) -> bool:
        return target.namespace is not None and (not target.host_network or self.enforce_on_host_network)

    # --- peers and ports -------------------------------------------------------------------------

    def _peer_matches(self, peer: Mapping[str, Any], other: Endpoint, policy_ns: str) -> bool:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            inside = other.ip in ipaddress.ip_network(block["cidr"])
            return inside and not any(other.ip in ipaddress.ip_network(e) for e in block.get("except") or [])
        # Pod and namespace selectors match pods on the pod network only: a host-network pod's
        # packets carry its node's address, which belongs to no pod.
        if not other.on_pod_network:
            return False
        assert other.namespace is not None
        if "namespaceSelector" in peer:
            if not selector_matches(peer["namespaceSelector"], self.namespace_labels(other.namespace)):
                return False
        elif other.namespace != policy_ns:
            return False
        return selector_matches(peer.get("podSelector"), other.labels)

    @staticmethod
    def _port_matches(rule_ports: Sequence[Mapping[str, Any]] | None, dst: Endpoint, port: int, proto: str) -> bool:
        if not rule_ports:
            return True
        for p in rule_ports:
            if p.get("protocol", "TCP") != proto:
                continue
            wanted = p.get("port")
            if wanted is None:
                return True
            if isinstance(wanted, str):
                if dst.named_ports.get(wanted) == port:
                    return True
            elif wanted <= port <= p.get("endPort", wanted):
                return True
        return False

    def _direction_allows(self, direction: str, subject: Endpoint, other: Endpoint, dst: Endpoint, port: int,
                          proto: str) -> bool:  # fmt: skip
        kind, key, peers = ("Ingress", "ingress", "from") if direction == "in" else ("Egress", "egress", "to")
        applying = [p for p in self.policies if kind in self._types(p) and self.selects(p, subject)]
        if not applying or not self._guarded(subject):
            return True
        for policy in applying:
            ns = policy["metadata"].get("namespace", "default")
            for rule in policy["spec"].get(key) or []:
                from_ok = not rule.get(peers) or any(self._peer_matches(peer, other, ns) for peer in rule[peers])
                if from_ok and self._port_matches(rule.get("ports"), dst, port, proto):
                    return True
        return False

    def allowed(self, src: Endpoint, dst: Endpoint, port: int, proto: str = "TCP") -> bool:
        return self._direction_allows("out", src, dst, dst, port, proto) and self._direction_allows(
            "in", dst, src, dst, port, proto
        )
