"""Arrows point one way: pod -> gateway -> bus <- services."""

from __future__ import annotations

import ast
import functools
import re
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
    # Evals and benchmarks use the process helpers (proc/), never the CLI package.
    "evals": {"pod"},
    "bench": {"pod"},
    "proc": {"bus", "gateway", "services", "pod", "caller", "evals", "verticals"},
}


@functools.cache
def _tree(path: Path) -> ast.Module:
    """A file's syntax tree, parsed once for all the checks here (each walks the whole tree of files)."""
    return ast.parse(path.read_text(), filename=str(path))


def imported_top_levels(path: Path) -> set[str]:
    tree = _tree(path)
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
            tree = _tree(path)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("services."):
                    other = node.module.split(".")[1]
                    if other in names and other != name:
                        wrong.append(f"{path.relative_to(ROOT)} imports services.{other}")
    assert wrong == []


def test_a_vertical_uses_only_the_generic_agent_of_the_gateway() -> None:
    wrong = []
    for path in (ROOT / "verticals").rglob("*.py"):
        tree = _tree(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gateway"):
                if not node.module.startswith("gateway.agent"):
                    wrong.append(f"{path.relative_to(ROOT)} imports {node.module}")
    assert wrong == []


def test_only_bus_tracing_loads_the_opentelemetry_sdk_and_only_when_tracing_starts() -> None:
    """Tracing off costs nothing: the SDK and the exporter are imported in one function, not at
    the top of any module (tests/integration/test_traces.py checks a process that imports them all)."""
    wrong = []
    for package in ("bus", "gateway", "services", "pod", "caller", "evals", "verticals", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            tree = _tree(path)
            top_level = {id(node) for node in tree.body}
            for node in ast.walk(tree):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [module or ""]
                if not any(n.startswith(("opentelemetry.sdk", "opentelemetry.exporter")) for n in names):
                    continue
                where = path.relative_to(ROOT).as_posix()
                if where == "bench/tracing_overhead.py":
                    continue  # the benchmark times the SDK on purpose
                if where != "bus/tracing.py" or id(node) in top_level:
                    wrong.append(f"{where}:{node.lineno}")  # type: ignore[attr-defined]
    assert wrong == []


def test_the_link_is_the_whole_media_boundary() -> None:
    """aiortc (or any link's vendor) is imported only under gateway/link/: a call, its turn loop,
    the media helpers and the events do not know which link carries them."""
    outside = [
        str(path.relative_to(ROOT))
        for package in ("gateway", "bus", "services", "pod", "verticals")
        for path in (ROOT / package).rglob("*.py")
        if "aiortc" in imported_top_levels(path) and (ROOT / "gateway" / "link") not in path.parents
    ]
    assert outside == []


def _project_modules() -> dict[str, Path]:
    modules = {}
    for package in ("bus", "gateway", "services", "pod", "proc", "caller", "evals", "verticals"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, anywhere in it (in functions too), but not for type
    checking only; `from package import module` is an import of that module."""
    tree = _tree(path)
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for stmt in node.body
        for n in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names} & modules.keys()
            found.update(subs or {node.module})
    return found & modules.keys()


def test_no_two_modules_import_each_other_round_a_circle() -> None:
    """No import circles (app ⇄ signaling over the app's state, caller script ⇄ voice were the last
    ones): each module's imports reach back to it nowhere."""
    modules = _project_modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    circles = []
    for start in graph:
        seen, stack = set(), list(graph[start])
        while stack:
            name = stack.pop()
            if name == start:
                circles.append(start)
                break
            if name not in seen:
                seen.add(name)
                stack.extend(graph[name])
    assert circles == []


# The whole environment handed on to a child process, or a variable set for one: not a setting read.
_ENV_WRITES = ("pop", "update", "setdefault")
_SETTING_NAME = re.compile(r"VOICEPOD_[A-Z0-9_]+")
# Saves and restores the variables it sets for services run in-process (their settings read them).
_ENV_PATCHERS = {"evals/world.py"}


def is_settings_module(path: Path) -> bool:
    return path.name == "settings.py" or path.name.endswith("_settings.py")


def environment_reads(source: str) -> list[int]:
    """Lines that read the process environment (os.environ, os.getenv) or a VOICEPOD_* setting
    from any mapping; `{**os.environ, …}` for a child and writes to os.environ are not reads."""
    tree = ast.parse(source)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):  # {**os.environ, ...}: a child inherits the environment
            allowed.update(id(v) for k, v in zip(node.keys, node.values, strict=True) if k is None)
        elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
            allowed.add(id(node.value))  # os.environ[name] = value, del os.environ[name]
        elif isinstance(node, ast.Attribute) and node.attr in _ENV_WRITES:
            allowed.add(id(node.value))  # os.environ.pop(name), env.pop("VOICEPOD_...")
            allowed.add(id(node))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and id(node) not in allowed:
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id in ("environ", "getenv"):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            lines.extend(node.lineno for a in node.names if a.name in ("environ", "getenv"))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _names_a_setting(node.slice):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and id(node.func) not in allowed and any(map(_names_a_setting, node.args)):
            lines.append(node.lineno)
    return sorted(set(lines))


def _names_a_setting(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_SETTING_NAME.fullmatch(node.value))


def test_the_environment_is_read_only_in_settings_modules() -> None:
    """`VOICEPOD_*` (and every other variable) is read in a settings module (`settings.py`,
    `*_settings.py`), nowhere else: one place per layer says what a process can be told."""
    wrong: list[str] = []
    for package in ("bus", "gateway", "services", "pod", "proc", "caller", "evals", "bench", "verticals"):
        for path in (ROOT / package).rglob("*.py"):
            where = path.relative_to(ROOT).as_posix()
            if is_settings_module(path) or where in _ENV_PATCHERS:
                continue
            wrong.extend(f"{where}:{line}" for line in environment_reads(path.read_text()))
    assert wrong == []


def test_an_environment_read_outside_a_settings_module_is_found() -> None:
    reads = [
        'import os\nx = os.environ.get("HOME")',
        'import os\nx = os.getenv("HOME")',
        "from os import environ\nx = environ['HOME']",
        'def f(env):\n    return env.get("VOICEPOD_STT", "")',
        'def f(env):\n    return env["VOICEPOD_STT"]',
        'def f(env):\n    return env_int(env, "VOICEPOD_MAX_CALLS", 1)',
        "import os\nenv = os.environ",
    ]
    assert [bool(environment_reads(source)) for source in reads] == [True] * len(reads)
    not_reads = [
        'import os\nchild_env = {**os.environ, "VOICEPOD_STT": "none"}',
        'import os\nos.environ["VOICEPOD_STATE_DIR"] = "/tmp/x"',
        'import os\nos.environ.pop("DATABASE_URL", None)',
        'raise ValueError("VOICEPOD_TURN_SECRET and VOICEPOD_TURN_PASSWORD: not both")',
        'env = {"VOICEPOD_WORKER": "1"}\nenv["VOICEPOD_RTC_UDP_PORT"] = "5000"',
    ]
    assert [environment_reads(source) for source in not_reads] == [[]] * len(not_reads)
    assert is_settings_module(Path("gateway/turn_settings.py")) and not is_settings_module(Path("gateway/turns.py"))
