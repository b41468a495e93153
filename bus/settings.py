"""Bus settings, read from the environment (flags on the CLI override them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


def env_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    try:
        return default if value in (None, "") else float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    try:
        return default if value in (None, "") else int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


@dataclass(frozen=True)  # no slots: from_env reads the class defaults
class BusSettings:
    nats_url: str = "nats://127.0.0.1:4222"
    # How long a process keeps retrying its first connection (NATS may start after it).
    connect_timeout: float = 30.0
    # On SIGTERM: how long in-flight requests may take before the process exits anyway.
    drain_timeout: float = 10.0
    # Requests one service process handles at once; more wait (back-pressure on NATS).
    max_in_flight: int = 64
    # Per-process NATS user (deploy/k8s/base/nats.conf gives each one only its own subjects).
    nats_user: str = ""
    nats_password: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BusSettings:
        env = os.environ if env is None else env
        return cls(
            nats_url=env.get("NATS_URL") or cls.nats_url,
            connect_timeout=env_float(env, "VOICEPOD_NATS_CONNECT_TIMEOUT", cls.connect_timeout),
            drain_timeout=env_float(env, "VOICEPOD_DRAIN_TIMEOUT", cls.drain_timeout),
            max_in_flight=env_int(env, "VOICEPOD_MAX_IN_FLIGHT", cls.max_in_flight),
            nats_user=env.get("NATS_USER", ""),
            nats_password=env.get("NATS_PASSWORD", ""),
        )
