"""The console's settings, read from the environment (gateway/settings.py holds them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bus.settings import env_float, env_int


@dataclass(frozen=True)
class ConsoleSettings:
    # Where `voicepod eval --report PATH` files are kept (every *.json in it, not below): the
    # pass-rate history. None: the console shows no history.
    eval_reports_dir: Path | None = None
    # How often the live view is pushed to an open console (its calls' figures change every
    # stats interval; the services' figures are asked for every few pushes).
    push_seconds: float = 1.0
    # How long the console waits for the services' replies to one request (and to $SRV.*).
    ask_seconds: float = 2.0
    # The gateway processes sharing this port (`voicepod gateway --workers N` sets it for its
    # workers): the live view waits for that many answers, at most live_seconds.
    workers: int = 1
    live_seconds: float = 0.5

    def __post_init__(self) -> None:
        if not 0.1 <= self.push_seconds <= 60:
            raise ValueError(f"VOICEPOD_CONSOLE_PUSH_SECONDS must be in [0.1, 60], not {self.push_seconds}")


def console_settings(env: Mapping[str, str] | None = None) -> ConsoleSettings:
    """VOICEPOD_EVAL_REPORTS_DIR, VOICEPOD_CONSOLE_PUSH_SECONDS; VOICEPOD_WORKER_COUNT (set by
    `voicepod gateway --workers N` for each worker)."""
    env = os.environ if env is None else env
    reports = env.get("VOICEPOD_EVAL_REPORTS_DIR", "").strip()
    return ConsoleSettings(
        eval_reports_dir=Path(reports) if reports else None,
        push_seconds=env_float(env, "VOICEPOD_CONSOLE_PUSH_SECONDS", ConsoleSettings.push_seconds),
        workers=max(1, env_int(env, "VOICEPOD_WORKER_COUNT", ConsoleSettings.workers)),
    )
