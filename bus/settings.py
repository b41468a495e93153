"""Bus settings, read from the environment (flags on the CLI override them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

# The settings that make a process speak TLS to NATS; `voicepod up` blanks them for the children
# it points at its own loopback nats-server (which has no certificate).
NATS_TLS_ENV = ("NATS_TLS_CA", "NATS_TLS_CERT", "NATS_TLS_KEY")


def metrics_multiprocess(env: Mapping[str, str] | None = None) -> bool:
    """PROMETHEUS_MULTIPROC_DIR set (by `voicepod gateway --workers N`): metrics live in files shared
    by the workers (prometheus_client's multiprocess mode)."""
    env = os.environ if env is None else env
    return bool(env.get("PROMETHEUS_MULTIPROC_DIR"))


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
    # TLS to NATS (bus/tls.py): the CA that signed the server's certificate (PEM file), and
    # this process's own certificate and key when the server asks for client certificates.
    # Any of them, or a tls:// URL, turns TLS on; none: plain TCP, as before.
    nats_tls_ca: str = ""
    nats_tls_cert: str = ""
    nats_tls_key: str = ""
    # OpenTelemetry traces (bus/tracing.py), OTLP over HTTP: the collector's base URL
    # (OTEL_EXPORTER_OTLP_ENDPOINT, /v1/traces is added) or the traces URL itself
    # (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, used as given). Neither, or OTEL_SDK_DISABLED=true: off.
    otlp_endpoint: str = ""
    otlp_traces_endpoint: str = ""

    def __post_init__(self) -> None:
        if bool(self.nats_tls_cert) != bool(self.nats_tls_key):
            raise ValueError("NATS_TLS_CERT and NATS_TLS_KEY go together: set both (a client certificate) or neither")

    @property
    def nats_tls(self) -> bool:
        """True when this process must speak TLS to NATS."""
        return self.nats_url.strip().lower().startswith("tls://") or bool(self.nats_tls_ca or self.nats_tls_cert)

    @property
    def otlp_traces_url(self) -> str:
        """Where spans are sent, or "" when tracing is off."""
        if self.otlp_traces_endpoint:
            return self.otlp_traces_endpoint
        return f"{self.otlp_endpoint.rstrip('/')}/v1/traces" if self.otlp_endpoint else ""

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
            nats_tls_ca=env.get("NATS_TLS_CA", "").strip(),
            nats_tls_cert=env.get("NATS_TLS_CERT", "").strip(),
            nats_tls_key=env.get("NATS_TLS_KEY", "").strip(),
            otlp_endpoint=_otel(env, "OTEL_EXPORTER_OTLP_ENDPOINT"),
            otlp_traces_endpoint=_otel(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        )


def _otel(env: Mapping[str, str], name: str) -> str:
    """An OpenTelemetry setting, blank when OTEL_SDK_DISABLED=true (the standard switch)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ""
    return env.get(name, "").strip()
