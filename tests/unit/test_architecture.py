"""Arrows point one way: pod -> gateway -> bus <- services."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# package -> top-level packages it must never import
FORBIDDEN = {
    "bus": {"gateway", "services", "pod", "caller", "evals"},
    "gateway": {"services", "pod", "caller", "evals", "verticals"},  # a vertical is loaded by name, never imported
    "services": {"gateway", "pod", "caller", "evals"},
    # A vertical is business rules on the generic agent: it talks to services over the bus, never directly.
    "verticals": {"services", "pod", "caller", "evals"},
    # The caller speaks only the public /ws protocol.
    "caller": {"gateway", "services", "pod", "bus", "evals"},
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_import_points_the_wrong_way() -> None:
    wrong = []
    for package, forbidden in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = imported_top_levels(path) & forbidden
            if bad:
                wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert wrong == []


def test_a_service_never_imports_a_sibling_service() -> None:
    services = ROOT / "services"
    names = {p.name for p in services.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    wrong = []
    for name in names:
        for path in (services / name).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("services."):
                    other = node.module.split(".")[1]
                    if other in names and other != name:
                        wrong.append(f"{path.relative_to(ROOT)} imports services.{other}")
    assert wrong == []


def test_a_vertical_uses_only_the_generic_agent_of_the_gateway() -> None:
    wrong = []
    for path in (ROOT / "verticals").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gateway"):
                if not node.module.startswith("gateway.agent"):
                    wrong.append(f"{path.relative_to(ROOT)} imports {node.module}")
    assert wrong == []
