"""The rendered `example` overlay, made playable by `podman kube play` (podman 4.3, one machine).

What is played as rendered: the gateway and services Deployments (their containers, args, env,
envFrom of the settings ConfigMap, secretKeyRefs, securityContext with a read-only root, the
state PVC shared by the six services, emptyDirs), the ConfigMaps. What changes, and why:

- Secrets: kube play 4.3 reads them from podman's secret store, so each rendered Secret is
  created there (`podman secret create`) with fresh values; DATABASE_URL is dropped (no
  PostgreSQL here: the services fall back to SQLite on their volume, as in the base).
- The Service `nats` (a DNS name in a cluster) becomes a host alias in the app's pods, to the
  NATS pod's address: NATS is played first.
- NATS: a StatefulSet, which kube play 4.3 does not play, becomes a Deployment of the same pod;
  its image (nats:2.15.1-alpine, unreachable) becomes the voicepod image running the same
  nats-server release, as the image's user, JetStream in an emptyDir at that user's home.
- The gateway's addresses (status.podIP, status.hostIP, which kube play 4.3 cannot fill in): its
  ops host is 0.0.0.0, and its media port (VOICEPOD_RTC_UDP_PORT) is gathered on the pod's own
  addresses and advertised as they are (no node forwards a host port here; media addresses on a
  real node are not shown).
- Container ports are dropped: kube play 4.3 publishes each one on the host (4222, 8080, …,
  taken or not), and on podman's network pods reach each other without them.
- The settings ConfigMap gets no TURN server (the example's turn.example.com is not reachable).
- Probes are dropped: kube play 4.3 turns httpGet probes into `curl`, which the image does not
  have, and ignores readiness and startup probes; the test asks /readyz and /healthz itself.
- Services (ClusterIP), HPA, PDB, NetworkPolicies and the Namespace are not playable; they stay
  validated offline (make deploy-check, tests/unit/test_network_policies.py).
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
from dataclasses import dataclass
from typing import Any

import yaml

from tests.k8s_render import render

PLAYED = ("ConfigMap", "Deployment", "PersistentVolumeClaim")
NATS_STORE = "/var/lib/voicepod"


def _nats_as_deployment(statefulset: dict[str, Any], image: str) -> dict[str, Any]:
    spec = copy.deepcopy(statefulset["spec"])
    del spec["serviceName"], spec["volumeClaimTemplates"]
    pod = spec["template"]["spec"]
    pod["securityContext"].update(runAsUser=10001, runAsGroup=10001, fsGroup=10001)
    pod["volumes"].append({"name": "data", "emptyDir": {}})
    (nats,) = pod["containers"]
    nats["image"], nats["command"] = image, ["nats-server"]
    for env in nats["env"]:
        if env["name"] == "VOICEPOD_NATS_STORE_DIR":
            env["value"] = f"{NATS_STORE}/jetstream"
    for mount in nats["volumeMounts"]:
        if mount["name"] == "data":
            mount["mountPath"] = NATS_STORE
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": statefulset["metadata"], "spec": spec}


def _playable_env(env: dict[str, Any]) -> dict[str, Any]:
    # kube play 4.3 has neither status.podIP nor status.hostIP; every address of the pod is the pod's,
    # and no node forwards a host port to it: the media port is gathered and advertised on the pod's
    # own addresses (empty: every interface, loopback excluded), the ops port on all of them.
    field = env.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    if env["name"] in ("VOICEPOD_ICE_ADDRESSES", "VOICEPOD_ICE_ADVERTISE") and field is not None:
        return {"name": env["name"], "value": ""}
    if field == "status.podIP":
        return {"name": env["name"], "value": "0.0.0.0"}
    return env


@dataclass
class Playable:
    nats: list[dict[str, Any]]  # played first: the Service `nats` does not exist under kube play
    app: list[dict[str, Any]]  # the gateway and services pods, told NATS's address (with_nats_at)
    secrets: dict[str, dict[str, str]]  # name → data, created in podman's secret store beforehand

    def with_nats_at(self, address: str) -> list[dict[str, Any]]:
        """The app's pods with the Service name `nats` as a host alias: the DNS a cluster would give."""
        docs = copy.deepcopy(self.app)
        for doc in docs:
            if doc["kind"] == "Deployment":
                doc["spec"]["template"]["spec"]["hostAliases"] = [{"ip": address, "hostnames": ["nats"]}]
        return docs


def playable(image: str) -> Playable:
    config_maps: list[dict[str, Any]] = []
    nats: list[dict[str, Any]] = []
    app: list[dict[str, Any]] = []
    created: dict[str, dict[str, str]] = {}
    for original in render("example"):
        doc = copy.deepcopy(original)
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "Secret":
            created[name] = {k: secrets.token_hex(32) for k in doc["data"] if k != "DATABASE_URL"}
        elif kind == "StatefulSet" and name == "nats":
            nats.append(_nats_as_deployment(doc, image))
        elif kind == "ConfigMap":
            if name.startswith("voicepod-settings"):
                doc["data"]["VOICEPOD_ICE_SERVERS"] = ""
            config_maps.append(doc)
        elif kind in PLAYED:
            app.append(doc)
    for doc in nats + app:
        if doc["kind"] == "Deployment":
            _play_here(doc, image)
    return Playable(nats=config_maps + nats, app=config_maps + app, secrets=created)


def _play_here(deployment: dict[str, Any], image: str) -> None:
    deployment["spec"]["replicas"] = 1
    pod = deployment["spec"]["template"]["spec"]
    pod.pop("hostNetwork", None)
    pod.pop("affinity", None)
    for container in pod["containers"]:
        if container["image"].startswith("registry.example.com/voicepod"):
            container["image"] = image
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            container.pop(probe, None)
        container.pop("ports", None)
        container["env"] = [_playable_env(e) for e in container.get("env", []) if e["name"] != "DATABASE_URL"]


def to_yaml(docs: list[dict[str, Any]]) -> str:
    return str(yaml.safe_dump_all(docs, sort_keys=False))


def secret_json(data: dict[str, str]) -> str:
    """A Secret as kube play 4.3 reads it from podman's secret store: its `data`, as JSON."""
    return json.dumps({k: base64.b64encode(v.encode()).decode() for k, v in data.items()})
