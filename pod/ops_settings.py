"""Where an operator's command (`voicepod calls`, `transcript`, `audit trail`) finds the pod's NATS.

In order: --nats-url; $NATS_URL; the URL `voicepod up` left in its state directory (its own
nats-server listens on a free port); the default, nats://127.0.0.1:4222. Credentials and TLS
come from the environment as for every process (NATS_USER, NATS_PASSWORD, NATS_TLS_*).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from bus.settings import BusSettings

# Written by `voicepod up` while it runs, removed when it stops.
NATS_URL_FILE = "nats_url"


def state_dir_default(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("VOICEPOD_STATE_DIR") or ".voicepod"


def ops_bus_settings(
    nats_url: str | None, state_dir: Path, timeout: float, env: Mapping[str, str] | None = None
) -> BusSettings:
    """The bus settings of one operator's command: it gives up on NATS after `timeout` seconds."""
    env = os.environ if env is None else env
    left_by_up = state_dir / NATS_URL_FILE
    url = nats_url or env.get("NATS_URL") or (left_by_up.read_text().strip() if left_by_up.is_file() else "")
    settings = BusSettings.from_env(env)
    return replace(settings, nats_url=url or settings.nats_url, connect_timeout=timeout)
