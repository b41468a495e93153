"""The Grafana dashboard and the Prometheus rules (deploy/) name only what the code exports,
are shaped the way Grafana and Prometheus load them, and the alerts fire when they should."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.promql_names import metric_modules, problems, recorded, registered, source_strings, value_problems
from tests.system_tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
RULES_FILE = ROOT / "deploy/prometheus/rules.yml"
RULES_TEST = ROOT / "deploy/prometheus/rules.test.yml"
DASHBOARD = json.loads((ROOT / "deploy/grafana/voicepod.json").read_text(encoding="utf-8"))
RULES = [rule for group in yaml.safe_load(RULES_FILE.read_text())["groups"] for rule in group["rules"]]
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__range"}
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")  # ${name} or $name


@pytest.fixture(scope="module")
def known() -> dict[str, set[str]]:
    return {**registered().labels, **recorded(RULES)}


@pytest.fixture(scope="module")
def strings() -> set[str]:
    return source_strings()


def panels() -> list[dict[str, Any]]:
    return [p for p in DASHBOARD["panels"] if p["type"] != "row"]


def panel_exprs() -> list[str]:
    return [t["expr"] for p in panels() for t in p["targets"]]


def dashboard_exprs() -> list[str]:
    # With the variables' queries (Grafana's label_values(metric, label), not PromQL).
    return panel_exprs() + [v["definition"] for v in DASHBOARD["templating"]["list"] if v["type"] == "query"]


def variables_in(expr: str) -> set[str]:
    return {a or b for a, b in VARIABLE.findall(expr)}


def test_the_metric_modules_are_found() -> None:
    # The scan that feeds the registry: if it found nothing, every name would look unknown.
    assert {"gateway.metrics", "bus.metrics", "bus.events", "gateway.agent.usage"} <= set(metric_modules())


def test_the_check_catches_a_renamed_metric_or_label(known: dict[str, set[str]]) -> None:
    assert problems('sum by (reason) (rate(voicepod_gateway_calls_refused_total{reason="busy"}[5m]))', known) == []
    assert problems("rate(voicepod_gateway_calls_turned_away_total[5m])", known) == [
        "unknown metric voicepod_gateway_calls_turned_away_total"
    ]
    assert problems('rate(voicepod_gateway_calls_refused_total{cause="busy"}[5m])', known) == [
        "voicepod_gateway_calls_refused_total has no label cause"
    ]
    assert problems("sum by (stage) (rate(voicepod_gateway_calls_refused_total[5m]))", known) == [
        "grouping by stage, which no metric in the expression has"
    ]
    assert problems("voicepod:turn_latency_seconds:p99_5m", known) == [
        "unknown metric voicepod:turn_latency_seconds:p99_5m"
    ]


def test_the_check_catches_a_renamed_label_value(strings: set[str]) -> None:
    assert value_problems('rate(voicepod_gateway_interruptions_total{outcome="resumed"}[5m])', strings) == []
    assert value_problems('rate(voicepod_gateway_media_dropped_total{reason=~"backlog|overflow"}[5m])', strings) == []
    assert value_problems('rate(voicepod_gateway_interruptions_total{outcome="backchannel"}[5m])', strings) == [
        'outcome="backchannel" is no string in the code'
    ]
    # Patterns, codes and variables are not words the code spells.
    assert value_problems('rate(voicepod_service_errors_total{code=~"5..", endpoint="$endpoint"}[5m])', strings) == []


def test_every_label_value_matched_is_one_the_code_spells(strings: set[str]) -> None:
    exprs = [rule["expr"] for rule in RULES] + dashboard_exprs()
    found = {expr: value_problems(expr, strings) for expr in exprs}
    assert {expr: p for expr, p in found.items() if p} == {}


def test_every_rule_names_what_the_code_exports(known: dict[str, set[str]]) -> None:
    found = {rule.get("alert") or rule["record"]: problems(rule["expr"], known) for rule in RULES}
    assert {name: p for name, p in found.items() if p} == {}


def test_every_dashboard_query_names_what_the_code_exports(known: dict[str, set[str]]) -> None:
    found = {expr: problems(expr, known) for expr in dashboard_exprs()}
    assert {expr: p for expr, p in found.items() if p} == {}


def test_the_rules_pass_promtool_and_their_unit_tests() -> None:
    promtool = require_tool("promtool", "prometheus")
    subprocess.run([promtool, "check", "rules", str(RULES_FILE)], check=True, capture_output=True, timeout=60)
    test = subprocess.run([promtool, "test", "rules", RULES_TEST.name], cwd=RULES_TEST.parent,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert test.returncode == 0, test.stdout + test.stderr


def test_the_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    # promtool parses PromQL only in rule files: each query, its Grafana variables filled in, as a rule.
    promtool = require_tool("promtool", "prometheus")
    fill = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h", "agent": ".*"}
    rules = [{"record": f"dashboard:query:{i}", "expr": VARIABLE.sub(lambda m: fill[m.group(1) or m.group(2)], e)}
             for i, e in enumerate(panel_exprs())]  # fmt: skip
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    check = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_alert_says_how_bad_and_what_happened() -> None:
    alerts = [rule for rule in RULES if "alert" in rule]
    assert len(alerts) >= 10
    for alert in alerts:
        assert alert["labels"]["severity"] in {"warning", "critical"}, alert["alert"]
        assert alert["annotations"]["summary"] and alert["annotations"]["description"], alert["alert"]


def test_the_dashboard_has_the_shape_grafana_imports() -> None:
    assert DASHBOARD["uid"] == "voicepod-overview" and DASHBOARD["title"]
    assert isinstance(DASHBOARD["schemaVersion"], int) and DASHBOARD["schemaVersion"] >= 36
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    for panel in panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"] and target["expr"].strip(), panel["title"]
            unknown = variables_in(target["expr"]) - GRAFANA_VARIABLES - set(variables)
            assert not unknown, (panel["title"], unknown)


def test_the_dashboard_panels_fit_the_grid_without_overlapping() -> None:
    taken: set[tuple[int, int]] = set()
    for panel in DASHBOARD["panels"]:
        pos = panel["gridPos"]
        assert all(isinstance(pos[k], int) for k in ("x", "y", "w", "h")) and pos["x"] + pos["w"] <= 24, panel["title"]
        cells = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


def test_the_dashboard_covers_what_operators_ask() -> None:
    # Calls, quality, turn latency, interruptions, services, fallbacks, cost, media port drops.
    text = " ".join(dashboard_exprs())
    wanted = """voicepod_gateway_calls_active voicepod_gateway_call_rtt_seconds voicepod_gateway_call_jitter_seconds
        voicepod_gateway_call_fraction_lost_ratio voicepod_gateway_turn_latency_seconds voicepod_gateway_barge_ins_total
        voicepod_gateway_interruptions_total voicepod_service_errors_total voicepod_service_handler_duration_seconds
        voicepod_gateway_stt_fallbacks_total voicepod_agent_fallbacks_total voicepod_agent_cost_usd_total
        voicepod_gateway_media_mux_dropped_total""".split()
    for metric in wanted:
        assert metric in text, metric
