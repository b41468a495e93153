"""What `podman kube play` gets is the rendered overlay, but for the listed changes (no podman
needed: this runs in the default suite)."""

from __future__ import annotations

from typing import Any

from tests.container.kube_manifests import playable
from tests.k8s_render import render

IMAGE = "localhost/voicepod:test"
CHANGED = {"livenessProbe", "readinessProbe", "startupProbe", "ports", "image", "env"}


def deployments(docs: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")}


def test_the_gateway_and_services_containers_are_played_as_rendered_but_for_the_listed_changes() -> None:
    rendered, played = deployments(render("example")), deployments(playable(IMAGE).with_nats_at("10.0.0.9"))
    assert set(played) == {"voicepod-gateway", "voicepod-services", "voicepod-worker-async"}
    for name, doc in played.items():
        pod, original = doc["spec"]["template"]["spec"], rendered[name]["spec"]["template"]["spec"]
        assert "hostNetwork" not in pod and pod["hostAliases"] == [{"ip": "10.0.0.9", "hostnames": ["nats"]}]
        assert pod["securityContext"] == original["securityContext"] and pod["volumes"] == original["volumes"]
        assert len(pod["containers"]) == len(original["containers"])
        for mine, theirs in zip(pod["containers"], original["containers"], strict=True):
            assert {k: v for k, v in mine.items() if k not in CHANGED} == {
                k: v for k, v in theirs.items() if k not in CHANGED
            }
            assert mine["image"] == IMAGE and "ports" not in mine and "livenessProbe" not in mine
            assert [e["name"] for e in mine["env"]] == [e["name"] for e in theirs["env"] if e["name"] != "DATABASE_URL"]
            assert mine["securityContext"]["readOnlyRootFilesystem"] is True


def test_nats_is_the_statefulsets_pod_running_the_same_config_from_the_image() -> None:
    (rendered,) = [d for d in render("example") if d["kind"] == "StatefulSet"]
    (nats,) = [d for d in playable(IMAGE).nats if d["kind"] == "Deployment"]
    (theirs,) = rendered["spec"]["template"]["spec"]["containers"]
    (mine,) = nats["spec"]["template"]["spec"]["containers"]
    assert mine["command"] == ["nats-server"] and mine["args"] == theirs["args"] == ["-c", "/etc/nats/nats.conf"]
    assert mine["envFrom"] == theirs["envFrom"] and mine["image"] == IMAGE
    assert {"name": "config", "mountPath": "/etc/nats"} in mine["volumeMounts"]


def test_every_secret_a_played_container_reads_is_created_with_a_value() -> None:
    manifests = playable(IMAGE)
    for doc in deployments(manifests.with_nats_at("10.0.0.9") + manifests.nats).values():
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert manifests.secrets[ref["name"]][ref["key"]], (container["name"], env["name"])
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert manifests.secrets[source["secretRef"]["name"]]
