"""`voicepod worker async`: the async-mode worker (gateway/async_work/, docs/modes.md). Run as many
as the queues need: replicas share each work queue, every item taken by one."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


def worker(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from bus.logging import configure_logging
    from bus.settings import BusSettings
    from gateway.async_work.worker import run_async_worker
    from gateway.voicemail.settings import AsyncSettings
    from pod.settings import log_format, log_level

    configure_logging("worker-async", level=log_level(), fmt=log_format())  # type: ignore[arg-type]
    settings = AsyncSettings.from_env()
    if args.ops_port is not None:
        settings = replace(settings, ops_port=args.ops_port)
    asyncio.run(run_async_worker(settings, BusSettings.from_env()))
    return 0


def add_to(commands: Any) -> None:
    w = commands.add_parser("worker", help="run a worker process: `async` hears voicemails and dials callbacks")
    w.add_argument("kind", choices=["async"])
    w.add_argument("--ops-port", type=int, default=None,
                   help="port of /metrics, /healthz, /readyz (default: $VOICEPOD_ASYNC_OPS_PORT or 9300)")  # fmt: skip
    w.set_defaults(run=worker)
