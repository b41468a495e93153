"""Async mode's settings, read from the environment: where recordings are kept, and how the async
worker works (its STT model, how long a job may go unacknowledged, its ops port)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bus.settings import env_float, env_int


@dataclass(frozen=True)
class AsyncSettings:
    # The object store: a local directory (VOICEPOD_OBJECT_STORE_DIR, default <state dir>/objects).
    object_dir: Path = Path(".voicepod/objects")
    # Batch STT: latency does not matter here, so the larger offline model (whisper_models.MODELS).
    stt_model: str = "whisper-base"
    # A job not acknowledged in this long (its worker died) goes to another worker; a live worker
    # tells JetStream it is still at it well within it.
    ack_wait_seconds: float = 60.0
    # Where callers find the agent's page (the callback link texted to a WebRTC caller).
    public_url: str = ""
    agent: str = "real_estate"
    ops_host: str = "127.0.0.1"
    ops_port: int = 9300

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AsyncSettings:
        env = os.environ if env is None else env
        state = Path(env.get("VOICEPOD_STATE_DIR") or ".voicepod")
        return cls(
            object_dir=Path(env.get("VOICEPOD_OBJECT_STORE_DIR") or state / "objects"),
            stt_model=env.get("VOICEPOD_ASYNC_STT_MODEL", cls.stt_model).strip(),
            ack_wait_seconds=env_float(env, "VOICEPOD_ASYNC_ACK_WAIT_SECONDS", cls.ack_wait_seconds),
            public_url=env.get("VOICEPOD_PUBLIC_URL", "").strip().rstrip("/"),
            agent=env.get("VOICEPOD_AGENT", cls.agent).strip(),
            ops_host=env.get("VOICEPOD_OPS_HOST", cls.ops_host),
            ops_port=env_int(env, "VOICEPOD_ASYNC_OPS_PORT", cls.ops_port),
        )
