"""The NATS TLS option in the deploy files is wired end to end: NATS runs nats-tls.conf with the
operator's certificate and key, and every voicepod process gets NATS_TLS_CA pointing at a mounted
ca.crt. Without the option nothing changes (plain TCP, as before)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import PurePosixPath
from typing import Any

import pytest

from tests.k8s_render import ROOT, render

SECRET = "voicepod-nats-tls"


def compose_config(*files: str) -> dict[str, Any]:
    # The Compose v2 binary inside the `docker-compose` wheel (as `make deploy-check` calls it).
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.origin is not None
    binary = PurePosixPath(spec.origin).parent / "docker-compose"
    argv = [
        str(binary),
        *(a for f in files for a in ("-f", f)),
        "--env-file",
        ".env.example",
        "config",
        "--format",
        "json",
    ]
    out = subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    config: dict[str, Any] = json.loads(out)
    return config


def k8s_secret_file(spec: dict[str, Any], container: dict[str, Any], path: str) -> tuple[str, str]:
    """(secret name, key) of the file a container sees at `path`."""
    volumes = {v["name"]: v for v in spec["volumes"]}
    for mount in container.get("volumeMounts", []):
        inside = (
            PurePosixPath(path).relative_to(mount["mountPath"]) if path.startswith(mount["mountPath"] + "/") else None
        )
        secret = volumes[mount["name"]].get("secret")
        if inside is not None and secret is not None:
            items = {i["path"]: i["key"] for i in secret.get("items", [])} or {str(inside): str(inside)}
            return secret["secretName"], items[str(inside)]
    raise AssertionError(f"{container['name']}: nothing mounted at {path}")


def settings_data(docs: tuple[dict[str, Any], ...]) -> dict[str, str]:
    (settings,) = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("voicepod-settings")
    ]
    data: dict[str, str] = settings["data"]
    return data


def test_k8s_tls_overlay_gives_every_process_the_ca_and_nats_its_certificate() -> None:
    docs = render("example-tls")
    ca_path = settings_data(docs)["NATS_TLS_CA"]
    clients = 0
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        spec = doc["spec"]["template"]["spec"]
        for c in spec["containers"]:
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            if "NATS_URL" in env:
                clients += 1
                assert any(r.get("configMapRef", {}).get("name", "").startswith("voicepod-settings")
                           for r in c.get("envFrom", [])), c["name"]  # fmt: skip
                assert k8s_secret_file(spec, c, ca_path) == (SECRET, "ca.crt"), c["name"]
            if c["name"] == "nats":
                conf_dir, conf_name = c["args"][1].rsplit("/", 1)
                (config_mount,) = [m for m in c["volumeMounts"] if m["mountPath"] == conf_dir]
                (config_volume,) = [v for v in spec["volumes"] if v["name"] == config_mount["name"]]
                (config_map,) = [d for d in docs if d["metadata"]["name"] == config_volume["configMap"]["name"]]
                assert conf_name == "nats-tls.conf" and "include ./nats.conf" in config_map["data"][conf_name]
                assert k8s_secret_file(spec, c, env["VOICEPOD_NATS_TLS_CERT"]) == (SECRET, "tls.crt")
                assert k8s_secret_file(spec, c, env["VOICEPOD_NATS_TLS_KEY"]) == (SECRET, "tls.key")
    assert clients == 8  # the gateway, six services and the async worker


def test_k8s_without_the_option_stays_plain() -> None:
    docs = render("example")
    assert "NATS_TLS_CA" not in settings_data(docs)
    assert SECRET not in json.dumps(docs)
    (nats,) = [d for d in docs if d["kind"] == "StatefulSet"]
    assert nats["spec"]["template"]["spec"]["containers"][0]["args"] == ["-c", "/etc/nats/nats.conf"]


@pytest.mark.parametrize("tls", [False, True])
def test_compose_tls_override_gives_every_process_the_ca_and_nats_its_certificate(tls: bool) -> None:
    config = compose_config("compose.yaml", *(["deploy/compose.tls.yaml"] if tls else []))
    ours = {n: s for n, s in config["services"].items() if n not in ("nats", "postgres")}
    assert len(ours) == 8  # the gateway, six services and the async worker
    for name, svc in ours.items():
        ca = svc["environment"].get("NATS_TLS_CA")
        if not tls:
            assert ca is None, name
            continue
        mounts = {v["target"]: v["source"] for v in svc["volumes"]}
        assert ca in mounts and mounts[ca].endswith("/nats-tls/ca.crt"), name
    nats = config["services"]["nats"]
    mounts = {v["target"]: v["source"] for v in nats["volumes"]}
    conf = nats["command"][1]
    assert mounts[conf] == str(ROOT / "deploy" / "k8s" / "base" / PurePosixPath(conf).name)
    if tls:
        assert conf == "/etc/nats/nats-tls.conf"
        cert_dir = str(PurePosixPath(nats["environment"]["VOICEPOD_NATS_TLS_CERT"]).parent)
        assert PurePosixPath(nats["environment"]["VOICEPOD_NATS_TLS_KEY"]).parent == PurePosixPath(cert_dir)
        assert mounts[cert_dir].endswith("/nats-tls")
        # nats-tls.conf includes ./nats.conf: it must sit next to it.
        assert "/etc/nats/nats.conf" in mounts
    else:
        assert conf == "/etc/nats/nats.conf"
