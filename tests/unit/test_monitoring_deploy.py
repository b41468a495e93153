"""The optional Prometheus + Grafana (deploy/compose.monitoring.yaml) reach the processes where they
listen, load the rules and the dashboard from where the files are, and the checker passes."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from gateway.settings import GatewaySettings
from gateway.voicemail.settings import AsyncSettings
from services.registry import DEFINITIONS
from tests.system_tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
MONITORING = yaml.safe_load((ROOT / "deploy/compose.monitoring.yaml").read_text())
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def mounts(service: str) -> dict[str, str]:
    """Container path → repository path (relative to compose.yaml's folder) of a service's bind mounts."""
    out = {}
    for volume in MONITORING["services"][service]["volumes"]:
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            out[target] = source.removeprefix("./")
    return out


def scrape_targets() -> dict[str, str]:
    jobs: list[dict[str, Any]] = PROMETHEUS["scrape_configs"]
    return {job["job_name"]: target for job in jobs for c in job["static_configs"] for target in c["targets"]}


def test_prometheus_scrapes_every_process_at_its_ops_port() -> None:
    wanted = {f"voicepod-{name}": f"{name}:{d.ops_port}" for name, d in DEFINITIONS.items()}
    gateway_env = COMPOSE["services"]["gateway"]["environment"]
    wanted["voicepod-gateway"] = f"gateway:{gateway_env['VOICEPOD_OPS_PORT']}"
    assert int(gateway_env["VOICEPOD_OPS_PORT"]) == GatewaySettings().ops_port
    worker_env = COMPOSE["services"]["worker_async"]["environment"]
    wanted["voicepod-worker_async"] = f"worker_async:{worker_env['VOICEPOD_ASYNC_OPS_PORT']}"
    assert int(worker_env["VOICEPOD_ASYNC_OPS_PORT"]) == AsyncSettings().ops_port
    assert scrape_targets() == wanted
    assert all(name in COMPOSE["services"] for name in (t.split(":")[0] for t in wanted.values()))


def test_the_containers_get_the_config_the_rules_and_the_dashboard() -> None:
    prometheus = mounts("prometheus")
    assert prometheus["/etc/prometheus/prometheus.yml"] == "deploy/prometheus/prometheus.yml"
    rules_dir = Path("/etc/prometheus")
    for rule_file in PROMETHEUS["rule_files"]:
        assert (ROOT / prometheus[str(rules_dir / rule_file)]).is_file()
    grafana = mounts("grafana")
    provisioning = ROOT / grafana["/etc/grafana/provisioning"]
    provider = yaml.safe_load((provisioning / "dashboards/voicepod.yml").read_text())["providers"][0]
    dashboards = [target for target in grafana if target.startswith(provider["options"]["path"] + "/")]
    assert [grafana[d] for d in dashboards] == ["deploy/grafana/voicepod.json"]
    source = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())["datasources"][0]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"


def test_nothing_is_published_beyond_the_hosts_loopback() -> None:
    for service in MONITORING["services"].values():
        assert all(port.startswith("127.0.0.1:") for port in service["ports"])


def test_promtool_accepts_the_prometheus_config() -> None:
    promtool = require_tool("promtool", "prometheus")
    check = subprocess.run([promtool, "check", "config", str(ROOT / "deploy/prometheus/prometheus.yml")],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
