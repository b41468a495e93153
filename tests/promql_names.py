"""What PromQL in the deploy files names (metrics, labels), against what the code registers.

The registered metrics are prometheus_client's default registry after importing every module of
the gateway, the bus and the services that defines a metric: a renamed metric or label shows here.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

ROOT = Path(__file__).resolve().parents[1]
DEFINES_METRIC = re.compile(r"^\w+\s*=\s*(Counter|Gauge|Histogram|Summary)\(", re.MULTILINE)
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# Our metric names (and the recorded ones, voicepod:…), and the process collector's.
NAME = re.compile(r"(?<![\w:$])((?:voicepod|process|python)[\w:]*)(\s*\{[^}]*\})?")
MATCHER_LABEL = re.compile(r"(\w+)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
# Added by Prometheus to every series it scrapes, and the histograms' bucket label.
ALWAYS = {"job", "instance"}
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum", "_created"),
            "summary": ("", "_count", "_sum", "_created"), "info": ("_info",)}  # fmt: skip


def metric_modules() -> list[str]:
    found = []
    for folder in ("bus", "gateway", "services"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if DEFINES_METRIC.search(path.read_text(encoding="utf-8")):
                found.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


@dataclass
class Registered:
    """Every series name the processes expose, and each one's labels."""

    labels: dict[str, set[str]] = field(default_factory=dict)

    def add(self, name: str, labels: Iterable[str]) -> None:
        self.labels.setdefault(name, set()).update(labels)


def registered() -> Registered:
    modules = [importlib.import_module(name) for name in metric_modules()]
    out = Registered()
    for family in REGISTRY.collect():  # our metrics and the process/platform/gc collectors'
        for suffix in SUFFIXES.get(family.type, ("",)):
            out.add(family.name + suffix, ALWAYS)
        for sample in family.samples:
            out.add(sample.name, set(sample.labels) | ALWAYS)
    for module in modules:  # label names, also of labelled metrics that have no series yet
        for metric in vars(module).values():
            if isinstance(metric, MetricWrapperBase):
                names = [n for n in out.labels if n == metric._name or n.startswith(metric._name + "_")]
                for name in names:
                    out.add(name, metric._labelnames)
                    if name.endswith("_bucket"):
                        out.add(name, {"le"})
    return out


def recorded(rules: Iterable[dict[str, str]]) -> dict[str, set[str]]:
    """Recording rules' names and the labels their series keep (the grouping labels but le)."""
    out: dict[str, set[str]] = {}
    for rule in rules:
        if "record" in rule:
            grouped = {label.strip() for g in GROUPING.findall(rule["expr"]) for label in g.split(",")} - {"le", ""}
            out[rule["record"]] = grouped | ALWAYS
    return out


def problems(expr: str, known: dict[str, set[str]]) -> list[str]:
    """What in `expr` names a metric or a label that nothing exports; [] when all is known."""
    text = STRING.sub('""', expr)
    found: list[str] = []
    used_labels: set[str] = set()
    for name, matchers in NAME.findall(text):
        if name not in known:
            found.append(f"unknown metric {name}")
            continue
        used_labels |= known[name]
        for label in MATCHER_LABEL.findall(matchers):
            if label not in known[name]:
                found.append(f"{name} has no label {label}")
    for group in GROUPING.findall(text):
        for label in (g.strip() for g in group.split(",")):
            if label and label not in used_labels | {"le"}:
                found.append(f"grouping by {label}, which no metric in the expression has")
    return found


MATCHER = re.compile(r'(\w+)\s*(?:=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
WORDS = re.compile(r"\w+(\|\w+)*")


def source_strings() -> set[str]:
    """Every string constant in the gateway, the bus and the services: where label values come from."""
    found: set[str] = set()
    for folder in ("bus", "gateway", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.add(node.value)
    return found


def value_problems(expr: str, strings: set[str]) -> list[str]:
    """Label values matched as plain words (`reason="busy"`, `reason=~"backlog|overflow"`) that no
    code spells: a loose check (the word must be a string somewhere in the code), but a renamed
    reason or outcome shows. Patterns, numbers (codes), variables and job/instance are skipped."""
    found = []
    for label, value in MATCHER.findall(expr):
        if label in ALWAYS or not WORDS.fullmatch(value) or value.isdigit():
            continue
        found += [f'{label}="{word}" is no string in the code' for word in value.split("|") if word not in strings]
    return found
