"""What the `voicepod` commands read from the environment (flags override most of it).

The operators' commands find NATS and the state directory through pod/ops_settings.py; the gateway and the services read
their own settings (gateway/settings.py, bus/settings.py, services/*/settings.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def log_format(env: Mapping[str, str] | None = None) -> str:
    """VOICEPOD_LOG_FORMAT: auto (console on a terminal, else JSON), console or json."""
    return _env(env).get("VOICEPOD_LOG_FORMAT", "auto")


def log_level(default: str = "info", env: Mapping[str, str] | None = None) -> str:
    """VOICEPOD_LOG_LEVEL."""
    return _env(env).get("VOICEPOD_LOG_LEVEL", default)


def ops_host(env: Mapping[str, str] | None = None) -> str:
    """VOICEPOD_OPS_HOST for a service's /metrics, /healthz, /readyz (the loopback unless set)."""
    return _env(env).get("VOICEPOD_OPS_HOST", "127.0.0.1")


def workers(env: Mapping[str, str] | None = None) -> int | None:
    """VOICEPOD_WORKERS: the gateway's worker processes; None when unset (one per usable core)."""
    configured = _env(env).get("VOICEPOD_WORKERS", "")
    return max(1, int(configured)) if configured else None


def auth_secret(env: Mapping[str, str] | None = None) -> bytes:
    """VOICEPOD_AUTH_SECRET, empty when unset (then `voicepod token` uses the one `up` left)."""
    return _env(env).get("VOICEPOD_AUTH_SECRET", "").encode()


def caller_token(env: Mapping[str, str] | None = None) -> str:
    """VOICEPOD_TOKEN: the token `voicepod call` presents when --token is not given."""
    return _env(env).get("VOICEPOD_TOKEN", "")


def gateway_malloc_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """glibc's allocator settings for the gateway `voicepod up` starts, unless set already."""
    env = _env(env)
    return {
        # aiortc's threads each get a glibc arena that keeps freed memory; two keep RSS flat over days.
        "MALLOC_ARENA_MAX": env.get("MALLOC_ARENA_MAX", "2"),
        # A fixed mmap threshold: glibc otherwise raises it as large blocks are freed, and each
        # call's buffers then fragment the heap (RSS rose ~0.1 MB/s under churn, flat with it).
        "MALLOC_MMAP_THRESHOLD_": env.get("MALLOC_MMAP_THRESHOLD_", "131072"),
    }
