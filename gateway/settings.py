"""Gateway settings, read from the environment (CLI flags override them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bus.settings import env_float, env_int


@dataclass(frozen=True)  # no slots: from_env reads the class defaults
class GatewaySettings:
    host: str = "0.0.0.0"
    http_port: int = 8080
    # On SIGTERM live calls get this long to finish before they are ended.
    drain_timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        env = os.environ if env is None else env
        return cls(
            host=env.get("VOICEPOD_HTTP_HOST") or cls.host,
            http_port=env_int(env, "VOICEPOD_HTTP_PORT", cls.http_port),
            drain_timeout=env_float(env, "VOICEPOD_CALL_DRAIN_TIMEOUT", cls.drain_timeout),
        )
